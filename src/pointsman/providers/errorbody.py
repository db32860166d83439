"""What every wire's error classifier needs first: the error object, and a message for people."""

from __future__ import annotations

from typing import Any

import orjson

from pointsman.providers.base import Endpoint, UpstreamResponse
from pointsman.redact import redact


def error_object(body: bytes) -> dict[str, Any]:
    """The `error` object of a JSON error body ({} when there is none)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    error = data.get("error", data)
    if isinstance(error, str):
        return {"message": error}
    return error if isinstance(error, dict) else {}


def describe(endpoint: Endpoint, response: UpstreamResponse, error: dict[str, Any]) -> tuple[str, str]:
    """(message for the client, the provider's own detail), with the provider's key redacted."""
    detail = error.get("message")
    if not isinstance(detail, str) or not detail:
        body_type = response.headers.get("content-type", "no content type").split(";")[0]
        detail = f"HTTP {response.status} ({body_type} body)"
    detail = redact(detail, (endpoint.api_key,))
    return f"provider '{endpoint.name}' returned {response.status}: {detail}", detail
