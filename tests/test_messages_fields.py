"""Nothing the Anthropic surface takes is dropped silently (issue 10, items 3 and 5). Each field
reaches an Anthropic model intact; another model gets it mapped, or adapted with a note in the
trace, or refused with a 400 naming the field and the model. Each test asserts the body that reached
the fake provider (the OpenAI one keeps OpenAI's rules: it refuses unknown parameters, `max_tokens`
for gpt-5, `reasoning_effort` for gpt-4o and limits above the model's)."""

from __future__ import annotations

import base64
from typing import Any

import anthropic
import openai
import pytest

from conftest import Gateway, user
from messages_setup import (
    CLAUDE_CODE_BETAS,
    CONFIGURED_BETA,
    EPHEMERAL,
    FIELDS,
    MID_SYSTEM,
    REMINDER,
    SYSTEM,
    TOOLS,
    USER_ID,
    claude_code_turn,
    client,
    fixtures,
    notes,
    streamed,
)
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.gemini_server import FakeGemini
from pointsman.fakes.openai_server import FakeOpenAI

OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {"name": t["name"], "description": t["description"], "parameters": t["input_schema"]},
    }
    for t in TOOLS
]

_oai, _ant, _gem, _gw, _forget = fixtures()


def test_a_claude_code_turn_reaches_an_anthropic_model_intact(gw: Gateway, ant: FakeAnthropic) -> None:
    turn = claude_code_turn("claude")
    events, final, headers = streamed(gw, **turn)
    sent = ant.seen[-1]
    assert sent.body == {
        "model": "claude-opus-4-8",
        "max_tokens": 64000,
        "stream": True,
        "system": SYSTEM,
        "messages": turn["messages"],  # the role:system entry in place: the client named its beta
        "tools": TOOLS,
        "metadata": {"user_id": USER_ID},
        **FIELDS,
    }, "cache_control on system, message and tool blocks, thinking, effort, context_management, metadata"
    assert sent.headers["anthropic-beta"].split(",") == [CONFIGURED_BETA, *CLAUDE_CODE_BETAS]
    start = events[0]
    assert start.type == "message_start" and start.message.usage.input_tokens == final.usage.input_tokens > 0
    thinking = final.content[0]
    assert thinking.type == "thinking" and thinking.signature and final.content[1].type == "text"
    assert notes(headers) == [], "nothing adapted for Anthropic"
    follow = client(gw).messages.create(  # the thinking goes back with its signature, which the API checks
        model="claude",
        max_tokens=1000,
        messages=[*user("say: one"), {"role": "assistant", "content": final.content}, *user("say: two")],
        extra_body={"thinking": {"type": "adaptive"}},
    )
    assert follow.content[-1].text == "two"
    assert ant.seen[-1].body["messages"][1]["content"][0] == thinking.model_dump(exclude_none=True)


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-5"])
def test_a_claude_code_turn_to_an_openai_model_is_mapped_clamped_and_noted(
    gw: Gateway, oai: FakeOpenAI, model: str
) -> None:
    events, final, headers = streamed(gw, **claude_code_turn(model))
    assert final.stop_reason == "end_turn"
    sent = oai.seen[-1].body
    expected: dict[str, Any] = {
        "model": model,
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [
            {"role": "system", "content": "\n\n".join(block["text"] for block in SYSTEM)},
            {
                "role": "user",
                "content": [{"type": "text", "text": REMINDER}, {"type": "text", "text": "say: done"}],
            },
            {"role": "system", "content": MID_SYSTEM},
        ],
        "tools": OPENAI_TOOLS,
        "user": USER_ID,
    }
    said = notes(headers)
    if model == "gpt-4o":
        expected["max_tokens"] = 16384
        assert "gpt-4o: max_tokens 64000 clamped to 16384, the model's output limit" in said
        assert any(
            n.startswith("gpt-4o: reasoning_effort: left out, it is not a reasoning model") for n in said
        )
    else:
        expected |= {"max_completion_tokens": 64000, "reasoning_effort": "high"}  # gpt-5 refuses max_tokens
    assert sent == expected
    for adapted in ("cache_control is left out", "anthropic-beta header", "context_management"):
        assert any(n.startswith(f"{model}: {adapted}") or adapted in n for n in said), adapted
    start = events[0].message.usage
    assert start.input_tokens > 500, "counted before the stream started (24 tools, 3 system blocks)"


def test_a_system_entry_in_messages_joins_system_without_its_beta(gw: Gateway, ant: FakeAnthropic) -> None:
    """Without the mid-conversation beta the API refuses `role: system` in `messages` (the fake does
    too, in its words): the entry joins the top-level `system`, where every model takes it."""
    turn = claude_code_turn("claude")
    turn["extra_headers"] = {"anthropic-beta": "claude-code-20250219,context-management-2025-06-27"}
    streamed(gw, **turn)
    sent = ant.seen[-1].body
    assert sent["system"] == [*SYSTEM, {"type": "text", "text": MID_SYSTEM}]
    assert [m["role"] for m in sent["messages"]] == ["user"]


def test_system_blocks_go_separately_to_anthropic_and_joined_elsewhere(
    gw: Gateway, ant: FakeAnthropic, gem: FakeGemini
) -> None:
    system: Any = [{"type": "text", "text": "First block."}, {"type": "text", "text": "Second block."}]
    for model in ("claude", "gem"):
        client(gw).messages.create(model=model, max_tokens=50, system=system, messages=user("say: hi"))
    assert ant.seen[-1].body["system"] == system
    assert gem.seen[-1].body["systemInstruction"] == {"parts": [{"text": "First block.\n\nSecond block."}]}


@pytest.mark.parametrize(
    ("thinking", "effort", "expected"),
    [
        ({"type": "enabled", "budget_tokens": 2000}, None, "low"),
        ({"type": "enabled", "budget_tokens": 10000}, None, "medium"),
        ({"type": "enabled", "budget_tokens": 32000}, None, "high"),
        ({"type": "adaptive"}, None, "medium"),
        ({"type": "adaptive"}, "low", "low"),
        (None, "high", "high"),
        ({"type": "disabled"}, None, None),
    ],
)
def test_thinking_and_effort_become_reasoning_effort(
    gw: Gateway, oai: FakeOpenAI, gem: FakeGemini, thinking: Any, effort: Any, expected: Any
) -> None:
    extra: dict[str, Any] = {"thinking": thinking} if thinking else {}
    if effort:
        extra["output_config"] = {"effort": effort}
    client(gw).messages.create(model="gpt-5", max_tokens=2000, messages=user("say: hm"), extra_body=extra)
    assert oai.seen[-1].body.get("reasoning_effort") == expected
    client(gw).messages.create(model="gem", max_tokens=500, messages=user("say: hm"), extra_body=extra)
    config = gem.seen[-1].body["generationConfig"]
    assert ("thinkingConfig" in config) == (expected is not None)


def test_server_tools_go_to_anthropic_and_are_refused_elsewhere(
    gw: Gateway, oai: FakeOpenAI, ant: FakeAnthropic
) -> None:
    search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 2}
    tools: Any = [search, {"type": "bash_20250124", "name": "bash"}, TOOLS[0]]
    with pytest.raises(anthropic.BadRequestError) as refused:
        client(gw).messages.create(model="gpt-4o", max_tokens=50, tools=tools, messages=user("say: x"))
    message = refused.value.body["error"]["message"]  # type: ignore[index]
    assert "'gpt-4o'" in message and "web_search" in message and "web_search_20250305" in message
    assert not oai.seen, "no provider was called"
    raw = client(gw).messages.with_raw_response.create(
        model="searcher", max_tokens=50, tools=tools, messages=user("say: found")
    )
    assert raw.parse().content[0].text == "found" and raw.headers["x-pointsman-model"] == "claude"
    assert ant.seen[-1].body["tools"] == tools, "intact, in the client's order"
    history: Any = [
        *user("search it"),
        {
            "role": "assistant",
            "content": [
                {
                    "type": "server_tool_use",
                    "id": "srvtoolu_1",
                    "name": "web_search",
                    "input": {"query": "q"},
                },
                {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
                {"type": "text", "text": "Nothing found."},
            ],
        },
        *user("say: ok"),
    ]
    client(gw).messages.create(model="claude", max_tokens=50, messages=history)
    assert ant.seen[-1].body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "search it"}]},
        history[1],
        {"role": "user", "content": [{"type": "text", "text": "say: ok"}]},
    ]
    with pytest.raises(anthropic.BadRequestError) as history_refused:
        client(gw).messages.create(model="gpt-4o", max_tokens=50, messages=history)
    assert "server_tool_use" in str(history_refused.value) and "'gpt-4o'" in str(history_refused.value)


PDF = base64.b64encode(b"%PDF-1.4 a small report").decode()
DOCUMENT = {
    "type": "document",
    "source": {"type": "base64", "media_type": "application/pdf", "data": PDF},
    "title": "report.pdf",
    "cache_control": EPHEMERAL,
}
TEXT_DOCUMENT = {
    "type": "document",
    "source": {"type": "text", "media_type": "text/plain", "data": "Plain notes."},
}
URL_DOCUMENT = {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}}


def test_documents_are_carried_or_refused_by_name(
    gw: Gateway, oai: FakeOpenAI, ant: FakeAnthropic, gem: FakeGemini
) -> None:
    blocks: Any = [DOCUMENT, TEXT_DOCUMENT, URL_DOCUMENT, {"type": "text", "text": "say: read"}]
    client(gw).messages.create(model="claude", max_tokens=50, messages=[{"role": "user", "content": blocks}])
    assert ant.seen[-1].body["messages"][0]["content"] == blocks
    raw = client(gw).messages.with_raw_response.create(
        model="gpt-4o", max_tokens=50, messages=[{"role": "user", "content": blocks[:2] + blocks[3:]}]
    )
    assert oai.seen[-1].body["messages"][0]["content"] == [
        {
            "type": "file",
            "file": {"file_data": f"data:application/pdf;base64,{PDF}", "filename": "report.pdf"},
        },
        {"type": "text", "text": "Plain notes."},
        {"type": "text", "text": "say: read"},
    ]
    assert any("cache_control" in n for n in notes(raw.headers))
    client(gw).messages.create(model="gem", max_tokens=50, messages=[{"role": "user", "content": [DOCUMENT]}])
    part = gem.seen[-1].body["contents"][0]["parts"][0]
    assert part == {"inlineData": {"mimeType": "application/pdf", "data": PDF}}
    for model, block, named in (("gpt-4o", URL_DOCUMENT, "`url` source"), ("local", DOCUMENT, "document")):
        with pytest.raises(anthropic.BadRequestError) as refused:
            client(gw).messages.create(
                model=model, max_tokens=50, messages=[{"role": "user", "content": [block]}]
            )
        assert named in str(refused.value) and f"'{model}'" in str(refused.value)


def test_top_k_metadata_service_tier_and_mcp_servers(
    gw: Gateway, oai: FakeOpenAI, ant: FakeAnthropic, gem: FakeGemini
) -> None:
    fields: Any = {
        "metadata": {"user_id": "u-1", "team": "a"},
        "service_tier": "standard_only",
        "mcp_servers": [{"type": "url", "url": "https://mcp.example.com/sse", "name": "example"}],
    }
    beta = {"anthropic-beta": "mcp-client-2025-04-04"}
    client(gw).messages.create(
        model="claude",
        max_tokens=50,
        messages=user("say: k"),
        extra_body={**fields, "top_k": 5},
        extra_headers=beta,
    )
    sent = ant.seen[-1].body
    assert (sent["top_k"], sent["metadata"], sent["service_tier"]) == (5, fields["metadata"], "standard_only")
    assert sent["mcp_servers"] == fields["mcp_servers"]
    client(gw).messages.create(model="gem", max_tokens=50, messages=user("say: k"), extra_body={"top_k": 5})
    assert gem.seen[-1].body["generationConfig"]["topK"] == 5
    client(gw).messages.create(model="local", max_tokens=50, messages=user("say: k"), extra_body={"top_k": 5})
    assert oai.seen[-1].body["top_k"] == 5, "llama.cpp takes top_k"
    with pytest.raises(anthropic.BadRequestError) as refused:
        client(gw).messages.create(
            model="gpt-4o", max_tokens=50, messages=user("say: k"), extra_body={"top_k": 5}
        )
    assert "top_k" in str(refused.value) and "'gpt-4o'" in str(refused.value)
    with pytest.raises(anthropic.BadRequestError) as no_mcp:
        client(gw).messages.create(model="gpt-4o", max_tokens=50, messages=user("say: k"), extra_body=fields)
    assert "mcp_servers" in str(no_mcp.value)
    raw = client(gw).messages.with_raw_response.create(
        model="gpt-4o", max_tokens=50, messages=user("say: k"), extra_body={"service_tier": "auto"}
    )
    assert "service_tier" not in oai.seen[-1].body
    assert any("service_tier is not sent" in n for n in notes(raw.headers))


def test_max_tokens_is_renamed_and_clamped_on_the_chat_surface_too(gw: Gateway, oai: FakeOpenAI) -> None:
    chat = gw.client(api_key="pm-fidelity-key")
    chat.chat.completions.create(model="gpt-5", max_tokens=64000, messages=user("say: a"))  # type: ignore[arg-type]
    assert oai.seen[-1].body["max_completion_tokens"] == 64000 and "max_tokens" not in oai.seen[-1].body
    chat.chat.completions.create(model="gpt-4o", max_tokens=64000, messages=user("say: b"))  # type: ignore[arg-type]
    assert oai.seen[-1].body["max_tokens"] == 16384


def test_the_fakes_refuse_what_the_real_apis_refuse(oai: FakeOpenAI, ant: FakeAnthropic) -> None:
    """What makes the tests above catch a regression: the fakes answer as OpenAI and Anthropic do."""
    direct = openai.OpenAI(base_url=f"{oai.url}/v1", api_key="k", max_retries=0)
    refusals = [
        (
            {"model": "gpt-5", "max_tokens": 10},
            "unsupported_parameter",
            "Use 'max_completion_tokens' instead",
        ),
        (
            {"model": "gpt-4o", "max_tokens": 20000},
            "invalid_value",
            "supports at most 16384 completion tokens",
        ),
        ({"model": "gpt-4o", "reasoning_effort": "low"}, "unsupported_parameter", "reasoning_effort"),
        (
            {"model": "gpt-4o", "extra_body": {"top_k": 3}},
            None,
            "Unrecognized request argument supplied: top_k",
        ),
    ]
    for kw, code, words in refusals:
        with pytest.raises(openai.BadRequestError) as info:
            direct.chat.completions.create(messages=user("x"), **kw)  # type: ignore[call-overload]
        assert info.value.code == code and words in info.value.message
    claude = anthropic.Anthropic(base_url=ant.url, api_key="k", max_retries=0)
    forged = {"type": "thinking", "thinking": "Hm.", "signature": "forged"}
    for kw, words in (
        ({"extra_body": {"context_management": {"edits": []}}}, "context-management-2025-06-27"),
        ({"extra_body": {"reasoning_effort": "low"}}, "reasoning_effort: Extra inputs are not permitted"),
        (
            {"messages": [*user("a"), {"role": "assistant", "content": [forged]}, *user("b")]},
            "Invalid `signature`",
        ),
    ):
        with pytest.raises(anthropic.BadRequestError) as refused:
            claude.messages.create(**{"model": "c", "max_tokens": 10, "messages": user("x"), **kw})
        assert words in str(refused.value)
    stopped = claude.messages.create(
        model="c", max_tokens=10, messages=user("say: a b c"), stop_sequences=["b"]
    )
    assert (stopped.content[0].text, stopped.stop_reason, stopped.stop_sequence) == (
        "a ",
        "stop_sequence",
        "b",
    )
