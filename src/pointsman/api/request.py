"""What every inbound API handler shares: the request, its ledger row, and the answer headers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pointsman.api.http import Headers, Receive, Scope, Send, header, parse_json_object, read_body
from pointsman.api.validate import tags_of
from pointsman.catalog.price import format_usd
from pointsman.engine import AnswerMeta, Call
from pointsman.errors import PointsmanError
from pointsman.ledger.row import LedgerRow
from pointsman.ledger.sink import LedgerSink

if TYPE_CHECKING:
    from pointsman.api.app import Gateway


@dataclass(slots=True)
class Request:
    scope: Scope
    receive: Receive
    send: Send
    id: str
    started: float
    """perf_counter() at arrival."""
    error_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    """Headers an error response carries besides the request id (the route, the trace)."""

    @property
    def id_header(self) -> tuple[bytes, bytes]:
        return (b"x-pointsman-request-id", self.id.encode())


def answer_headers(meta: AnswerMeta, cost: Any = None, *, with_cost: bool = True) -> Headers:
    headers = [
        (b"x-pointsman-request-id", meta.request_id.encode()),
        (b"x-pointsman-model", meta.model.name.encode()),
        (b"x-pointsman-provider", meta.model.provider.encode()),
        (b"x-pointsman-route", meta.route.encode()),
    ]
    if with_cost:
        headers.append((b"x-pointsman-cost-usd", b"unknown" if cost is None else format_usd(cost).encode()))
    if meta.trace is not None:
        headers.append((b"x-pointsman-trace", meta.trace.dumps()))
    return headers


def _explain(scope: Scope) -> bool:
    value = header(scope, b"x-pointsman-explain")
    return value is not None and value.strip().lower() in ("1", "true", "yes")


def gateway_call(gateway: Gateway, request: Request, endpoint: str) -> AbstractAsyncContextManager[Call]:
    """Check the caller's key, then `ledgered_call` with the gateway's limits and ledger."""
    key_id = gateway.auth.key_id(request.scope)
    return ledgered_call(
        request, endpoint, key_id, gateway.max_body, gateway.ledger, gateway.auth.team(key_id)
    )


@asynccontextmanager
async def ledgered_call(
    request: Request, endpoint: str, key_id: str, limit: int, ledger: LedgerSink, team: str = ""
) -> AsyncIterator[Call]:
    """Parse the body into a `Call` whose ledger row is written exactly once, whatever happens."""
    row = LedgerRow(id=request.id, ts=time.time(), endpoint=endpoint, requested_model="", key_id=key_id)
    call: Call | None = None
    try:
        body = parse_json_object(await read_body(request.scope, request.receive, limit))
        model = body.get("model")
        row.requested_model = model if isinstance(model, str) else ""
        row.tags = tags_of(body, header(request.scope, b"x-pointsman-tags"))
        row.stream = body.get("stream") is True
        call = Call(
            request.id,
            body,
            row,
            request.started,
            stream=row.stream,
            team=team,
            task=header(request.scope, b"x-pointsman-task") or "",
            explain=_explain(request.scope),
        )
        yield call
    except PointsmanError as error:
        if row.route:
            request.error_headers.append((b"x-pointsman-route", row.route.encode()))
        if call is not None and call.explain:
            request.error_headers.append((b"x-pointsman-trace", call.trace.dumps()))
        if not row.status or row.status == 200:
            row.status, row.error_type = error.status, error.type
        raise
    except Exception:
        row.status, row.error_type = 500, "server_error"
        raise
    finally:
        if not row.latency_ms:
            row.latency_ms = round((time.perf_counter() - request.started) * 1000, 3)
        if not row.status:
            row.status, row.error_type = 499, "client_closed"
        ledger.record(row)
