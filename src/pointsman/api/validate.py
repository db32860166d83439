"""Check just enough of a request to give a clear 400 here instead of a confusing one upstream.

Lenient in: fields we do not know pass through untouched; only the ones the gateway relies on, or
that are certain to fail anywhere, are checked.
"""

from __future__ import annotations

from typing import Any

from pointsman.errors import InvalidRequest
from pointsman.shape import (
    need_array,
    need_object,
    need_string,
    optional_object,
    optional_string,
    string_list,
    type_name,
    wrong_type,
)

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_INTS = ("n", "max_tokens", "max_completion_tokens", "seed", "top_logprobs")
_NUMBERS = ("temperature", "top_p", "frequency_penalty", "presence_penalty")


def require_model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if model is None:
        raise InvalidRequest("Missing required parameter: 'model'.", param="model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest(f"'model' must be a non-empty string, got {type_name(model)}.", param="model")
    return model


def check_chat(body: dict[str, Any]) -> None:
    """The canonical (OpenAI chat) request, checked as deep as any part of the gateway reads it, so
    routing and every provider's translation can rely on the types."""
    messages = body.get("messages")
    if messages is None:
        raise InvalidRequest("Missing required parameter: 'messages'.", param="messages")
    if not isinstance(messages, list):
        raise InvalidRequest(f"'messages' must be an array, got {type_name(messages)}.", param="messages")
    if not messages:
        raise InvalidRequest("'messages' must contain at least one message.", param="messages")
    for i, message in enumerate(messages):
        _check_message(message, i)
    _check_tools(body)
    _check_formats(body)
    _check_scalars(body)


def _check_message(message: Any, i: int) -> None:
    if type(message) is not dict:
        raise wrong_type(f"messages[{i}]", "an object", message)
    role = message.get("role")
    if type(role) is not str or role not in ROLES:
        what = "is missing" if role is None else f"is {role!r}"
        raise InvalidRequest(
            f"messages[{i}].role {what}; expected one of {', '.join(sorted(ROLES))}.",
            param=f"messages[{i}].role",
        )
    content = message.get("content")
    if type(content) is list:
        _check_parts(content, f"messages[{i}].content")
    elif content is not None and type(content) is not str:
        raise wrong_type(f"messages[{i}].content", "a string or an array of parts", content)
    if role == "assistant":
        calls = message.get("tool_calls")
        if calls is not None:
            _check_tool_calls(calls, f"messages[{i}].tool_calls")
    elif role == "tool" or role == "function":
        optional_string(message.get("tool_call_id"), f"messages[{i}].tool_call_id")
        optional_string(message.get("name"), f"messages[{i}].name")


def _check_parts(parts: list[Any], path: str) -> None:
    for j, part in enumerate(parts):
        if type(part) is not dict:
            raise wrong_type(f"{path}[{j}]", "an object", part)
        kind = part.get("type")
        if kind == "text":
            if type(part.get("text")) is not str:
                raise wrong_type(f"{path}[{j}].text", "a string", part.get("text"))
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if type(image) is dict else image
            if type(url) is not str:
                raise wrong_type(f"{path}[{j}].image_url.url", "a string", url)
        elif type(kind) is not str:
            raise wrong_type(f"{path}[{j}].type", "a string", kind)


def _check_tool_calls(calls: Any, path: str) -> None:
    for j, call in enumerate(need_array(calls, path)):
        need_object(call, f"{path}[{j}]")
        optional_string(call.get("id"), f"{path}[{j}].id")
        function = need_object(call.get("function"), f"{path}[{j}].function")
        need_string(function.get("name"), f"{path}[{j}].function.name")
        optional_string(function.get("arguments"), f"{path}[{j}].function.arguments")


def _check_tools(body: dict[str, Any]) -> None:
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise InvalidRequest(f"'tools' must be an array, got {type_name(tools)}.", param="tools")
        for i, tool in enumerate(tools):
            need_object(tool, f"tools[{i}]")
            kind = tool.get("type", "function")
            if kind == "function":
                function = need_object(tool.get("function"), f"tools[{i}].function")
                need_string(function.get("name"), f"tools[{i}].function.name")
                optional_string(function.get("description"), f"tools[{i}].function.description")
                optional_object(function.get("parameters"), f"tools[{i}].function.parameters")
            elif type(kind) is not str:
                raise wrong_type(f"tools[{i}].type", "a string", kind)
    choice = body.get("tool_choice")
    if choice is not None and type(choice) is not str:
        need_object(choice, "tool_choice")
        function = choice.get("function")
        if function is not None:
            name = need_object(function, "tool_choice.function").get("name")
            need_string(name, "tool_choice.function.name")


def _check_formats(body: dict[str, Any]) -> None:
    fmt = body.get("response_format")
    if fmt is not None:
        kind = need_string(need_object(fmt, "response_format").get("type"), "response_format.type")
        if kind == "json_schema":
            spec = need_object(fmt.get("json_schema"), "response_format.json_schema")
            optional_object(spec.get("schema"), "response_format.json_schema.schema")
    stop = body.get("stop")
    if stop is not None:
        string_list(stop, "stop")


def _check_scalars(body: dict[str, Any]) -> None:
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise InvalidRequest(f"'stream' must be a boolean, got {type_name(stream)}.", param="stream")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise InvalidRequest("'stream_options' must be an object.", param="stream_options")
    for name in _INTS:
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise InvalidRequest(f"'{name}' must be an integer, got {type_name(value)}.", param=name)
    n = body.get("n")
    if isinstance(n, int) and n < 1:
        raise InvalidRequest(f"'n' must be at least 1, got {n}.", param="n")
    for name in _NUMBERS:
        value = body.get(name)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise InvalidRequest(f"'{name}' must be a number, got {type_name(value)}.", param=name)


def check_embeddings(body: dict[str, Any]) -> None:
    value = body.get("input")
    if value is None:
        raise InvalidRequest("Missing required parameter: 'input'.", param="input")
    if not isinstance(value, str | list) or value == [] or value == "":
        raise InvalidRequest("'input' must be a non-empty string or array.", param="input")


def tags_of(body: dict[str, Any], tag_header: str | None) -> dict[str, str]:
    """Tags for the ledger: the request's `metadata` plus `x-pointsman-tags: k=v, flag`."""
    tags: dict[str, str] = {}
    metadata = body.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise InvalidRequest("'metadata' must be an object of string values.", param="metadata")
        for key, value in metadata.items():
            tags[str(key)] = value if isinstance(value, str) else str(value)
    if tag_header:
        for part in tag_header.split(","):
            key, _, value = part.strip().partition("=")
            if key:
                tags[key.strip()] = value.strip()
    return tags
