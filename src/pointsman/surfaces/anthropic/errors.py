"""The Anthropic error body, `{"type": "error", "error": {"type", "message"}}`, for any error, and
where it applies: under /v1/messages (Anthropic's SDKs and Claude Code read it, in a stream's
`error` event too)."""

from __future__ import annotations

from typing import Any

from pointsman.errors import ContextLengthExceeded, PointsmanError

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    431: "request_too_large",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}
"""Anthropic's `error.type` by HTTP status."""


def speaks_anthropic(path: str) -> bool:
    """Whether errors on `path` take Anthropic's shape (the Messages surface and what is under it)."""
    return path.startswith("/v1/messages") and (len(path) == 12 or path[12] == "/")


def to_anthropic(error: PointsmanError) -> dict[str, Any]:
    """The body Anthropic's SDKs expect; a context overflow in Anthropic's words, which Claude Code
    matches to compact the conversation."""
    kind = ERROR_TYPES.get(error.status, "api_error" if error.status >= 500 else "invalid_request_error")
    message = error.message
    if isinstance(error, ContextLengthExceeded) and not message.startswith("prompt is too long"):
        said = f"{error.tokens} tokens > {error.limit} maximum" if error.tokens and error.limit else message
        message = f"prompt is too long: {said}"
    return {"type": "error", "error": {"type": kind, "message": message}}
