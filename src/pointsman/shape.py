"""Type checks on a request's JSON that name where the value is (`messages[0].content[1]`).

Used by every inbound surface, so a value of the wrong type is a 400 that says which one, never a
crash further in. A place is a template and its indexes (`"messages[{}].content[{}]", i, j`),
formatted only once a check has failed: walking a large valid body builds no strings.
"""

from __future__ import annotations

from typing import Any

from pointsman.errors import InvalidRequest

_NAMES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def type_name(value: Any) -> str:
    """The JSON name of a parsed value's type."""
    return _NAMES.get(type(value), "number")


def wrong_type(where: str, expected: str, value: Any, *at: int) -> InvalidRequest:
    path = where.format(*at)
    return InvalidRequest(f"{path} must be {expected}, got {type_name(value)}.", param=path)


def need_object(value: Any, where: str, *at: int) -> dict[str, Any]:
    if type(value) is not dict:
        raise wrong_type(where, "an object", value, *at)
    return value


def need_array(value: Any, where: str, *at: int) -> list[Any]:
    if type(value) is not list:
        raise wrong_type(where, "an array", value, *at)
    return value


def need_string(value: Any, where: str, *at: int) -> str:
    if type(value) is not str:
        raise wrong_type(where, "a string", value, *at)
    return value


def optional_string(value: Any, where: str, *at: int) -> None:
    if value is not None and type(value) is not str:
        raise wrong_type(where, "a string", value, *at)


def optional_object(value: Any, where: str, *at: int) -> None:
    if value is not None and type(value) is not dict:
        raise wrong_type(where, "an object", value, *at)


def string_list(value: Any, where: str) -> None:
    """A string or an array of strings (`stop`, `stop_sequences`)."""
    if type(value) is str:
        return
    for i, item in enumerate(need_array(value, where)):
        if type(item) is not str:
            raise wrong_type(where + "[{}]", "a string", item, i)
