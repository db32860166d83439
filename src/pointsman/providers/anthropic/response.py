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


def thinking_text(blocks: Any) -> str:
    """The text of the answer's thinking blocks (chat's `reasoning_content`, as DeepSeek sends it)."""
    return "".join(
        str(b.get("thinking") or "")
        for b in blocks or ()
        if isinstance(b, dict) and b.get("type") == "thinking"
    )


def to_openai(data: Json) -> tuple[Json, Usage | None]:
    texts: list[str] = []
    calls: list[Json] = []
    for block in data.get("content") or ():
        if block.get("type") == "text":
            texts.append(block.get("text", ""))
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
    thought = thinking_text(data.get("content"))
    if thought:
        message["reasoning_content"] = thought
    usage = usage_of(data.get("usage"))
    out: Json = {
        "id": data.get("id", ""),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": data.get("model", ""),
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": FINISH.get(str(data.get("stop_reason")), "stop"),
            }
        ],
    }
    if usage is not None:
        out["usage"] = usage_json(usage)
    return out, usage
