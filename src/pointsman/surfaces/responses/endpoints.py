"""POST /v1/responses: OpenAI's Responses API, translated to the canonical request and back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from pointsman.api.http import send_json
from pointsman.api.rendered import RenderedStreamSink
from pointsman.api.request import Request, answer_headers, gateway_call
from pointsman.api.validate import check_chat, require_model
from pointsman.surfaces.responses.parse import to_canonical
from pointsman.surfaces.responses.render import to_response
from pointsman.surfaces.responses.stream import ResponsesStreamRenderer

if TYPE_CHECKING:
    from pointsman.compose import Gateway


async def responses(gateway: Gateway, request: Request) -> None:
    async with gateway_call(gateway, request, "responses") as call:
        require_model(call.body)
        original = call.body
        call.body, notes = to_canonical(original, strict=gateway.config.translation.strict)
        call.trace.adapt(*notes)
        check_chat(call.body, translated=True)
        call.stream = bool(call.body.get("stream"))
        watch = request.watch()
        try:
            if call.stream:
                sink = RenderedStreamSink(
                    request, watch, lambda m: ResponsesStreamRenderer(m.model.name, original)
                )
                await gateway.engine.stream(call, sink)
            else:
                answer = await gateway.engine.complete(call)
                out = to_response(answer.completion.data, answer.meta.model.name, original, answer.usage)
                watch.stop()
                await send_json(
                    request.send, 200, orjson.dumps(out), answer_headers(answer.meta, answer.cost)
                )
        finally:
            watch.stop()
