"""Check just enough of a request to give a clear 400 here instead of a confusing one upstream.

Lenient in: fields we do not know pass through untouched; only the ones the gateway relies on, or
that are certain to fail anywhere, are checked.
"""

from __future__ import annotations

from typing import Any

from pointsman.errors import InvalidRequest
from pointsman.shape import (
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
_OPTIONAL_STRING = (str, type(None))


MAX_MODEL_NAME = 256
"""Characters in a requested model name (it is echoed in `x-pointsman-model`)."""
MAX_TAGS = 32
MAX_TAG_KEY = 64
MAX_TAG_VALUE = 512
"""Tags go into the ledger whole: `metadata` and `x-pointsman-tags` together, bounded like OpenAI's
own metadata (keys of 64 characters, values of 512)."""


def require_model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if model is None:
        raise InvalidRequest("Missing required parameter: 'model'.", param="model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest(f"'model' must be a non-empty string, got {type_name(model)}.", param="model")
    if len(model) > MAX_MODEL_NAME or not model.isprintable():
        what = f"longer than {MAX_MODEL_NAME} characters" if len(model) > MAX_MODEL_NAME else "not printable"
        raise InvalidRequest(f"'model' is {what}; no model has such a name.", param="model")
    return model


def check_chat(body: dict[str, Any], *, translated: bool = False) -> None:
    """The canonical (OpenAI chat) request, checked as deep as any part of the gateway reads it, so
    routing and every provider's translation can rely on the types. `translated`: an inbound
    translator built the messages, tools and formats from values it checked (/v1/messages,
    /v1/responses), so only the fields it copied as they were are checked here."""
    messages = body.get("messages")
    if messages is None:
        raise InvalidRequest("Missing required parameter: 'messages'.", param="messages")
    if not isinstance(messages, list):
        raise InvalidRequest(f"'messages' must be an array, got {type_name(messages)}.", param="messages")
    if not messages:
        raise InvalidRequest("'messages' must contain at least one message.", param="messages")
    if not translated:
        _check_messages(messages)
        _check_tools(body)
        _check_formats(body)
    _check_scalars(body)


def _check_messages(messages: list[Any]) -> None:
    for i, message in enumerate(messages):
        if type(message) is not dict:
            raise wrong_type("messages[{}]", "an object", message, i)
        role = message.get("role")
        if type(role) is not str or role not in ROLES:
            what = "is missing" if role is None else f"is {role!r}"
            raise InvalidRequest(
                f"messages[{i}].role {what}; expected one of {', '.join(sorted(ROLES))}.",
                param=f"messages[{i}].role",
            )
        content = message.get("content")
        if content is not None and type(content) is not str:
            _check_parts(content, i)
        if role == "assistant":
            calls = message.get("tool_calls")
            if calls is not None:
                _check_tool_calls(calls, i)
        elif role == "tool" or role == "function":
            call_id, name = message.get("tool_call_id"), message.get("name")
            if type(call_id) not in _OPTIONAL_STRING or type(name) not in _OPTIONAL_STRING:
                optional_string(call_id, "messages[{}].tool_call_id", i)
                optional_string(name, "messages[{}].name", i)


def _check_parts(parts: Any, i: int) -> None:
    if type(parts) is not list:
        raise wrong_type("messages[{}].content", "a string or an array of parts", parts, i)
    for j, part in enumerate(parts):
        if type(part) is not dict:
            raise wrong_type("messages[{}].content[{}]", "an object", part, i, j)
        kind = part.get("type")
        if kind == "text":
            if type(part.get("text")) is not str:
                raise wrong_type("messages[{}].content[{}].text", "a string", part.get("text"), i, j)
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if type(image) is dict else image
            if type(url) is not str:
                raise wrong_type("messages[{}].content[{}].image_url.url", "a string", url, i, j)
        elif type(kind) is not str:
            raise wrong_type("messages[{}].content[{}].type", "a string", kind, i, j)


def _check_tool_calls(calls: Any, i: int) -> None:
    if type(calls) is not list:
        raise wrong_type("messages[{}].tool_calls", "an array", calls, i)
    for j, call in enumerate(calls):
        if type(call) is dict and call.get("type") == "custom":  # a freeform tool's call: name and input
            custom = need_object(call.get("custom"), "messages[{}].tool_calls[{}].custom", i, j)
            need_string(custom.get("name"), "messages[{}].tool_calls[{}].custom.name", i, j)
            need_string(custom.get("input"), "messages[{}].tool_calls[{}].custom.input", i, j)
            continue
        function = call.get("function") if type(call) is dict else None
        if (
            type(function) is not dict
            or type(function.get("name")) is not str
            or type(function.get("arguments", "")) not in _OPTIONAL_STRING
            or type(call.get("id", "")) not in _OPTIONAL_STRING
        ):
            _tool_call_error(call, i, j)


def _tool_call_error(call: Any, i: int, j: int) -> None:
    """Which part of a tool call is wrong (only once the quick check above has failed)."""
    where = "messages[{}].tool_calls[{}]"
    function = need_object(need_object(call, where, i, j).get("function"), where + ".function", i, j)
    need_string(function.get("name"), where + ".function.name", i, j)
    optional_string(function.get("arguments"), where + ".function.arguments", i, j)
    optional_string(call.get("id"), where + ".id", i, j)


def _check_tools(body: dict[str, Any]) -> None:
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise InvalidRequest(f"'tools' must be an array, got {type_name(tools)}.", param="tools")
        for i, tool in enumerate(tools):
            kind = need_object(tool, "tools[{}]", i).get("type", "function")
            if kind == "function":
                function = need_object(tool.get("function"), "tools[{}].function", i)
                need_string(function.get("name"), "tools[{}].function.name", i)
                optional_string(function.get("description"), "tools[{}].function.description", i)
                optional_object(function.get("parameters"), "tools[{}].function.parameters", i)
            elif type(kind) is not str:
                raise wrong_type("tools[{}].type", "a string", kind, i)
    choice = body.get("tool_choice")
    if choice is not None and type(choice) is not str:
        chosen = need_object(choice, "tool_choice").get("function")
        if chosen is not None:
            name = need_object(chosen, "tool_choice.function").get("name")
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
            if isinstance(value, dict | list):
                raise InvalidRequest(
                    f"metadata.{key[:MAX_TAG_KEY]} must be a string (or a number or boolean), "
                    f"not {type_name(value)}.",
                    param="metadata",
                )
            _add_tag(tags, key, value if isinstance(value, str) else str(value), "metadata")
    if tag_header:
        for part in tag_header.split(","):
            key, _, value = part.strip().partition("=")
            if key:
                _add_tag(tags, key.strip(), value.strip(), "x-pointsman-tags")
    return tags


def _add_tag(tags: dict[str, str], key: str, value: str, source: str) -> None:
    if len(key) > MAX_TAG_KEY:
        raise InvalidRequest(
            f"A tag key in {source} is longer than {MAX_TAG_KEY} characters: {key[:MAX_TAG_KEY]}...",
            param="metadata" if source == "metadata" else None,
        )
    if len(value) > MAX_TAG_VALUE:
        where = f"metadata.{key}" if source == "metadata" else f"{source} ({key})"
        raise InvalidRequest(
            f"{where} is longer than {MAX_TAG_VALUE} characters.",
            param="metadata" if source == "metadata" else None,
        )
    tags[key] = value
    if len(tags) > MAX_TAGS:
        raise InvalidRequest(
            f"A request carries at most {MAX_TAGS} tags (metadata and x-pointsman-tags together).",
            param="metadata" if source == "metadata" else None,
        )
