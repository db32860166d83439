"""Classify a Gemini error by HTTP status and `error.status`; Retry-After from RetryInfo."""

from __future__ import annotations

from typing import Any

from pointsman.errors import (
    ContextLengthExceeded,
    UpstreamError,
    UpstreamOverloaded,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamServerError,
)
from pointsman.providers.base import Endpoint, UpstreamResponse
from pointsman.providers.errorbody import read_error


def _retry_delay(error: dict[str, Any]) -> str | None:
    for detail in error.get("details") or ():
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return str(max(1, round(float(delay[:-1]))))
            except ValueError:
                return None
    return None


def classify(endpoint: Endpoint, response: UpstreamResponse) -> UpstreamError:
    body = read_error(endpoint, response)
    error, message, detail, status = body.error, body.message, body.detail, response.status
    kw: dict[str, Any] = {"provider": endpoint.name}
    if status == 429 or error.get("status") == "RESOURCE_EXHAUSTED":
        retry = body.retry_after or _retry_delay(error)
        return UpstreamRateLimited(message, retry_after=retry, **kw)
    # Gemini's context error is a plain INVALID_ARGUMENT; its wording is the only signal
    if status == 400 and "exceeds the maximum number of tokens" in detail:
        return ContextLengthExceeded(message, **kw)
    if 400 <= status < 500:
        return UpstreamRejected(message, upstream_status=status, **kw)
    if status == 503 or error.get("status") == "UNAVAILABLE":
        return UpstreamOverloaded(message, upstream_status=status, **kw)
    return UpstreamServerError(message, upstream_status=status, **kw)
