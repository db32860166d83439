"""Faults a fake provider can inject, per model (scripted) or per request (a body field).

Per request: put `"fake_fault": {"kind": "status", "status": 429, "retry_after": "2"}` in the
request body; the gateway passes unknown fields through, so tests can aim a fault at one call.
Scripted: `POST /_fake/faults` with the same object plus `model` and `times` (0 = until cleared).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

KINDS = frozenset(
    {
        "status",  # answer `status` with a provider-style error body (and Retry-After if given)
        "reset",  # reset the connection before any header
        "no_response",  # read the request, then never answer
        "cut",  # stream: close the connection after `after` chunks, mid-answer
        "stall",  # stream: stop sending after `after` chunks for `seconds`
        "malformed",  # stream: a chunk that is not JSON after `after` chunks
        "no_done",  # stream: end without the final [DONE] / message_stop
        "no_usage",  # report no usage at all
        "error_event",  # stream: an error event after `after` chunks
        "slow",  # add `seconds` of latency before answering
        "garbage",  # answer 200 with a body that is not the protocol's JSON
        # a careless upstream that repeats what it received (to prove the gateway's redaction):
        "echo",  # answer `status` with every request header and the path in the message, the
        # presented credential in `param` (OpenAI) and in Retry-After, the headers in `code` (OpenAI)
        "echo_event",  # stream: an error event after `after` chunks, its message every request header
    }
)


@dataclass(slots=True)
class Fault:
    kind: str
    status: int = 500
    retry_after: str | None = None
    message: str = ""
    code: str | None = None
    error_type: str | None = None
    after: int = 2
    seconds: float = 3600.0
    model: str | None = None
    """Scripted faults: only requests for this model (None: every model)."""
    times: int = 1
    """Scripted faults: how many requests it hits; 0 means until cleared."""

    @classmethod
    def parse(cls, raw: Any) -> Fault:
        if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
            raise ValueError(f"a fault needs a `kind`, one of: {', '.join(sorted(KINDS))}")
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(**raw)


class FaultBook:
    """Scripted faults, consumed in order as requests arrive."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def take(self, model: str) -> Fault | None:
        for fault in self._faults:
            if fault.model in (None, model):
                if fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                return fault
        return None
