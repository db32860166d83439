"""Deterministic answers for the fake providers, wire-format neutral.

The same request always gets the same answer, so tests can assert exact text, tool arguments,
token counts and cost. A prompt can steer the answer: `say: X` makes the reply exactly X.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

_PIECE = re.compile(r"\S+\s*|\s+")
_ANCHOR = re.compile(r"verbatim[^«]*«(?P<anchor>[^»]*)»", re.S)
"""A request to continue a cut-off reply names the words to repeat first, in «guillemets»."""
_NAMED_TOOL = re.compile(r"\btool:(?P<name>[\w.-]+)[ \t]*")
"""`tool:NAME {json}` picks the offered tool NAME and its arguments: an agent's many tools and real
arguments (a file path) make its loop do real work, where the first tool with schema examples would not."""


@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass(slots=True)
class Answer:
    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "stop"
    """stop, length or tool_calls (the canonical names; each fake maps them to its wire)."""


def pieces(text: str) -> list[str]:
    """How a stream splits text: word by word, each keeping its trailing space."""
    return _PIECE.findall(text) or [""]


def argument_pieces(arguments: str, size: int = 8) -> list[str]:
    return [arguments[i : i + size] for i in range(0, len(arguments), size)] or [""]


def example_of(schema: Any, name: str = "value") -> Any:
    """A small value that satisfies a JSON schema: enough for tools and structured output."""
    if not isinstance(schema, dict):
        return name
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return example_of(schema[key][0], name)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties") or {}
        required = schema.get("required")
        keys = list(props) if required is None else [k for k in props if k in required] or list(props)
        return {k: example_of(props[k], k) for k in keys}
    if kind == "array":
        return [example_of(schema.get("items"), name)] * max(1, int(schema.get("minItems", 1)))
    if kind == "integer":
        return int(schema.get("minimum", 42))
    if kind == "number":
        return float(schema.get("minimum", 4.2))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    text = f"{name} example"
    return text[: schema["maxLength"]] if "maxLength" in schema else text


def text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p)
    return ""


def count_images(content: Any) -> int:
    if not isinstance(content, list):
        return 0
    kinds = ("image_url", "image", "input_image")
    return sum(1 for p in content if isinstance(p, dict) and p.get("type") in kinds)


@dataclass(slots=True)
class Ask:
    """A request reduced to what decides the answer, filled in by each fake from its own wire format."""

    model: str
    last_user: str = ""
    last_tool_result: str | None = None
    images: int = 0
    tools: list[tuple[str, Any]] = field(default_factory=list)
    """(name, parameters schema) of each tool offered."""
    tool_choice: str | None = None
    """None = auto, "none", "required", or a tool name that must be called."""
    parallel_tools: bool = True
    json_schema: Any = None
    json_object: bool = False
    max_tokens: int | None = None
    stop: list[str] = field(default_factory=list)
    prefill: str = ""
    """A trailing assistant message: the answer continues it, as a real model does."""
    previous_user: str = ""
    """The user message before the last one (what a continuation instruction refers back to)."""


def answer(ask: Ask, reply: str | None = None, *, preamble: str = "", obeys: bool = True) -> Answer:
    """The model's answer. `preamble` goes before any text answer; `obeys` says whether the model
    follows an instruction to continue its cut-off reply (repeating the words it names, then on)."""
    anchor = _ANCHOR.search(ask.last_user) if ask.previous_user else None
    if anchor is not None and obeys:
        earlier = replace(ask, last_user=ask.previous_user, previous_user="", prefill="")
        full = answer(earlier, reply, preamble=preamble).text
        words = anchor.group("anchor")
        at = full.find(words)
        return Answer(full[at:] if at >= 0 else f"{words} {full}")
    calls = _tool_calls(ask)
    if calls:
        return Answer("", calls, "tool_calls")
    text = _text(ask, reply, preamble)
    if ask.prefill and text.startswith(ask.prefill):
        text = text[len(ask.prefill) :]
    finish = "stop"
    for stop in ask.stop:
        if stop and stop in text:
            text = text[: text.index(stop)]
    if ask.max_tokens is not None:
        parts = pieces(text)
        if len(parts) > ask.max_tokens:
            text, finish = "".join(parts[: ask.max_tokens]), "length"
    return Answer(text, [], finish)


def _text(ask: Ask, reply: str | None, preamble: str) -> str:
    if reply is not None:  # a fixed reply ignores the requested format, as a careless model does
        return reply
    if ask.json_schema is not None:
        import json

        return json.dumps(example_of(ask.json_schema))
    if ask.json_object:
        return '{"answer": "ok"}'
    return preamble + _prose(ask)


def _prose(ask: Ask) -> str:
    if ask.last_tool_result is not None:
        return f"The tool returned: {ask.last_tool_result}"
    if ask.last_user.startswith("say:"):
        return ask.last_user[4:].strip()
    seen = f" I see {ask.images} image{'s' if ask.images != 1 else ''}." if ask.images else ""
    return f"Hello from {ask.model}.{seen} You said: {ask.last_user}"


def _tool_calls(ask: Ask) -> list[ToolCall]:
    if not ask.tools or ask.tool_choice == "none" or ask.last_tool_result is not None:
        return []
    import json

    named = _named_call(ask)
    if named is not None:
        return [named]
    if ask.tool_choice not in (None, "required"):
        chosen = [t for t in ask.tools if t[0] == ask.tool_choice]
    elif ask.parallel_tools and "parallel" in ask.last_user:
        chosen = ask.tools
    else:
        chosen = ask.tools[:1]
    if ask.tool_choice is None and "tool" not in ask.last_user.lower() and "parallel" not in ask.last_user:
        return []  # auto: call tools only when the prompt mentions them, so plain prompts get text
    return [
        ToolCall(f"call_{i}_{name}"[:40], name, json.dumps(example_of(schema)))
        for i, (name, schema) in enumerate(chosen)
    ]


def _named_call(ask: Ask) -> ToolCall | None:
    """The call `tool:NAME {json}` asks for, when NAME is offered and the choice allows it."""
    import json

    if ask.tool_choice not in (None, "required"):
        return None
    offered = dict(ask.tools)
    for match in _NAMED_TOOL.finditer(ask.last_user):
        if match["name"] not in offered:
            continue
        rest = ask.last_user[match.end() :]
        try:
            arguments = json.JSONDecoder().raw_decode(rest)[0] if rest.startswith("{") else None
        except ValueError:
            arguments = None
        value = arguments if isinstance(arguments, dict) else example_of(offered[match["name"]])
        return ToolCall(f"call_0_{match['name']}"[:40], match["name"], json.dumps(value))
    return None
