"""A stream sink for surfaces whose events are rendered from canonical chunks (Anthropic,
Responses, Gemini).

Each surface supplies a renderer: bytes for the start, each batch of chunks, the end, and an error;
and, when its stream is not SSE, the content type it goes out as.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Protocol

from pointsman.api.http import SSE_HEADERS, DisconnectWatch, Headers, safe_headers
from pointsman.api.request import Request, answer_headers
from pointsman.engine import AnswerMeta
from pointsman.errors import PointsmanError
from pointsman.providers.base import Json
from pointsman.usage import Usage


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
    ) -> None:
        self._request = request
        self._headers = headers
        self._send = request.send
        self._watch = watch
        self._make = make
        self._renderer: Renderer | None = None

    @property
    def started(self) -> bool:
        return self._renderer is not None

    async def start(self, meta: AnswerMeta) -> None:
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
