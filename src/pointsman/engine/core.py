"""The engine: ask routing for a plan, run it, and settle one outcome.

    rated = rate(rater)                      a learned route's classifier, when it has one (I/O)
    plan = router.decide(request)            pure: ordered candidates, the policy, why
    run = Run(plan)                          one deadline; each attempt a share of it
    answer = whole(run) | stream(run, sink)  attempt → retry or fail over → check → escalate
    call.outcome = run.outcome(...)          the one thing the ledger row is written from

The engine knows no wire format and no inbound surface: providers translate, the API layer renders,
and a `ChunkSink` receives streamed chunks in canonical form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pointsman.engine.call import Answer, Call, ChunkSink, Parts
from pointsman.engine.rate import rate
from pointsman.engine.run import Run
from pointsman.engine.streaming import stream_answer
from pointsman.engine.whole import answer_whole
from pointsman.errors import PointsmanError
from pointsman.routing.plan import RoutePlan, Router, RouteRequest

T = TypeVar("T")


class Engine:
    def __init__(self, router: Router, parts: Parts) -> None:
        self._router = router
        self.parts = parts

    def plan(self, call: Call, endpoint: str = "chat") -> RoutePlan:
        """What routing decides for `call`; `pointsman route` asks this too, so it decides as a
        request would (the same key, team, task, hints and body reach the router; a classifier is
        not asked: the learned estimate decides)."""
        return self._router.decide(route_request(call, endpoint))

    async def _run(self, call: Call, endpoint: str) -> Run:
        request = route_request(call, endpoint)
        rater = self._router.rater(request)
        spent = await rate(rater, request, self.parts, call) if rater is not None else None
        plan = self._router.decide(request)
        call.trace.decision = plan.decision
        if call.hints.forward is not None:  # OpenRouter's `provider`: only an adapter that takes it sends it
            call.body["provider"] = call.hints.forward
        limit = call.body.get("max_completion_tokens") or call.body.get("max_tokens")
        call.trace.max_output_tokens = limit if isinstance(limit, int) else None
        run = Run(self.parts, call, plan, endpoint)
        run.book.discard(spent)  # billed, never seen by the client: the row's discarded cost
        return run

    async def complete(self, call: Call) -> Answer:
        run = await self._run(call, "chat")
        return await _settled(run, answer_whole)

    async def embed(self, call: Call) -> Answer:
        run = await self._run(call, "embeddings")
        return await _settled(run, answer_whole)

    async def stream(self, call: Call, sink: ChunkSink) -> None:
        """Stream the answer into `sink`. Raises only while nothing has reached the client."""
        run = await self._run(call, "chat")

        async def streamed(run: Run) -> None:
            try:
                await stream_answer(run, sink)
            except PointsmanError as error:
                if not sink.started:
                    raise
                await sink.fail(error)  # the headers are gone: the error goes in the stream
                run.status, run.error = error.status, error

        await _settled(run, streamed)


def route_request(call: Call, endpoint: str = "chat") -> RouteRequest:
    """What the router sees of `call` (the gateway, `pointsman route` and library mode alike)."""
    request = RouteRequest(call.requested_model, call.body, call.key_id, call.team, call.task, endpoint)
    if call.hints:
        request.quality, request.hints = call.hints.quality, call.hints
    return request


async def _settled(run: Run, work: Callable[[Run], Awaitable[T]]) -> T:
    """Run `work` and leave the call's one outcome, however it ends."""
    try:
        result = await work(run)
    except BaseException as exc:
        run.call.outcome = run.ended_by(exc)
        raise
    run.call.outcome = run.outcome(run.status, run.error, run.named)
    return result
