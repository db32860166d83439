"""What every inbound API handler shares: the request, its ledger row, and the answer headers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pointsman.api.http import (
    ClientDisconnected,
    DisconnectWatch,
    Headers,
    Receive,
    Scope,
    Send,
    header,
    parse_json_object,
    read_body,
)
from pointsman.api.validate import tags_of
from pointsman.catalog.price import format_usd
from pointsman.engine import CLIENT_CLOSED, AnswerMeta, Call, Outcome
from pointsman.engine.trace import adapted_header
from pointsman.errors import GatewayUnavailable, PointsmanError
from pointsman.ledger.row import LedgerRow
from pointsman.ledger.sink import LedgerSink
from pointsman.routing.hints import take_hints

if TYPE_CHECKING:
    from pointsman.compose import Gateway


@dataclass(slots=True)
class Request:
    scope: Scope
    receive: Receive
    send: Send
    id: str
    started: float
    """The gateway clock at arrival."""
    error_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    """Headers an error response carries besides the request id (the route, the trace)."""
    left: bool = False
    """The client closed the connection before its answer was complete."""
    end_stream: Callable[[PointsmanError], Awaitable[None]] | None = None
    """Once a stream has started: ends it with an error event in its surface's shape."""
    row: LedgerRow | None = None
    """A model request's ledger row, once recorded: its access line is written from it."""
    status: int = 200
    """The status of an answer that is not an error and not a model's (readyz's 503)."""

    @property
    def id_header(self) -> tuple[bytes, bytes]:
        return (b"x-pointsman-request-id", self.id.encode())

    def watch(self) -> DisconnectWatch:
        """Cancels this request's work when its client leaves (start it once the body is read)."""
        return DisconnectWatch(self.receive, self._leave)

    def _leave(self) -> None:
        self.left = True


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
        headers.append((b"x-pointsman-trace", meta.trace.header()))
    if meta.adapted:
        headers.append((b"x-pointsman-adapted", adapted_header(meta.adapted)))
    return headers


def _explain(scope: Scope) -> bool:
    value = header(scope, b"x-pointsman-explain")
    return value is not None and value.strip().lower() in ("1", "true", "yes")


def gateway_call(gateway: Gateway, request: Request, endpoint: str) -> AbstractAsyncContextManager[Call]:
    """Check the caller's key, then `ledgered_call` with the gateway's limits and ledger."""
    key_id = gateway.auth.key_id(request.scope)
    return ledgered_call(
        request,
        endpoint,
        key_id,
        gateway.body_limits,
        gateway.ledger,
        gateway.clock.now,
        gateway.auth.team(key_id),
        gateway.shadow.consider,
    )


@asynccontextmanager
async def ledgered_call(
    request: Request,
    endpoint: str,
    key_id: str,
    limits: tuple[int, float],
    ledger: LedgerSink,
    now: Callable[[], float],
    team: str = "",
    answered: Callable[[Call, Outcome], None] | None = None,
) -> AsyncIterator[Call]:
    """Parse the body (at most `limits`: bytes, seconds) into a `Call`; its ledger row is written
    exactly once, from its outcome. `answered` is told of every call once its response is complete
    (the shadow monitor), after the row."""
    call = Call(request.id, {}, request.started, endpoint, key_id=key_id, team=team)
    outcome: Outcome | None = None
    try:
        call.body = body = parse_json_object(await read_body(request.scope, request.receive, *limits))
        call.hints = take_hints(body, lambda name: header(request.scope, name.encode()))
        model = body.get("model")
        call.requested_model = model if isinstance(model, str) else ""
        call.tags = tags_of(body, header(request.scope, b"x-pointsman-tags"))
        call.stream = body.get("stream") is True
        call.task = header(request.scope, b"x-pointsman-task") or ""
        call.explain = _explain(request.scope)
        yield call
    except PointsmanError as error:
        outcome = call.outcome or Outcome(error.status, error.type, finished=now())
        if outcome.route:
            request.error_headers.append((b"x-pointsman-route", outcome.route.encode()))
        if call.explain and outcome.trace is not None:
            request.error_headers.append((b"x-pointsman-trace", outcome.trace.header()))
        raise
    except ClientDisconnected:
        request.left = True
        raise
    except asyncio.CancelledError:
        if not request.left:  # the server cut it short: graceful shutdown ran out of time
            outcome = call.outcome or Outcome(503, finished=now())
            outcome.status, outcome.error_type = 503, SHUTTING_DOWN
        raise
    except Exception:
        outcome = call.outcome or Outcome(500, "server_error", finished=now())
        raise
    finally:
        if outcome is None:  # answered, or the client left before the engine had a say
            outcome = call.outcome or Outcome(CLIENT_CLOSED, "client_closed", finished=now())
        request.row = ledger_row(call, outcome)  # the access line is written from it too
        ledger.record(request.row)
        if answered is not None and outcome.status == 200:
            answered(call, outcome)


SHUTTING_DOWN = "shutting_down"


def shutting_down() -> GatewayUnavailable:
    """What a request still running when the server stops waiting for it ends with."""
    return GatewayUnavailable("The gateway is shutting down; retry.", code=SHUTTING_DOWN)


def ledger_row(call: Call, outcome: Outcome) -> LedgerRow:
    """The request's one ledger row: what it asked for (the call) and how it ended (the outcome)."""
    model, usage = outcome.model, outcome.usage
    first = outcome.first_token
    return LedgerRow(
        id=call.id,
        ts=call.ts,
        endpoint=call.endpoint,
        requested_model=call.requested_model,
        key_id=call.key_id,
        model=model.name if model is not None else "",
        provider=model.provider if model is not None else "",
        upstream_model=model.upstream if model is not None else "",
        attempts=outcome.attempts,
        status=outcome.status,
        error_type=outcome.error_type,
        prompt_tokens=usage.input_tokens,
        completion_tokens=usage.output_tokens,
        cached_tokens=usage.cached_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        cost_usd=outcome.cost,
        estimated=usage.estimated,
        latency_ms=round((outcome.finished - call.started) * 1000, 3),
        ttft_ms=round((first - call.started) * 1000, 3) if first is not None else None,
        stream=call.stream,
        tags=call.tags,
        route=outcome.route,
        escalations=outcome.escalations,
        discarded_cost_usd=outcome.discarded,
        trace=outcome.trace,
    )
