"""A canonical answer → a Gemini GenerateContentResponse. Pure."""

from __future__ import annotations

from typing import Any

import orjson

from pointsman.providers.base import Json
from pointsman.usage import Usage

FINISH_NAMES = {
    "stop": "STOP",
    "length": "MAX_TOKENS",
    "tool_calls": "STOP",
    "function_call": "STOP",
    "content_filter": "SAFETY",
}
"""Canonical finish reasons → Gemini's (a function call ends with STOP there)."""


EMPTY_TEXT: Json = {"text": ""}
"""What an answer with nothing in it carries, as Gemini sends it: google-genai's chats drop a turn
any of whose chunks has no part."""


def finish_name(reason: Any) -> str:
    return FINISH_NAMES.get(str(reason), "STOP" if reason is None else "OTHER")


def usage_metadata(usage: Usage) -> Json:
    """Gemini counts thoughts apart from candidates; its prompt count includes cached tokens."""
    out: Json = {
        "promptTokenCount": usage.input_tokens,
        "candidatesTokenCount": usage.output_tokens - usage.reasoning_tokens,
        "totalTokenCount": usage.total_tokens,
    }
    if usage.cached_tokens:
        out["cachedContentTokenCount"] = usage.cached_tokens
    if usage.reasoning_tokens:
        out["thoughtsTokenCount"] = usage.reasoning_tokens
    return out


def function_call(call: Json) -> Json:
    """A canonical tool call → a functionCall part; arguments that are not a JSON object (a model's
    slip) arrive whole under `_raw` rather than lost."""
    function = call.get("function") or {}
    arguments = function.get("arguments") or "{}"
    try:
        args = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        args = None
    if not isinstance(args, dict):
        args = {"_raw": arguments}
    return {"functionCall": {"id": call.get("id", ""), "name": function.get("name", ""), "args": args}}


def _candidate(choice: Json, i: int) -> Json:
    message = choice.get("message") or {}
    parts: list[Json] = []
    text = message.get("content") or message.get("refusal")
    if isinstance(text, str) and text:
        parts.append({"text": text})
    parts += [function_call(call) for call in message.get("tool_calls") or ()]
    return {
        "content": {"role": "model", "parts": parts or [EMPTY_TEXT]},
        "finishReason": finish_name(choice.get("finish_reason")),
        "index": choice.get("index", i),
    }


def to_response(data: Json, model: str, usage: Usage, response_id: str) -> Json:
    return {
        "candidates": [_candidate(choice, i) for i, choice in enumerate(data.get("choices") or ())],
        "usageMetadata": usage_metadata(usage),
        "modelVersion": model,
        "responseId": response_id,
    }
