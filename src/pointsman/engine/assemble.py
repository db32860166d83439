"""Merge a buffered stream's canonical chunks back into one chat.completion, so the answer checks
judge streamed and whole answers alike."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def assemble(chunks: list[Json]) -> Json:
    """Merge streamed chat.completion.chunk dicts into one chat.completion dict."""
    head: Json = {"id": None, "object": "chat.completion", "created": None, "model": None}
    builders: dict[int, _ChoiceBuilder] = {}
    usage: Any = None
    for chunk in chunks:
        for key in ("id", "created", "model", "system_fingerprint"):
            if head.get(key) is None and chunk.get(key) is not None:
                head[key] = chunk[key]
        for choice in _as_list(chunk.get("choices")):
            if isinstance(choice, dict):
                index = choice.get("index")
                index = index if isinstance(index, int) else 0
                builders.setdefault(index, _ChoiceBuilder(index)).add(choice)
        if chunk.get("usage") is not None:
            usage = chunk["usage"]
    out: Json = {**head, "choices": [builders[i].build() for i in sorted(builders)]}
    if usage is not None:
        out["usage"] = usage
    return out


class _ChoiceBuilder:
    """Accumulates the deltas of one choice index."""

    __slots__ = ("calls", "content", "finish", "index", "logprobs", "refusal", "role")

    def __init__(self, index: int) -> None:
        self.index = index
        self.role: str | None = None
        self.content: list[str] | None = None
        self.refusal: list[str] | None = None
        self.calls: dict[int, Json] = {}
        self.finish: Any = None
        self.logprobs: dict[str, list[Any]] | None = None

    def add(self, choice: Json) -> None:
        delta = _as_dict(choice.get("delta"))
        if self.role is None and isinstance(delta.get("role"), str):
            self.role = delta["role"]
        if isinstance(delta.get("content"), str):
            self.content = self.content if self.content is not None else []
            self.content.append(delta["content"])
        if isinstance(delta.get("refusal"), str):
            self.refusal = self.refusal if self.refusal is not None else []
            self.refusal.append(delta["refusal"])
        for call in _as_list(delta.get("tool_calls")):
            if isinstance(call, dict):
                self._add_call(call)
        if choice.get("finish_reason") is not None:
            self.finish = choice["finish_reason"]
        logprobs = choice.get("logprobs")
        if isinstance(logprobs, dict):
            merged = self.logprobs if self.logprobs is not None else {}
            for key, items in logprobs.items():
                if isinstance(items, list):
                    merged.setdefault(key, []).extend(items)
            self.logprobs = merged

    def _add_call(self, delta: Json) -> None:
        index = delta.get("index")
        if not isinstance(index, int):
            # Without an index, a delta carrying an id starts a new call; others continue the last one.
            index = len(self.calls) if delta.get("id") or not self.calls else max(self.calls)
        call = self.calls.setdefault(
            index, {"id": None, "type": None, "function": {"name": None, "arguments": ""}}
        )
        for key in ("id", "type"):
            if call[key] is None and delta.get(key) is not None:
                call[key] = delta[key]
        custom = delta.get("custom")
        if isinstance(custom, dict):  # a freeform tool's call: its input comes in pieces
            held = call.setdefault("custom", {"name": None, "input": ""})
            if held["name"] is None and custom.get("name") is not None:
                held["name"] = custom["name"]
            if isinstance(custom.get("input"), str):
                held["input"] += custom["input"]
            return
        function = _as_dict(delta.get("function"))
        if call["function"]["name"] is None and function.get("name") is not None:
            call["function"]["name"] = function["name"]
        if isinstance(function.get("arguments"), str):
            call["function"]["arguments"] += function["arguments"]

    def build(self) -> Json:
        message: Json = {
            "role": self.role or "assistant",
            "content": "".join(self.content) if self.content is not None else None,
            "refusal": "".join(self.refusal) if self.refusal is not None else None,
        }
        if self.calls:
            message["tool_calls"] = [_whole_call(call) for _, call in sorted(self.calls.items())]
        return {
            "index": self.index,
            "message": message,
            "logprobs": self.logprobs,
            "finish_reason": self.finish,
        }


def _whole_call(call: Json) -> Json:
    if "custom" in call:
        return {"id": call["id"], "type": "custom", "custom": call["custom"]}
    return {**call, "type": call["type"] or "function"}


def _as_dict(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
