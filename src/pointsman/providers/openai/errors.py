"""Classify an OpenAI-shaped error response by status and structured body, never by message text."""

from __future__ import annotations

from typing import Any

import orjson

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
from pointsman.redact import redact

_CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
_FILTER_CODES = frozenset({"content_filter", "content_policy_violation"})


def _error_object(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict):
            return error
        if isinstance(error, str):
            return {"message": error}
    return {}


def classify_error(endpoint: Endpoint, response: UpstreamResponse) -> UpstreamError:
    error = _error_object(response.body)
    status = response.status
    detail = error.get("message")
    if not isinstance(detail, str) or not detail:
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        detail = f"HTTP {status} ({kind} body)"
    message = f"provider '{endpoint.name}' returned {status}: {redact(detail, (endpoint.api_key,))}"
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
