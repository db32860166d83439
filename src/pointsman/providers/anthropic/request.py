"""Canonical (OpenAI chat) request → Anthropic Messages request. Pure.

Adapted, as documented in the README: system/developer messages become `system`; consecutive tool
results merge into one user turn; temperature is clamped to Anthropic's 0..1; `seed`, penalties and
`logit_bias` have no equivalent and are dropped. Refused with a 400: `n` > 1 and `logprobs`.
"""

from __future__ import annotations

from typing import Any

import orjson

from pointsman.errors import InvalidRequest
from pointsman.providers.anthropic.carry import BETAS, SERVER_TOOLS
from pointsman.providers.base import Json, content_text
from pointsman.providers.dataurl import DATA_URL

DEFAULT_MAX_TOKENS = 4096
# reasoning_effort → extended-thinking budget; Anthropic's smallest budget is 1024 tokens
THINKING_BUDGET = {"minimal": 1024, "low": 1024, "medium": 2048, "high": 4096}


def _blocks(content: Any) -> list[Json]:
    """Canonical content → Anthropic blocks; a part that came from an Anthropic block is that block."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[Json] = []
    for part in content or ():
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if isinstance(part.get("anthropic"), dict):
            blocks.append(part["anthropic"])
            continue
        if kind == "text" and part.get("text"):
            block: Json = {"type": "text", "text": part["text"]}
        elif kind == "image_url":
            block = _image(part.get("image_url"))
        elif kind == "file":
            block = _document(part.get("file"))
        else:
            continue
        if "cache_control" in part:
            block["cache_control"] = part["cache_control"]
        blocks.append(block)
    return blocks


def _image(image: Any) -> Json:
    url = image.get("url", "") if isinstance(image, dict) else str(image or "")
    match = DATA_URL.match(url)
    if match:
        source = {"type": "base64", "media_type": match["type"], "data": match["data"]}
    elif url.startswith(("http://", "https://")):
        source = {"type": "url", "url": url}
    else:
        raise InvalidRequest("an image_url must be an http(s) URL or a base64 data URL", param="messages")
    return {"type": "image", "source": source}


def _document(file: Any) -> Json:
    """An OpenAI file part (a base64 data URL) → a document block."""
    data = file.get("file_data") if isinstance(file, dict) else None
    match = DATA_URL.match(data) if isinstance(data, str) else None
    if match is None:
        raise InvalidRequest(
            "a file part for an Anthropic model must carry its file_data as a base64 data URL "
            "(a file_id names a file in OpenAI's storage)",
            param="messages",
        )
    block: Json = {
        "type": "document",
        "source": {"type": "base64", "media_type": match["type"], "data": match["data"]},
    }
    if isinstance(file.get("filename"), str):
        block["title"] = file["filename"]
    return block


def _tool_use(call: Json) -> Json:
    function = call.get("function") or {}
    arguments = function.get("arguments") or "{}"
    try:
        parsed = orjson.loads(arguments)
    except orjson.JSONDecodeError:
        raise InvalidRequest(
            f"tool call {call.get('id')} has arguments that are not JSON", param="messages"
        ) from None
    return {"type": "tool_use", "id": call.get("id", ""), "name": function.get("name", ""), "input": parsed}


def _assistant(message: Json, notes: list[str]) -> list[Json]:
    original = message.get("anthropic")
    if isinstance(original, list):  # the client's own blocks: thinking with its signature, server tools
        kept = [b for b in original if not _unsigned(b)]
        if len(kept) < len(original):
            notes.append("thinking without a signature (another provider's answer) left out of the history")
        return kept
    blocks = _blocks(message.get("content"))
    return blocks + [_tool_use(c) for c in message.get("tool_calls") or ()]


def _unsigned(block: Any) -> bool:
    """A thinking block Anthropic would refuse: one another provider's reasoning became."""
    return isinstance(block, dict) and block.get("type") == "thinking" and not block.get("signature")


def _tool_result(message: Json) -> Json:
    original = message.get("anthropic")
    if isinstance(original, dict):
        return original
    content = message.get("content")
    if isinstance(content, list) and any(isinstance(p, dict) and p.get("type") != "text" for p in content):
        result: Any = _blocks(content)  # images (and documents) stay blocks of the result
    else:
        result = content if isinstance(content, str) else content_text(content)
    return {"type": "tool_result", "tool_use_id": message.get("tool_call_id", ""), "content": result}


MID_CONVERSATION_SYSTEM = "mid-conversation-system-"
"""The beta (Claude Code names it) under which the API takes `role: system` entries in `messages`."""


def _messages(messages: list[Json], notes: list[str], in_place: bool) -> tuple[list[Json], list[Json]]:
    """`in_place`: a system message after the conversation began stays where it was sent (the
    client named the beta that allows it), else it joins the top-level `system`."""
    system: list[Json] = []
    out: list[Json] = []

    def add(role: str, blocks: list[Json]) -> None:
        if not blocks:
            return
        if out and out[-1]["role"] == role:  # Anthropic wants alternating turns: merge
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})

    for message in messages:
        role = message.get("role")
        if role in ("system", "developer") and in_place and out:
            content = message.get("content")
            out.append(
                {"role": "system", "content": content if isinstance(content, str) else _blocks(content)}
            )
        elif role in ("system", "developer"):
            system.extend(_blocks(message.get("content")))
        elif role == "user":
            add("user", _blocks(message.get("content")))
        elif role == "assistant":
            add("assistant", _assistant(message, notes))
        elif role in ("tool", "function"):
            add("user", [_tool_result(message)])
    return system, out


def _tool(tool: Json) -> Json:
    function = tool.get("function") or {}
    out = {
        "name": function.get("name", ""),
        "description": function.get("description", ""),
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if "cache_control" in tool:
        out["cache_control"] = tool["cache_control"]
    return out


def _tools(body: Json) -> tuple[list[Json], Json | None]:
    tools = [_tool(t) for t in body.get("tools") or () if isinstance(t, dict)]
    choice = body.get("tool_choice")
    mapped: Json | None = None
    if choice == "auto":
        mapped = {"type": "auto"}
    elif choice == "required":
        mapped = {"type": "any"}
    elif choice == "none":
        mapped = {"type": "none"}
    elif isinstance(choice, dict):
        mapped = {"type": "tool", "name": (choice.get("function") or {}).get("name", "")}
    if body.get("parallel_tool_calls") is False and tools:
        mapped = {**(mapped or {"type": "auto"}), "disable_parallel_tool_use": True}
    return tools, mapped


def to_anthropic(body: Json, upstream_model: str, notes: list[str] | None = None) -> Json:
    """`notes` receives what was adapted. A request that came in on the Anthropic surface (it has
    the `anthropic` key) gets its own values back: fields, tools, thinking, metadata as sent."""
    if isinstance(body.get("n"), int) and body["n"] > 1:
        raise InvalidRequest(
            "n > 1 is not supported by Anthropic models; send n separate requests", param="n"
        )
    if body.get("logprobs"):
        raise InvalidRequest("logprobs are not available from Anthropic models", param="logprobs")
    vendor = body.get("anthropic")
    betas = vendor.get(BETAS) if isinstance(vendor, dict) else None
    in_place = any(str(b).startswith(MID_CONVERSATION_SYSTEM) for b in betas or ())
    system, messages = _messages(body.get("messages") or [], notes if notes is not None else [], in_place)
    out: Json = {
        "model": upstream_model,
        "messages": messages,
        "max_tokens": body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_MAX_TOKENS,
    }
    if system:
        out["system"] = system
    stop = body.get("stop")
    if stop:
        out["stop_sequences"] = [s for s in ([stop] if isinstance(stop, str) else stop) if s.strip()]
    if isinstance(body.get("temperature"), int | float):
        out["temperature"] = min(float(body["temperature"]), 1.0)
    for name in ("top_p", "top_k"):
        if isinstance(body.get(name), int | float):
            out[name] = body[name]
    if isinstance(vendor, dict):
        out.update((k, v) for k, v in vendor.items() if k != BETAS and k != SERVER_TOOLS)
        _budget_within(out, notes if notes is not None else [])
    else:
        _generated(body, out)
    if body.get("stream"):
        out["stream"] = True
    return out


def _budget_within(out: Json, notes: list[str]) -> None:
    """A thinking budget must stay below max_tokens, which may have been clamped to the model's limit."""
    thinking = out.get("thinking")
    if not isinstance(thinking, dict):
        return
    budget = thinking.get("budget_tokens")
    if isinstance(budget, int) and budget >= out["max_tokens"] > THINKING_BUDGET["minimal"]:
        out["thinking"] = {**thinking, "budget_tokens": out["max_tokens"] - 1}
        notes.append(f"thinking.budget_tokens {budget} lowered to {out['max_tokens'] - 1}, below max_tokens")


def _generated(body: Json, out: Json) -> None:
    """The fields an OpenAI-shaped request's own values become."""
    tools, choice = _tools(body)
    if tools:
        out["tools"] = tools
    if choice is not None:
        out["tool_choice"] = choice
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema") or {"type": "object"}
        out["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
    elif isinstance(fmt, dict) and fmt.get("type") == "json_object":
        out["output_config"] = {"format": {"type": "json_schema", "schema": {"type": "object"}}}
    if isinstance(body.get("user"), str):
        out["metadata"] = {"user_id": body["user"]}
    budget = THINKING_BUDGET.get(str(body.get("reasoning_effort")))
    if budget is not None:
        out["thinking"] = {"type": "enabled", "budget_tokens": budget}
        if out["max_tokens"] <= budget:  # the budget counts inside max_tokens: keep room for the answer
            out["max_tokens"] += budget
        out.pop("temperature", None)  # thinking allows only the default temperature
        out.pop("top_p", None)
        out.pop("top_k", None)


# ---- what the Responses surface brings (its own small functions: the rest of the file is the
# Messages-to-Anthropic translation)

_NOT_SENT = {
    "prompt_cache_key": "prompt_cache_key: Anthropic caches by prompt prefix and cache_control; not sent",
    "prompt_cache_retention": "prompt_cache_retention: Anthropic caches by prompt prefix and cache_control; "
    "not sent",
    "service_tier": "service_tier: Anthropic's service tiers are not OpenAI's; not sent",
}


def _web_search(body: Json) -> Json:
    """Chat's `web_search_options` (with what the Responses surface kept aside) → Anthropic's server
    tool, which returns search results as the Responses tool's cached mode does."""
    tool: Json = {"type": "web_search_20250305", "name": "web_search"}
    options = body.get("web_search_options") or {}
    place = (options.get("user_location") or {}).get("approximate")
    if isinstance(place, dict) and place:
        tool["user_location"] = {"type": "approximate", **place}
    extras = body.get("responses")
    if not isinstance(extras, dict):
        extras = {}
    domains = (extras.get("web_search") or {}).get("allowed_domains")
    if domains:
        tool["allowed_domains"] = domains
    if isinstance(extras.get("max_tool_calls"), int):
        tool["max_uses"] = extras["max_tool_calls"]
    return tool


def responses_extras(body: Json, out: Json) -> list[str]:
    """Adds to `out` what Anthropic has for the canonical fields the Responses surface fills, and
    says what it has none for."""
    notes = [note for key, note in _NOT_SENT.items() if body.get(key) is not None]
    if isinstance(body.get("web_search_options"), dict):
        out["tools"] = [*out.get("tools", []), _web_search(body)]
        if body["web_search_options"].get("search_context_size") is not None:
            notes.append("web_search search_context_size: Anthropic's web search has no such setting")
    if isinstance(body.get("safety_identifier"), str) and "metadata" not in out:
        out["metadata"] = {"user_id": body["safety_identifier"]}
    return notes


def keep_thinking_valid(body: Json, out: Json) -> list[str]:
    """Anthropic refuses thinking when the assistant turn being continued (tool results follow it)
    does not start with its thinking block, and the canonical history keeps none: then the request
    goes without thinking rather than fail."""
    messages = out.get("messages") or []
    if "thinking" not in out or len(messages) < 2:
        return []
    last, before = messages[-1], messages[-2]
    continues = last["role"] == "user" and any(b.get("type") == "tool_result" for b in last["content"])
    if not continues or before["role"] != "assistant":
        return []
    if before["content"] and before["content"][0].get("type") in ("thinking", "redacted_thinking"):
        return []
    del out["thinking"]
    for key in ("temperature", "top_p"):  # thinking had ruled them out
        if isinstance(body.get(key), int | float):
            out[key] = min(float(body[key]), 1.0) if key == "temperature" else body[key]
    return ["reasoning_effort: no thinking this turn (the tool calls it continues carry no thinking blocks)"]
