"""POST /v1/messages: the Anthropic surface (Claude SDKs, Claude Code), answered by any provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from pointsman.api.counting import counted_by, prompt_tokens
from pointsman.api.http import Scope, parse_json_object, read_body, send_json
from pointsman.api.rendered import serve_answer
from pointsman.api.request import Request, gateway_call
from pointsman.api.validate import check_chat, require_model
from pointsman.engine import Answer, AnswerMeta
from pointsman.errors import UpstreamProtocolError
from pointsman.providers.anthropic.adapter import AnthropicProvider
from pointsman.providers.base import Json
from pointsman.routing.hints import take_hints
from pointsman.surfaces.anthropic.parse import to_canonical
from pointsman.surfaces.anthropic.render import to_message
from pointsman.surfaces.anthropic.stream import MessagesStreamRenderer
from pointsman.usage import Usage

if TYPE_CHECKING:
    from pointsman.compose import Gateway


def betas_of(scope: Scope) -> tuple[str, ...]:
    """The `anthropic-beta` header's values (every header of that name, comma-separated)."""
    found: list[str] = []
    for key, value in scope["headers"]:
        if key == b"anthropic-beta":
            found += [b.strip() for b in bytes(value).decode("latin-1").split(",") if b.strip()]
    return tuple(found)


def _stops(body: Json) -> tuple[str, ...]:
    stops: Any = body.get("stop_sequences")
    return tuple(s for s in stops if type(s) is str) if type(stops) is list else ()


async def messages(gateway: Gateway, request: Request) -> None:
    async with gateway_call(gateway, request, "messages") as call:
        require_model(call.body)
        stops = _stops(call.body)
        call.body = to_canonical(call.body, betas_of(request.scope))
        check_chat(call.body, translated=True)
        call.stream = bool(call.body.get("stream"))
        message_id = "msg_" + request.id.removeprefix("req_")

        async def prepare(meta: AnswerMeta) -> None:
            """message_start reports the prompt's tokens: the provider's count when it gave one up
            front (Anthropic), else the gateway's own, made as count_tokens makes it."""
            if meta.usage is None:
                counted = await prompt_tokens(gateway, call.body, meta.model)
                meta.usage = Usage(input_tokens=counted, estimated=True)

        def renderer(meta: AnswerMeta) -> MessagesStreamRenderer:
            return MessagesStreamRenderer(meta.model.name, message_id, meta.usage, stops)

        def whole(answer: Answer) -> Json:
            return to_message(answer.completion, answer.meta.model.name, answer.usage, message_id, stops)

        await serve_answer(gateway, request, call, renderer, whole, prepare=prepare)


async def count_tokens(gateway: Gateway, request: Request) -> None:
    """POST /v1/messages/count_tokens, answered here with the tokenizer family of the model the name
    resolves to (a route: its default): Claude Code asks before every turn, and without an answer it
    falls back to one-token requests a provider bills. Free, so not ledgered. With
    `translation.count_tokens: provider`, a model on an Anthropic-wire provider is counted by it."""
    gateway.auth.key_id(request.scope)
    raw = await read_body(request.scope, request.receive, *gateway.body_limits)
    body = parse_json_object(raw)
    take_hints(body, lambda _: None)  # routing hints route nothing here, and are no provider's fields
    name = require_model(body)
    canonical = to_canonical({**body, "max_tokens": 1})  # the count takes no max_tokens; checks the body
    model = counted_by(gateway, name)
    provider = gateway.providers.get(model.provider)
    if gateway.config.translation.count_tokens == "provider" and isinstance(provider, AnthropicProvider):
        count = await _provider_count(gateway, provider, body, model.upstream, request)
    else:
        count = await prompt_tokens(gateway, canonical, model, len(raw))  # the model resolved above
    await send_json(request.send, 200, orjson.dumps({"input_tokens": count}), [request.id_header])


async def _provider_count(
    gateway: Gateway, provider: AnthropicProvider, body: Json, upstream: str, request: Request
) -> int:
    upstream_request = provider.count_request(body, upstream, list(betas_of(request.scope)))
    response = await gateway.upstream().send(provider.endpoint, upstream_request)
    if response.status >= 400:
        raise provider.classify_error(response)
    try:
        count = orjson.loads(response.body).get("input_tokens")
    except (orjson.JSONDecodeError, AttributeError):
        count = None
    if type(count) is not int:
        raise UpstreamProtocolError(
            f"provider '{provider.endpoint.name}' answered count_tokens without an input_tokens count",
            provider=provider.endpoint.name,
        )
    return count
