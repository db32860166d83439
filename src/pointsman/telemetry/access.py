"""The access log: one line per request (to `pointsman serve`'s stderr, or as records of the
`pointsman.access` logger), written where the request ends (after its answer or error went out, or
its client left), from its ledger row when it has one.

It names the request, never its content: no prompt, no answer, no key (the key's configured id
only), no query string (Gemini clients put keys there). What a client controls (the path, the model
it asked for) is bounded and quoted, so it cannot forge lines.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TextIO

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


def quoted(value: str) -> str:
    """`value` as a text line writes it: bare, or quoted as a JSON string when it holds a space,
    a quote, an `=` or a control character (so a client's path cannot end a line or add a field)."""
    return value if _BARE.fullmatch(value) else orjson.dumps(value).decode()


def text_line(
    request_id: str,
    method: str,
    path: str,
    status: int,
    error: str,
    latency_ms: float,
    row: LedgerRow | None,
    quote: Callable[[str], str] = quoted,
) -> str:
    """`key=value` pairs (logfmt): the fields of `access_entry`, those without a value left out.
    Built in one step, not from the entry: this runs for every request the server answers."""
    path = quote(path[:CLIENT_TEXT_LIMIT])
    if row is None:
        fault = f" error={error}" if error else ""
        return f"id={request_id} method={method} path={path} status={status}{fault} latency_ms={latency_ms}"
    fault = f" error={row.error_type}" if row.error_type else ""
    ttft = f" ttft_ms={row.ttft_ms}" if row.ttft_ms is not None else ""
    cost = "unknown" if row.cost_usd is None else format_usd(row.cost_usd)
    key = f" key={quote(row.key_id)}" if row.key_id else ""
    return (
        f"id={request_id} method={method} path={path} status={row.status}{fault} surface={row.endpoint} "
        f"requested={quote(row.requested_model[:CLIENT_TEXT_LIMIT])} route={quote(row.route)} "
        f"model={quote(row.model)} provider={quote(row.provider)} attempts={row.attempts} "
        f"fallbacks={_fallbacks(row.trace)} latency_ms={row.latency_ms}{ttft} "
        f"input_tokens={row.prompt_tokens} output_tokens={row.completion_tokens} cost_usd={cost}{key}"
    )


QUOTED_CACHE = 4096
"""Strings whose written form an access log keeps (bounded: a client chooses its paths)."""


def json_line(entry: dict[str, Any], now: float) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
    return orjson.dumps({"ts": stamp, **entry}, default=_number).decode()


def _number(value: Any) -> float:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError


class AccessLog:
    """Writes each request's access line in the configured format (nothing when disabled): to `out`
    when given (the server's stderr), else as records of the `pointsman.access` logger.

    Written to `out`, lines are gathered and written once per turn of the event loop: through
    `logging` a line cost about a fifth of a whole request's CPU (a record, a handler's lock, a
    formatter, a write and a flush each)."""

    __slots__ = ("_json", "_on", "_out", "_pending", "_quoted", "_second", "_stamp")

    def __init__(self, config: AccessLogConfig, out: TextIO | None = None) -> None:
        self._on = config.enabled
        self._json = config.format == "json"
        self._out = out
        self._pending: list[str] = []
        self._quoted: dict[str, str] = {}
        self._second = -1
        self._stamp = ""

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
        if not self._on or (self._out is None and not log.isEnabledFor(logging.INFO)):
            return
        now = time.time()
        entry = None
        if self._json or self._out is None:
            entry = access_entry(request_id, method, path, status, error, latency_ms, row)
        if entry is not None and self._json:
            line = json_line(entry, now)
        else:
            line = text_line(request_id, method, path, status, error, latency_ms, row, self._quote)
        if self._out is None:
            # a record made directly: logging's usual path looks up the calling frame for every line
            record = log.makeRecord(log.name, logging.INFO, __file__, 0, line, (), None)
            record.access = entry  # the fields, for a handler that wants them structured
            log.handle(record)
            return
        self._pending.append(line if self._json else self._prefix(now) + line)
        if len(self._pending) == 1:
            asyncio.get_running_loop().call_soon(self.flush)

    def _quote(self, value: str) -> str:
        text = self._quoted.get(value)
        if text is None:
            text = quoted(value)
            if len(self._quoted) < QUOTED_CACHE:
                self._quoted[value] = text
        return text

    def _prefix(self, now: float) -> str:
        """What the process's other log lines start with (`cli.main`'s format), the time local."""
        second = int(now)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        return f"{self._stamp},{int(now * 1000) % 1000:03d} INFO {log.name}: "

    def flush(self) -> None:
        if not self._pending or self._out is None:
            return
        lines, self._pending = self._pending, []
        try:
            self._out.write("\n".join(lines) + "\n")
            self._out.flush()
        except (OSError, ValueError):  # stderr closed or gone: the requests must not fail with it
            self._on = False
