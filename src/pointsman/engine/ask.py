"""One whole chat answer from one model, outside any plan: the classifier's rating, the shadow call
and the model judge. No retries, no fallbacks, no health claims: each caller decides what a failure
means to it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pointsman.catalog.model import CatalogModel
from pointsman.engine.call import Parts
from pointsman.engine.costs import answer_texts, estimate, priced
from pointsman.engine.fit import chat_request
from pointsman.engine.trace import Trace
from pointsman.providers.base import Json
from pointsman.usage import Usage


@dataclass(frozen=True, slots=True)
class Answer:
    texts: list[str]
    status: int
    usage: Usage
    cost: Decimal | None


async def ask_whole(
    parts: Parts, model: CatalogModel, body: Json, trace: Trace, within: float | None
) -> Answer:
    """Raises the provider's PointsmanError when it answers with an error status."""
    provider = parts.providers[model.provider]
    request = chat_request(provider, body, model, trace, want_stream_usage=False)
    response = await parts.upstream().send(provider.endpoint, request, within=within)
    if response.status >= 400:
        raise provider.classify_error(response)
    completion = provider.parse_chat(response)
    texts = answer_texts(completion.data)
    usage = completion.usage
    if usage is None:
        await parts.tokens.ready(model.upstream, model.tokenizer)
        usage = estimate(parts.tokens, body, model, texts)
    return Answer(texts, response.status, usage, priced(model, usage))
