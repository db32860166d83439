"""OpenAI SDK → pointsman → an Anthropic upstream (the fake, which the official anthropic SDK parses)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import anthropic
import openai
import pytest

from conftest import Gateway, user
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.base import FakeModel
from pointsman.fakes.faults import Fault
from pointsman.serving import BackgroundServers

KEY = "sk-ant-fake-key-0123456789"
MILLION = Decimal(1_000_000)
TOOLS: Any = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "find a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


@pytest.fixture(scope="module")
def claude(servers: BackgroundServers) -> FakeAnthropic:
    models = {"claude-small": FakeModel(cached_tokens=4), "claude-tiny": FakeModel(context_window=20)}
    fake = FakeAnthropic(models, api_key=KEY)
    servers.start_fake(fake)
    return fake


@pytest.fixture(scope="module")
def gateway(make_gateway: Any, claude: FakeAnthropic) -> Gateway:
    gw: Gateway = make_gateway(
        text=f"""
providers:
  claude: {{type: anthropic, base_url: "{claude.url}/v1", api_key: {KEY}}}
models:
  sonnet: {{provider: claude, upstream: claude-small, input: 3, cached_input: 0.30, cache_write: 3.75,
           output: 15, capabilities: [tools, vision, json_schema, streaming, reasoning]}}
  tiny: {{provider: claude, upstream: claude-tiny, input: 1, output: 1}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
"""
    )
    return gw


def anthropic_cost(usage: Any) -> Decimal:
    cached = usage.prompt_tokens_details.cached_tokens
    fresh = usage.prompt_tokens - cached
    return (fresh * Decimal(3) + cached * Decimal("0.30") + usage.completion_tokens * Decimal(15)) / MILLION


def test_fake_speaks_the_protocol_to_the_official_sdk(claude: FakeAnthropic) -> None:
    client = anthropic.Anthropic(base_url=claude.url, api_key=KEY, max_retries=0)
    message = client.messages.create(model="claude-small", max_tokens=50, messages=user("say: hi there"))
    assert message.content[0].text == "hi there" and message.stop_reason == "end_turn"
    assert message.usage.cache_read_input_tokens == 4 and message.usage.input_tokens > 0
    tools = [{"name": "lookup", "input_schema": TOOLS[0]["function"]["parameters"]}]
    with client.messages.stream(
        model="claude-small",
        max_tokens=50,
        messages=user("use the tool"),
        tools=tools,
        tool_choice={"type": "any"},
    ) as stream:
        final = stream.get_final_message()
    assert final.content[0].input == {"city": "city example"} and final.stop_reason == "tool_use"
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=claude.url, api_key="wrong", max_retries=0).messages.create(
            model="claude-small", max_tokens=5, messages=user("x")
        )


def test_plain_completion_is_translated_and_priced_with_anthropic_cache_rules(
    gateway: Gateway, claude: FakeAnthropic
) -> None:
    client = gateway.client()
    raw = client.chat.completions.with_raw_response.create(
        model="sonnet",
        messages=[{"role": "system", "content": "Be brief."}, *user("say: bonjour")],
        max_tokens=64,
        temperature=1.5,
        stop=["END", " "],
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "bonjour"
    assert completion.choices[0].finish_reason == "stop"
    sent = claude.seen[-1]
    assert sent.headers["x-api-key"] == KEY and sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.body["system"] == [{"type": "text", "text": "Be brief."}]
    assert sent.body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "say: bonjour"}]}]
    assert (sent.body["max_tokens"], sent.body["temperature"], sent.body["stop_sequences"]) == (
        64,
        1.0,
        ["END"],  # the whitespace-only stop is dropped: Anthropic rejects those
    )
    usage = completion.usage
    assert (
        usage.prompt_tokens_details.cached_tokens == 4
    )  # cache reads count in prompt_tokens, as OpenAI's do
    cost = anthropic_cost(usage)
    assert Decimal(raw.headers["x-pointsman-cost-usd"]) == cost
    row = gateway.row(raw.headers["x-pointsman-request-id"])
    assert Decimal(row["cost_usd"]) == cost and row["cached_tokens"] == 4 and row["provider"] == "claude"


def test_stream_text_and_usage(gateway: Gateway) -> None:
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="sonnet",
        messages=user("say: streaming from claude"),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(raw.parse())
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "streaming from claude"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    usage = chunks[-1].usage
    assert usage is not None and usage.prompt_tokens_details.cached_tokens == 4
    row = gateway.row(raw.headers["x-pointsman-request-id"])
    assert row["estimated"] == 0 and Decimal(row["cost_usd"]) == anthropic_cost(usage)


def test_tools_streamed_arguments_intact_and_tool_results_round_trip(
    gateway: Gateway, claude: FakeAnthropic
) -> None:
    client = gateway.client()
    stream = client.chat.completions.create(
        model="sonnet", messages=user("use the tool"), tools=TOOLS, tool_choice="required", stream=True
    )
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in stream:
        if not chunk.choices:
            continue
        finish = chunk.choices[0].finish_reason or finish
        for delta in chunk.choices[0].delta.tool_calls or []:
            call = calls.setdefault(delta.index, {"id": "", "name": "", "args": ""})
            call["id"] = delta.id or call["id"]
            call["name"] = (delta.function.name if delta.function else None) or call["name"]
            call["args"] += (delta.function.arguments if delta.function else None) or ""
    assert finish == "tool_calls" and list(calls) == [0]
    assert calls[0]["name"] == "lookup" and json.loads(calls[0]["args"]) == {"city": "city example"}
    assert claude.seen[-1].body["tool_choice"] == {"type": "any"}

    follow = client.chat.completions.create(
        model="sonnet",
        tools=TOOLS,
        messages=[
            *user("use the tool"),
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": calls[0]["id"],
                        "type": "function",
                        "function": {"name": "lookup", "arguments": calls[0]["args"]},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": calls[0]["id"], "content": "sunny"},
        ],
    )
    assert follow.choices[0].message.content == "The tool returned: sunny"
    sent = claude.seen[-1].body["messages"]
    assert sent[1]["content"][0] == {
        "type": "tool_use",
        "id": calls[0]["id"],
        "name": "lookup",
        "input": {"city": "city example"},
    }
    assert sent[2] == {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": calls[0]["id"], "content": "sunny"}],
    }


def test_json_schema_and_max_tokens(gateway: Gateway, claude: FakeAnthropic) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    completion = gateway.client().chat.completions.create(
        model="sonnet",
        messages=user("answer"),
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
    )
    assert json.loads(completion.choices[0].message.content) == {"answer": "answer example"}
    assert claude.seen[-1].body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}
    cut = gateway.client().chat.completions.create(
        model="sonnet", messages=user("say: a b c d e f"), max_tokens=2
    )
    assert cut.choices[0].finish_reason == "length" and cut.choices[0].message.content == "a b "


@pytest.mark.parametrize(
    ("fault", "status", "error_class"),
    [
        ({"kind": "status", "status": 429, "retry_after": "3"}, 429, openai.RateLimitError),
        ({"kind": "status", "status": 529}, 503, openai.APIStatusError),
        ({"kind": "status", "status": 500}, 502, openai.APIStatusError),
        (
            {"kind": "status", "status": 400, "message": "messages: text content blocks must be non-empty"},
            400,
            openai.BadRequestError,
        ),
    ],
)
def test_upstream_errors_map(
    gateway: Gateway, claude: FakeAnthropic, fault: dict[str, Any], status: int, error_class: type
) -> None:
    # translation drops fields Anthropic does not know, so faults are scripted on the fake instead
    claude.inject(Fault.parse({**fault, "model": "claude-small"}))
    with pytest.raises(error_class) as info:
        gateway.client().chat.completions.create(model="sonnet", messages=user("x"))
    assert info.value.status_code == status and "provider 'claude'" in info.value.message
    assert info.value.response.headers.get("retry-after") == fault.get("retry_after")


def test_context_length_and_refused_parameters(gateway: Gateway, claude: FakeAnthropic) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        gateway.client().chat.completions.create(model="tiny", messages=user("word " * 50))
    assert info.value.code == "context_length_exceeded" and "prompt is too long" in info.value.message
    before = len(claude.seen)
    with pytest.raises(openai.BadRequestError) as info:
        gateway.client().chat.completions.create(model="sonnet", messages=user("x"), n=2)
    assert "n > 1" in info.value.message and len(claude.seen) == before, "refused before calling anyone"


def test_error_event_mid_stream_reaches_the_client(gateway: Gateway, claude: FakeAnthropic) -> None:
    claude.inject(Fault("error_event", after=4, model="claude-small"))
    stream = gateway.client().chat.completions.create(
        model="sonnet", messages=user("say: one two three four"), stream=True
    )
    with pytest.raises(openai.APIError) as info:
        for _ in stream:
            pass
    assert "Overloaded" in info.value.message


@pytest.mark.parametrize("stream", [False, True])
def test_reasoning_effort_becomes_extended_thinking(
    gateway: Gateway, claude: FakeAnthropic, stream: bool
) -> None:
    client = gateway.client()
    kwargs: dict[str, Any] = {
        "model": "sonnet",
        "messages": user("say: thought through"),
        "max_tokens": 500,
        "reasoning_effort": "low",
        "temperature": 0.3,
    }
    if stream:
        chunks = list(
            client.chat.completions.create(**kwargs, stream=True, stream_options={"include_usage": True})
        )
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        usage = chunks[-1].usage
    else:
        completion = client.chat.completions.create(**kwargs)
        text, usage = completion.choices[0].message.content, completion.usage
    sent = claude.seen[-1].body
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert sent["max_tokens"] > 1024 and "temperature" not in sent, "Anthropic's rules for thinking"
    assert text == "thought through", "the thinking is not part of the answer"
    assert usage.completion_tokens > 3, "thinking tokens are billed as output"


def test_a_stream_the_client_leaves_is_billed_for_what_was_streamed(
    gateway: Gateway, claude: FakeAnthropic
) -> None:
    """Anthropic reports usage up front (message_start says output_tokens: 1): the text that flowed
    before the client left is what the provider bills, so that is what the row counts."""
    import httpx2 as httpx

    claude.inject(Fault("stall", after=45, seconds=3, model="claude-small"))
    words = " ".join(f"w{i}" for i in range(60))
    body = {"model": "sonnet", "messages": user(f"say: {words}"), "stream": True}
    with httpx.stream("POST", f"{gateway.url}/v1/chat/completions", json=body, timeout=10) as response:
        request_id = response.headers["x-pointsman-request-id"]
        chunks = 0
        for line in response.iter_lines():
            chunks += line.startswith("data: ") and '"content"' in line
            if chunks >= 40:
                break  # the client leaves mid-answer
    row = gateway.row(request_id)
    assert row["status"] == 499 and row["estimated"] == 1
    assert row["completion_tokens"] >= 40, "the text streamed is counted, not message_start's 1 token"
