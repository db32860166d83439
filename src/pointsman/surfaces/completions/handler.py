"""POST /v1/completions: legacy text completions (litellm's `text_completion`, the AI SDK's
`openai.completion()`), answered by any chat model through the same engine path as chat."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from pointsman.api.http import send_json
from pointsman.api.rendered import RenderedStreamSink
from pointsman.api.request import Request, answer_headers, gateway_call
from pointsman.api.validate import check_chat, require_model
from pointsman.surfaces.completions.render import CompletionsStreamRenderer, to_text_completion
from pointsman.surfaces.completions.request import to_canonical

if TYPE_CHECKING:
    from pointsman.compose import Gateway


async def completions(gateway: Gateway, request: Request) -> None:
    async with gateway_call(gateway, request, "completions") as call:
        require_model(call.body)
        call.body, legacy = to_canonical(call.body)
        check_chat(call.body, translated=True)
        rid = "cmpl-" + request.id.removeprefix("req_")
        watch = request.watch()
        try:
            if call.stream:
                n = call.body.get("n")
                count = n if isinstance(n, int) else 1
                sink = RenderedStreamSink(
                    request, watch, lambda m: CompletionsStreamRenderer(rid, m.model.name, legacy, count)
                )
                await gateway.engine.stream(call, sink)
            else:
                answer = await gateway.engine.complete(call)
                out = to_text_completion(
                    answer.completion.data, rid, answer.meta.model.name, answer.usage, legacy
                )
                watch.stop()
                await send_json(
                    request.send, 200, orjson.dumps(out), answer_headers(answer.meta, answer.cost)
                )
        finally:
            watch.stop()
