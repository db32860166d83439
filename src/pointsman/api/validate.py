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
        raise InvalidRequest(f"'model' must be a non-empty string, got {_type_name(model)}.", param="model")
    if len(model) > MAX_MODEL_NAME or not model.isprintable():
        what = f"longer than {MAX_MODEL_NAME} characters" if len(model) > MAX_MODEL_NAME else "not printable"
        raise InvalidRequest(f"'model' is {what}; no model has such a name.", param="model")
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
            if isinstance(value, dict | list):
                raise InvalidRequest(
                    f"metadata.{key[:MAX_TAG_KEY]} must be a string (or a number or boolean), "
                    f"not {_type_name(value)}.",
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
