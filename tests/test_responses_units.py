"""The Responses surface's pure parts: every create field handled or refused (checked against the
openai SDK's own request type, so a field added there cannot be dropped here unnoticed), fitting a
request to a model's capabilities, and the stream translations the fakes rarely produce."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from openai.types.responses.response_create_params import (
    ResponseCreateParamsNonStreaming,
    ResponseCreateParamsStreaming,
)

from pointsman.catalog.model import CatalogModel
from pointsman.errors import InvalidRequest
from pointsman.providers.anthropic.stream import AnthropicStreamTranslator
from pointsman.providers.base import Endpoint
from pointsman.routing.carry import INPUT, fits, for_model
from pointsman.surfaces.responses.parse import FIELDS, REFUSED, to_canonical
from pointsman.surfaces.responses.stream import ResponsesStreamRenderer
from pointsman.surfaces.responses.tools import MAX_NAME, flat_name
from pointsman.upstream.sse import SSEEvent
from pointsman.usage import Usage

BASE: dict[str, Any] = {
    "model": "m",
    "input": "hi",
    "tools": [{"type": "web_search"}, {"type": "function", "name": "f"}],
}
SAMPLES: dict[str, Any] = {
    "access_programs": {"cyber": "standard"},
    "background": True,
    "background_options": {"completion_window": "2h"},
    "context_management": [{"type": "compaction", "compact_threshold": 1000}],
    "conversation": "conv_1",
    "image": {"context_compression": "auto"},
    "include": ["message.output_text.logprobs"],
    "instructions": "Be brief.",
    "max_output_tokens": 50,
    "max_tool_calls": 2,
    "metadata": {"team": "a"},
    "moderation": {"model": "omni-moderation-latest"},
    "parallel_tool_calls": False,
    "previous_response_id": "resp_1",
    "prompt": {"id": "pmpt_1"},
    "prompt_cache_key": "k",
    "prompt_cache_options": {"mode": "explicit"},
    "prompt_cache_retention": "24h",
    "reasoning": {"effort": "low"},
    "safety_identifier": "s",
    "service_tier": "flex",
    "store": True,
    "stream": True,
    "temperature": 0.2,
    "text": {"verbosity": "low"},
    "tool_choice": "required",
    "top_logprobs": 3,
    "top_p": 0.9,
    "truncation": "auto",
    "user": "u",
}
"""A value for every key of the SDK's create request; `model`, `input` and `tools` are in BASE."""
NO_EFFECT = {"stream_options": "it shapes the gateway's own stream, which never adds obfuscation"}


def sdk_keys() -> set[str]:
    keys: set[str] = set()
    for params in (ResponseCreateParamsNonStreaming, ResponseCreateParamsStreaming):
        keys |= params.__required_keys__ | params.__optional_keys__
    return keys


def test_every_key_of_the_sdk_create_request_is_mapped_or_refused() -> None:
    keys = sdk_keys()
    assert keys <= FIELDS | set(REFUSED), f"not handled: {sorted(keys - FIELDS - set(REFUSED))}"
    assert keys <= set(SAMPLES) | set(BASE) | set(NO_EFFECT), "give the new key a sample below"


@pytest.mark.parametrize("key", sorted(set(SAMPLES)))
def test_each_key_changes_the_request_or_is_refused_naming_it(key: str) -> None:
    plain = to_canonical(BASE)
    try:
        changed = to_canonical({**BASE, key: SAMPLES[key]})
    except InvalidRequest as error:
        assert key in REFUSED and error.param == key
        return
    assert key not in REFUSED
    assert changed != plain, f"{key} reached nothing: neither the canonical request nor a note"


def test_an_unknown_key_is_noted_or_refused_when_strict() -> None:
    _, notes = to_canonical({**BASE, "novel": 1})
    assert notes[-1] == "novel: not a Responses field pointsman knows; not sent"
    with pytest.raises(InvalidRequest) as info:
        to_canonical({**BASE, "novel": 1}, strict=True)
    assert info.value.param == "novel"


def test_flat_names_follow_codex_and_fit_the_name_limit() -> None:
    assert flat_name("mcp__codex_tui__", "_open_file") == "mcp__codex_tui__open_file"
    assert flat_name("multi_agent_v1", "spawn_agent") == "multi_agent_v1__spawn_agent"
    long = flat_name("mcp__" + "x" * 60, "tool")
    assert len(long) == MAX_NAME and long != flat_name("mcp__" + "x" * 60, "tool2")


def model(*capabilities: str) -> CatalogModel:
    return CatalogModel("m", "p", "m-1", None, capabilities=frozenset({"chat", "tools", *capabilities}))


CUSTOM_BODY: dict[str, Any] = {
    "messages": [
        {"role": "user", "content": "patch"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "custom", "custom": {"name": "apply_patch", "input": "*** x"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ],
    "tools": [{"type": "custom", "custom": {"name": "apply_patch", "format": {"type": "text"}}}],
    "tool_choice": {"type": "custom", "custom": {"name": "apply_patch"}},
}


def test_a_model_without_custom_tools_gets_them_as_functions_history_included() -> None:
    fitted, notes = for_model(CUSTOM_BODY, model())
    assert fitted["tools"] == [
        {"type": "function", "function": {"name": "apply_patch", "description": "", "parameters": INPUT}}
    ]
    assert fitted["tool_choice"] == {"type": "function", "function": {"name": "apply_patch"}}
    call = fitted["messages"][1]["tool_calls"][0]
    assert call["function"] == {"name": "apply_patch", "arguments": '{"input":"*** x"}'}
    assert notes == ["custom tools (apply_patch): sent as function tools taking one string `input`"]
    assert CUSTOM_BODY["tools"][0]["type"] == "custom", "the call's own body is left as it was"
    same, none = for_model(CUSTOM_BODY, model("custom_tools"))
    assert same is CUSTOM_BODY and none == []


def test_fields_a_model_has_no_capability_for_are_left_out_or_refused_when_strict() -> None:
    body = {"messages": [], "reasoning_effort": "high", "web_search_options": {}, "verbosity": "low"}
    fitted, notes = for_model(body, model())
    assert set(fitted) == {"messages"} and len(notes) == 3
    kept, none = for_model(body, model("reasoning", "web_search", "verbosity"))
    assert kept == body and none == []
    with pytest.raises(InvalidRequest) as info:
        fits(body, model("web_search"))
    assert info.value.param == "reasoning_effort" and "'m'" in info.value.message
    fits({"messages": [], "verbosity": "low"}, model())  # a hint that changes no answer is never refused


def sse(data: dict[str, Any]) -> SSEEvent:
    return SSEEvent(event=data["type"], data=orjson.dumps(data))


def test_anthropic_thinking_becomes_reasoning_content_and_server_tool_input_no_client_call() -> None:
    translator = AnthropicStreamTranslator(Endpoint("a", "anthropic", "http://h", "", "", {}, 1, 1, True))
    server = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
    out = [
        translator.feed(
            sse({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking"}})
        ),
        translator.feed(
            sse(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "thinking_delta", "thinking": "Hm."},
                }
            )
        ),
        translator.feed(sse({"type": "content_block_start", "index": 1, "content_block": server})),
        translator.feed(
            sse(
                {
                    "type": "content_block_delta",
                    "index": 1,
                    "delta": {"type": "input_json_delta", "partial_json": '{"query": "x"}'},
                }
            )
        ),
    ]
    chunks = [data for o in out for data, _ in o.chunks]
    # the server tool's events travel as they are, for the Anthropic surface only (no choice of theirs)
    assert [c["choices"][0]["delta"] for c in chunks if c["choices"]] == [{"reasoning_content": "Hm."}]
    assert [c["anthropic"]["type"] for c in chunks if not c["choices"]][-2:] == [
        "content_block_start",
        "content_block_delta",
    ]
    assert not any(c["choices"][0]["delta"].get("tool_calls") for c in chunks if c["choices"])


def render(*deltas: dict[str, Any], body: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    renderer = ResponsesStreamRenderer("m", body or {})
    raw = renderer.start()
    for delta in deltas:
        raw += renderer.chunk({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
    raw += renderer.finish(Usage(1, 1))
    return [orjson.loads(line[6:]) for line in raw.split(b"\n") if line.startswith(b"data: ")]


def test_reasoning_content_streams_as_a_reasoning_item_before_the_message() -> None:
    events = render({"reasoning_content": "Let me"}, {"reasoning_content": " see."}, {"content": "Hi"})
    kinds = [e["type"] for e in events]
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.reasoning_text.delta",
        "response.reasoning_text.delta",
        "response.reasoning_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    reasoning, message = events[-1]["response"]["output"]
    assert reasoning["content"] == [{"type": "reasoning_text", "text": "Let me see."}]
    assert message["content"][0]["text"] == "Hi"


def test_a_custom_call_made_as_a_function_streams_its_input_whole_at_the_end() -> None:
    body = {"tools": [{"type": "custom", "name": "apply_patch"}]}
    head = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "apply_patch", "arguments": ""},
    }
    pieces = ['{"inp', 'ut": "line\\n', 'two"}']
    deltas = [
        {"tool_calls": [head]},
        *({"tool_calls": [{"index": 0, "function": {"arguments": p}}]} for p in pieces),
    ]
    events = render(*deltas, body=body)
    inputs = [e for e in events if e["type"].startswith("response.custom_tool_call_input")]
    assert [(e["type"], e.get("delta", e.get("input"))) for e in inputs] == [
        ("response.custom_tool_call_input.delta", "line\ntwo"),
        ("response.custom_tool_call_input.done", "line\ntwo"),
    ]
    [call] = events[-1]["response"]["output"]
    assert (call["type"], call["name"], call["input"], call["call_id"]) == (
        "custom_tool_call",
        "apply_patch",
        "line\ntwo",
        "call_1",
    )


def test_tool_keys_chat_cannot_carry_are_noted() -> None:
    tool = {"type": "function", "name": "f", "output_schema": {"type": "object"}, "strict": True}
    canonical, notes = to_canonical({"model": "m", "input": "hi", "tools": [tool]})
    assert canonical["tools"][0]["function"]["strict"] is True
    assert notes == ["tools[0].output_schema: chat completions has no equivalent; not sent"]


def test_gemini_gets_google_search_and_notes_for_what_it_lacks() -> None:
    from pointsman.providers.gemini import GeminiProvider

    provider = GeminiProvider(Endpoint("g", "gemini", "http://h/v1beta", "k", "", {}, 1, 1, True))
    body = {
        "messages": [{"role": "user", "content": "hi"}],
        "prompt_cache_key": "k",
        "reasoning_effort": "low",
        "web_search_options": {},
    }
    request = provider.chat_request(body, "gemini-2.5-flash", want_stream_usage=False)
    assert orjson.loads(request.body)["tools"] == [{"googleSearch": {}}]
    assert [note.split(":")[0] for note in request.adapted] == ["prompt_cache_key"]
    # Gemini has its own reasoning setting: the effort becomes a thinking budget, not a note
    assert orjson.loads(request.body)["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 1024}
