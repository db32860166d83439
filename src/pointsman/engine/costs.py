"""Usage and price of one attempt: what the provider reported, or what it would bill when it
reported nothing (counted locally and marked estimated)."""

from __future__ import annotations

from decimal import Decimal

from pointsman.catalog.model import CatalogModel
from pointsman.providers.base import Json, call_texts
from pointsman.tokens import TokenCounter
from pointsman.usage import Usage


def priced(model: CatalogModel, usage: Usage) -> Decimal | None:
    return model.price.cost(usage) if model.price is not None else None


def estimate(tokens: TokenCounter, body: Json, model: CatalogModel, texts: list[str]) -> Usage:
    """The prompt and `texts` (what the model generated), counted with the model's tokenizer."""
    return Usage(
        input_tokens=tokens.count_messages(body.get("messages"), model.upstream, model.tokenizer),
        output_tokens=tokens.count_texts(texts, model.upstream, model.tokenizer),
        estimated=True,
    )


def partial(
    tokens: TokenCounter, body: Json, model: CatalogModel, texts: list[str], reported: Usage | None
) -> Usage:
    """Usage of a stream that did not finish: a provider that reports usage up front (Anthropic's
    message_start) counts only the first output token, so what was generated is counted too."""
    counted = estimate(tokens, body, model, texts)
    if reported is None:
        return counted
    if reported.output_tokens >= counted.output_tokens:
        return reported
    return Usage(
        input_tokens=reported.input_tokens or counted.input_tokens,
        output_tokens=counted.output_tokens,
        cached_tokens=reported.cached_tokens,
        cache_write_tokens=reported.cache_write_tokens,
        reasoning_tokens=reported.reasoning_tokens,
        estimated=True,
    )


def add(a: Usage, b: Usage) -> Usage:
    return Usage(
        input_tokens=a.input_tokens + b.input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        cached_tokens=a.cached_tokens + b.cached_tokens,
        cache_write_tokens=a.cache_write_tokens + b.cache_write_tokens,
        reasoning_tokens=a.reasoning_tokens + b.reasoning_tokens,
        estimated=a.estimated or b.estimated,
    )


def answer_texts(data: Json) -> list[str]:
    """The generated text of a whole answer: content, and tool calls' names and arguments."""
    texts: list[str] = []
    for choice in data.get("choices") or ():
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            continue
        if isinstance(message.get("content"), str):
            texts.append(message["content"])
        for call in message.get("tool_calls") or ():
            texts.extend(call_texts(call))
    return texts
