"""Check just enough of a request to give a clear 400 here instead of a confusing one upstream.

Lenient in: fields we do not know pass through untouched; only the ones the gateway relies on, or
that are certain to fail anywhere, are checked.
"""

from __future__ import annotations

from typing import Any

from pointsman.errors import InvalidRequest

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_INTS = ("n", "max_tokens", "max_completion_tokens", "seed", "top_logprobs")
_NUMBERS = ("temperature", "top_p", "frequency_penalty", "presence_penalty")


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def require_model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if model is None:
        raise InvalidRequest("Missing required parameter: 'model'.", param="model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest(f"'model' must be a non-empty string, got {_type_name(model)}.", param="model")
    return model


def check_chat(body: dict[str, Any]) -> None:
    messages = body.get("messages")
    if messages is None:
        raise InvalidRequest("Missing required parameter: 'messages'.", param="messages")
    if not isinstance(messages, list):
        raise InvalidRequest(f"'messages' must be an array, got {_type_name(messages)}.", param="messages")
    if not messages:
        raise InvalidRequest("'messages' must contain at least one message.", param="messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise InvalidRequest(
                f"messages[{i}] must be an object, got {_type_name(message)}.", param=f"messages[{i}]"
            )
        role = message.get("role")
        if role not in ROLES:
            what = "is missing" if role is None else f"is {role!r}"
            raise InvalidRequest(
                f"messages[{i}].role {what}; expected one of {', '.join(sorted(ROLES))}.",
                param=f"messages[{i}].role",
            )
        content = message.get("content")
        if content is not None and not isinstance(content, str | list):
            raise InvalidRequest(
                f"messages[{i}].content must be a string or an array of parts, got {_type_name(content)}.",
                param=f"messages[{i}].content",
            )
    _check_scalars(body)


def _check_scalars(body: dict[str, Any]) -> None:
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise InvalidRequest(f"'stream' must be a boolean, got {_type_name(stream)}.", param="stream")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise InvalidRequest("'stream_options' must be an object.", param="stream_options")
    for name in _INTS:
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise InvalidRequest(f"'{name}' must be an integer, got {_type_name(value)}.", param=name)
    n = body.get("n")
    if isinstance(n, int) and n < 1:
        raise InvalidRequest(f"'n' must be at least 1, got {n}.", param="n")
    for name in _NUMBERS:
        value = body.get(name)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise InvalidRequest(f"'{name}' must be a number, got {_type_name(value)}.", param=name)
    for name in ("tools", "stop"):
        value = body.get(name)
        if name == "tools" and value is not None and not isinstance(value, list):
            raise InvalidRequest(f"'tools' must be an array, got {_type_name(value)}.", param="tools")
        if name == "stop" and value is not None and not isinstance(value, str | list):
            raise InvalidRequest("'stop' must be a string or an array of strings.", param="stop")


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
