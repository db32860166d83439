"""The access log: one line per request, on the `pointsman.access` logger, written where the request
ends (after its answer or error went out, or its client left), from the same outcome its ledger row
is written from.

It names the request, never its content: no prompt, no answer, no key (the key's configured id
only), no query string (Gemini clients put keys there). What a client controls (the path, the model
it asked for) is bounded and quoted, so it cannot forge lines.
"""

from __future__ import annotations

import logging
import re
import time
from decimal import Decimal
from typing import Any

import orjson

from pointsman.catalog.price import format_usd
from pointsman.config.schema import AccessLog as AccessLogConfig
from pointsman.engine.trace import Trace
from pointsman.ledger.row import LedgerRow

log = logging.getLogger("pointsman.access")

CLIENT_TEXT_LIMIT = 200
"""Characters of a client-chosen value (the path, the model asked for) a line keeps."""
_BARE = re.compile(r'[^\s"=\\\x00-\x1f\x7f]+')
"""A value written as is in the text format; any other is quoted as a JSON string."""


def access_entry(
    request_id: str, method: str, path: str, status: int, error: str, latency_ms: float, row: LedgerRow | None
) -> dict[str, Any]:
    """The line's fields: a model request's from its ledger row (its status and error too); the
    gateway's other endpoints', and a request refused before its body was read, from the arguments."""
    entry: dict[str, Any] = {"id": request_id, "method": method, "path": path[:CLIENT_TEXT_LIMIT]}
    if row is None:
        entry.update(status=status, error=error, latency_ms=latency_ms)
        return entry
    entry.update(
        status=row.status,
        error=row.error_type,
        surface=row.endpoint,
        requested=row.requested_model[:CLIENT_TEXT_LIMIT],
        route=row.route,
        model=row.model,
        provider=row.provider,
        attempts=row.attempts,
        fallbacks=_fallbacks(row.trace),
        latency_ms=row.latency_ms,
        ttft_ms=row.ttft_ms,
        input_tokens=row.prompt_tokens,
        output_tokens=row.completion_tokens,
        cost_usd=row.cost_usd,
        key=row.key_id,
    )
    return entry


def _fallbacks(trace: Any) -> int:
    """Models tried after the first one (retries of one model are not fallbacks)."""
    if not isinstance(trace, Trace):
        return 0
    tried = {a.model for a in trace.attempts if a.outcome != "skipped"}
    return max(0, len(tried) - 1)


def text_line(entry: dict[str, Any]) -> str:
    """`key=value` pairs (logfmt), empty fields left out."""
    parts = []
    for name, value in entry.items():
        if value is None or value == "":
            continue
        if isinstance(value, str):
            if _BARE.fullmatch(value) is None:
                value = orjson.dumps(value).decode()
        elif isinstance(value, Decimal):
            value = format_usd(value)
        parts.append(f"{name}={value}")
    return " ".join(parts)


def json_line(entry: dict[str, Any]) -> str:
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
    return orjson.dumps({"ts": stamp, **entry}, default=_number).decode()


def _number(value: Any) -> float:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError


class AccessLog:
    """Writes the access line of each request, in the configured format (or nothing when disabled)."""

    __slots__ = ("_on", "_render")

    def __init__(self, config: AccessLogConfig) -> None:
        self._on = config.enabled
        self._render = json_line if config.format == "json" else text_line

    def write(
        self,
        request_id: str,
        method: str,
        path: str,
        status: int,
        error: str,
        latency_ms: float,
        row: LedgerRow | None,
    ) -> None:
        if not self._on or not log.isEnabledFor(logging.INFO):
            return
        entry = access_entry(request_id, method, path, status, error, latency_ms, row)
        # a record made directly: logging's usual path looks up the calling frame for every line
        record = log.makeRecord(log.name, logging.INFO, __file__, 0, self._render(entry), (), None)
        record.access = entry  # the fields, for a handler that wants them structured
        log.handle(record)


def send_to(stream: Any, config: AccessLogConfig) -> None:
    """In JSON format, the access lines go to `stream` as bare JSON, one object a line, instead of
    through the process's log format (whose prefix would stop them parsing)."""
    if config.format != "json":
        return
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.propagate = False
