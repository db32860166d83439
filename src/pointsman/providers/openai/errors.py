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
from pointsman.providers.errorbody import read_error

_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
_CONTEXT_TYPES = frozenset({"exceed_context_size_error"})
"""llama.cpp's server: its own error type, `code` is the HTTP status."""
_FILTER_CODES = frozenset({"content_filter", "content_policy_violation"})


def classify_error(endpoint: Endpoint, response: UpstreamResponse) -> UpstreamError:
    body = read_error(endpoint, response)
    error, message, code, status = body.error, body.message, body.code, response.status
    kw: dict[str, Any] = {"provider": endpoint.name, "param": body.param}
    if status == 429:
        return UpstreamRateLimited(message, retry_after=body.retry_after, code=code, **kw)
    if code in _CONTEXT_CODES or error.get("type") in _CONTEXT_TYPES:
        return ContextLengthExceeded(message, upstream_status=status if status < 500 else 400, **kw)
    if code in _FILTER_CODES:
        return ContentFiltered(message, upstream_status=status if status < 500 else 400, **kw)
    if 400 <= status < 500:
        return UpstreamRejected(message, upstream_status=status, code=code, **kw)
    if status in (503, 529) or error.get("type") == "overloaded_error":
        return UpstreamOverloaded(message, upstream_status=status, retry_after=body.retry_after, **kw)
    return UpstreamServerError(message, upstream_status=status, **kw)
