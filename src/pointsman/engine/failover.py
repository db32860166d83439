"""What to do after an attempt failed: retry the same model, move on, or stop. Pure.

connection refused / reset, timeout, no response → next candidate (a silent endpoint is not retried)
429                → wait Retry-After when it fits the deadline, else next (the model cools off)
5xx, 529           → retry once (jittered backoff), then next
unparseable answer → retry once, then next
context too long   → only a model with a larger window
content filtered   → stop: the provider's reason reaches the client (or next, when configured)
401 / 403 / 404    → next: the provider is misconfigured, not the request
other 4xx          → stop: the request itself is at fault
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from pointsman.errors import (
    ContentFiltered,
    ContextLengthExceeded,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamServerError,
)

RETRY, NEXT, LARGER, STOP = "retry", "next", "larger", "stop"

MAX_WAIT = 3600.0
"""The longest Retry-After believed: a model is never taken out of routing for longer."""


@dataclass(frozen=True, slots=True)
class Action:
    kind: str
    delay: float = 0.0
    """Seconds to wait before a retry."""
    cool: float = 0.0
    """Seconds to keep other requests away from this model (a Retry-After that did not fit)."""


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # "inf" and "nan" parse as floats; neither is a wait anyone should honour
        return min(max(0.0, seconds), MAX_WAIT) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(0.0, when.timestamp() - (time.time() if now is None else now)), MAX_WAIT)


def decide(
    error: UpstreamError,
    *,
    retries_left: int,
    fits: Callable[[float], bool],
    backoff: float,
    on_content_filter: str = "stop",
) -> Action:
    """`backoff` is the jittered delay this retry would wait; `fits(wait)` says whether waiting that
    long still leaves the retry a usable share of the deadline."""
    if isinstance(error, ContextLengthExceeded):
        return Action(LARGER)
    if isinstance(error, ContentFiltered):
        return Action(NEXT if on_content_filter == "fallback" else STOP)
    if isinstance(error, UpstreamRateLimited):
        wait = retry_after(error.retry_after)
        if wait is not None and retries_left > 0 and fits(wait):
            return Action(RETRY, delay=wait)
        return Action(NEXT, cool=wait if wait is not None else 1.0)
    if isinstance(error, UpstreamRejected):
        return Action(NEXT if error.status in (401, 403, 404) else STOP)
    if isinstance(error, (UpstreamServerError, UpstreamProtocolError)):
        if retries_left > 0 and fits(backoff):
            return Action(RETRY, delay=backoff)
        return Action(NEXT)
    return Action(NEXT)  # refused, reset, timed out, no response


def blames_model(error: UpstreamError) -> bool:
    """Whether the failure says the model's endpoint is unhealthy (counts toward its circuit)."""
    return not isinstance(error, UpstreamRejected)
