"""POST /v1/completions: legacy text completions (litellm's `text_completion`, the AI SDK's
`openai.completion()`), answered by any chat model through the same engine path as chat."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pointsman.api.rendered import serve_answer
from pointsman.api.request import Request, gateway_call
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
        n = call.body.get("n")
        count = n if isinstance(n, int) else 1
        await serve_answer(
            gateway,
            request,
            call,
            lambda m: CompletionsStreamRenderer(rid, m.model.name, legacy, count),
            lambda a: to_text_completion(a.completion.data, rid, a.meta.model.name, a.usage, legacy),
        )
