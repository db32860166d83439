"""OpenAI's Responses API as an inbound surface, its answer side: canonical → Response object (the
stream is stream.py, the request side parse.py). Pure. Stateless: `store` is
answered as false.

Tool calls come back in the form the client offered the tool: a custom tool's call is a
`custom_tool_call` (also when the target took it as a function with one string parameter `input`),
a namespaced tool's call carries its own name and `namespace`. Reasoning text a model returns
(`reasoning_content`, as DeepSeek, vLLM and llama.cpp send it; Anthropic's thinking) becomes a
`reasoning` item.
"""

from __future__ import annotations

import os
import time
from typing import Any

import orjson

from pointsman.providers.base import Json
from pointsman.surfaces.responses.tools import Named, tool_names
from pointsman.usage import Usage


def new_id(prefix: str) -> str:
    return f"{prefix}_{os.urandom(12).hex()}"


def usage_json(usage: Usage) -> Json:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        "total_tokens": usage.total_tokens,
    }


def status_of(finish: str | None) -> tuple[str, Json | None]:
    if finish == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    if finish == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    return "completed", None


def _reasoning(body: Json) -> Json:
    asked = body.get("reasoning")
    if not isinstance(asked, dict):
        asked = {}
    return {"effort": asked.get("effort"), "summary": asked.get("summary") or asked.get("generate_summary")}


def response_object(
    rid: str,
    model: str,
    body: Json,
    output: list[Json],
    status: str,
    usage: Usage | None,
    incomplete: Json | None,
) -> Json:
    return {
        "id": rid,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": incomplete,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": None,
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": _reasoning(body),
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": body.get("service_tier") or "default",
        "store": False,
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "top_logprobs": body.get("top_logprobs") or 0,
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "truncation": body.get("truncation") or "disabled",
        "usage": usage_json(usage) if usage is not None else None,
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }


def custom_input(arguments: str) -> str:
    """The text of a custom tool's call that a target made as a function call `{"input": "..."}`."""
    try:
        parsed = orjson.loads(arguments or "{}")
    except orjson.JSONDecodeError:
        return arguments  # as the model wrote it: better than nothing for the client's parser
    text = parsed.get("input") if isinstance(parsed, dict) else None
    return text if isinstance(text, str) else arguments


def call_item(call: Json, names: dict[str, Named], status: str = "completed") -> Json:
    """A canonical tool call → a `function_call` or `custom_tool_call` item, as the client named it."""
    custom = call.get("custom") if isinstance(call.get("custom"), dict) else None
    spec = custom or call.get("function") or {}
    flat = str(spec.get("name") or "")
    named = names.get(flat)
    item: Json = {
        "status": status,
        "call_id": call.get("id") or new_id("call"),
        "name": named.name if named else flat,
    }
    if named is not None and named.namespace is not None:
        item["namespace"] = named.namespace
    if custom is not None or (named is not None and named.kind == "custom"):
        text = (
            str(custom.get("input") or "")
            if custom is not None
            else custom_input(str(spec.get("arguments", "")))
        )
        return {"id": new_id("ctc"), "type": "custom_tool_call", **item, "input": text}
    return {"id": new_id("fc"), "type": "function_call", **item, "arguments": str(spec.get("arguments", ""))}


def reasoning_item(text: str, status: str = "completed") -> Json:
    content = [{"type": "reasoning_text", "text": text}]
    return {"id": new_id("rs"), "type": "reasoning", "status": status, "summary": [], "content": content}


def reasoning_text(message: Json) -> str:
    """The reasoning a message or delta carries (DeepSeek/vLLM's `reasoning_content`, or `reasoning`)."""
    for key in ("reasoning_content", "reasoning"):
        value = message.get(key)
        if isinstance(value, str):
            return value
    return ""


def logprobs_of(choice: Json) -> list[Any]:
    logprobs = choice.get("logprobs")
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    return content if isinstance(content, list) else []


def to_response(completion: Json, model: str, body: Json, usage: Usage) -> Json:
    choice = (completion.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    status, incomplete = status_of(choice.get("finish_reason"))
    output: list[Json] = []
    if reasoning_text(message):
        output.append(reasoning_item(reasoning_text(message)))
    if message.get("content"):
        text = {
            "type": "output_text",
            "text": message["content"],
            "annotations": [],
            "logprobs": logprobs_of(choice),
        }
        output.append(
            {
                "id": new_id("msg"),
                "type": "message",
                "status": "incomplete" if incomplete else "completed",
                "role": "assistant",
                "content": [text],
            }
        )
    names = tool_names(body)
    output.extend(call_item(call, names) for call in message.get("tool_calls") or ())
    return response_object(new_id("resp"), model, body, output, status, usage, incomplete)
