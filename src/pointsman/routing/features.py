"""What rules look at, computed from a request once and only when a rule asks. Pure."""

from __future__ import annotations

from typing import Any

from pointsman.providers.base import content_text
from pointsman.routing import language
from pointsman.routing.plan import RouteRequest

TEXT_READ = 32 * 1024
"""Characters rules read from each end of a longer last user message: a regex over all of an 8 MB
prompt holds the event loop for a fifth of a second, and an instruction sits at the start or the
end of a long paste, not in its middle."""


def last_user_text(request: RouteRequest) -> str:
    """The last user message, or its first and last `TEXT_READ` characters when it is longer."""
    cached = request._cache.get("text")
    if cached is None:
        text = _last_user_text(request.body)
        if len(text) > 2 * TEXT_READ:
            text = f"{text[:TEXT_READ]}\n{text[-TEXT_READ:]}"
        cached = request._cache["text"] = text
    return str(cached)


def lower_user_text(request: RouteRequest) -> str:
    cached = request._cache.get("lower")
    if cached is None:
        cached = request._cache["lower"] = last_user_text(request).lower()
    return str(cached)


def _last_user_text(body: dict[str, Any]) -> str:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return str(body.get("input", "")) if isinstance(body.get("input"), str) else ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return content_text(message.get("content"), " ")
    return ""


def prompt_tokens(request: RouteRequest) -> int:
    return request.prompt_tokens()


def detected_language(request: RouteRequest) -> str:
    cached = request._cache.get("language")
    if cached is None:
        cached = request._cache["language"] = language.detect(last_user_text(request))
    return str(cached)


def metadata(body: dict[str, Any]) -> dict[str, Any]:
    value = body.get("metadata")
    return value if isinstance(value, dict) else {}


def task(request: RouteRequest, route_task: str) -> str:
    value = metadata(request.body).get("task")
    return str(value) if value else request.task or route_task


def wants_json(body: dict[str, Any]) -> bool:
    fmt = body.get("response_format")
    return isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema")
