"""OpenAI's Responses API as an inbound surface, its answer side: canonical → Response object and
stream events (the request side is `responses_request`). Pure; the stream renderer is one object
per stream. Stateless: `store` is answered as false."""

from __future__ import annotations

import os
import time

import orjson

from pointsman.errors import PointsmanError
from pointsman.providers.base import Json
from pointsman.usage import Usage


def _new(prefix: str) -> str:
    return f"{prefix}_{os.urandom(12).hex()}"


def usage_json(usage: Usage) -> Json:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def _status(finish: str | None) -> tuple[str, Json | None]:
    if finish == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    if finish == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    return "completed", None


def response_object(
    rid: str,
    model: str,
    body: Json,
    output: list[Json],
    status: str,
    usage: Usage | None,
    incomplete: Json | None,
) -> Json:
    return {
        "id": rid,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "error": None,
        "incomplete_details": incomplete,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": None,
        "store": False,
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "usage": usage_json(usage) if usage is not None else None,
        "metadata": body.get("metadata") or {},
    }


def to_response(completion: Json, model: str, body: Json, usage: Usage) -> Json:
    choice = (completion.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    status, incomplete = _status(choice.get("finish_reason"))
    output: list[Json] = []
    if message.get("content"):
        output.append(
            {
                "id": _new("msg"),
                "type": "message",
                "status": "incomplete" if incomplete else "completed",
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": message["content"], "annotations": [], "logprobs": []}
                ],
            }
        )
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        output.append(
            {
                "id": _new("fc"),
                "type": "function_call",
                "status": "completed",
                "call_id": call.get("id", ""),
                "name": function.get("name", ""),
                "arguments": function.get("arguments", ""),
            }
        )
    return response_object(_new("resp"), model, body, output, status, usage, incomplete)


class ResponsesStreamRenderer:
    """Canonical chunks → Responses events, in the order the SDK's stream helper requires."""

    def __init__(self, model: str, body: Json) -> None:
        self._model, self._body = model, body
        self._id = _new("resp")
        self._seq = 0
        self._output: list[Json] = []
        self._open: Json | None = None
        self._text = ""
        self._finish: str | None = None
        self._calls: dict[int, Json] = {}

    def _event(self, name: str, data: Json) -> bytes:
        payload = {"type": name, "sequence_number": self._seq, **data}
        self._seq += 1
        return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"

    def start(self) -> bytes:
        shell = response_object(self._id, self._model, self._body, [], "in_progress", None, None)
        return self._event("response.created", {"response": shell}) + self._event(
            "response.in_progress", {"response": shell}
        )

    def _close(self) -> bytes:
        item, self._open = self._open, None
        if item is None:
            return b""
        index = len(self._output)
        out = b""
        if item["type"] == "message":
            part = {"type": "output_text", "text": self._text, "annotations": [], "logprobs": []}
            common = {"item_id": item["id"], "output_index": index, "content_index": 0}
            out += self._event("response.output_text.done", {**common, "text": self._text, "logprobs": []})
            out += self._event("response.content_part.done", {**common, "part": part})
            item = {**item, "status": "completed", "content": [part]}
            self._text = ""
        else:
            common = {"item_id": item["id"], "output_index": index}
            out += self._event(
                "response.function_call_arguments.done", {**common, "arguments": item["arguments"]}
            )
            item = {**item, "status": "completed"}
        self._output.append(item)
        return out + self._event("response.output_item.done", {"output_index": index, "item": item})

    def chunk(self, data: Json) -> bytes:
        out = b""
        for choice in data.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            if delta.get("content"):
                if self._open is None or self._open["type"] != "message":
                    out += self._close()
                    self._open = {
                        "id": _new("msg"),
                        "type": "message",
                        "status": "in_progress",
                        "role": "assistant",
                        "content": [],
                    }
                    index = len(self._output)
                    out += self._event(
                        "response.output_item.added", {"output_index": index, "item": self._open}
                    )
                    part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
                    out += self._event(
                        "response.content_part.added",
                        {
                            "item_id": self._open["id"],
                            "output_index": index,
                            "content_index": 0,
                            "part": part,
                        },
                    )
                self._text += delta["content"]
                out += self._event(
                    "response.output_text.delta",
                    {
                        "item_id": self._open["id"],
                        "output_index": len(self._output),
                        "content_index": 0,
                        "delta": delta["content"],
                        "logprobs": [],
                    },
                )
            for call in delta.get("tool_calls") or ():
                key = call.get("index", 0)
                function = call.get("function") or {}
                if key not in self._calls:
                    out += self._close()
                    self._open = self._calls[key] = {
                        "id": _new("fc"),
                        "type": "function_call",
                        "status": "in_progress",
                        "arguments": "",
                        "call_id": call.get("id") or _new("call"),
                        "name": function.get("name", ""),
                    }
                    out += self._event(
                        "response.output_item.added", {"output_index": len(self._output), "item": self._open}
                    )
                if function.get("arguments") and self._open is not None:
                    self._open["arguments"] += function["arguments"]
                    out += self._event(
                        "response.function_call_arguments.delta",
                        {
                            "item_id": self._open["id"],
                            "output_index": len(self._output),
                            "delta": function["arguments"],
                        },
                    )
            if choice.get("finish_reason"):
                self._finish = choice["finish_reason"]
        return out

    def finish(self, usage: Usage) -> bytes:
        out = self._close()
        status, incomplete = _status(self._finish)
        final = response_object(self._id, self._model, self._body, self._output, status, usage, incomplete)
        return out + self._event(
            "response.completed" if status == "completed" else "response.incomplete", {"response": final}
        )

    def error(self, error: PointsmanError) -> bytes:
        return self._event(
            "error", {"code": error.code or error.type, "message": error.message, "param": None}
        )
