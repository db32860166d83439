"""POST /v1/chat/completions: the OpenAI surface, JSON and SSE."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import orjson

from pointsman.api.http import SSE_HEADERS, DisconnectWatch, safe_headers, send_json
from pointsman.api.request import Request, answer_headers, gateway_call
from pointsman.api.validate import check_chat, require_model
from pointsman.catalog.price import format_usd
from pointsman.engine import AnswerMeta, Call
from pointsman.engine.trace import Trace
from pointsman.errors import PointsmanError
from pointsman.providers.base import Json
from pointsman.providers.openai.usage import parse_usage, usage_json, with_usage
from pointsman.usage import Usage

if TYPE_CHECKING:
    from pointsman.compose import Gateway


class OpenAIStreamSink:
    """Renders canonical chunks as OpenAI SSE; the cost goes out as a trailing SSE comment."""

    def __init__(self, request: Request, watch: DisconnectWatch, include_usage: bool) -> None:
        self._request = request
        self._send = request.send
        self._watch = watch
        self._include_usage = include_usage
        self._usage: tuple[Json, bytes | None] | None = None
        """The upstream's usage chunk, held back: the client gets the whole request's at the end."""
        self._last: Json = {}
        self._trace: Trace | None = None
        self.started = False

    async def start(self, meta: AnswerMeta) -> None:
        self.started = True
        self._request.end_stream = self.fail
        self._trace = meta.trace
        headers = [*SSE_HEADERS, *safe_headers(answer_headers(meta, with_cost=False))]
        await self._send({"type": "http.response.start", "status": 200, "headers": headers})

    async def chunks(self, chunks: list[tuple[Json, bytes | None]]) -> None:
        parts: list[bytes] = []
        for data, raw in chunks:
            if data.get("usage") and not data.get("choices"):
                self._usage = data, raw
                continue
            if "anthropic" in data:
                continue  # an Anthropic-only event (a thinking signature, a server tool): not this wire's
            self._last = data
            parts += (b"data: ", raw if raw is not None else orjson.dumps(data), b"\n\n")
        if parts:
            await self._send({"type": "http.response.body", "body": b"".join(parts), "more_body": True})

    async def finish(self, usage: Usage, cost: Decimal | None) -> None:
        self._watch.stop()
        tail = b""
        if self._include_usage:
            tail += b"data: " + self._usage_chunk(usage) + b"\n\n"
        cost_text = b"unknown" if cost is None else format_usd(cost).encode()
        tail += b": x-pointsman-cost-usd " + cost_text + b"\n\n"
        if self._trace is not None:  # the whole story, now that it has ended
            tail += b": x-pointsman-trace " + self._trace.dumps() + b"\n\n"
        tail += b"data: [DONE]\n\n"
        await self._send({"type": "http.response.body", "body": tail, "more_body": False})

    def _usage_chunk(self, usage: Usage) -> bytes:
        """The whole request's usage (every part of a continued stream), in the upstream's own
        usage chunk when it sent one, so its other fields reach the client too."""
        if self._usage is not None:
            data, raw = self._usage
            if raw is not None and parse_usage(data["usage"]) == usage:
                return raw
            return orjson.dumps({**data, "usage": with_usage(data["usage"], usage)})
        last = self._last
        chunk = {
            "id": last.get("id", ""),
            "object": "chat.completion.chunk",
            "created": last.get("created", 0),
            "model": last.get("model", ""),
            "choices": [],
            "usage": usage_json(usage),
        }
        return orjson.dumps(chunk)

    async def fail(self, error: PointsmanError) -> None:
        # headers are gone: an `error` event is how OpenAI streams report failure (its SDKs raise on it)
        self._watch.stop()
        last = self._last
        ended = {  # the answer's end, saying why: never a truncation that looks finished
            "id": last.get("id", ""),
            "object": "chat.completion.chunk",
            "created": last.get("created", 0),
            "model": last.get("model", ""),
            "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}],
        }
        body = b"data: " + orjson.dumps(ended) + b"\n\ndata: " + orjson.dumps(error.to_openai()) + b"\n\n"
        await self._send({"type": "http.response.body", "body": body, "more_body": False})


async def chat_completions(gateway: Gateway, request: Request) -> None:
    async with gateway_call(gateway, request, "chat") as call:
        require_model(call.body)
        check_chat(call.body)
        watch = request.watch()  # only now: the body has been read
        try:
            if call.stream:
                await _stream(gateway, request, call, watch)
            else:
                answer = await gateway.engine.complete(call)
                body = answer.completion.raw or orjson.dumps(answer.completion.data)
                watch.stop()
                await send_json(request.send, 200, body, answer_headers(answer.meta, answer.cost))
        finally:
            watch.stop()


async def _stream(gateway: Gateway, request: Request, call: Call, watch: DisconnectWatch) -> None:
    options = call.body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    await gateway.engine.stream(call, OpenAIStreamSink(request, watch, include_usage))
