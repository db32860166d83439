"""Canonical (OpenAI chat) request → Gemini generateContent request. Pure.

Adapted, as documented: system/developer messages become `systemInstruction`; a tool result
carries the function's name (recovered from the call it answers); image URLs must be data URLs
(the Gemini API does not fetch arbitrary URLs), and so must files (PDFs); `reasoning_effort`
becomes a thinking budget; `parallel_tool_calls`, `user` and `metadata` have no equivalent and are
dropped.
"""

from __future__ import annotations

from typing import Any

import orjson

from pointsman.errors import InvalidRequest
from pointsman.providers.anthropic.carry import cache_note, field_notes, has_cache, history_notes
from pointsman.providers.base import Json
from pointsman.providers.dataurl import DATA_URL

THINKING_BUDGET = {"none": 0, "minimal": 512, "low": 1024, "medium": 8192, "high": 24576}
"""reasoning_effort → thinking budget (24576 is Gemini 2.5 Flash's largest)."""


def _parts(content: Any) -> list[Json]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    parts: list[Json] = []
    for part in content or ():
        if not isinstance(part, dict):
            continue
        if part.get("type") == "text" and part.get("text"):
            parts.append({"text": part["text"]})
        elif part.get("type") == "image_url":
            image = part.get("image_url")
            url = image.get("url", "") if isinstance(image, dict) else str(image or "")
            parts.append(_inline(url, "Gemini takes images inline: send the image_url as a base64 data URL"))
        elif part.get("type") == "file":
            file = part.get("file")
            data = file.get("file_data", "") if isinstance(file, dict) else ""
            parts.append(
                _inline(str(data), "Gemini takes files inline: send the file_data as a base64 data URL")
            )
    return parts


def _inline(url: str, problem: str) -> Json:
    match = DATA_URL.match(url)
    if match is None:
        raise InvalidRequest(problem, param="messages")
    return {"inlineData": {"mimeType": match["type"], "data": match["data"]}}


def _contents(messages: list[Json]) -> tuple[list[Json], list[Json]]:
    system: list[Json] = []
    contents: list[Json] = []
    names: dict[str, str] = {}  # tool_call id → function name, for the results that answer them

    def add(role: str, parts: list[Json]) -> None:
        if not parts:
            return
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})

    media: list[Json] = []  # a run of tool results' images, for after the run's function responses
    for message in messages:
        role = message.get("role")
        if media and role not in ("tool", "function"):
            add("user", media)
            media = []
        if role in ("system", "developer"):
            system.extend(_parts(message.get("content")))
        elif role == "user":
            add("user", _parts(message.get("content")))
        elif role == "assistant":
            parts = _parts(message.get("content"))
            for call in message.get("tool_calls") or ():
                function = call.get("function") or {}
                names[call.get("id", "")] = function.get("name", "")
                try:
                    args = orjson.loads(function.get("arguments") or "{}")
                except orjson.JSONDecodeError:
                    raise InvalidRequest("a tool call's arguments are not JSON", param="messages") from None
                parts.append({"functionCall": {"name": function.get("name", ""), "args": args}})
            add("model", parts)
        elif role in ("tool", "function"):
            call_id = message.get("tool_call_id", "")
            name = names.get(call_id) or message.get("name") or ""
            if not name:
                raise InvalidRequest(
                    f"tool message {call_id!r} answers no tool call here (Gemini needs the tool's name)",
                    param="messages",
                )
            content = message.get("content")
            parts = [] if isinstance(content, str) else _parts(content)
            media += [p for p in parts if "text" not in p]
            text = (
                content if isinstance(content, str) else "\n\n".join(p["text"] for p in parts if "text" in p)
            )
            try:
                response = orjson.loads(text)
            except orjson.JSONDecodeError:
                response = None
            if not isinstance(response, dict):
                response = {"content": text}
            add("user", [{"functionResponse": {"name": name, "response": response}}])
    add("user", media)
    if len(system) > 1 and all("text" in p for p in system):  # one instruction, its blocks a blank line apart
        system = [{"text": "\n\n".join(p["text"] for p in system)}]
    return system, contents


def _tool_config(choice: Any) -> Json | None:
    if choice == "auto":
        return {"functionCallingConfig": {"mode": "AUTO"}}
    if choice == "none":
        return {"functionCallingConfig": {"mode": "NONE"}}
    if choice == "required":
        return {"functionCallingConfig": {"mode": "ANY"}}
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name", "")
        return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}}
    return None


def to_gemini(body: Json, notes: list[str] | None = None) -> Json:
    """`notes` receives what was adapted (for a request from the Anthropic surface)."""
    if body.get("logprobs"):
        raise InvalidRequest(
            "logprobs are not offered for Gemini models through pointsman yet", param="logprobs"
        )
    system, contents = _contents(body.get("messages") or [])
    out: Json = {"contents": contents}
    if system:
        out["systemInstruction"] = {"parts": system}
    declarations = [
        {
            "name": f.get("name", ""),
            "description": f.get("description", ""),
            "parametersJsonSchema": f.get("parameters") or {"type": "object", "properties": {}},
        }
        for t in body.get("tools") or ()
        if isinstance(t, dict)
        for f in [t.get("function") or {}]
    ]
    if declarations:
        out["tools"] = [{"functionDeclarations": declarations}]
        tool_config = _tool_config(body.get("tool_choice"))
        if tool_config is not None:
            out["toolConfig"] = tool_config
    config: Json = {}
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit:
        config["maxOutputTokens"] = limit
    stop = body.get("stop")
    if stop:
        config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
    for ours, theirs in (
        ("temperature", "temperature"),
        ("top_p", "topP"),
        ("top_k", "topK"),
        ("seed", "seed"),
        ("n", "candidateCount"),
        ("presence_penalty", "presencePenalty"),
        ("frequency_penalty", "frequencyPenalty"),
    ):
        if body.get(ours) is not None:
            config[theirs] = body[ours]
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json_object"):
        config["responseMimeType"] = "application/json"
        if fmt.get("type") == "json_schema":
            config["responseJsonSchema"] = (fmt.get("json_schema") or {}).get("schema") or {"type": "object"}
    budget = THINKING_BUDGET.get(str(body.get("reasoning_effort")))
    if budget is not None:
        config["thinkingConfig"] = {"thinkingBudget": budget}
    if config:
        out["generationConfig"] = config
    vendor = body.get("anthropic")
    if isinstance(vendor, dict) and notes is not None:
        notes += anthropic_notes(body, vendor)
    return out


def anthropic_notes(body: Json, vendor: Json) -> list[str]:
    """What Gemini leaves out of a request from the Anthropic surface."""
    notes = field_notes(vendor)
    cached = any(isinstance(t, dict) and "cache_control" in t for t in body.get("tools") or ())
    for message in body.get("messages") or ():
        if message.get("role") == "assistant":
            notes += history_notes(message.get("anthropic"))
        content = message.get("content")
        parts = content if isinstance(content, list) else ()
        cached = cached or has_cache(message.get("anthropic")) or any("cache_control" in p for p in parts)
        if message.get("role") == "tool" and any(p.get("type") != "text" for p in parts):
            notes.append("images in tool results follow the function responses (a response takes no image)")
    if cached:
        notes.append(cache_note("Gemini"))
    return list(dict.fromkeys(notes))


# ---- what the Responses surface brings (its own small function: the rest of the file is the
# chat-to-Gemini translation)

_NOT_SENT = {
    "prompt_cache_key": "prompt_cache_key: Gemini caches prompt prefixes on its own; not sent",
    "prompt_cache_retention": "prompt_cache_retention: Gemini caches prompt prefixes on its own; not sent",
    "service_tier": "service_tier: Gemini has no such setting; not sent",
    "safety_identifier": "safety_identifier: Gemini has no such setting; not sent",
}


def responses_extras(body: Json, out: Json) -> list[str]:
    """Adds to `out` what Gemini has for the canonical fields the Responses surface fills (web search
    → Google Search grounding, for a model listed with the `web_search` capability), and says what it
    has none for."""
    notes = [note for key, note in _NOT_SENT.items() if body.get(key) is not None]
    options = body.get("web_search_options")
    if isinstance(options, dict):
        out["tools"] = [*out.get("tools", []), {"googleSearch": {}}]
        if options or body.get("responses"):
            notes.append("web_search: as Google Search grounding, whose settings are not the request's")
    return notes
