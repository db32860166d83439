"""The Anthropic Messages request's top-level fields → canonical fields, and the `anthropic` key that
keeps what only Anthropic's API knows (see parse.py). Pure."""

from __future__ import annotations

from typing import Any

from pointsman.providers.anthropic.carry import BETAS, SERVER_TOOLS
from pointsman.providers.base import Json
from pointsman.shape import (
    need_array,
    need_object,
    need_string,
    optional_object,
    optional_string,
    string_list,
    wrong_type,
)

MAPPED = frozenset(
    {"model", "messages", "max_tokens", "stream", "system", "stop_sequences", "temperature", "top_p", "top_k"}
)
"""Fields whose canonical form says all of them; every other field also travels as sent."""
EFFORTS = {"low": "low", "medium": "medium", "high": "high", "max": "high", "xhigh": "high"}
"""Anthropic's `output_config.effort` → canonical `reasoning_effort`."""


def effort_of(body: Json) -> str | None:
    """`thinking` and `output_config.effort` → canonical `reasoning_effort`: an extended-thinking
    budget by its size, adaptive thinking by the effort asked for (else medium); disabled: none."""
    config = body.get("output_config")
    effort = EFFORTS.get(str(config.get("effort"))) if type(config) is dict else None
    thinking = body.get("thinking")
    optional_object(thinking, "thinking")
    kind = thinking.get("type") if thinking else None
    if kind == "disabled":
        return None
    if kind == "enabled" and effort is None:
        budget = thinking.get("budget_tokens") if thinking else None
        if type(budget) is not int:
            raise wrong_type("thinking.budget_tokens", "an integer", budget)
        return "low" if budget < 4096 else "medium" if budget < 16384 else "high"
    if kind == "adaptive" and effort is None:
        return "medium"
    return effort


def _tools(tools: Any) -> tuple[list[Json], list[Json]]:
    """Function tools (canonical, each keeping its cache_control) and server tools (as sent)."""
    functions, server = [], []
    for i, tool in enumerate(need_array(tools, "tools")):
        if "input_schema" not in need_object(tool, "tools[{}]", i):
            server.append(tool)  # web search, code execution, bash, text editor: Anthropic runs them
            continue
        optional_string(tool.get("description"), "tools[{}].description", i)
        function = {
            "name": need_string(tool.get("name"), "tools[{}].name", i),
            "description": tool.get("description") or "",
            "parameters": need_object(tool["input_schema"], "tools[{}].input_schema", i),
        }
        canonical: Json = {"type": "function", "function": function}
        if "cache_control" in tool:
            canonical["cache_control"] = tool["cache_control"]
        functions.append(canonical)
    return functions, server


def _tool_choice(choice: Any) -> tuple[Any, bool | None]:
    if choice is None:
        return None, None
    need_object(choice, "tool_choice")
    parallel = False if choice.get("disable_parallel_tool_use") else None
    kind = choice.get("type")
    if kind == "any":
        return "required", parallel
    if kind == "tool":
        return {
            "type": "function",
            "function": {"name": need_string(choice.get("name"), "tool_choice.name")},
        }, parallel
    if kind == "none":
        return "none", None
    return "auto", parallel


def _response_format(body: Json) -> Json | None:
    config = body.get("output_config")
    optional_object(config, "output_config")
    fmt = (config or {}).get("format") or body.get("output_format")
    if fmt is None:
        return None
    need_object(fmt, "output_config.format" if config else "output_format")
    if fmt.get("type") != "json_schema":
        return None
    schema = fmt.get("schema")
    optional_object(schema, "output_config.format.schema" if config else "output_format.schema")
    return {"type": "json_schema", "json_schema": {"name": "output", "schema": schema or {}}}


def _tool_fields(body: Json, out: Json, vendor: Json) -> None:
    tools, server = _tools(body["tools"]) if body.get("tools") is not None else ([], [])
    if tools:
        out["tools"] = tools
    if server:
        vendor[SERVER_TOOLS] = server
    choice, parallel = _tool_choice(body.get("tool_choice"))
    if choice is not None and tools:
        out["tool_choice"] = choice
    if parallel is False and tools:
        out["parallel_tool_calls"] = False


def canonical_fields(body: Json, out: Json, betas: tuple[str, ...]) -> None:
    """Every top-level field but `messages` and `system` into `out`: mapped where canonical has an
    equivalent, and (all but MAPPED ones) as sent under `anthropic`."""
    vendor: Json = {key: value for key, value in body.items() if key not in MAPPED}
    _tool_fields(body, out, vendor)
    if body.get("stop_sequences") is not None:
        string_list(body["stop_sequences"], "stop_sequences")
    for ours, theirs in (
        ("stop", "stop_sequences"),
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("top_k", "top_k"),
    ):
        if body.get(theirs) is not None:
            out[ours] = body[theirs]
    fmt = _response_format(body)
    if fmt is not None:
        out["response_format"] = fmt
    effort = effort_of(body)
    if effort is not None:
        out["reasoning_effort"] = effort
    metadata = body.get("metadata")
    user_id = metadata.get("user_id") if type(metadata) is dict else None
    if type(user_id) is str:
        out["user"] = user_id
    if betas:
        vendor[BETAS] = list(betas)
    out["anthropic"] = vendor
