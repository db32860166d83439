"""Anthropic Messages response → canonical (OpenAI chat completion), and usage. Pure."""

from __future__ import annotations

import time
from typing import Any

import orjson

from pointsman.providers.base import Json
from pointsman.providers.openai.usage import usage_json
from pointsman.usage import Usage

FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def usage_of(raw: Any) -> Usage | None:
    """Anthropic's input_tokens excludes cache reads and writes; our input_tokens counts them all."""
    if not isinstance(raw, dict):
        return None
    read, written = _int(raw.get("cache_read_input_tokens")), _int(raw.get("cache_creation_input_tokens"))
    return Usage(
        input_tokens=_int(raw.get("input_tokens")) + read + written,
        output_tokens=_int(raw.get("output_tokens")),
        cached_tokens=read,
        cache_write_tokens=written,
    )


def to_openai(data: Json) -> tuple[Json, Usage | None]:
    """Thinking becomes `reasoning_content` (as DeepSeek and vLLM send it); a stop on a stop sequence
    names it in the choice's `stop_reason` (vLLM's field). The whole Anthropic message stays with
    the completion for the Anthropic surface (`Completion.native`)."""
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[Json] = []
    for block in data.get("content") or ():
        if block.get("type") == "text":
            texts.append(block.get("text", ""))
        elif block.get("type") == "thinking":
            thoughts.append(block.get("thinking", ""))
        elif block.get("type") == "tool_use":
            arguments = orjson.dumps(block.get("input") or {}).decode()
            calls.append(
                {
                    "id": block.get("id", ""),
                    "type": "function",
                    "function": {"name": block.get("name", ""), "arguments": arguments},
                }
            )
    message: Json = {"role": "assistant", "content": "".join(texts) if texts else None, "refusal": None}
    if calls:
        message["tool_calls"] = calls
    if thoughts:
        message["reasoning_content"] = "".join(thoughts)
    usage = usage_of(data.get("usage"))
    choice: Json = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": FINISH.get(str(data.get("stop_reason")), "stop"),
    }
    if data.get("stop_reason") == "stop_sequence" and isinstance(data.get("stop_sequence"), str):
        choice["stop_reason"] = data["stop_sequence"]
    out: Json = {
        "id": data.get("id", ""),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": data.get("model", ""),
        "choices": [choice],
    }
    if usage is not None:
        out["usage"] = usage_json(usage)
    return out, usage
