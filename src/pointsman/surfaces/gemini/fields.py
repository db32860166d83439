"""The keys of a Gemini request object, in one spelling, and the 400 for a key with no equivalent.

protobuf JSON accepts a field in camelCase or in snake_case, and google-genai sends both (it
converts most names, but sends `parameters_json_schema`, `inlineData.mime_type`,
`thinkingConfig.thinking_budget` as they are). Each object is read one level at a time, so a
value the client owns (a schema, a function's arguments) is never renamed.
"""

from __future__ import annotations

from typing import Any

from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json
from pointsman.shape import need_object, type_name

HOSTED_TOOLS = frozenset(
    {
        "googleSearch",
        "googleSearchRetrieval",
        "codeExecution",
        "urlContext",
        "retrieval",
        "fileSearch",
        "computerUse",
        "googleMaps",
        "enterpriseWebSearch",
        "mcpServers",
    }
)

_WHY = {
    "cachedContent": "pointsman keeps no cached contents (they live in Google's service): send the "
    "contents themselves",
    "executableCode": "code execution runs inside Google's service and no other provider offers it",
    "codeExecutionResult": "code execution runs inside Google's service and no other provider offers it",
    "responseLogprobs": "log probabilities are not rendered on this surface yet",
    "logprobs": "log probabilities are not rendered on this surface yet",
}
"""Why a field is refused, where more can be said than that it has no equivalent."""


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def unsupported(where: str, key: str, *at: int) -> InvalidRequest:
    path = f"{where.format(*at)}.{key}" if where else key
    name = camel(key)
    if name in HOSTED_TOOLS:
        why = (
            "it is a tool Google runs itself, and pointsman may send the request to any provider: "
            "declare a function (functionDeclarations) instead"
        )
    else:
        why = _WHY.get(name, "no provider behind pointsman has an equivalent: remove it")
    return InvalidRequest(f"{path} is not supported by this gateway: {why}.", param=path)


def fields(value: Any, where: str, known: frozenset[str], *at: int) -> Json:
    """`value` (an object) with its keys in camelCase; a key not in `known` is a 400 naming it."""
    out: Json = {}
    for key, item in need_object(value, where, *at).items():
        name = camel(key) if "_" in key else key
        if name not in known:
            raise unsupported(where, key, *at)
        out[name] = item
    return out


def number(value: Any, where: str, *, integer: bool = False) -> float | int:
    """A JSON number (an integer where `integer`; protobuf JSON may carry int64 as a string, and
    google-genai sends `topK` as 20.0)."""
    if type(value) is str and value.lstrip("-").isdigit():
        value = int(value)
    if type(value) is float and integer and value.is_integer():
        value = int(value)
    if type(value) is int or (type(value) is float and not integer):
        return value
    what = "an integer" if integer else "a number"
    raise InvalidRequest(f"{where} must be {what}, got {type_name(value)}.", param=where)
