"""The engine's face: ask routing for a plan and hand it to a `Run`.

The engine knows no wire format and no inbound surface: providers translate, the API layer renders,
and a `ChunkSink` receives streamed chunks in canonical form.
"""

from __future__ import annotations

from pointsman.engine.call import Answer, Call, ChunkSink, Parts
from pointsman.engine.run import Run
from pointsman.routing.plan import Router, RouteRequest


class Engine:
    def __init__(self, router: Router, parts: Parts) -> None:
        self._router = router
        self.parts = parts

    async def _run(self, call: Call, endpoint: str) -> Run:
        request = RouteRequest(
            call.requested_model, call.body, call.row.key_id, call.team, call.task, endpoint
        )
        plan = self._router.decide(request)
        call.trace.decision = plan.decision
        limit = call.body.get("max_completion_tokens") or call.body.get("max_tokens")
        call.trace.max_output_tokens = limit if isinstance(limit, int) else None
        call.row.trace = call.trace
        return Run(self.parts, call, plan, endpoint)

    async def complete(self, call: Call) -> Answer:
        return await (await self._run(call, "chat")).whole()

    async def embed(self, call: Call) -> Answer:
        return await (await self._run(call, "embeddings")).whole()

    async def stream(self, call: Call, sink: ChunkSink) -> None:
        """Stream the answer into `sink`. Raises only while nothing has reached the client."""
        await (await self._run(call, "chat")).stream(sink)
