"""POST /v1/responses: OpenAI's Responses API, translated to the canonical request and back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pointsman.api.rendered import serve_answer
from pointsman.api.request import Request, gateway_call
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
        await serve_answer(
            gateway,
            request,
            call,
            lambda m: ResponsesStreamRenderer(m.model.name, original),
            lambda a: to_response(a.completion.data, a.meta.model.name, original, a.usage),
        )
