"""What of a canonical request one model can carry, by its catalog capabilities. Pure.

Each attempt's body is fitted to its model just before the provider translates it: a field the
model has no capability for is mapped to what it does take (a custom tool becomes a function tool
with one string parameter `input`) or left out with a note in the trace (reasoning effort on a model
that does not reason, web search on one that cannot search). With `translation.strict` a field whose
loss the answer would show is a 400 naming it and the model instead, raised in preflight, so a route
moves on to a candidate that can carry it.
"""

from __future__ import annotations

from typing import Any

import orjson

from pointsman.catalog.model import CatalogModel
from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json, Provider, UpstreamRequest

INPUT = {
    "type": "object",
    "properties": {"input": {"type": "string", "description": "The tool's input, as free text."}},
    "required": ["input"],
    "additionalProperties": False,
}
_LOST = {
    "reasoning_effort": ("reasoning", "it is not a reasoning model; it answers without reasoning effort"),
    "web_search_options": ("web_search", "it cannot search the web; it answers without searching"),
}
"""Field → the capability that carries it, and what leaving it out means for the answer."""


def fits(body: Json, model: CatalogModel) -> None:
    """Raises the strict refusal for the first field `model` cannot carry (preflight's check)."""
    for field, (capability, why) in _LOST.items():
        if body.get(field) is not None and capability not in model.capabilities:
            raise InvalidRequest(
                f"'{field}' cannot be carried to the model '{model.name}': {why}. translation.strict is "
                f"set, so this is refused; choose a model with the capability `{capability}`, or unset it.",
                param=field,
                code="unsupported_parameter",
            )


def for_model(body: Json, model: CatalogModel) -> tuple[Json, list[str]]:
    """`body` as `model` can take it, and notes on what was adapted."""
    notes: list[str] = []
    caps = model.capabilities
    out = body
    for field, (capability, why) in _LOST.items():
        if out.get(field) is not None and capability not in caps:
            out = {k: v for k, v in out.items() if k != field}
            notes.append(f"{field}: left out, {why}")
    if out.get("verbosity") is not None and "verbosity" not in caps:
        out = {k: v for k, v in out.items() if k != "verbosity"}
        notes.append("verbosity: left out, the model takes no verbosity setting")
    if "custom_tools" not in caps:
        out = _custom_as_functions(out, notes)
    return out, notes


def fitted_request(
    provider: Provider, body: Json, model: CatalogModel, *, stream_usage: bool
) -> UpstreamRequest:
    """The provider's request for `model`, from the body fitted to it (notes included)."""
    fitted, notes = for_model(body, model)
    request = provider.chat_request(fitted, model.upstream, want_stream_usage=stream_usage)
    if notes:
        request.adapted = (*notes, *request.adapted)
    return request


def _as_function(custom: Json) -> Json:
    description = str(custom.get("description") or "")
    fmt = custom.get("format")
    grammar = fmt.get("grammar") if isinstance(fmt, dict) else None
    if isinstance(grammar, dict):  # the constraint the model can no longer be held to: it reads it instead
        syntax, definition = grammar.get("syntax", ""), grammar.get("definition", "")
        description += f"\n\nThe input must follow this {syntax} grammar:\n{definition}"
    function = {"name": custom.get("name", ""), "description": description.strip(), "parameters": INPUT}
    return {"type": "function", "function": function}


def _call_as_function(call: Any) -> Any:
    custom = call.get("custom") if isinstance(call, dict) and call.get("type") == "custom" else None
    if not isinstance(custom, dict):
        return call
    arguments = orjson.dumps({"input": str(custom.get("input") or "")}).decode()
    return {
        "id": call.get("id"),
        "type": "function",
        "function": {"name": custom.get("name", ""), "arguments": arguments},
    }


def _history(messages: Any) -> Any:
    """The messages with every custom tool call made a function call; the same list when none is."""
    if not isinstance(messages, list):
        return messages
    out = messages
    for i, message in enumerate(messages):
        calls = message.get("tool_calls") if isinstance(message, dict) else None
        if isinstance(calls, list) and any(isinstance(c, dict) and c.get("type") == "custom" for c in calls):
            if out is messages:
                out = list(messages)
            out[i] = {**message, "tool_calls": [_call_as_function(c) for c in calls]}
    return out


def _custom_as_functions(body: Json, notes: list[str]) -> Json:
    tools = body.get("tools")
    customs = (
        [t for t in tools if isinstance(t, dict) and t.get("type") == "custom"]
        if isinstance(tools, list)
        else []
    )
    messages = _history(body.get("messages"))
    if not customs and messages is body.get("messages"):
        return body
    out = {**body, "messages": messages}
    if customs:
        assert isinstance(tools, list)
        out["tools"] = [
            _as_function(t.get("custom") or {}) if isinstance(t, dict) and t.get("type") == "custom" else t
            for t in tools
        ]
        names = ", ".join(str((t.get("custom") or {}).get("name")) for t in customs)
        notes.append(f"custom tools ({names}): sent as function tools taking one string `input`")
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "custom":
        out["tool_choice"] = {
            "type": "function",
            "function": {"name": (choice.get("custom") or {}).get("name")},
        }
    return out
