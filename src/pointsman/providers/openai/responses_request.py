"""OpenAI's Responses API as an inbound surface, its request side: request → canonical chat. Pure.

Stateless: `previous_response_id` is refused with OpenAI's own `previous_response_not_found`.
Reasoning items a client sends back are dropped. Every value read is type-checked here, so a wrong
one is a 400 naming its place in the request (`input[0].content[1]`), never a crash further in.
"""

from __future__ import annotations

from typing import Any

from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json
from pointsman.shape import (
    need_array,
    need_object,
    need_string,
    optional_object,
    optional_string,
    wrong_type,
)

_ROLES = ("user", "assistant", "system", "developer")
_TEXT_PARTS = ("input_text", "output_text", "text")


_ITEM = "input[{}]"
_PART = "input[{}].content[{}]"


def _parts(content: Any, i: int) -> Any:
    if type(content) is str:
        return content
    parts: list[Json] = []
    for j, part in enumerate(need_array(content, "input[{}].content", i)):
        kind = need_object(part, _PART, i, j).get("type")
        if kind in _TEXT_PARTS:
            text = part.get("text")
            if type(text) is not str:
                raise wrong_type(_PART + ".text", "a string", text, i, j)
            parts.append({"type": "text", "text": text})
        elif kind == "input_image":
            url = part.get("image_url")
            optional_string(url, _PART + ".image_url", i, j)
            if url:
                detail = part.get("detail", "auto")
                parts.append({"type": "image_url", "image_url": {"url": url, "detail": detail}})
        elif kind == "refusal":
            refusal = need_string(part.get("refusal"), _PART + ".refusal", i, j)
            parts.append({"type": "text", "text": refusal})
        elif type(kind) is not str:
            raise wrong_type(_PART + ".type", "a string", kind, i, j)
    return parts


def _function_call(item: Json, i: int) -> Json:
    return {
        "id": need_string(item.get("call_id"), "input[{}].call_id", i),
        "type": "function",
        "function": {
            "name": need_string(item.get("name"), "input[{}].name", i),
            "arguments": need_string(item.get("arguments", ""), "input[{}].arguments", i),
        },
    }


def _output_text(output: Any, i: int) -> str:
    if type(output) is str:
        return output
    texts = []
    for j, part in enumerate(need_array(output, "input[{}].output", i)):
        text = need_object(part, "input[{}].output[{}]", i, j).get("text")
        optional_string(text, "input[{}].output[{}].text", i, j)
        texts.append(text or "")
    return "".join(texts)


def _item(item: Json, i: int, messages: list[Json]) -> None:
    """One input item onto the canonical messages."""
    kind = item.get("type", "message")
    if kind == "message":
        role = item.get("role", "user")
        if type(role) is not str or role not in _ROLES:
            raise wrong_type(_ITEM + ".role", "one of " + ", ".join(_ROLES), role, i)
        messages.append({"role": role, "content": _parts(item.get("content"), i)})
    elif kind == "function_call":
        call = _function_call(item, i)
        last = messages[-1] if messages else None
        if last is not None and last["role"] == "assistant":
            last.setdefault("tool_calls", []).append(call)
        else:
            messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    elif kind == "function_call_output":
        text = _output_text(item.get("output"), i)
        call_id = need_string(item.get("call_id"), "input[{}].call_id", i)
        messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
    elif kind != "reasoning":  # a reasoning item a client replays has no canonical form
        raise InvalidRequest(
            f"input item type {kind!r} is not supported by this gateway", param=f"input[{i}].type"
        )


def _messages(body: Json) -> list[Json]:
    messages: list[Json] = []
    instructions = body.get("instructions")
    optional_string(instructions, "instructions")
    if instructions:
        messages.append({"role": "system", "content": instructions})
    items = body.get("input")
    if isinstance(items, str):
        return [*messages, {"role": "user", "content": items}]
    if not isinstance(items, list):
        raise InvalidRequest("'input' must be a string or an array of items", param="input")
    for i, item in enumerate(items):
        _item(need_object(item, _ITEM, i), i, messages)
    return messages


def _tools(body: Json) -> list[Json]:
    tools = body.get("tools")
    out: list[Json] = []
    for i, tool in enumerate(need_array(tools, "tools") if tools is not None else ()):
        if need_object(tool, "tools[{}]", i).get("type") != "function":
            continue  # a hosted tool (web search, files): nothing a chat model can take
        parameters = tool.get("parameters")
        optional_object(parameters, "tools[{}].parameters", i)
        description = tool.get("description")
        optional_string(description, "tools[{}].description", i)
        function = {
            "name": need_string(tool.get("name"), "tools[{}].name", i),
            "description": description or "",
            "parameters": parameters or {"type": "object", "properties": {}},
        }
        out.append({"type": "function", "function": function})
    return out


def _tool_choice(choice: Any) -> Any:
    if type(choice) is dict:
        if choice.get("type") == "function":
            name = need_string(choice.get("name"), "tool_choice.name")
            return {"type": "function", "function": {"name": name}}
        return None
    if choice is not None and type(choice) is not str:
        raise wrong_type("tool_choice", "a string or an object", choice)
    return choice if choice in ("auto", "none", "required") else None


def _response_format(body: Json) -> Json | None:
    text = body.get("text")
    if text is None:
        return None
    fmt = need_object(text, "text").get("format")
    if fmt is None:
        return None
    kind = need_object(fmt, "text.format").get("type")
    if kind == "json_object":
        return {"type": "json_object"}
    if kind != "json_schema":
        optional_string(kind, "text.format.type")
        return None
    schema = fmt.get("schema")
    optional_object(schema, "text.format.schema")
    strict = fmt.get("strict", False)
    if type(strict) is not bool:
        raise wrong_type("text.format.strict", "a boolean", strict)
    name = fmt.get("name", "output")
    need_string(name, "text.format.name")
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema or {}, "strict": strict}}


def to_canonical(body: Json) -> Json:
    if body.get("previous_response_id"):
        raise InvalidRequest(
            f"Previous response with id '{body['previous_response_id']}' not found. This gateway keeps no "
            "response state: send the whole conversation in `input`.",
            param="previous_response_id",
            code="previous_response_not_found",
        )
    stream = body.get("stream")
    if stream is not None and type(stream) is not bool:
        raise wrong_type("stream", "a boolean", stream)
    limit = body.get("max_output_tokens")
    if limit is not None and type(limit) is not int:
        raise wrong_type("max_output_tokens", "an integer", limit)
    out: Json = {"model": body.get("model"), "messages": _messages(body)}
    tools = _tools(body)
    if tools:
        out["tools"] = tools
        choice = _tool_choice(body.get("tool_choice"))
        if choice is not None:
            out["tool_choice"] = choice
    fmt = _response_format(body)
    if fmt is not None:
        out["response_format"] = fmt
    for ours, theirs in (
        ("max_completion_tokens", "max_output_tokens"),
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("parallel_tool_calls", "parallel_tool_calls"),
        ("user", "user"),
    ):
        if body.get(theirs) is not None:
            out[ours] = body[theirs]
    if stream:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out
