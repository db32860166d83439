"""Canonical chunks → the Anthropic Messages surface's SSE events. Pure; one renderer per stream.

An Anthropic upstream's stream comes back losslessly: its thinking travels as `reasoning_content`
and each event with no canonical form (a block's start and end, signatures, redacted thinking,
server-tool blocks, citations) whole under `anthropic`, re-indexed here into the client's stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from pointsman.errors import PointsmanError
from pointsman.providers.base import Json
from pointsman.surfaces.anthropic.errors import to_anthropic
from pointsman.surfaces.anthropic.render import anthropic_usage, stop_of
from pointsman.upstream.sse import encode_event
from pointsman.usage import Usage


def event(name: str, data: Json) -> bytes:
    return encode_event(orjson.dumps({"type": name, **data}), name)


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

    def start(self) -> bytes:
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
        return event("error", {"error": to_anthropic(error)["error"]})
