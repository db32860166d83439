"""Gemini response (whole, or one stream chunk) → canonical OpenAI pieces, and usage. Pure."""

from __future__ import annotations

from typing import Any

import orjson

from pointsman.providers.base import Json
from pointsman.usage import Usage

FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
_FILTERED = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "LANGUAGE",
        "OTHER",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
        "IMAGE_OTHER",
    }
)


def finish_reason(reason: Any, called_tools: bool) -> str:
    if called_tools:
        return "tool_calls"  # Gemini ends a function call with STOP
    if reason in _FILTERED:
        return "content_filter"
    return FINISH.get(str(reason), "stop")


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def usage_of(raw: Any) -> Usage | None:
    """Gemini counts thoughts apart from candidates; both are billed as output."""
    if not isinstance(raw, dict):
        return None
    thoughts = _int(raw.get("thoughtsTokenCount"))
    return Usage(
        input_tokens=_int(raw.get("promptTokenCount")) + _int(raw.get("toolUsePromptTokenCount")),
        output_tokens=_int(raw.get("candidatesTokenCount")) + thoughts,
        cached_tokens=_int(raw.get("cachedContentTokenCount")),
        reasoning_tokens=thoughts,
    )


def split_parts(parts: Any, first_index: int) -> tuple[str, list[Json]]:
    """Answer text (thought summaries left out) and tool calls numbered from `first_index`."""
    texts: list[str] = []
    calls: list[Json] = []
    for part in parts or ():
        if not isinstance(part, dict) or part.get("thought"):
            continue
        if isinstance(part.get("text"), str):
            texts.append(part["text"])
        call = part.get("functionCall")
        if isinstance(call, dict):
            index = first_index + len(calls)
            name = call.get("name", "")
            calls.append(
                {
                    "index": index,
                    "id": call.get("id") or f"call_{index}_{name}",
                    "type": "function",
                    "function": {"name": name, "arguments": orjson.dumps(call.get("args") or {}).decode()},
                }
            )
    return "".join(texts), calls
