"""POST models/{model}:generateContent, :streamGenerateContent and :countTokens (under /v1beta
and /v1): the Gemini API for Google's SDKs, answered by any provider."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import orjson

from pointsman.api.counting import count_prompt
from pointsman.api.http import JSON_TYPE, SSE_HEADERS, parse_json_object, read_body, send_json
from pointsman.api.rendered import serve_answer
from pointsman.api.request import Request, gateway_call
from pointsman.api.routes import Route
from pointsman.api.validate import check_chat, require_model
from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json
from pointsman.shape import need_object
from pointsman.surfaces.gemini.parse import to_canonical
from pointsman.surfaces.gemini.paths import METHODS, path_model
from pointsman.surfaces.gemini.render import to_response
from pointsman.surfaces.gemini.stream import GeminiStreamRenderer

if TYPE_CHECKING:
    from pointsman.compose import Gateway

_ARRAY_HEADERS = [JSON_TYPE, (b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]


async def generate_content(gateway: Gateway, request: Request) -> None:
    await _generate(gateway, request, stream=False)


async def stream_generate_content(gateway: Gateway, request: Request) -> None:
    await _generate(gateway, request, stream=True)


def _sse(request: Request) -> bool:
    """`alt=sse` streams SSE events (Google's SDKs ask for it); without, Gemini streams a JSON array."""
    query = parse_qs(request.scope.get("query_string", b"").decode("latin-1"))
    alt: str = query.get("alt", ["json"])[-1]
    if alt not in ("sse", "json"):
        raise InvalidRequest(f"alt must be 'sse' or 'json', got {alt[:40]!r}.", param="alt")
    return alt == "sse"


async def _generate(gateway: Gateway, request: Request, *, stream: bool) -> None:
    async with gateway_call(gateway, request, "gemini") as call:
        model = require_model({"model": path_model(request.scope["path"])})
        call.requested_model = model
        sse = _sse(request) if stream else True
        call.body = to_canonical(call.body, model, stream=stream)
        check_chat(call.body, translated=True)
        call.stream = stream
        response_id = request.id.removeprefix("req_")
        await serve_answer(
            gateway,
            request,
            call,
            lambda m: GeminiStreamRenderer(m.model.name, response_id, sse=sse),
            lambda a: to_response(a.completion.data, a.meta.model.name, a.usage, response_id),
            SSE_HEADERS if sse else _ARRAY_HEADERS,
        )


def _counted(body: Json, model: str) -> Json:
    """countTokens takes `contents`, or a whole `generateContentRequest` (system, tools and all)."""
    if body.get("generateContentRequest") is not None:
        if body.get("contents") is not None:
            raise InvalidRequest(
                "countTokens takes contents or generateContentRequest, not both.", param="contents"
            )
        inner = need_object(body["generateContentRequest"], "generateContentRequest")
        return to_canonical(inner, model, stream=False)
    return to_canonical(body, model, stream=False)


async def count_tokens(gateway: Gateway, request: Request) -> None:
    """Answered here with the tokenizer family of the model the name resolves to (a route: its
    default), as Anthropic's count_tokens is. Free, so not ledgered."""
    gateway.auth.key_id(request.scope)
    raw = await read_body(request.scope, request.receive, *gateway.body_limits)
    body = parse_json_object(raw)
    model = require_model({"model": path_model(request.scope["path"])})
    count = await count_prompt(gateway, model, _counted(body, model), len(raw))
    await send_json(request.send, 200, orjson.dumps({"totalTokens": count}), [request.id_header])


ACTIONS: dict[str, Route] = dict(
    zip(
        METHODS,
        [("POST", generate_content), ("POST", stream_generate_content), ("POST", count_tokens)],
        strict=True,
    )
)
"""A model's methods (`models/{model}:{method}`): the HTTP method each takes and its handler."""
