"""Gemini `tools`, `toolConfig` and `generationConfig` → the canonical request's options. Pure.

Adapted (README: translation): several allowed function names narrow `tools` to those (the
canonical `tool_choice` names one); mode VALIDATED is `auto`; a thinking budget becomes a
reasoning effort (0 → none, ≤ 1024 → low, ≤ 8192 → medium, more → high; -1, dynamic, is the
target's default); `includeThoughts` is accepted, but no thought summaries come back. Each field
with no equivalent is a 400 that names it.
"""

from __future__ import annotations

from typing import Any

from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json
from pointsman.shape import need_array, need_object, need_string, string_list
from pointsman.surfaces.gemini.fields import HOSTED_TOOLS, camel, fields, number, unsupported
from pointsman.surfaces.gemini.schema import json_schema

_TOOL = frozenset({"functionDeclarations"} | HOSTED_TOOLS)
_DECLARATION = frozenset(
    {"name", "description", "parameters", "parametersJsonSchema", "response", "responseJsonSchema"}
)
_TOOL_CONFIG = frozenset({"functionCallingConfig"})
_CALLING = frozenset({"mode", "allowedFunctionNames"})
_GENERATION = frozenset(
    {
        "temperature",
        "topP",
        "topK",
        "maxOutputTokens",
        "stopSequences",
        "candidateCount",
        "seed",
        "presencePenalty",
        "frequencyPenalty",
        "responseMimeType",
        "responseSchema",
        "responseJsonSchema",
        "thinkingConfig",
        "responseModalities",
    }
)
_THINKING = frozenset({"thinkingBudget", "includeThoughts", "thinkingLevel"})
_NUMBERS = (
    ("temperature", "temperature"),
    ("topP", "top_p"),
    ("presencePenalty", "presence_penalty"),
    ("frequencyPenalty", "frequency_penalty"),
)
_INTEGERS = (
    ("topK", "top_k"),
    ("maxOutputTokens", "max_completion_tokens"),
    ("candidateCount", "n"),
    ("seed", "seed"),
)
_LEVELS = frozenset({"minimal", "low", "medium", "high"})


def _function(value: Any, i: int, k: int) -> Json:
    where = "tools[{}].functionDeclarations[{}]"
    declaration = fields(value, where, _DECLARATION, i, k)
    function: Json = {"name": need_string(declaration.get("name"), where + ".name", i, k)}
    if declaration.get("description") is not None:
        function["description"] = need_string(declaration["description"], where + ".description", i, k)
    if declaration.get("parametersJsonSchema") is not None:
        schema = need_object(declaration["parametersJsonSchema"], where + ".parametersJsonSchema", i, k)
    elif declaration.get("parameters") is not None:
        schema = json_schema(declaration["parameters"], where.format(i, k) + ".parameters")
    else:
        schema = {"type": "object", "properties": {}}
    function["parameters"] = schema
    return {"type": "function", "function": function}  # a declared `response` schema informs no model


def tools(value: Any) -> list[Json]:
    out: list[Json] = []
    for i, raw in enumerate(need_array(value, "tools")):
        tool = fields(raw, "tools[{}]", _TOOL, i)
        hosted = [key for key in raw if camel(key) in HOSTED_TOOLS]  # named as the client spells it
        if hosted:
            raise unsupported("tools[{}]", hosted[0], i)
        declarations = need_array(tool.get("functionDeclarations", []), "tools[{}].functionDeclarations", i)
        out += [_function(d, i, k) for k, d in enumerate(declarations)]
    return out


def tool_choice(value: Any, declared: list[Json]) -> tuple[Any, list[Json]]:
    """toolConfig → (tool_choice or None, the tools to send)."""
    config = fields(value, "toolConfig", _TOOL_CONFIG)
    calling = fields(config.get("functionCallingConfig", {}), "toolConfig.functionCallingConfig", _CALLING)
    mode = str(calling.get("mode") or "AUTO").upper()
    allowed = calling.get("allowedFunctionNames")
    if allowed is not None:
        names = need_array(allowed, "toolConfig.functionCallingConfig.allowedFunctionNames")
        if mode not in ("ANY", "VALIDATED"):
            raise InvalidRequest(
                "toolConfig.functionCallingConfig.allowedFunctionNames needs mode ANY or VALIDATED.",
                param="toolConfig.functionCallingConfig.allowedFunctionNames",
            )
        declared = _allowed(names, declared)
    if mode == "ANY":
        if len(declared) == 1 and allowed is not None:
            return {"type": "function", "function": {"name": declared[0]["function"]["name"]}}, declared
        return "required", declared
    if mode == "NONE":
        return "none", declared
    if mode in ("AUTO", "VALIDATED", "MODE_UNSPECIFIED"):
        return "auto", declared
    raise InvalidRequest(
        f"toolConfig.functionCallingConfig.mode must be AUTO, ANY, NONE or VALIDATED, got {mode!r}.",
        param="toolConfig.functionCallingConfig.mode",
    )


def _allowed(names: list[Any], declared: list[Json]) -> list[Json]:
    known = {tool["function"]["name"]: tool for tool in declared}
    for name in names:
        if name not in known:
            raise InvalidRequest(
                f"toolConfig.functionCallingConfig.allowedFunctionNames names {name!r}, which no "
                "functionDeclaration declares.",
                param="toolConfig.functionCallingConfig.allowedFunctionNames",
            )
    return [known[name] for name in dict.fromkeys(names)]


def generation(value: Any, out: Json) -> None:
    """generationConfig → canonical fields, set on `out`."""
    config = fields(value, "generationConfig", _GENERATION)
    for theirs, ours in _NUMBERS:
        if config.get(theirs) is not None:
            out[ours] = number(config[theirs], f"generationConfig.{theirs}")
    for theirs, ours in _INTEGERS:
        if config.get(theirs) is not None:
            out[ours] = number(config[theirs], f"generationConfig.{theirs}", integer=True)
    if config.get("stopSequences") is not None:
        string_list(config["stopSequences"], "generationConfig.stopSequences")
        out["stop"] = config["stopSequences"]
    for modality in need_array(config.get("responseModalities", []), "generationConfig.responseModalities"):
        if str(modality).upper() != "TEXT":
            raise InvalidRequest(
                f"generationConfig.responseModalities {modality!r} is not supported by this gateway: "
                "it answers with text only.",
                param="generationConfig.responseModalities",
            )
    fmt = _response_format(config)
    if fmt is not None:
        out["response_format"] = fmt
    if config.get("thinkingConfig") is not None:
        effort = _effort(fields(config["thinkingConfig"], "generationConfig.thinkingConfig", _THINKING))
        if effort is not None:
            out["reasoning_effort"] = effort


def _response_format(config: Json) -> Json | None:
    mime = config.get("responseMimeType")
    if config.get("responseJsonSchema") is not None:
        schema = need_object(config["responseJsonSchema"], "generationConfig.responseJsonSchema")
    elif config.get("responseSchema") is not None:
        schema = json_schema(config["responseSchema"], "generationConfig.responseSchema")
    elif mime == "application/json":
        return {"type": "json_object"}
    elif mime in (None, "text/plain"):
        return None
    else:
        raise InvalidRequest(
            f"generationConfig.responseMimeType {mime!r} is not supported by this gateway: use "
            "text/plain or application/json.",
            param="generationConfig.responseMimeType",
        )
    if mime != "application/json":
        raise InvalidRequest(
            "generationConfig.responseSchema needs responseMimeType 'application/json'.",
            param="generationConfig.responseMimeType",
        )
    return {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}


def _effort(thinking: Json) -> str | None:
    level = thinking.get("thinkingLevel")
    if level is not None:
        name = str(level).lower()
        if name not in _LEVELS:
            raise InvalidRequest(
                f"generationConfig.thinkingConfig.thinkingLevel must be MINIMAL, LOW, MEDIUM or HIGH, "
                f"got {level!r}.",
                param="generationConfig.thinkingConfig.thinkingLevel",
            )
        return name
    budget = thinking.get("thinkingBudget")
    if budget is None:
        return None
    tokens = number(budget, "generationConfig.thinkingConfig.thinkingBudget", integer=True)
    if tokens < 0:
        return None  # dynamic: the model decides, which is every target's default
    return "none" if tokens == 0 else "low" if tokens <= 1024 else "medium" if tokens <= 8192 else "high"
