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
from pointsman.engine.call import Call

log = logging.getLogger("pointsman.access")

CLIENT_TEXT_LIMIT = 200
"""Characters of a client-chosen value (the path, the model asked for) a line keeps."""
_BARE = re.compile(r'[^\s"=\\\x00-\x1f\x7f]+')
"""A value written as is in the text format; any other is quoted as a JSON string."""


def access_entry(
    request_id: str, method: str, path: str, status: int, error: str, latency_ms: float, call: Call | None
) -> dict[str, Any]:
    """The line's fields. `call` is the model request's (None for the gateway's other endpoints, and
    for a request refused before its body was read)."""
    outcome = call.outcome if call is not None else None
    model = outcome.model if outcome is not None else None
    entry: dict[str, Any] = {
        "id": request_id,
        "method": method,
        "path": path[:CLIENT_TEXT_LIMIT],
        "status": status,
        "error": error,
    }
    if call is None or outcome is None:
        entry["latency_ms"] = latency_ms
        return entry
    usage = outcome.usage
    first = outcome.first_token
    entry.update(
        surface=call.endpoint,
        requested=call.requested_model[:CLIENT_TEXT_LIMIT],
        route=outcome.route,
        model=model.name if model is not None else "",
        provider=model.provider if model is not None else "",
        attempts=outcome.attempts,
        fallbacks=_fallbacks(call),
        latency_ms=round((outcome.finished - call.started) * 1000, 3),
        ttft_ms=round((first - call.started) * 1000, 3) if first is not None else None,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cost_usd=outcome.cost,
        key=call.key_id,
    )
    return entry


def _fallbacks(call: Call) -> int:
    """Models tried after the first one (retries of one model are not fallbacks)."""
    tried = {a.model for a in call.trace.attempts if a.outcome != "skipped"}
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
        call: Call | None,
    ) -> None:
        if not self._on or not log.isEnabledFor(logging.INFO):
            return
        entry = access_entry(request_id, method, path, status, error, latency_ms, call)
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
