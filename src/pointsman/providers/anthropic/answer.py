"""Canonical answers → the Anthropic Messages surface: a whole message and its SSE events. Pure; the
stream renderer is one object per stream.

An Anthropic upstream's answer comes back losslessly: a whole one as the provider's own message
(`Completion.native`), a streamed one from canonical chunks that carry its thinking as
`reasoning_content` and each event with no canonical form (a block's start and end, signatures,
redacted thinking, server-tool blocks, citations) whole under `anthropic`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from pointsman.errors import PointsmanError
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


def event(name: str, data: Json) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps({"type": name, **data}) + b"\n\n"


_KINDS = {"text": "text", "thinking": "thinking"}
"""A block an upstream event opens → the kind of open block canonical deltas may continue."""


class MessagesStreamRenderer:
    """Canonical chunks → Anthropic events: one open block at a time, indexes 0, 1, 2, …

    `usage_hint` is the prompt's usage known before the answer (the upstream's own count, or a local
    one), which `message_start` reports; `stops` are the client's stop sequences."""

    def __init__(
        self, model: str, message_id: str, usage_hint: Usage | None = None, stops: Sequence[str] = ()
    ) -> None:
        self._model = model
        self._id = message_id
        self._hint = usage_hint
        self._stops = stops
        self._open: str | None = None  # "text", "thinking", "native" or "tool:<openai index>"
        self._index = -1
        self._finish: str | None = None
        self._matched: Any = None
        self.started = False

    def start(self) -> bytes:
        self.started = True
        usage = anthropic_usage(self._hint or Usage())
        message: Json = {
            "id": self._id,
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {**usage, "output_tokens": 0},
        }
        return event("message_start", {"message": message})

    def _switch(self, key: str, block: Json) -> bytes:
        out = self._close()
        self._index += 1
        self._open = key
        return out + event("content_block_start", {"index": self._index, "content_block": block})

    def _close(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        return event("content_block_stop", {"index": self._index})

    def _delta(self, delta: Json) -> bytes:
        return event("content_block_delta", {"index": self._index, "delta": delta})

    def _native(self, raw: Any) -> bytes:
        """An upstream Anthropic event with no canonical form, re-indexed into this stream."""
        kind = raw.get("type") if isinstance(raw, dict) else None
        if kind == "content_block_start":
            block = raw.get("content_block") or {}
            return self._switch(_KINDS.get(str(block.get("type")), "native"), block)
        if kind == "content_block_delta" and self._open is not None:
            return self._delta(raw.get("delta") or {})
        if kind == "content_block_stop":
            return self._close()
        return b""

    def chunk(self, data: Json) -> bytes:
        if "anthropic" in data:
            return self._native(data["anthropic"])
        out = b""
        for choice in data.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            thought = delta.get("reasoning_content")
            if thought:
                if self._open != "thinking":
                    out += self._switch("thinking", {"type": "thinking", "thinking": "", "signature": ""})
                out += self._delta({"type": "thinking_delta", "thinking": thought})
            text = delta.get("content")
            if text:
                if self._open != "text":
                    out += self._switch("text", {"type": "text", "text": ""})
                out += self._delta({"type": "text_delta", "text": text})
            for call in delta.get("tool_calls") or ():
                out += self._tool_call(call)
            if choice.get("finish_reason"):
                self._finish, self._matched = choice["finish_reason"], choice.get("stop_reason")
        return out

    def _tool_call(self, call: Json) -> bytes:
        out = b""
        key = f"tool:{call.get('index', 0)}"
        function = call.get("function") or {}
        if self._open != key:
            block = {
                "type": "tool_use",
                "id": call.get("id") or f"toolu_{self._index + 1}",
                "name": function.get("name", ""),
                "input": {},
            }
            out += self._switch(key, block)
        if function.get("arguments"):
            out += self._delta({"type": "input_json_delta", "partial_json": function["arguments"]})
        return out

    def finish(self, usage: Usage) -> bytes:
        stop, sequence = stop_of(self._finish, self._matched, self._stops)
        delta = {"delta": {"stop_reason": stop, "stop_sequence": sequence}, "usage": anthropic_usage(usage)}
        return self._close() + event("message_delta", delta) + event("message_stop", {})

    def error(self, error: PointsmanError) -> bytes:
        return event("error", {"error": error.to_anthropic()["error"]})
