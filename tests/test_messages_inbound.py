"""The Anthropic SDK → pointsman's /v1/messages → any provider, translated back exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anthropic
import pytest

from conftest import ANTHROPIC_KEY, Gateway, user
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.faults import Fault
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.serving import BackgroundServers

TOOLS: Any = [
    {
        "name": "lookup",
        "description": "find a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]


@pytest.fixture(scope="module")
def claude_fake(servers: BackgroundServers) -> FakeAnthropic:
    fake = FakeAnthropic()
    servers.start_fake(fake)
    return fake


@pytest.fixture(scope="module")
def gw(make_gateway: Any, fake: FakeOpenAI, claude_fake: FakeAnthropic) -> Gateway:
    from conftest import PROVIDER_KEY

    gateway: Gateway = make_gateway(
        text=f"""
server:
  keys: [{{id: claude-code, key: pm-anthropic-client-key}}]
providers:
  oai: {{type: openai, base_url: "{fake.url}/v1", api_key: {PROVIDER_KEY}}}
  ant: {{type: anthropic, base_url: "{claude_fake.url}/v1", api_key: sk-ant-x}}
models:
  gpt: {{provider: oai, upstream: small-1, input: 0.15, output: 0.60}}
  claude: {{provider: ant, upstream: claude-any, input: 3, output: 15}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
"""
    )
    return gateway


def client(gw: Gateway, key: str = "pm-anthropic-client-key") -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=key, max_retries=0)


def test_plain_message_answered_by_an_openai_model(gw: Gateway, fake: FakeOpenAI) -> None:
    raw = client(gw).messages.with_raw_response.create(
        model="gpt",
        max_tokens=100,
        system="Be brief.",
        messages=user("say: hello from claude sdk"),
        stop_sequences=["END"],
    )
    message = raw.parse()
    assert message.content[0].text == "hello from claude sdk" and message.stop_reason == "end_turn"
    assert message.model == "gpt" and message.role == "assistant"
    sent = fake.seen[-1].body
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert (sent["max_tokens"], sent["stop"]) == (100, ["END"])
    usage = message.usage
    row = gw.row(raw.headers["x-pointsman-request-id"])
    assert row["endpoint"] == "messages" and row["key_id"] == "claude-code"
    assert (row["prompt_tokens"], row["completion_tokens"]) == (usage.input_tokens, usage.output_tokens)
    cost = (usage.input_tokens * Decimal("0.15") + usage.output_tokens * Decimal("0.60")) / 1_000_000
    assert Decimal(raw.headers["x-pointsman-cost-usd"]) == cost == Decimal(row["cost_usd"])


@pytest.mark.parametrize("model", ["gpt", "claude"])
def test_system_entries_inside_messages_as_claude_code_sends_them(
    gw: Gateway, fake: FakeOpenAI, claude_fake: FakeAnthropic, model: str
) -> None:
    messages: Any = [
        {"role": "system", "content": "Reply in English."},
        *user("say: hi"),
        {"role": "assistant", "content": "hi"},
        {"role": "system", "content": [{"type": "text", "text": "Be terse."}]},
        *user("say: again"),
    ]
    message = client(gw).messages.create(model=model, max_tokens=50, system="Base rules.", messages=messages)
    assert message.content[0].text == "again"
    rules = ["Base rules.", "Reply in English.", "Be terse."]
    if model == "gpt":
        sent = fake.seen[-1].body["messages"]
        assert [m["content"] for m in sent if m["role"] == "system"] == rules
        assert sent[4] == {"role": "system", "content": "Be terse."}, "kept where the client put it"
    else:
        sent = claude_fake.seen[-1].body
        assert [block["text"] for block in sent["system"]] == rules
        assert {m["role"] for m in sent["messages"]} == {"user", "assistant"}


def test_count_tokens_is_answered_with_the_target_models_tokenizer(gw: Gateway, fake: FakeOpenAI) -> None:
    """Claude Code calls count_tokens at start and every turn (a 404 makes it send billed requests)."""
    messages: Any = user("say: count these words please")
    seen = len(fake.seen)
    counted = client(gw).messages.count_tokens(model="gpt", system="Be brief.", messages=messages)
    assert len(fake.seen) == seen, "answered by the gateway: no provider call"
    answered = client(gw).messages.create(model="gpt", max_tokens=20, system="Be brief.", messages=messages)
    assert counted.input_tokens == answered.usage.input_tokens > 0, "the provider's own count"
    longer = client(gw).messages.count_tokens(model="gpt", messages=user("say: " + "word " * 50))
    assert longer.input_tokens > counted.input_tokens
    with pytest.raises(anthropic.NotFoundError) as info:
        client(gw).messages.count_tokens(model="no-such-model", messages=messages)
    assert isinstance(info.value.body, dict) and info.value.body["type"] == "error", "Anthropic's shape"
    with pytest.raises(anthropic.AuthenticationError):
        client(gw, key="wrong").messages.count_tokens(model="gpt", messages=messages)


def test_anthropic_clients_list_models_and_hear_of_missing_batches(gw: Gateway) -> None:
    listed = {m.id: m for m in client(gw).models.list()}
    assert {"gpt", "claude"} <= set(listed) and listed["gpt"].type == "model"
    assert client(gw).models.retrieve("claude").display_name == "claude"
    with pytest.raises(anthropic.NotFoundError) as info:
        client(gw).messages.batches.retrieve("msgbatch_1")
    assert isinstance(info.value.body, dict) and info.value.body["type"] == "error"
    assert "/v1/messages/batches" in info.value.message


def test_streamed_text_with_final_usage(gw: Gateway) -> None:
    with client(gw).messages.stream(
        model="gpt", max_tokens=100, messages=user("say: one two three")
    ) as stream:
        assert stream.get_final_text() == "one two three"
        final = stream.get_final_message()
    assert final.stop_reason == "end_turn" and final.usage.input_tokens > 0 and final.usage.output_tokens == 3


def test_streamed_tool_use_and_tool_result_round_trip(gw: Gateway, fake: FakeOpenAI) -> None:
    sdk = client(gw)
    with sdk.messages.stream(
        model="gpt", max_tokens=100, messages=user("use the tool"), tools=TOOLS, tool_choice={"type": "any"}
    ) as stream:
        final = stream.get_final_message()
    block = final.content[0]
    assert final.stop_reason == "tool_use" and block.type == "tool_use"
    assert block.name == "lookup" and block.input == {"city": "city example"}
    assert fake.seen[-1].body["tool_choice"] == "required"
    follow = sdk.messages.create(
        model="gpt",
        max_tokens=100,
        tools=TOOLS,
        messages=[
            *user("use the tool"),
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": block.id, "name": "lookup", "input": block.input}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": block.id, "content": "sunny"}],
            },
        ],
    )
    assert follow.content[0].text == "The tool returned: sunny"
    sent = fake.seen[-1].body["messages"]
    assert sent[1]["tool_calls"][0]["id"] == block.id
    assert sent[2] == {"role": "tool", "tool_call_id": block.id, "content": "sunny"}


def test_images_become_image_parts(gw: Gateway, fake: FakeOpenAI) -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
    message = client(gw).messages.create(
        model="gpt",
        max_tokens=50,
        messages=[{"role": "user", "content": [image, {"type": "text", "text": "what?"}]}],
    )
    assert "I see 1 image" in message.content[0].text
    part = fake.seen[-1].body["messages"][0]["content"][0]
    assert part == {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}


def test_anthropic_sdk_to_an_anthropic_upstream(gw: Gateway, claude_fake: FakeAnthropic) -> None:
    with client(gw).messages.stream(
        model="claude", max_tokens=100, messages=user("say: claude to claude")
    ) as s:
        assert s.get_final_text() == "claude to claude"
    assert claude_fake.seen[-1].body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "say: claude to claude"}]}
    ]


def test_errors_are_anthropic_shaped(gw: Gateway, fake: FakeOpenAI) -> None:
    sdk = client(gw)
    with pytest.raises(anthropic.NotFoundError) as missing:
        sdk.messages.create(model="nope", max_tokens=5, messages=user("x"))
    assert missing.value.body["error"]["type"] == "not_found_error"  # type: ignore[index]
    with pytest.raises(anthropic.BadRequestError) as bad:
        sdk.messages.create(model="gpt", max_tokens=5, messages=[])
    assert "messages" in str(bad.value)
    with pytest.raises(anthropic.AuthenticationError):
        client(gw, key="wrong").messages.create(model="gpt", max_tokens=5, messages=user("x"))
    fake.inject(Fault("status", status=429, retry_after="4", model="small-1"))
    with pytest.raises(anthropic.RateLimitError) as limited:
        sdk.messages.create(model="gpt", max_tokens=5, messages=user("x"))
    assert limited.value.response.headers["retry-after"] == "4"


def test_missing_max_tokens_is_a_clear_400(gw: Gateway) -> None:
    import httpx2 as httpx

    response = httpx.post(
        f"{gw.url}/v1/messages",
        headers={"x-api-key": "pm-anthropic-client-key"},
        json={"model": "gpt", "messages": user("x")},
    )
    assert response.status_code == 400
    assert response.json() == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "max_tokens: Field required (an integer)"},
    }


def test_count_tokens_asks_an_anthropic_provider_when_configured(
    make_gateway: Any, fake: FakeOpenAI, claude_fake: FakeAnthropic
) -> None:
    """`translation.count_tokens: provider`: a Claude model's count is the provider's own (the body
    as sent, betas included); a model on another wire is still counted by the gateway."""
    from conftest import two_wire_gateway

    models = """
models:
  claude: {provider: ant, upstream: claude-sonnet-4-6, input: 3, output: 15}
  gpt: {provider: oai, upstream: small-1, input: 1, output: 1}
translation: {count_tokens: provider}
"""
    exact = two_wire_gateway(make_gateway, fake, claude_fake, "pm-count-key", models)
    sdk = anthropic.Anthropic(base_url=exact.url, api_key="pm-count-key", max_retries=0)
    messages: Any = user("say: " + "word " * 30)
    before = len(claude_fake.seen)
    counted = sdk.messages.count_tokens(
        model="claude", messages=messages, extra_headers={"anthropic-beta": "token-counting-2024-11-01"}
    )
    asked = list(claude_fake.seen)[before:]
    assert len(asked) == 1 and asked[0].body == {"model": "claude-sonnet-4-6", "messages": messages}
    assert asked[0].headers["anthropic-beta"] == "token-counting-2024-11-01"
    direct = anthropic.Anthropic(base_url=claude_fake.url, api_key=ANTHROPIC_KEY, max_retries=0)
    assert (
        counted.input_tokens
        == direct.messages.count_tokens(model="claude-sonnet-4-6", messages=messages).input_tokens
    )
    seen_openai = len(fake.seen)
    assert sdk.messages.count_tokens(model="gpt", messages=messages).input_tokens > 30
    assert len(fake.seen) == seen_openai and len(claude_fake.seen) == before + 2, "counted by the gateway"
