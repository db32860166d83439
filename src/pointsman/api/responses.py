"""POST /v1/responses: OpenAI's Responses API, translated to the canonical request and back."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import orjson

from pointsman.api.http import SSE_HEADERS, DisconnectWatch, send_json
from pointsman.api.request import Request, answer_headers, ledgered_call
from pointsman.api.validate import check_chat, require_model
from pointsman.engine import AnswerMeta
from pointsman.errors import PointsmanError
from pointsman.providers.base import Json
from pointsman.providers.openai.responses import ResponsesStreamRenderer, to_canonical, to_response
from pointsman.usage import Usage

if TYPE_CHECKING:
    from pointsman.api.app import Gateway


class ResponsesStreamSink:
    def __init__(self, request: Request, watch: DisconnectWatch, body: Json) -> None:
        self._send = request.send
        self._watch = watch
        self._body = body
        self._renderer: ResponsesStreamRenderer | None = None

    @property
    def started(self) -> bool:
        return self._renderer is not None

    async def start(self, meta: AnswerMeta) -> None:
        self._renderer = ResponsesStreamRenderer(meta.model.name, self._body)
        headers = [*SSE_HEADERS, *answer_headers(meta, with_cost=False)]
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
        body = self._renderer.error(error.code or error.type, error.message)
        await self._send({"type": "http.response.body", "body": body, "more_body": False})


async def responses(gateway: Gateway, request: Request) -> None:
    key_id = gateway.auth.key_id(request.scope)
    async with ledgered_call(request, "responses", key_id, gateway.max_body, gateway.ledger) as call:
        require_model(call.body)
        original = call.body
        call.body = to_canonical(original)
        check_chat(call.body)
        call.stream = bool(call.body.get("stream"))
        watch = DisconnectWatch(request.receive)
        try:
            if call.stream:
                await gateway.engine.stream(call, ResponsesStreamSink(request, watch, original))
            else:
                answer = await gateway.engine.complete(call)
                out = to_response(answer.completion.data, answer.meta.model.name, original, answer.usage)
                watch.stop()
                await send_json(
                    request.send, 200, orjson.dumps(out), answer_headers(answer.meta, answer.cost)
                )
        finally:
            watch.stop()
