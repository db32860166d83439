"""Classify a Gemini error by HTTP status and `error.status`; Retry-After from RetryInfo."""

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


def _error(body: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


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
    error = _error(response.body)
    status = response.status
    detail = error.get("message") if isinstance(error.get("message"), str) else ""
    if not detail:
        body_type = response.headers.get("content-type", "no content type").split(";")[0]
        detail = f"HTTP {status} ({body_type} body)"
    message = f"provider '{endpoint.name}' returned {status}: {redact(detail, (endpoint.api_key,))}"
    kw: dict[str, Any] = {"provider": endpoint.name}
    if status == 429 or error.get("status") == "RESOURCE_EXHAUSTED":
        retry = response.headers.get("retry-after") or _retry_delay(error)
        return UpstreamRateLimited(message, retry_after=retry, **kw)
    # Gemini's context error is a plain INVALID_ARGUMENT; its wording is the only signal
    if status == 400 and "exceeds the maximum number of tokens" in detail:
        return ContextLengthExceeded(message, **kw)
    if 400 <= status < 500:
        return UpstreamRejected(message, upstream_status=status, **kw)
    if status == 503 or error.get("status") == "UNAVAILABLE":
        return UpstreamOverloaded(message, upstream_status=status, **kw)
    return UpstreamServerError(message, upstream_status=status, **kw)
