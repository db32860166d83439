"""Classify an Anthropic error by status and `error.type`."""

from __future__ import annotations

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

# Anthropic gives a context-length error no type or code of its own (a plain 400
# invalid_request_error), so its documented wording is the only signal there is.
_CONTEXT_WORDS = ("prompt is too long", "exceed context limit", "input is too long")


def classify(endpoint: Endpoint, response: UpstreamResponse) -> UpstreamError:
    body = read_error(endpoint, response)
    message, detail, retry_after, status = body.message, body.detail, body.retry_after, response.status
    kind = body.error.get("type")
    if status == 429 or kind == "rate_limit_error":
        return UpstreamRateLimited(message, provider=endpoint.name, retry_after=retry_after)
    if status == 529 or kind == "overloaded_error":
        return UpstreamOverloaded(
            message, provider=endpoint.name, upstream_status=status, retry_after=retry_after
        )
    if status == 400 and any(words in detail.lower() for words in _CONTEXT_WORDS):
        return ContextLengthExceeded(message, provider=endpoint.name)
    if 400 <= status < 500:
        return UpstreamRejected(message, upstream_status=status, provider=endpoint.name)
    return UpstreamServerError(message, provider=endpoint.name, upstream_status=status)
