"""Type checks on a request's JSON that name where the value is (`messages[0].content[1]`).

Used by every inbound surface, so a value of the wrong type is a 400 that says which one, never a
crash further in. Callers build the path only once a check has failed: the valid path stays cheap.
"""

from __future__ import annotations

from typing import Any

from pointsman.errors import InvalidRequest

_NAMES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def type_name(value: Any) -> str:
    """The JSON name of a parsed value's type."""
    return _NAMES.get(type(value), "number")


def wrong_type(path: str, expected: str, value: Any) -> InvalidRequest:
    return InvalidRequest(f"{path} must be {expected}, got {type_name(value)}.", param=path)


def need_object(value: Any, path: str) -> dict[str, Any]:
    if type(value) is not dict:
        raise wrong_type(path, "an object", value)
    return value


def need_array(value: Any, path: str) -> list[Any]:
    if type(value) is not list:
        raise wrong_type(path, "an array", value)
    return value


def need_string(value: Any, path: str) -> str:
    if type(value) is not str:
        raise wrong_type(path, "a string", value)
    return value


def optional_string(value: Any, path: str) -> None:
    if value is not None and type(value) is not str:
        raise wrong_type(path, "a string", value)


def optional_object(value: Any, path: str) -> None:
    if value is not None and type(value) is not dict:
        raise wrong_type(path, "an object", value)


def string_list(value: Any, path: str) -> None:
    """A string or an array of strings (`stop`, `stop_sequences`)."""
    if type(value) is str:
        return
    for i, item in enumerate(need_array(value, path)):
        if type(item) is not str:
            raise wrong_type(f"{path}[{i}]", "a string", item)
