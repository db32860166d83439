"""Gemini's `Schema` (an OpenAPI 3.0 subset: `type: "OBJECT"`, `nullable`) → JSON Schema. Pure.

`responseJsonSchema` and `parametersJsonSchema` already are JSON Schema and pass as they are; this
is for the older `responseSchema` and `parameters`. `propertyOrdering` (an output-order hint with
no JSON Schema equivalent) is left out.
"""

from __future__ import annotations

from typing import Any

from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json
from pointsman.shape import need_array, need_object
from pointsman.surfaces.gemini.fields import fields, number

_KEYS = frozenset(
    {
        "type",
        "format",
        "title",
        "description",
        "nullable",
        "enum",
        "maxItems",
        "minItems",
        "properties",
        "required",
        "minProperties",
        "maxProperties",
        "minLength",
        "maxLength",
        "pattern",
        "example",
        "anyOf",
        "propertyOrdering",
        "default",
        "items",
        "minimum",
        "maximum",
    }
)
_COUNTS = frozenset({"maxItems", "minItems", "minProperties", "maxProperties", "minLength", "maxLength"})
_TYPES = frozenset({"string", "number", "integer", "boolean", "array", "object", "null"})


def _escaped(name: str) -> str:
    """A property name inside a place template (its braces would read as placeholders)."""
    return name.replace("{", "{{").replace("}", "}}")


def json_schema(value: Any, where: str) -> Json:
    schema = fields(value, where, _KEYS)
    out: Json = {}
    for key, item in schema.items():
        place = f"{where}.{key}"
        if key == "type":
            kind = str(item).lower()
            if kind != "type_unspecified":
                if kind not in _TYPES:
                    raise InvalidRequest(f"{place} must be a Gemini schema type, got {item!r}.", param=place)
                out["type"] = kind
        elif key == "properties":
            properties = need_object(item, place)
            out[key] = {k: json_schema(v, f"{place}.{_escaped(k)}") for k, v in properties.items()}
        elif key == "items":
            out[key] = json_schema(item, place)
        elif key == "anyOf":
            out[key] = [json_schema(v, f"{place}[{i}]") for i, v in enumerate(need_array(item, place))]
        elif key == "example":
            out["examples"] = [item]
        elif key in _COUNTS:
            out[key] = number(item, place, integer=True)
        elif key not in ("nullable", "propertyOrdering"):
            out[key] = item
    if schema.get("nullable") is True:
        _allow_null(out)
    return out


def _allow_null(schema: Json) -> None:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif "anyOf" in schema:
        schema["anyOf"] = [*schema["anyOf"], {"type": "null"}]
