"""A learned route's classifier, asked before routing decides (deciding itself does no I/O).

The call is bounded by the classifier's timeout and never fails the request: without a usable
rating the learned estimate decides, and the trace says why. It is recorded once in the trace, as an
attempt with the outcome `classifier` (its time, status and cost), and what it cost is billed work
the client never sees: the run books it as discarded, so the ledger row's `discarded_cost_usd`
carries it and `cost_usd` stays the answer's. Ratings are cached by prompt hash: a hit costs nothing.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from pointsman.engine.ask import ask_whole
from pointsman.engine.call import Call, Parts
from pointsman.errors import PointsmanError
from pointsman.learned.classifier import Rated, Rater, Ratings, classifier_body, parse_rating
from pointsman.routing.features import last_user_text
from pointsman.routing.plan import RouteRequest

FALLBACK = "the learned estimate decided"


async def rate(rater: Rater, request: RouteRequest, parts: Parts, call: Call) -> Decimal | None:
    """Set `request.rated` from the cache or the classifier; what the call cost (None: unpriced)."""
    text = last_user_text(request)
    key = Ratings.key(text)
    model = rater.model
    cached = rater.ratings.get(key)
    if cached is not None:
        request.rated = Rated(model.name, cached, "cached")
        return Decimal(0)
    now = parts.clock.now
    began = now()
    body = {**classifier_body(text), "model": model.name}
    status: int | None = None
    cost: Decimal | None = Decimal(0)
    try:
        async with asyncio.timeout(rater.timeout):
            answer, status, cost = await _ask(parts, call, rater, body)
        rating = parse_rating(answer)
        if rating is None:
            how = f"unusable answer ({answer[:80]!r}): {FALLBACK}"
        else:
            rater.ratings.put(key, rating)
            how = "asked"
    except TimeoutError:
        rating, how = None, f"timed out after {rater.timeout:g} s: {FALLBACK}"
    except PointsmanError as error:
        rating, status, how = None, error.status, f"{error.type}: {error.message[:120]}: {FALLBACK}"
    except Exception as exc:  # a classifier never fails the request it rates
        rating, how = None, f"failed ({type(exc).__name__}): {FALLBACK}"
    request.rated = Rated(model.name, rating, how)
    detail = how if rating is None else f"rated {rating.skill or '?'}, difficulty {rating.level}/5"
    call.trace.add(
        model,
        0,
        f"{request.model}/classifier",
        "classifier",
        detail,
        at_ms=round((began - call.started) * 1000, 3),
        ms=round((now() - began) * 1000, 3),
        status=status,
        cost_usd=cost,
    )
    return cost


async def _ask(
    parts: Parts, call: Call, rater: Rater, body: dict[str, Any]
) -> tuple[str, int, Decimal | None]:
    """The classifier's answer text, its HTTP status and what it cost."""
    answer = await ask_whole(parts, rater.model, body, call.trace, rater.timeout)
    return "".join(answer.texts), answer.status, answer.cost
