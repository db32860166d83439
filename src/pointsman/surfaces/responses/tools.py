"""Responses tools → canonical (OpenAI chat) tools, and the names that map calls back. Pure.

Chat completions knows function and custom tools only. A `namespace` groups tools under one name
(Codex's sub-agents, each MCP server): its tools are offered flat as `<namespace>__<name>` (the
delimiter Codex itself uses where a boundary cannot keep the split) and calls come back as the real
API sends them: the tool's own `name` plus a `namespace` field. `web_search` becomes chat's
`web_search_options` (carried where the model can search, see routing/carry.py); every other
hosted tool runs inside OpenAI's Responses service, so no model behind pointsman can take it: a 400
that says so, rather than an answer made without it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json
from pointsman.shape import need_array, need_object, need_string, optional_object, optional_string

MAX_NAME = 64
"""Characters in a tool name that OpenAI and Anthropic accept."""
WEB_SEARCH = ("web_search", "web_search_preview", "web_search_2025_08_26", "web_search_preview_2025_03_11")
_HOSTED = {
    "file_search": "it searches vector stores kept at OpenAI",
    "code_interpreter": "it runs code in OpenAI's containers",
    "image_generation": "it makes images with OpenAI's image models",
    "computer_use_preview": "it drives a computer through OpenAI's computer-use model only",
    "computer": "it drives a computer through OpenAI's computer-use model only",
    "local_shell": "it exists for codex-mini-latest only; offer a function tool instead",
    "shell": "its calls are shell_call items that only OpenAI's models emit; offer a function tool",
    "apply_patch": "its calls are apply_patch_call items that only OpenAI's models emit; offer a "
    "custom or function tool",
    "mcp": "OpenAI's service calls the MCP server; offer the server's tools as functions",
    "programmatic_tool_calling": "the program runs inside OpenAI's service",
}
_KNOWN = {
    "function": frozenset({"type", "name", "description", "parameters", "strict", "defer_loading"}),
    "custom": frozenset({"type", "name", "description", "format", "defer_loading"}),
    "namespace": frozenset({"type", "name", "description", "tools"}),
    "web_search": frozenset(
        {"type", "search_context_size", "user_location", "filters", "external_web_access"}
    ),
}
"""The keys of each tool that are carried; any other is noted (`defer_loading` is moot: every tool
is offered up front)."""


def _note_extras(tool: Json, kind: str, where: str, notes: list[str]) -> None:
    for key in sorted(set(tool) - _KNOWN[kind]):
        notes.append(f"{where}.{key}: chat completions has no equivalent; not sent")


@dataclass(frozen=True, slots=True)
class Named:
    """What a flat chat tool name stands for in the client's request."""

    kind: str
    """function or custom"""
    name: str
    namespace: str | None = None


def flat_name(namespace: str, name: str) -> str:
    flat = f"{namespace.rstrip('_')}__{name.lstrip('_')}"
    if len(flat) <= MAX_NAME:
        return flat
    return f"{flat[: MAX_NAME - 9]}_{hashlib.sha1(flat.encode()).hexdigest()[:8]}"


def tool_names(body: Json) -> dict[str, Named]:
    """Flat name → what the client offered, for its custom and namespaced tools (a plain function
    tool is itself). Reads a request `to_canonical` already accepted."""
    names: dict[str, Named] = {}
    tools = body.get("tools")
    for tool in tools if isinstance(tools, list) else ():
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind == "custom" and isinstance(tool.get("name"), str):
            names[tool["name"]] = Named("custom", tool["name"])
        elif kind == "namespace" and isinstance(tool.get("name"), str):
            for child in tool.get("tools") or ():
                if isinstance(child, dict) and isinstance(child.get("name"), str):
                    named = Named(str(child.get("type", "function")), child["name"], tool["name"])
                    names[flat_name(tool["name"], child["name"])] = named
    return names


def called_name(name: str, namespace: Any) -> str:
    """The chat name of a call the client replays (`namespace` set for a namespaced tool)."""
    return flat_name(namespace, name) if isinstance(namespace, str) and namespace else name


def _function(tool: Json, name: str, where: str, i: int, notes: list[str], prefix: str = "") -> Json:
    parameters = tool.get("parameters")
    optional_object(parameters, where + ".parameters", i)
    description = tool.get("description")
    optional_string(description, where + ".description", i)
    function: Json = {
        "name": name,
        "description": prefix + (description or ""),
        "parameters": parameters or {"type": "object", "properties": {}},
    }
    if isinstance(tool.get("strict"), bool):
        function["strict"] = tool["strict"]
    _note_extras(tool, "function", where.format(i), notes)
    return {"type": "function", "function": function}


def _custom(tool: Json, name: str, where: str, i: int, notes: list[str], prefix: str = "") -> Json:
    _note_extras(tool, "custom", where.format(i), notes)
    description = tool.get("description")
    optional_string(description, where + ".description", i)
    custom: Json = {"name": name}
    if description or prefix:
        custom["description"] = prefix + (description or "")
    fmt = tool.get("format")
    if fmt is not None:
        kind = need_object(fmt, where + ".format", i).get("type")
        if kind == "grammar":
            syntax = need_string(fmt.get("syntax"), where + ".format.syntax", i)
            definition = need_string(fmt.get("definition"), where + ".format.definition", i)
            custom["format"] = {"type": "grammar", "grammar": {"syntax": syntax, "definition": definition}}
        elif kind == "text":
            custom["format"] = {"type": "text"}
        else:
            raise InvalidRequest(
                f"{where.format(i)}.format.type must be 'text' or 'grammar'",
                param=f"{where.format(i)}.format",
            )
    return {"type": "custom", "custom": custom}


def _namespace(tool: Json, i: int, notes: list[str]) -> list[Json]:
    _note_extras(tool, "namespace", f"tools[{i}]", notes)
    namespace = need_string(tool.get("name"), "tools[{}].name", i)
    description = tool.get("description")
    optional_string(description, "tools[{}].description", i)
    prefix = f"{description}\n\n" if description else ""
    out: list[Json] = []
    for j, child in enumerate(need_array(tool.get("tools"), "tools[{}].tools", i)):
        where = f"tools[{i}].tools[{{}}]"
        kind = need_object(child, where, j).get("type", "function")
        name = flat_name(namespace, need_string(child.get("name"), where + ".name", j))
        if kind == "function":
            out.append(_function(child, name, where, j, notes, prefix))
        elif kind == "custom":
            out.append(_custom(child, name, where, j, notes, prefix))
        else:
            raise InvalidRequest(
                f"{where.format(j)}.type must be 'function' or 'custom' inside a namespace",
                param=f"{where.format(j)}.type",
            )
    return out


def _web_search(tool: Json, i: int, extras: Json, notes: list[str]) -> Json:
    """Chat's `web_search_options`; what it cannot hold (a domain filter, live or cached access) waits
    under the canonical `responses` key for a target that can (Anthropic's web search)."""
    _note_extras(tool, "web_search", f"tools[{i}]", notes)
    options: Json = {}
    size = tool.get("search_context_size")
    if size is not None:
        options["search_context_size"] = need_string(size, "tools[{}].search_context_size", i)
    location = tool.get("user_location")
    if location is not None:
        place = {
            k: v
            for k, v in need_object(location, "tools[{}].user_location", i).items()
            if k in ("city", "country", "region", "timezone") and isinstance(v, str)
        }
        options["user_location"] = {"type": "approximate", "approximate": place}
    search: Json = {}
    filters = tool.get("filters")
    if filters is not None:
        domains = need_object(filters, "tools[{}].filters", i).get("allowed_domains")
        if domains is not None:
            search["allowed_domains"] = [
                need_string(d, "tools[{}].filters.allowed_domains[{}]", i, k)
                for k, d in enumerate(need_array(domains, "tools[{}].filters.allowed_domains", i))
            ]
    if isinstance(tool.get("external_web_access"), bool):
        search["external_web_access"] = tool["external_web_access"]
    if search:
        extras["web_search"] = search
    return options


@dataclass(slots=True)
class Tools:
    tools: list[Json]
    web_search: Json | None = None
    """chat's `web_search_options`, when the client offered web search"""
    extras: Json | None = None
    """what goes under the canonical `responses` key"""


def canonical_tools(body: Json, notes: list[str]) -> Tools:
    tools = body.get("tools")
    out = Tools([])
    extras: Json = {}
    for i, tool in enumerate(need_array(tools, "tools") if tools is not None else ()):
        kind = need_object(tool, "tools[{}]", i).get("type", "function")
        if kind == "function":
            out.tools.append(
                _function(tool, need_string(tool.get("name"), "tools[{}].name", i), "tools[{}]", i, notes)
            )
        elif kind == "custom":
            out.tools.append(
                _custom(tool, need_string(tool.get("name"), "tools[{}].name", i), "tools[{}]", i, notes)
            )
        elif kind == "namespace":
            out.tools.extend(_namespace(tool, i, notes))
        elif kind in WEB_SEARCH:
            out.web_search = _web_search(tool, i, extras, notes)
        elif kind == "tool_search":
            notes.append(
                "tools: tool_search: every tool is offered up front (chat completions loads none later)"
            )
        else:
            optional_string(kind, "tools[{}].type", i)
            why = _HOSTED.get(str(kind), "it is not a tool type this gateway knows")
            raise InvalidRequest(
                f"tools[{i}]: the hosted tool '{kind}' cannot be offered through pointsman: {why}. "
                "Remove it from `tools`.",
                param=f"tools[{i}].type",
                code="unsupported_tool",
            )
    if body.get("max_tool_calls") is not None:
        limit = body["max_tool_calls"]
        if type(limit) is not int:
            raise InvalidRequest("max_tool_calls must be an integer", param="max_tool_calls")
        extras["max_tool_calls"] = limit
    out.extras = extras or None
    return out


def _chosen(choice: Json, names: dict[str, Named]) -> str:
    """The flat name of the tool a `tool_choice` object names (its namespace, when it has one)."""
    name = need_string(choice.get("name"), "tool_choice.name")
    if isinstance(choice.get("namespace"), str):
        return flat_name(choice["namespace"], name)
    inside = [flat for flat, named in names.items() if named.namespace and named.name == name]
    return inside[0] if len(inside) == 1 else name


def tool_choice(choice: Any, names: dict[str, Named], tools: list[Json], notes: list[str]) -> Any:
    """Chat's tool_choice; `allowed_tools` narrows `tools` in place (chat keeps only the allowed)."""
    if choice is None or choice in ("auto", "none", "required"):
        return choice
    if type(choice) is not dict:
        raise InvalidRequest(
            "tool_choice must be 'auto', 'none', 'required' or an object", param="tool_choice"
        )
    kind = choice.get("type")
    if kind == "function":
        return {"type": "function", "function": {"name": _chosen(choice, names)}}
    if kind == "custom":
        return {"type": "custom", "custom": {"name": _chosen(choice, names)}}
    if kind == "allowed_tools":
        return _allowed(choice, names, tools, notes)
    if kind in WEB_SEARCH:
        notes.append("tool_choice: web_search: the model decides whether to search")
        return "auto"
    raise InvalidRequest(
        f"tool_choice type {kind!r} names a hosted tool no model behind pointsman can run",
        param="tool_choice.type",
    )


def _allowed(choice: Json, names: dict[str, Named], tools: list[Json], notes: list[str]) -> str:
    mode = choice.get("mode", "auto")
    if mode not in ("auto", "required"):
        raise InvalidRequest("tool_choice.mode must be 'auto' or 'required'", param="tool_choice.mode")
    keep = set()
    for k, entry in enumerate(need_array(choice.get("tools"), "tool_choice.tools")):
        if need_object(entry, "tool_choice.tools[{}]", k).get("type") in ("function", "custom"):
            keep.add(_chosen(entry, names))  # a hosted tool listed here is offered as its tool says
    tools[:] = [t for t in tools if (t.get("function") or t.get("custom") or {}).get("name") in keep]
    notes.append("tool_choice: allowed_tools: only the allowed tools are sent")
    return str(mode)
