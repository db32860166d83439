"""A canonical request that came in on the Anthropic surface → what an OpenAI-shaped upstream takes.
Pure; called only for such requests (they carry the `anthropic` key), so OpenAI clients' requests
keep passing as they are.

Adapted, each with a note in the trace: the Anthropic-only fields (carry.py), cache_control (OpenAI
caches prefixes on its own), thinking in the history, system blocks joined by a blank line, and a
tool result's images, which follow in a user message after the results (OpenAI's tool messages
take text only).
"""

from __future__ import annotations

from typing import Any

from pointsman.providers.anthropic.carry import cache_note, field_notes, has_cache, history_notes
from pointsman.providers.base import Json

MEDIA_NOTE = (
    "images in tool results follow in a user message after the results (tool messages take text only)"
)


def _plain(parts: list[Any]) -> tuple[list[Any], bool]:
    """The parts without Anthropic's keys (the same list when none has one), and whether any had
    a cache_control."""
    if not any(isinstance(p, dict) and ("cache_control" in p or "anthropic" in p) for p in parts):
        return parts, False
    cached = any(isinstance(p, dict) and "cache_control" in p for p in parts)
    clean = [
        {k: v for k, v in p.items() if k != "cache_control" and k != "anthropic"}
        if isinstance(p, dict)
        else p
        for p in parts
    ]
    return clean, cached


def _texts(parts: list[Any]) -> str:
    return "\n\n".join(p["text"] for p in parts if isinstance(p, dict) and p.get("type") == "text")


def _message(message: Json, notes: list[str], media: list[Json]) -> tuple[Json, bool]:
    """One message as OpenAI takes it, and whether it had a cache_control; a tool result's other
    parts go to `media`."""
    role = message.get("role")
    original = message.get("anthropic")
    if original is not None:
        if role == "assistant":
            notes += history_notes(original)
        message = {k: v for k, v in message.items() if k != "anthropic"}
    content = message.get("content")
    if not isinstance(content, list):
        return message, original is not None and has_cache(original)
    parts, cached = _plain(content)
    cached = cached or (original is not None and has_cache(original))
    if role in ("system", "developer"):
        return {**message, "content": _texts(parts)}, cached
    if role == "tool":
        media += [p for p in parts if isinstance(p, dict) and p.get("type") != "text"]
        return {**message, "content": _texts(parts)}, cached
    return ({**message, "content": parts} if parts is not content else message), cached


def from_anthropic(out: Json, vendor: Json, provider: str) -> list[str]:
    """Rewrite `out` (the request for the upstream, a copy whose `anthropic` key is gone) in place;
    the notes for what was adapted."""
    notes = field_notes(vendor)
    messages: list[Json] = []
    media: list[Json] = []  # a run of tool results' images, for the user message after the run
    cached = False
    for message in out.get("messages") or ():
        if media and message.get("role") != "tool":
            messages.append({"role": "user", "content": media})
            media = []
            notes.append(MEDIA_NOTE)
        message, had = _message(message, notes, media)
        cached = cached or had
        messages.append(message)
    if media:
        messages.append({"role": "user", "content": media})
        notes.append(MEDIA_NOTE)
    out["messages"] = messages
    tools = out.get("tools")
    if isinstance(tools, list) and any(isinstance(t, dict) and "cache_control" in t for t in tools):
        out["tools"] = [{k: v for k, v in t.items() if k != "cache_control"} for t in tools]
        cached = True
    if cached:
        notes.append(cache_note(provider))
    return list(dict.fromkeys(notes))
