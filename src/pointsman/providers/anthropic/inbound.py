"""The Anthropic Messages format as an inbound surface: its request → canonical, canonical → its
response and its SSE events. Pure; the stream renderer is one object per stream."""

from __future__ import annotations

from typing import Any

import orjson

from pointsman.errors import InvalidRequest, PointsmanError
from pointsman.providers.base import Json
from pointsman.usage import Usage

STOP_REASON = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


def _part(block: Json) -> Json | None:
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "text": block.get("text", "")}
    if kind == "image":
        source = block.get("source") or {}
        if source.get("type") == "base64":
            url = f"data:{source.get('media_type', 'image/png')};base64,{source.get('data', '')}"
        else:
            url = source.get("url", "")
        return {"type": "image_url", "image_url": {"url": url}}
    return None  # thinking and server-tool blocks have no canonical form


def _tool_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(
        b.get("text", "") for b in content or () if isinstance(b, dict) and b.get("type") == "text"
    )


def _user(content: Any) -> list[Json]:
    """One Anthropic user turn → tool messages first (its tool_results), then the user's own parts."""
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    out: list[Json] = []
    parts: list[Json] = []
    for block in content or ():
        if block.get("type") == "tool_result":
            text = _tool_text(block.get("content"))
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": block.get("tool_use_id", ""),
                    "content": f"[error] {text}" if block.get("is_error") else text,
                }
            )
        elif (part := _part(block)) is not None:
            parts.append(part)
    if parts:
        out.append({"role": "user", "content": parts})
    return out


def _assistant(content: Any) -> Json:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    texts = [b.get("text", "") for b in content or () if b.get("type") == "text"]
    calls = [
        {
            "id": b.get("id", ""),
            "type": "function",
            "function": {"name": b.get("name", ""), "arguments": orjson.dumps(b.get("input") or {}).decode()},
        }
        for b in content or ()
        if b.get("type") == "tool_use"
    ]
    message: Json = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    return message


def _tool_choice(choice: Any) -> tuple[Any, bool | None]:
    if not isinstance(choice, dict):
        return None, None
    parallel = False if choice.get("disable_parallel_tool_use") else None
    kind = choice.get("type")
    if kind == "any":
        return "required", parallel
    if kind == "tool":
        return {"type": "function", "function": {"name": choice.get("name", "")}}, parallel
    if kind == "none":
        return "none", None
    return "auto", parallel


def to_canonical(body: Json) -> Json:
    if not isinstance(body.get("max_tokens"), int):
        raise InvalidRequest("max_tokens: Field required (an integer)", param="max_tokens")
    messages: list[Json] = []
    system = body.get("system")
    if system:
        messages.append({"role": "system", "content": _tool_text(system)})
    for message in body.get("messages") or ():
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise InvalidRequest("messages: each message needs role 'user' or 'assistant'", param="messages")
        if message["role"] == "user":
            messages += _user(message.get("content"))
        else:
            messages.append(_assistant(message.get("content")))
    out: Json = {"model": body.get("model"), "messages": messages, "max_tokens": body["max_tokens"]}
    tools = body.get("tools")
    if tools:
        out["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.get("name", ""),
                    "description": t.get("description", ""),
                    "parameters": t.get("input_schema") or {"type": "object"},
                },
            }
            for t in tools
            if isinstance(t, dict) and "input_schema" in t
        ]
    choice, parallel = _tool_choice(body.get("tool_choice"))
    if choice is not None and tools:
        out["tool_choice"] = choice
    if parallel is False and tools:
        out["parallel_tool_calls"] = False
    for ours, theirs in (("stop", "stop_sequences"), ("temperature", "temperature"), ("top_p", "top_p")):
        if body.get(theirs) is not None:
            out[ours] = body[theirs]
    fmt = (body.get("output_config") or {}).get("format") or body.get("output_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        out["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": fmt.get("schema") or {}},
        }
    user_id = (body.get("metadata") or {}).get("user_id")
    if isinstance(user_id, str):
        out["user"] = user_id
    if body.get("stream"):
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out


def anthropic_usage(usage: Usage) -> Json:
    fresh = usage.input_tokens - usage.cached_tokens - usage.cache_write_tokens
    return {
        "input_tokens": max(fresh, 0),
        "cache_creation_input_tokens": usage.cache_write_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "output_tokens": usage.output_tokens,
    }


def to_message(data: Json, model: str, usage: Usage) -> Json:
    choice = (data.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    content: list[Json] = []
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
    return {
        "id": str(data.get("id") or "msg_pointsman"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": STOP_REASON.get(str(choice.get("finish_reason")), "end_turn"),
        "stop_sequence": None,
        "usage": anthropic_usage(usage),
    }


def event(name: str, data: Json) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps({"type": name, **data}) + b"\n\n"


class MessagesStreamRenderer:
    """Canonical chunks → Anthropic events: one open block at a time, indexes 0, 1, 2, …"""

    def __init__(self, model: str, message_id: str) -> None:
        self._model = model
        self._id = message_id
        self._open: str | None = None  # "text" or "tool:<openai index>"
        self._index = -1
        self._finish: str | None = None
        self.started = False

    def start(self, usage_hint: Usage | None = None) -> bytes:
        self.started = True
        usage = anthropic_usage(usage_hint or Usage())
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

    def chunk(self, data: Json) -> bytes:
        out = b""
        for choice in data.get("choices") or ():
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text:
                if self._open != "text":
                    out += self._switch("text", {"type": "text", "text": ""})
                out += event(
                    "content_block_delta",
                    {"index": self._index, "delta": {"type": "text_delta", "text": text}},
                )
            for call in delta.get("tool_calls") or ():
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
                    delta_json = {"type": "input_json_delta", "partial_json": function["arguments"]}
                    out += event("content_block_delta", {"index": self._index, "delta": delta_json})
            if choice.get("finish_reason"):
                self._finish = choice["finish_reason"]
        return out

    def finish(self, usage: Usage) -> bytes:
        stop = STOP_REASON.get(str(self._finish), "end_turn")
        delta = {"delta": {"stop_reason": stop, "stop_sequence": None}, "usage": anthropic_usage(usage)}
        return self._close() + event("message_delta", delta) + event("message_stop", {})

    def error(self, error: PointsmanError) -> bytes:
        return event("error", {"error": error.to_anthropic()["error"]})
