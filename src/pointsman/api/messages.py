"""POST /v1/messages: the Anthropic surface (Claude SDKs, Claude Code), answered by any provider."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from pointsman.api.counting import count_prompt
from pointsman.api.http import parse_json_object, read_body, send_json
from pointsman.api.rendered import RenderedStreamSink
from pointsman.api.request import Request, answer_headers, gateway_call
from pointsman.api.validate import check_chat, require_model
from pointsman.providers.anthropic.inbound import MessagesStreamRenderer, to_canonical, to_message

if TYPE_CHECKING:
    from pointsman.compose import Gateway


async def messages(gateway: Gateway, request: Request) -> None:
    async with gateway_call(gateway, request, "messages") as call:
        require_model(call.body)
        call.body = to_canonical(call.body)
        check_chat(call.body, translated=True)
        call.stream = bool(call.body.get("stream"))
        watch = request.watch()
        try:
            if call.stream:
                message_id = "msg_" + request.id.removeprefix("req_")
                sink = RenderedStreamSink(
                    request, watch, lambda m: MessagesStreamRenderer(m.model.name, message_id)
                )
                await gateway.engine.stream(call, sink)
            else:
                answer = await gateway.engine.complete(call)
                body = orjson.dumps(to_message(answer.completion.data, answer.meta.model.name, answer.usage))
                watch.stop()
                await send_json(request.send, 200, body, answer_headers(answer.meta, answer.cost))
        finally:
            watch.stop()


async def count_tokens(gateway: Gateway, request: Request) -> None:
    """POST /v1/messages/count_tokens, answered here with the tokenizer family of the model the name
    resolves to (a route: its default): Claude Code asks before every turn, and without an answer it
    falls back to one-token requests a provider bills. Free, so not ledgered."""
    gateway.auth.key_id(request.scope)
    raw = await read_body(request.scope, request.receive, *gateway.body_limits)
    body = parse_json_object(raw)
    name = require_model(body)
    canonical = to_canonical({**body, "max_tokens": 1})  # the count takes no max_tokens
    count = await count_prompt(gateway, name, canonical, len(raw))
    await send_json(request.send, 200, orjson.dumps({"input_tokens": count}), [request.id_header])
