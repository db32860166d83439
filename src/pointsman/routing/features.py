"""What rules look at, computed from a request once and only when a rule asks. Pure."""

from __future__ import annotations

from typing import Any

from pointsman.routing import capabilities, language
from pointsman.routing.plan import RouteRequest
from pointsman.tokens import TokenCounter

TOKEN_MODEL = "gpt-4o"
"""Rules count prompt tokens with one encoding (o200k): a threshold is a size, not a bill."""


def last_user_text(request: RouteRequest) -> str:
    cached = request._cache.get("text")
    if cached is None:
        cached = request._cache["text"] = _last_user_text(request.body)
    return str(cached)


def _last_user_text(body: dict[str, Any]) -> str:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return str(body.get("input", "")) if isinstance(body.get("input"), str) else ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(
                    p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
                )
            return ""
    return ""


def prompt_tokens(request: RouteRequest, tokens: TokenCounter | None, at_least: int | None = None) -> int:
    """Prompt tokens; when only "more than `at_least`?" matters, the byte size answers for free
    whenever it is not over `at_least` (no token is shorter than a byte)."""
    cached = request._cache.get("tokens")
    if cached is not None:
        return int(cached)
    size = capabilities.prompt_bytes(request.body)
    if at_least is not None and size <= at_least:
        return size
    if tokens is None:
        count = (size + 3) // 4
    else:
        count = tokens.count_messages(request.body.get("messages"), TOKEN_MODEL)
    request._cache["tokens"] = count
    return count


def estimated_prompt_tokens(request: RouteRequest) -> int:
    cached = request._cache.get("tokens")
    return int(cached) if cached is not None else (capabilities.prompt_bytes(request.body) + 3) // 4


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
