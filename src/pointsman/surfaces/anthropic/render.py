"""Canonical answers → the Anthropic Messages surface: a whole message (its stream: stream.py). Pure.

An Anthropic upstream's answer comes back losslessly, as the provider's own message
(`Completion.native`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from pointsman.providers.base import Completion, Json
from pointsman.usage import Usage

STOP_REASON = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def anthropic_usage(usage: Usage) -> Json:
    fresh = usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens
    return {
        "input_tokens": max(fresh, 0),
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "output_tokens": usage.output_tokens,
    }


def stop_of(finish: Any, matched: Any, stops: Sequence[str]) -> tuple[str, str | None]:
    """Anthropic's stop_reason and stop_sequence. A stop sequence is named only when the upstream
    said which one ended the answer (the choice's `stop_reason`, as vLLM and the Anthropic
    translation give it) and it is one the client sent: OpenAI's bare `stop` may be a natural end."""
    if finish == "stop" and isinstance(matched, str) and matched in stops:
        return "stop_sequence", matched
    return STOP_REASON.get(str(finish), "end_turn"), None


def message_id(data_id: Any, fallback: str) -> str:
    """Anthropic's ids start with msg_; an OpenAI-shaped upstream's chatcmpl-… is replaced."""
    return data_id if isinstance(data_id, str) and data_id.startswith("msg_") else fallback


def _native_message(native: Json, model: str, usage: Usage, fallback_id: str) -> Json:
    reported = native.get("usage")
    return {
        "id": message_id(native.get("id"), fallback_id),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": native["content"],
        "stop_reason": native.get("stop_reason"),
        "stop_sequence": native.get("stop_sequence"),
        "usage": {**(reported if isinstance(reported, dict) else {}), **anthropic_usage(usage)},
    }


def to_message(
    completion: Completion, model: str, usage: Usage, fallback_id: str, stops: Sequence[str] = ()
) -> Json:
    native = completion.native
    if native is not None and native.get("type") == "message" and isinstance(native.get("content"), list):
        return _native_message(native, model, usage, fallback_id)
    data = completion.data
    choice = (data.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    content: list[Json] = []
    reasoning = message.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:  # a reasoning model's thought (no signature: not Claude's)
        content.append({"type": "thinking", "thinking": reasoning, "signature": ""})
    if message.get("content"):
        content.append({"type": "text", "text": message["content"]})
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        try:
            arguments = orjson.loads(function.get("arguments") or "{}")
        except orjson.JSONDecodeError:
            arguments = {"_raw": function.get("arguments")}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id", ""),
                "name": function.get("name", ""),
                "input": arguments,
            }
        )
    stop_reason, stop_sequence = stop_of(choice.get("finish_reason"), choice.get("stop_reason"), stops)
    return {
        "id": message_id(data.get("id"), fallback_id),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": anthropic_usage(usage),
    }
