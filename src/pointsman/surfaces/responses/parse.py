"""OpenAI's Responses API as an inbound surface, its request side: request → canonical chat. Pure.

Nothing is dropped silently: every key of the Responses create request is mapped to its chat
equivalent (`FIELDS`), refused with a 400 that says why (`REFUSED`), or, where leaving it out
changes no answer, left out with a note the surface records in the trace. A key this gateway does
not know is noted the same way (refused when `strict`). Stateless: what needs OpenAI's stored state
(`previous_response_id`, `conversation`, `prompt`, background runs) is refused. Items: see
items.py; tools: tools.py.
"""

from __future__ import annotations

from typing import Any

from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json
from pointsman.shape import need_array, need_object, need_string, optional_object, optional_string, wrong_type
from pointsman.surfaces.responses.items import messages_of
from pointsman.surfaces.responses.tools import canonical_tools, tool_choice, tool_names

_STATELESS = "pointsman keeps no response state: send the whole conversation in `input`"
_BACKGROUND = "a background response is fetched later by id, and pointsman keeps no response state"
REFUSED = {
    "previous_response_id": _STATELESS,
    "conversation": _STATELESS,
    "prompt": "prompt templates are stored at OpenAI and pointsman cannot expand them: send "
    "`instructions` and `input`",
    "background": _BACKGROUND,
    "background_options": _BACKGROUND,
    "moderation": "moderation runs inside OpenAI's service; no model behind pointsman would apply it",
    "access_programs": "OpenAI's access programs have no equivalent at the models behind pointsman",
}
"""Keys refused with a 400 when set (null and false are accepted)."""
FIELDS = frozenset(
    {
        "model", "input", "instructions", "stream", "stream_options", "temperature", "top_p",
        "max_output_tokens", "parallel_tool_calls", "tool_choice", "tools", "max_tool_calls", "text",
        "reasoning", "include", "top_logprobs", "prompt_cache_key", "prompt_cache_retention",
        "prompt_cache_options", "safety_identifier", "user", "metadata", "service_tier", "store",
        "truncation", "context_management", "image", "client_metadata",
    }
)  # fmt: skip
"""Keys mapped (or, where nothing changes the answer, noted): see docs/translation.md."""
_PASSED = ("temperature", "top_p", "parallel_tool_calls", "user", "metadata", "service_tier",
           "safety_identifier", "prompt_cache_key", "prompt_cache_retention")  # fmt: skip
_INCLUDE = {
    "reasoning.encrypted_content": "include: reasoning.encrypted_content: chat completions models return "
    "no encrypted reasoning",
    "message.output_text.logprobs": "",
    "web_search_call.action.sources": "",
    "web_search_call.results": "",
    "code_interpreter_call.outputs": "",
    "computer_call_output.output.image_url": "",
    "file_search_call.results": "",
    "message.input_image.image_url": "",
}
"""Known `include` values and the note each needs (the hosted tools' items never occur here)."""
_NOTED = {
    "context_management": "context_management: pointsman does not compact a conversation; one over the "
    "model's window fails with context_length_exceeded",
    "image": "image: request-level image options have no chat equivalent",
    "prompt_cache_options": "prompt_cache_options: chat completions takes only prompt_cache_key and "
    "prompt_cache_retention",
    "client_metadata": "client_metadata: kept by the gateway only (no model takes it)",
}


def _refuse(body: Json) -> None:
    for key, why in REFUSED.items():
        value = body.get(key)
        if value is None or value is False:
            continue
        if key == "previous_response_id":
            raise InvalidRequest(
                f"Previous response with id '{value}' not found. This gateway keeps no response state: "
                "send the whole conversation in `input`.",
                param=key,
                code="previous_response_not_found",
            )
        raise InvalidRequest(f"'{key}' cannot be served: {why}.", param=key, code="unsupported_parameter")


def _response_format(text: Any, out: Json, notes: list[str]) -> None:
    if text is None:
        return
    for key in sorted(set(need_object(text, "text")) - {"format", "verbosity"}):
        notes.append(f"text.{key}: chat completions has no equivalent; not sent")
    verbosity = text.get("verbosity")
    if verbosity is not None:
        out["verbosity"] = need_string(verbosity, "text.verbosity")
    fmt = text.get("format")
    if fmt is None:
        return
    kind = need_object(fmt, "text.format").get("type")
    if kind == "json_object":
        out["response_format"] = {"type": "json_object"}
    if kind != "json_schema":
        optional_string(kind, "text.format.type")
        return
    schema = fmt.get("schema")
    optional_object(schema, "text.format.schema")
    strict = fmt.get("strict", False)
    if type(strict) is not bool:
        raise wrong_type("text.format.strict", "a boolean", strict)
    name = fmt.get("name", "output")
    need_string(name, "text.format.name")
    spec = {"name": name, "schema": schema or {}, "strict": strict}
    if isinstance(fmt.get("description"), str):
        spec["description"] = fmt["description"]
    out["response_format"] = {"type": "json_schema", "json_schema": spec}


def _reasoning(value: Any, out: Json, notes: list[str]) -> None:
    if value is None:
        return
    reasoning = need_object(value, "reasoning")
    effort = reasoning.get("effort")
    if effort is not None:
        out["reasoning_effort"] = need_string(effort, "reasoning.effort")
    summary = reasoning.get("summary") or reasoning.get("generate_summary")
    if summary not in (None, "none"):
        notes.append("reasoning.summary: reasoning comes back as reasoning text when the model returns it")
    for key in sorted(set(reasoning) - {"effort", "summary", "generate_summary"}):
        notes.append(f"reasoning.{key}: chat completions has no equivalent")


def _include(value: Any, out: Json, notes: list[str]) -> None:
    for i, entry in enumerate(need_array(value, "include") if value is not None else ()):
        if type(entry) is not str or entry not in _INCLUDE:
            raise InvalidRequest(
                f"include[{i}]: {entry!r} is not a value pointsman knows", param=f"include[{i}]"
            )
        if entry == "message.output_text.logprobs":
            out["logprobs"] = True
        elif _INCLUDE[entry]:
            notes.append(_INCLUDE[entry])


def _state_notes(body: Json, notes: list[str], strict: bool) -> None:
    if body.get("store") is True:
        notes.append("store: pointsman keeps no response state; nothing is stored to fetch later")
    if body.get("truncation") == "auto":
        notes.append("truncation: auto: pointsman drops no items; a conversation over the window fails")
    for key, note in _NOTED.items():
        if body.get(key) is not None:
            notes.append(note)
    for key in sorted(set(body) - FIELDS - set(REFUSED)):
        if strict:
            raise InvalidRequest(
                f"'{key}' is not a Responses field pointsman knows (translation.strict is set)", param=key
            )
        notes.append(f"{key}: not a Responses field pointsman knows; not sent")


def _tools(body: Json, out: Json, notes: list[str]) -> None:
    found = canonical_tools(body, notes)
    if found.tools:
        out["tools"] = found.tools
        choice = tool_choice(body.get("tool_choice"), tool_names(body), found.tools, notes)
        if choice is not None:
            out["tool_choice"] = choice
    if found.web_search is not None:
        out["web_search_options"] = found.web_search
    if found.extras is not None:
        out["responses"] = found.extras


def to_canonical(body: Json, *, strict: bool = False) -> tuple[Json, list[str]]:
    """The canonical request, and notes on what was adapted (for the trace)."""
    _refuse(body)
    stream = body.get("stream")
    if stream is not None and type(stream) is not bool:
        raise wrong_type("stream", "a boolean", stream)
    limit = body.get("max_output_tokens")
    if limit is not None and type(limit) is not int:
        raise wrong_type("max_output_tokens", "an integer", limit)
    notes: list[str] = []
    out: Json = {"model": body.get("model"), "messages": messages_of(body, notes)}
    _tools(body, out, notes)
    _response_format(body.get("text"), out, notes)
    _reasoning(body.get("reasoning"), out, notes)
    _include(body.get("include"), out, notes)
    if limit is not None:
        out["max_completion_tokens"] = limit
    for key in _PASSED:
        if body.get(key) is not None:
            out[key] = body[key]
    top = body.get("top_logprobs")
    if top is not None and (type(top) is not int or top < 0):
        raise wrong_type("top_logprobs", "a non-negative integer", top)
    if top:  # chat gives top logprobs only with logprobs on
        out["logprobs"], out["top_logprobs"] = True, top
    _state_notes(body, notes, strict)
    if stream:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out, notes
