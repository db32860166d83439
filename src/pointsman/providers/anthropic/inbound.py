"""The Anthropic Messages format as an inbound surface: its request → canonical, canonical → its
response and its SSE events. Pure; the stream renderer is one object per stream."""

from __future__ import annotations

from typing import Any

import orjson

from pointsman.errors import InvalidRequest, PointsmanError
from pointsman.providers.base import Json
from pointsman.shape import (
    need_array,
    need_object,
    need_string,
    optional_object,
    optional_string,
    string_list,
    wrong_type,
)
from pointsman.usage import Usage

STOP_REASON = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "content_filter": "refusal",
}


_TURN = "messages[{}].content"
_BLOCK = "messages[{}].content[{}]"
"""Where a content block is (with its turn's index and its own), named in errors."""
_RESULT_CONTENT = _BLOCK + ".content"
_USE_INPUT, _USE_ID, _USE_NAME = _BLOCK + ".input", _BLOCK + ".id", _BLOCK + ".name"


def _part(block: Json, i: int, j: int) -> Json | None:
    kind = block.get("type")
    if kind == "text":
        text = block.get("text")
        if type(text) is not str:
            raise wrong_type(_BLOCK + ".text", "a string", text, i, j)
        return {"type": "text", "text": text}
    if kind == "image":
        return {"type": "image_url", "image_url": {"url": _image_url(block.get("source"), i, j)}}
    if type(kind) is not str:
        raise wrong_type(_BLOCK + ".type", "a string", kind, i, j)
    return None  # thinking and server-tool blocks have no canonical form


def _image_url(source: Any, i: int, j: int) -> str:
    where = _BLOCK + ".source"
    if need_object(source, where, i, j).get("type") == "base64":
        media = need_string(source.get("media_type", "image/png"), where + ".media_type", i, j)
        return f"data:{media};base64,{need_string(source.get('data'), where + '.data', i, j)}"
    return need_string(source.get("url"), where + ".url", i, j)


def _tool_text(content: Any, where: str, *at: int) -> str:
    """A system prompt's or tool result's text: a string, or the text of its text blocks."""
    if content is None or type(content) is str:
        return content or ""
    if type(content) is not list:
        raise wrong_type(where, "a string or an array of content blocks", content, *at)
    texts = []
    for k, block in enumerate(content):
        if type(block) is not dict:
            raise wrong_type(where + "[{}]", "an object", block, *at, k)
        if block.get("type") == "text":
            text = block.get("text")
            if type(text) is not str:
                raise wrong_type(where + "[{}].text", "a string", text, *at, k)
            texts.append(text)
    return "".join(texts)


def _user(content: Any, i: int) -> list[Json]:
    """One Anthropic user turn → tool messages first (its tool_results), then the user's own parts."""
    if type(content) is str:
        return [{"role": "user", "content": content}]
    if type(content) is not list:
        raise wrong_type(_TURN, "a string or an array of content blocks", content, i)
    out: list[Json] = []
    parts: list[Json] = []
    for j, block in enumerate(content):
        if type(block) is not dict:
            raise wrong_type(_BLOCK, "an object", block, i, j)
        if block.get("type") == "tool_result":
            text = _tool_text(block.get("content"), _RESULT_CONTENT, i, j)
            call_id = block.get("tool_use_id")
            if type(call_id) is not str:
                raise wrong_type(_BLOCK + ".tool_use_id", "a string", call_id, i, j)
            text = f"[error] {text}" if block.get("is_error") else text
            out.append({"role": "tool", "tool_call_id": call_id, "content": text})
        elif (part := _part(block, i, j)) is not None:
            parts.append(part)
    if parts:
        out.append({"role": "user", "content": parts})
    return out


def _assistant(content: Any, i: int) -> Json:
    if type(content) is str:
        return {"role": "assistant", "content": content}
    if type(content) is not list:
        raise wrong_type(_TURN, "a string or an array of content blocks", content, i)
    texts: list[str] = []
    calls: list[Json] = []
    for j, block in enumerate(content):
        if type(block) is not dict:
            raise wrong_type(_BLOCK, "an object", block, i, j)
        kind = block.get("type")
        if kind == "text":
            text = block.get("text")
            if type(text) is not str:
                raise wrong_type(_BLOCK + ".text", "a string", text, i, j)
            texts.append(text)
        elif kind == "tool_use":
            calls.append(_tool_use(block, i, j))
        elif type(kind) is not str:
            raise wrong_type(_BLOCK + ".type", "a string", kind, i, j)
    message: Json = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    return message


def _tool_use(block: Json, i: int, j: int) -> Json:
    arguments, call_id, name = block.get("input"), block.get("id"), block.get("name")
    if type(call_id) is not str or type(name) is not str or type(arguments) not in (dict, type(None)):
        optional_object(arguments, _USE_INPUT, i, j)
        need_string(call_id, _USE_ID, i, j)
        need_string(name, _USE_NAME, i, j)
    arguments_json = orjson.dumps(arguments or {}).decode()
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments_json}}


def _tool_choice(choice: Any) -> tuple[Any, bool | None]:
    if choice is None:
        return None, None
    need_object(choice, "tool_choice")
    parallel = False if choice.get("disable_parallel_tool_use") else None
    kind = choice.get("type")
    if kind == "any":
        return "required", parallel
    if kind == "tool":
        return {
            "type": "function",
            "function": {"name": need_string(choice.get("name"), "tool_choice.name")},
        }, parallel
    if kind == "none":
        return "none", None
    return "auto", parallel


def _messages(body: Json) -> list[Json]:
    messages: list[Json] = []
    system = _tool_text(body.get("system"), "system")
    if system:
        messages.append({"role": "system", "content": system})
    if body.get("messages") is None:
        raise InvalidRequest("messages: Field required", param="messages")
    for i, message in enumerate(need_array(body["messages"], "messages")):
        role = need_object(message, "messages[{}]", i).get("role")
        if role == "user":
            messages += _user(message.get("content"), i)
        elif role == "assistant":
            messages.append(_assistant(message.get("content"), i))
        elif role == "system":  # Claude Code sends these beside the top-level `system`; kept in place
            text = _tool_text(message.get("content"), "messages[{}].content", i)
            messages.append({"role": "system", "content": text})
        else:
            raise InvalidRequest(
                f"messages[{i}].role must be 'user', 'assistant' or 'system'", param=f"messages[{i}].role"
            )
    return messages


def _tools(tools: Any) -> list[Json]:
    out = []
    for i, tool in enumerate(need_array(tools, "tools")):
        if "input_schema" not in need_object(tool, "tools[{}]", i):
            continue  # a server tool (web search, code execution): nothing to translate
        optional_string(tool.get("description"), "tools[{}].description", i)
        function = {
            "name": need_string(tool.get("name"), "tools[{}].name", i),
            "description": tool.get("description") or "",
            "parameters": need_object(tool["input_schema"], "tools[{}].input_schema", i),
        }
        out.append({"type": "function", "function": function})
    return out


def _response_format(body: Json) -> Json | None:
    config = body.get("output_config")
    optional_object(config, "output_config")
    fmt = (config or {}).get("format") or body.get("output_format")
    if fmt is None:
        return None
    need_object(fmt, "output_config.format" if config else "output_format")
    if fmt.get("type") != "json_schema":
        return None
    schema = fmt.get("schema")
    optional_object(schema, "output_config.format.schema" if config else "output_format.schema")
    return {"type": "json_schema", "json_schema": {"name": "output", "schema": schema or {}}}


def to_canonical(body: Json) -> Json:
    max_tokens = body.get("max_tokens")
    if type(max_tokens) is not int:
        raise InvalidRequest("max_tokens: Field required (an integer)", param="max_tokens")
    stream = body.get("stream")
    if stream is not None and type(stream) is not bool:
        raise wrong_type("stream", "a boolean", stream)
    out: Json = {"model": body.get("model"), "messages": _messages(body), "max_tokens": max_tokens}
    tools = _tools(body["tools"]) if body.get("tools") is not None else []
    if tools:
        out["tools"] = tools
    choice, parallel = _tool_choice(body.get("tool_choice"))
    if choice is not None and tools:
        out["tool_choice"] = choice
    if parallel is False and tools:
        out["parallel_tool_calls"] = False
    if body.get("stop_sequences") is not None:
        string_list(body["stop_sequences"], "stop_sequences")
    for ours, theirs in (("stop", "stop_sequences"), ("temperature", "temperature"), ("top_p", "top_p")):
        if body.get(theirs) is not None:
            out[ours] = body[theirs]
    fmt = _response_format(body)
    if fmt is not None:
        out["response_format"] = fmt
    metadata = body.get("metadata")
    user_id = metadata.get("user_id") if type(metadata) is dict else None
    if isinstance(user_id, str):
        out["user"] = user_id
    if stream:
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
