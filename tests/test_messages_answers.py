"""What the Anthropic surface answers: an Anthropic model's answer comes back losslessly (thinking
with its signature, redacted thinking, a stop sequence), whole and streamed; other models' answers
have Anthropic's ids, stop reasons and prompt counts; errors use Anthropic's words. History that
only Anthropic can read (thinking, images in tool results) is adapted for other models, with notes."""

from __future__ import annotations

import base64
from typing import Any

import anthropic
import httpx2 as httpx
import orjson
import pytest

from conftest import Gateway, user
from messages_setup import KEY, client, fixtures, notes, streamed
from pointsman.fakes.anthropic_server import FakeAnthropic, sign
from pointsman.fakes.gemini_server import FakeGemini
from pointsman.fakes.openai_server import FakeOpenAI

THOUGHT = "Let me think about this step by step."

_oai, _ant, _gem, _gw, _forget = fixtures()


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_thinking_and_redacted_thinking_come_back_whole(gw: Gateway, stream: bool) -> None:
    kw: Any = {
        "model": "claude",
        "max_tokens": 2000,
        "messages": user("say: redact nothing"),
        "extra_body": {"thinking": {"type": "enabled", "budget_tokens": 1024}},
    }
    if stream:
        events, message, _ = streamed(gw, **kw)
        deltas = {e.delta.type for e in events if e.type == "content_block_delta"}
        assert {"thinking_delta", "signature_delta", "text_delta"} <= deltas
    else:
        message = client(gw).messages.create(**kw)
    assert [b.model_dump(exclude_none=True) for b in message.content] == [
        {"type": "thinking", "thinking": THOUGHT, "signature": sign(THOUGHT)},
        {"type": "redacted_thinking", "data": "redacted-" + sign("say: redact nothing")},
        {"type": "text", "text": "redact nothing"},
    ]


def test_the_chat_surface_gets_reasoning_content_and_no_anthropic_only_events(gw: Gateway) -> None:
    body = {
        "model": "claude",
        "messages": user("say: chat thoughts"),
        "reasoning_effort": "low",
        "stream": True,
    }
    headers = {"authorization": f"Bearer {KEY}"}
    with httpx.stream("POST", f"{gw.url}/v1/chat/completions", json=body, headers=headers) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data: {")]
    chunks = [orjson.loads(line[6:]) for line in lines]
    assert not any("anthropic" in c for c in chunks), "signatures and block ends are the Messages surface's"
    deltas = [c["choices"][0]["delta"] for c in chunks if c.get("choices")]
    assert "".join(d.get("reasoning_content") or "" for d in deltas) == THOUGHT
    assert "".join(d.get("content") or "" for d in deltas) == "chat thoughts"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize(
    ("model", "reason", "sequence"), [("claude", "stop_sequence", "END"), ("gpt-4o", "end_turn", None)]
)
def test_a_stop_on_a_stop_sequence_says_which(
    gw: Gateway, stream: bool, model: str, reason: str, sequence: str | None
) -> None:
    kw: Any = {
        "model": model,
        "max_tokens": 100,
        "messages": user("say: one two END three"),
        "stop_sequences": ["END"],
    }
    message = streamed(gw, **kw)[1] if stream else client(gw).messages.create(**kw)
    assert message.content[0].text == "one two "
    assert (message.stop_reason, message.stop_sequence) == (reason, sequence), "OpenAI does not say which"


def test_answers_from_other_models_have_anthropic_ids_and_prompt_counts(gw: Gateway) -> None:
    message = client(gw).messages.create(model="gpt-4o", max_tokens=50, messages=user("say: an id"))
    assert message.id.startswith("msg_"), message.id
    events, final, _ = streamed(gw, model="gpt-4o", max_tokens=50, messages=user("say: counted first"))
    start = events[0]
    assert start.type == "message_start" and start.message.id.startswith("msg_")
    assert start.message.usage.input_tokens == final.usage.input_tokens > 0, (
        "the gateway counts as OpenAI does"
    )


def test_context_overflow_is_worded_as_anthropic_words_it(gw: Gateway, oai: FakeOpenAI) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        client(gw).messages.create(model="tiny", max_tokens=50, messages=user("word " * 200))
    message = info.value.body["error"]["message"]  # type: ignore[index]
    assert message.startswith("prompt is too long: ") and message.endswith(" tokens > 40 maximum")
    assert not oai.seen, "refused before any provider"


PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}


def _tool_history(thinking: dict[str, Any]) -> list[Any]:
    """A tool turn as Claude Code sends it back: thinking and a call, then a screenshot result."""
    call = {"type": "tool_use", "id": "toolu_1", "name": "shot", "input": {}}
    result = {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": [{"type": "text", "text": "the screen"}, IMAGE],
        "cache_control": {"type": "ephemeral"},
    }
    return [
        *user("take a screenshot"),
        {"role": "assistant", "content": [thinking, call]},
        {"role": "user", "content": [result, {"type": "text", "text": "say: seen"}]},
    ]


TOOL = {"name": "shot", "description": "screenshot", "input_schema": {"type": "object", "properties": {}}}


def test_tool_results_with_images_and_thinking_in_the_history(
    gw: Gateway, oai: FakeOpenAI, ant: FakeAnthropic, gem: FakeGemini
) -> None:
    thinking = {"type": "thinking", "thinking": "I should look.", "signature": sign("I should look.")}
    history = _tool_history(thinking)
    client(gw).messages.create(model="claude", max_tokens=50, tools=[TOOL], messages=history)  # type: ignore[list-item]
    assert ant.seen[-1].body["messages"][1:] == history[1:], "signature, images, cache_control intact"
    raw = client(gw).messages.with_raw_response.create(
        model="gpt-4o",
        max_tokens=50,
        tools=[TOOL],
        messages=history,  # type: ignore[list-item]
    )
    assert raw.parse().content[0].text == "seen"
    assert oai.seen[-1].body["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "toolu_1", "type": "function", "function": {"name": "shot", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_1", "content": "the screen"},
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}],
        },
        {"role": "user", "content": [{"type": "text", "text": "say: seen"}]},
    ]
    said = notes(raw.headers)
    for adapted in (
        "thinking blocks in the history are left out",
        "images in tool results follow",
        "cache_control",
    ):
        assert any(adapted in n for n in said), adapted
    client(gw).messages.create(model="gem", max_tokens=50, tools=[TOOL], messages=history)  # type: ignore[list-item]
    turn = gem.seen[-1].body["contents"][2]["parts"]
    assert [next(iter(p)) for p in turn] == ["functionResponse", "inlineData", "text"]


def test_another_models_thought_is_not_sent_to_anthropic_unsigned(gw: Gateway, ant: FakeAnthropic) -> None:
    """A reasoning model's thought reaches Claude Code as a thinking block with no signature; the
    Anthropic API would refuse it in the history, so it is left out (with a note)."""
    unsigned = {"type": "thinking", "thinking": "Hmm.", "signature": ""}
    raw = client(gw).messages.with_raw_response.create(
        model="claude",
        max_tokens=50,
        tools=[TOOL],
        messages=_tool_history(unsigned),  # type: ignore[list-item]
    )
    assert raw.parse().content[-1].type == "text"
    assert ant.seen[-1].body["messages"][1]["content"] == [
        {"type": "tool_use", "id": "toolu_1", "name": "shot", "input": {}}
    ]
    assert any("without a signature" in n for n in notes(raw.headers))
