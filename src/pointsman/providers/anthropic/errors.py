"""Classify an Anthropic error by status and `error.type`."""

from __future__ import annotations

from typing import Any

import orjson

from pointsman.errors import (
    ContextLengthExceeded,
    UpstreamError,
    UpstreamOverloaded,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamServerError,
)
from pointsman.providers.base import Endpoint, UpstreamResponse
from pointsman.redact import redact

# Anthropic gives a context-length error no type or code of its own (a plain 400
# invalid_request_error), so its documented wording is the only signal there is.
_CONTEXT_WORDS = ("prompt is too long", "exceed context limit", "input is too long")


def _error(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def classify(endpoint: Endpoint, response: UpstreamResponse) -> UpstreamError:
    error = _error(response.body)
    status = response.status
    detail = error.get("message") if isinstance(error.get("message"), str) else ""
    if not detail:
        body_type = response.headers.get("content-type", "no content type").split(";")[0]
        detail = f"HTTP {status} ({body_type} body)"
    message = f"provider '{endpoint.name}' returned {status}: {redact(detail, (endpoint.api_key,))}"
    kind = error.get("type")
    retry_after = response.headers.get("retry-after")
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
