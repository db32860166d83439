"""Canonical chunks → Responses stream events, in the order the SDK's stream helper requires. One
renderer object per stream.

Each output item opens with `response.output_item.added` and ends with `.done`; in between come its
own deltas: `output_text` (a message), `reasoning_text` (a reasoning item), `function_call_arguments`
or `custom_tool_call_input`. A custom tool the target took as a function (arguments
`{"input": "..."}`) sends its input whole when the call ends, since the JSON around it must close first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from pointsman.errors import PointsmanError
from pointsman.providers.base import Json
from pointsman.surfaces.responses.render import (
    call_item,
    custom_input,
    logprobs_of,
    new_id,
    reasoning_item,
    reasoning_text,
    response_object,
    status_of,
)
from pointsman.surfaces.responses.tools import tool_names
from pointsman.upstream.sse import encode_event
from pointsman.usage import Usage

_DELTA = {
    "message": "response.output_text.delta",
    "reasoning": "response.reasoning_text.delta",
    "function_call": "response.function_call_arguments.delta",
    "custom_tool_call": "response.custom_tool_call_input.delta",
}
_PART = {"message": "output_text", "reasoning": "reasoning_text"}


@dataclass(slots=True)
class _Open:
    item: Json
    index: int
    text: list[str] = field(default_factory=list)
    key: int | None = None
    """The canonical tool call index, for a call."""
    adapted: bool = False
    """A custom tool's call made as a function call: its input is JSON until the end."""

    @property
    def kind(self) -> str:
        return str(self.item["type"])


class ResponsesStreamRenderer:
    def __init__(self, model: str, body: Json) -> None:
        self._model, self._body = model, body
        self._names = tool_names(body)
        self._id = new_id("resp")
        self._seq = 0
        self._output: list[Json] = []
        self._open: _Open | None = None
        self._finish: str | None = None

    def _event(self, name: str, data: Json) -> bytes:
        payload = {"type": name, "sequence_number": self._seq, **data}
        self._seq += 1
        return encode_event(orjson.dumps(payload), name)

    def start(self) -> bytes:
        shell = response_object(self._id, self._model, self._body, [], "in_progress", None, None)
        return self._event("response.created", {"response": shell}) + self._event(
            "response.in_progress", {"response": shell}
        )

    def _begin(self, item: Json, key: int | None = None, adapted: bool = False) -> bytes:
        out = self._close()
        self._open = current = _Open(item, len(self._output), key=key, adapted=adapted)
        out += self._event("response.output_item.added", {"output_index": current.index, "item": item})
        if current.kind in _PART:
            part = self._part(current.kind, "")
            at = {"item_id": item["id"], "output_index": current.index, "content_index": 0}
            out += self._event("response.content_part.added", {**at, "part": part})
        return out

    @staticmethod
    def _part(kind: str, text: str) -> Json:
        if kind == "message":
            return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
        return {"type": "reasoning_text", "text": text}

    def _delta(self, text: str, logprobs: list[object] | None = None) -> bytes:
        current = self._open
        assert current is not None
        current.text.append(text)
        if current.adapted:
            return b""
        at: Json = {"item_id": current.item["id"], "output_index": current.index, "delta": text}
        if current.kind in _PART:
            at["content_index"] = 0
        if current.kind == "message":
            at["logprobs"] = logprobs or []
        return self._event(_DELTA[current.kind], at)

    def _close(self) -> bytes:
        current, self._open = self._open, None
        if current is None:
            return b""
        text, item = "".join(current.text), current.item
        at = {"item_id": item["id"], "output_index": current.index}
        kind = current.kind
        if kind in _PART:
            part = self._part(kind, text)
            done = "response.output_text.done" if kind == "message" else "response.reasoning_text.done"
            extra: Json = {"logprobs": []} if kind == "message" else {}
            out = self._event(done, {**at, "content_index": 0, "text": text, **extra})
            out += self._event("response.content_part.done", {**at, "content_index": 0, "part": part})
            item = {**item, "content": [part]}
        elif kind == "function_call":
            out = self._event("response.function_call_arguments.done", {**at, "arguments": text})
            item = {**item, "arguments": text}
        else:
            if current.adapted:
                text = custom_input(text)
                out = (
                    self._event("response.custom_tool_call_input.delta", {**at, "delta": text})
                    if text
                    else b""
                )
            else:
                out = b""
            out += self._event("response.custom_tool_call_input.done", {**at, "input": text})
            item = {**item, "input": text}
        item["status"] = "completed"
        self._output.append(item)
        return out + self._event("response.output_item.done", {"output_index": current.index, "item": item})

    def _call(self, call: Json) -> bytes:
        key = call.get("index", 0)
        custom = call.get("custom") if isinstance(call.get("custom"), dict) else None
        spec = custom or call.get("function") or {}
        out = b""
        current = self._open
        if current is None or current.key != key:
            item = call_item({**call, "id": call.get("id") or new_id("call")}, self._names, "in_progress")
            item.pop("input" if item["type"] == "custom_tool_call" else "arguments")
            item["input" if item["type"] == "custom_tool_call" else "arguments"] = ""
            adapted = item["type"] == "custom_tool_call" and custom is None
            out += self._begin(item, key, adapted)
        piece = spec.get("input") if custom is not None else spec.get("arguments")
        if isinstance(piece, str) and piece:
            out += self._delta(piece)
        return out

    def chunk(self, data: Json) -> bytes:
        out = b""
        for choice in data.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            thought = reasoning_text(delta)
            if thought:
                if self._open is None or self._open.kind != "reasoning":
                    out += self._begin(reasoning_item("", "in_progress") | {"content": []})
                out += self._delta(thought)
            if delta.get("content"):
                if self._open is None or self._open.kind != "message":
                    message = {"id": new_id("msg"), "type": "message", "status": "in_progress"}
                    out += self._begin({**message, "role": "assistant", "content": []})
                out += self._delta(delta["content"], logprobs_of(choice))
            for call in delta.get("tool_calls") or ():
                out += self._call(call)
            if choice.get("finish_reason"):
                self._finish = choice["finish_reason"]
        return out

    def finish(self, usage: Usage) -> bytes:
        out = self._close()
        status, incomplete = status_of(self._finish)
        final = response_object(self._id, self._model, self._body, self._output, status, usage, incomplete)
        return out + self._event(
            "response.completed" if status == "completed" else "response.incomplete", {"response": final}
        )

    def error(self, error: PointsmanError) -> bytes:
        return self._event(
            "error", {"code": error.code or error.type, "message": error.message, "param": None}
        )
