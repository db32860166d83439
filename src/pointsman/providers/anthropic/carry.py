"""What a target that does not speak Anthropic's wire can do with the Anthropic-only parts of a
canonical request (the `anthropic` keys the Messages surface leaves, see surfaces/anthropic/parse.py).
Pure.

Refused (a 400 naming what and the model, asked before routing tries the model, so a route can use
an Anthropic model instead): server tools, `mcp_servers`, `container`, blocks with no equivalent
(server-tool results in the history, documents by URL or file id, search results). Adapted with a
note in the trace: what only tunes Anthropic's own service (beta headers, context editing, the
service tier), cache hints, the history's thinking (only Anthropic can check its signatures).
"""

from __future__ import annotations

from typing import Any

from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json

SERVER_TOOLS = "server_tools"
BETAS = "betas"
"""The `anthropic` key's two entries that are not request fields (every other one is): written by
the Messages surface, read here and by the Anthropic provider."""

REFUSED_FIELDS = ("mcp_servers", "container")
"""Request fields that change the answer and that only Anthropic's API runs."""
_NOTED = {
    BETAS: "the anthropic-beta header is not sent: it selects features of Anthropic's API",
    "context_management": "context_management is not applied (only Anthropic's API edits the context); "
    "the conversation is sent whole",
    "service_tier": "service_tier is not sent: it names Anthropic's capacity tiers",
}
_MAPPED = frozenset({"thinking", "output_config", "output_format", "tools", "tool_choice", SERVER_TOOLS})
"""Fields the canonical request already says (reasoning_effort, response_format, tools)."""
_THOUGHTS = frozenset({"thinking", "redacted_thinking"})
_SAID_BY_CANONICAL = frozenset({"text", "tool_use"})


def _refuse(model: str, what: str, param: str) -> InvalidRequest:
    return InvalidRequest(
        f"The model '{model}' cannot take {what}: only Anthropic's API runs it. Send the request to an "
        "Anthropic model (a route can fall back to one), or leave it out.",
        param=param,
    )


def _describe(block: Any) -> str:
    kind = block.get("type") if isinstance(block, dict) else None
    source = block.get("source") if isinstance(block, dict) else None
    if isinstance(source, dict) and isinstance(source.get("type"), str):
        return f"a `{kind}` block with a `{source['type']}` source"
    return f"a `{kind}` block"


def refusal(body: Json, model: str, *, files: bool) -> InvalidRequest | None:
    """What `model` (not Anthropic's) cannot carry; `files`: whether it takes file parts (PDFs)."""
    vendor = body.get("anthropic")
    if not isinstance(vendor, dict):
        return None
    for tool in vendor.get(SERVER_TOOLS) or ():
        what = f"the server tool '{tool.get('name')}' (type {tool.get('type')})"
        return _refuse(model, what, "tools")
    for field in REFUSED_FIELDS:
        if field in vendor:
            return _refuse(model, f"`{field}`", field)
    for message in body.get("messages") or ():
        original = message.get("anthropic")
        if isinstance(original, list):
            for block in original:
                kind = block.get("type") if isinstance(block, dict) else None
                if kind not in _SAID_BY_CANONICAL and kind not in _THOUGHTS:
                    return _refuse(model, f"{_describe(block)} in the conversation", "messages")
        content = message.get("content")
        for part in content if isinstance(content, list) else ():
            if part.get("type") == "anthropic":
                return _refuse(model, f"{_describe(part.get('anthropic'))} in the conversation", "messages")
            if part.get("type") == "file" and not files:
                return InvalidRequest(
                    f"The model '{model}' cannot take a `document` (PDF) block: its provider takes no "
                    "files. Send it to an Anthropic, OpenAI or Gemini model, or as text.",
                    param="messages",
                )
    return None


def field_notes(vendor: Json) -> list[str]:
    """Notes for the request fields a target without Anthropic's wire leaves out."""
    notes = [note for key, note in _NOTED.items() if key in vendor]
    metadata = vendor.get("metadata")
    if isinstance(metadata, dict) and set(metadata) - {"user_id"}:
        notes.append("metadata other than user_id is not sent")
    thinking = vendor.get("thinking")
    if isinstance(thinking, dict) and isinstance(thinking.get("budget_tokens"), int):
        notes.append("thinking.budget_tokens became reasoning_effort (the target takes no token budget)")
    unknown = sorted(k for k in vendor if k not in _NOTED and k not in _MAPPED and k != "metadata")
    notes += [f"{key} is not sent: it has no equivalent" for key in unknown if key not in REFUSED_FIELDS]
    return notes


def history_notes(original: Any) -> list[str]:
    """Notes for an assistant turn's blocks the canonical message does not carry."""
    notes = []
    blocks = original if isinstance(original, list) else ()
    if any(isinstance(b, dict) and b.get("type") in _THOUGHTS for b in blocks):
        notes.append("thinking blocks in the history are left out: only Anthropic can check their signatures")
    if any(isinstance(b, dict) and b.get("citations") for b in blocks):
        notes.append("citations in the history are left out (their text is kept)")
    return notes


def has_cache(original: Any) -> bool:
    """Whether a message's original block (a tool result) or blocks (an assistant turn) carry a
    cache_control the canonical parts do not show."""
    blocks = original if isinstance(original, list) else [original]
    return any(isinstance(b, dict) and "cache_control" in b for b in blocks)


def cache_note(provider: str) -> str:
    return f"cache_control is left out: {provider} caches prompt prefixes automatically"
