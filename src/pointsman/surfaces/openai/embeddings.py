"""POST /v1/embeddings: forwarded to the named model, priced by input tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from pointsman.api.http import send_json
from pointsman.api.request import Request, answer_headers, gateway_call
from pointsman.api.validate import check_embeddings, require_model

if TYPE_CHECKING:
    from pointsman.compose import Gateway


async def embeddings(gateway: Gateway, request: Request) -> None:
    async with gateway_call(gateway, request, "embeddings") as call:
        require_model(call.body)
        check_embeddings(call.body)
        answer = await gateway.engine.embed(call)
        body = answer.completion.raw or orjson.dumps(answer.completion.data)
        await send_json(request.send, 200, body, answer_headers(answer.meta, answer.cost))
