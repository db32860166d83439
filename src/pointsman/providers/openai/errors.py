"""Classify an OpenAI-shaped error response by status and structured body, never by message text."""

from __future__ import annotations

from typing import Any

from pointsman.errors import (
    ContentFiltered,
    ContextLengthExceeded,
    UpstreamError,
    UpstreamOverloaded,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamServerError,
)
from pointsman.providers.base import Endpoint, UpstreamResponse
from pointsman.providers.errorbody import describe, error_object

_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
_FILTER_CODES = frozenset({"content_filter", "content_policy_violation"})


def classify_error(endpoint: Endpoint, response: UpstreamResponse) -> UpstreamError:
    error = error_object(response.body)
    status = response.status
    message, _ = describe(endpoint, response, error)
    code = error.get("code") if isinstance(error.get("code"), str) else None
    param = error.get("param") if isinstance(error.get("param"), str) else None
    kw: dict[str, Any] = {"provider": endpoint.name, "param": param}
    if status == 429:
        return UpstreamRateLimited(message, retry_after=response.headers.get("retry-after"), code=code, **kw)
    if code in _CONTEXT_CODES:
        return ContextLengthExceeded(message, upstream_status=status if status < 500 else 400, **kw)
    if code in _FILTER_CODES:
        return ContentFiltered(message, upstream_status=status if status < 500 else 400, **kw)
    if 400 <= status < 500:
        return UpstreamRejected(message, upstream_status=status, code=code, **kw)
    if status in (503, 529) or error.get("type") == "overloaded_error":
        return UpstreamOverloaded(
            message, upstream_status=status, retry_after=response.headers.get("retry-after"), **kw
        )
    return UpstreamServerError(message, upstream_status=status, **kw)
