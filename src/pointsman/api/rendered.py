"""Answers for surfaces whose events are rendered from canonical chunks (Anthropic, Responses,
Gemini, legacy completions): the stream sink, and `serve_answer`, which streams or sends whole.

Each surface supplies a renderer: bytes for the start, each batch of chunks, the end, and an error;
and, when its stream is not SSE, the content type it goes out as.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

import orjson

from pointsman.api.http import SSE_HEADERS, DisconnectWatch, Headers, safe_headers, send_json
from pointsman.api.request import Request, answer_headers
from pointsman.engine import Answer, AnswerMeta, Call
from pointsman.errors import PointsmanError
from pointsman.providers.base import Json
from pointsman.usage import Usage

if TYPE_CHECKING:
    from pointsman.compose import Gateway


class Renderer(Protocol):
    def start(self) -> bytes: ...

    def chunk(self, data: Json) -> bytes: ...

    def finish(self, usage: Usage) -> bytes: ...

    def error(self, error: PointsmanError) -> bytes: ...


class RenderedStreamSink:
    def __init__(
        self,
        request: Request,
        watch: DisconnectWatch,
        make: Callable[[AnswerMeta], Renderer],
        headers: Headers = SSE_HEADERS,
        prepare: Callable[[AnswerMeta], Awaitable[None]] | None = None,
    ) -> None:
        """`prepare` is awaited before the renderer is made (to count the prompt for its start)."""
        self._request = request
        self._headers = headers
        self._send = request.send
        self._watch = watch
        self._make = make
        self._prepare = prepare
        self._renderer: Renderer | None = None

    @property
    def started(self) -> bool:
        return self._renderer is not None

    async def start(self, meta: AnswerMeta) -> None:
        if self._prepare is not None:
            await self._prepare(meta)
        self._renderer = self._make(meta)
        self._request.end_stream = self.fail
        headers = [*self._headers, *safe_headers(answer_headers(meta, with_cost=False))]
        await self._send({"type": "http.response.start", "status": 200, "headers": headers})
        await self._send({"type": "http.response.body", "body": self._renderer.start(), "more_body": True})

    async def chunks(self, chunks: list[tuple[Json, bytes | None]]) -> None:
        assert self._renderer is not None
        body = b"".join(self._renderer.chunk(data) for data, _ in chunks)
        if body:
            await self._send({"type": "http.response.body", "body": body, "more_body": True})

    async def finish(self, usage: Usage, cost: Decimal | None) -> None:
        assert self._renderer is not None
        self._watch.stop()
        await self._send(
            {"type": "http.response.body", "body": self._renderer.finish(usage), "more_body": False}
        )

    async def fail(self, error: PointsmanError) -> None:
        assert self._renderer is not None
        self._watch.stop()
        await self._send(
            {"type": "http.response.body", "body": self._renderer.error(error), "more_body": False}
        )


async def serve_answer(
    gateway: Gateway,
    request: Request,
    call: Call,
    make: Callable[[AnswerMeta], Renderer],
    whole: Callable[[Answer], Json],
    headers: Headers = SSE_HEADERS,
    prepare: Callable[[AnswerMeta], Awaitable[None]] | None = None,
) -> None:
    """The call's answer in the surface's shape: streamed through the renderer `make` builds, or
    whole as `whole` renders it; the client's disconnect is watched until it has been sent."""
    watch = request.watch()
    try:
        if call.stream:
            sink = RenderedStreamSink(request, watch, make, headers, prepare)
            await gateway.engine.stream(call, sink)
        else:
            answer = await gateway.engine.complete(call)
            out = whole(answer)
            watch.stop()
            await send_json(request.send, 200, orjson.dumps(out), answer_headers(answer.meta, answer.cost))
    finally:
        watch.stop()
