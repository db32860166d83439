"""Counting a prompt's input tokens in the gateway, for the surfaces' count-tokens endpoints
(Anthropic's count_tokens, Gemini's countTokens): free, so clients ask before every turn."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from pointsman.providers.base import Json
from pointsman.routing.capabilities import prompt_bytes

if TYPE_CHECKING:
    from pointsman.catalog.model import CatalogModel
    from pointsman.compose import Gateway


async def count_prompt(gateway: Gateway, name: str, canonical: Json, size: int) -> int:
    """The canonical request's input tokens, counted with the tokenizer family of the model `name`
    resolves to (a route: its default); `size` is the body's, to count large prompts aside."""
    return await prompt_tokens(gateway, canonical, counted_by(gateway, name), size)


async def prompt_tokens(
    gateway: Gateway, canonical: Json, model: CatalogModel, size: int | None = None
) -> int:
    """The canonical prompt's tokens (messages and tools) by `model`'s tokenizer family."""
    tokens, upstream, tokenizer = gateway.tokens, model.upstream, model.tokenizer
    await tokens.ready(upstream, tokenizer)
    size = prompt_bytes(canonical) if size is None else size
    count = await tokens.count_messages_aside(canonical["messages"], upstream, tokenizer, size)
    if canonical.get("tools"):
        count += tokens.count(orjson.dumps(canonical["tools"]).decode(), upstream, tokenizer)
    return count


def counted_by(gateway: Gateway, name: str) -> CatalogModel:
    route = gateway.router.routes.get(name)
    if route is not None:
        return route.default.members[0].model
    return gateway.catalog.resolve(name)
