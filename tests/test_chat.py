"""The OpenAI surface through the official SDK, sync and async, against the gateway on a loopback port."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import openai
import pytest

from conftest import Gateway, user
from pointsman.fakes.openai_server import FakeOpenAI

MILLION = Decimal(1_000_000)


def expected_cost(usage: Any, price_in: str, price_out: str, price_cached: str | None = None) -> Decimal:
    cached = usage.prompt_tokens_details.cached_tokens if usage.prompt_tokens_details else 0
    fresh = usage.prompt_tokens - cached
    total = fresh * Decimal(price_in) + usage.completion_tokens * Decimal(price_out)
    total += cached * Decimal(price_cached if price_cached is not None else price_in)
    return total / MILLION


def test_plain_completion_reaches_the_named_model_and_is_priced(gateway: Gateway, fake: FakeOpenAI) -> None:
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="small", messages=user("say: hello")
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "hello"
    assert completion.choices[0].finish_reason == "stop"
    assert fake.seen[-1].model == "small-1"  # the upstream id, not the catalog name
    assert fake.seen[-1].headers["authorization"] == "Bearer sk-provider-secret-0123456789"
    cost = expected_cost(completion.usage, "0.15", "0.60")
    assert Decimal(raw.headers["x-pointsman-cost-usd"]) == cost
    assert raw.headers["x-pointsman-model"] == "small"
    assert raw.headers["x-pointsman-provider"] == "fake"
    assert raw.headers["x-pointsman-route"] == "manual"
    row = gateway.row(raw.headers["x-pointsman-request-id"])
    assert Decimal(row["cost_usd"]) == cost
    assert (row["prompt_tokens"], row["completion_tokens"]) == (
        completion.usage.prompt_tokens,
        completion.usage.completion_tokens,
    )
    assert row["status"] == 200 and row["stream"] == 0 and row["estimated"] == 0


async def test_async_client_plain_and_streamed(gateway: Gateway) -> None:
    client = gateway.async_client()
    completion = await client.chat.completions.create(model="fast", messages=user("say: async works"))
    assert completion.choices[0].message.content == "async works"
    stream = await client.chat.completions.create(
        model="fast", messages=user("say: one two three"), stream=True
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "one two three"
    await client.close()


def test_stream_with_include_usage_ends_with_usage_and_cost_in_ledger(gateway: Gateway) -> None:
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="big",
        messages=user("say: streaming is fun"),
        stream=True,
        stream_options={"include_usage": True},
    )
    assert raw.headers["content-type"].startswith("text/event-stream")
    chunks = list(raw.parse())
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "streaming is fun"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    row = gateway.row(raw.headers["x-pointsman-request-id"])
    assert row["stream"] == 1 and row["estimated"] == 0
    assert Decimal(row["cost_usd"]) == expected_cost(chunks[-1].usage, "2.50", "10")
    assert row["ttft_ms"] is not None and row["ttft_ms"] <= row["latency_ms"]


def test_stream_without_include_usage_still_prices_exactly(gateway: Gateway, fake: FakeOpenAI) -> None:
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="big", messages=user("say: no usage asked"), stream=True
    )
    chunks = list(raw.parse())
    assert all(c.choices for c in chunks), "the client did not ask for a usage chunk and must not get one"
    assert fake.seen[-1].body["stream_options"] == {"include_usage": True}  # the gateway asked upstream
    row = gateway.row(raw.headers["x-pointsman-request-id"])
    assert row["estimated"] == 0 and row["completion_tokens"] > 0 and Decimal(row["cost_usd"]) > 0


def test_tools_round_trip_and_streamed_tool_call_arguments_intact(gateway: Gateway, fake: FakeOpenAI) -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                    "required": ["city", "days"],
                },
            },
        }
    ]
    client = gateway.client()
    completion = client.chat.completions.create(
        model="small", messages=user("use the tool"), tools=tools, tool_choice="required"
    )
    call = completion.choices[0].message.tool_calls[0]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert json.loads(call.function.arguments) == {"city": "city example", "days": 42}
    assert fake.seen[-1].body["tools"] == tools and fake.seen[-1].body["tool_choice"] == "required"

    stream = client.chat.completions.create(
        model="small", messages=user("use the tool"), tools=tools, tool_choice="required", stream=True
    )
    args, name = "", None
    for chunk in stream:
        for delta in chunk.choices[0].delta.tool_calls or []:
            name = name or delta.function.name
            args += delta.function.arguments or ""
    assert name == "lookup" and json.loads(args) == {"city": "city example", "days": 42}

    follow = client.chat.completions.create(
        model="small",
        tools=tools,
        messages=[
            {"role": "user", "content": "use the tool"},
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump(exclude_none=True)]},
            {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
        ],
    )
    assert follow.choices[0].message.content == "The tool returned: sunny"


def test_json_schema_and_unknown_fields_pass_untouched(gateway: Gateway, fake: FakeOpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    body: dict[str, Any] = dict(
        messages=user("answer in JSON"),
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "a", "schema": schema, "strict": True},
        },
        seed=7,
        stop=["\n\n"],
        max_completion_tokens=50,
        temperature=0.2,
        top_p=0.9,
        logit_bias={"50256": -100},
        user="u-1",
        store=False,
        parallel_tool_calls=False,
        service_tier="auto",
    )
    completion = gateway.client().chat.completions.create(
        model="small", **body, extra_body={"vendor_specific": {"x": [1, 2]}, "top_k": 5}
    )
    assert json.loads(completion.choices[0].message.content) == {"answer": "answer example"}
    sent = fake.seen[-1].body
    for key, value in {**body, "vendor_specific": {"x": [1, 2]}, "top_k": 5}.items():
        assert sent[key] == value, key


def test_image_parts_n_and_logprobs(gateway: Gateway, fake: FakeOpenAI) -> None:
    content = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
    ]
    completion = gateway.client().chat.completions.create(
        model="small", messages=[{"role": "user", "content": content}], n=3, logprobs=True, top_logprobs=1
    )
    assert fake.seen[-1].body["messages"][0]["content"] == content
    assert [c.index for c in completion.choices] == [0, 1, 2]
    assert "I see 1 image" in completion.choices[0].message.content
    assert completion.choices[0].logprobs.content[0].token


def test_max_tokens_truncation_reports_length(gateway: Gateway) -> None:
    completion = gateway.client().chat.completions.create(
        model="small", messages=user("say: a b c d e f g"), max_tokens=3
    )
    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.content == "a b c "


def test_cached_and_reasoning_tokens_priced_as_the_provider_prices_them(gateway: Gateway) -> None:
    client = gateway.client()
    raw = client.chat.completions.with_raw_response.create(
        model="cachey", messages=user("a fairly long question")
    )
    usage = raw.parse().usage
    assert usage.prompt_tokens_details.cached_tokens == 6
    cost = expected_cost(usage, "1.00", "4.00", "0.10")
    assert Decimal(raw.headers["x-pointsman-cost-usd"]) == cost
    assert gateway.row(raw.headers["x-pointsman-request-id"])["cached_tokens"] == 6

    raw = client.chat.completions.with_raw_response.create(model="thinker", messages=user("think hard"))
    usage = raw.parse().usage
    assert usage.completion_tokens_details.reasoning_tokens == 40
    # reasoning tokens are part of completion_tokens and billed as output, once
    assert Decimal(raw.headers["x-pointsman-cost-usd"]) == expected_cost(usage, "1.10", "4.40")
    assert gateway.row(raw.headers["x-pointsman-request-id"])["reasoning_tokens"] == 40


def test_provider_slash_model_names_route_openrouter_style(gateway: Gateway, fake: FakeOpenAI) -> None:
    raw = gateway.client().chat.completions.with_raw_response.create(model="fake/big-1", messages=user("hi"))
    assert raw.headers["x-pointsman-model"] == "big"  # the catalog entry for that upstream id
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="fake/unlisted-9", messages=user("hi")
    )
    assert fake.seen[-1].model == "unlisted-9"
    assert raw.headers["x-pointsman-cost-usd"] == "unknown"
    assert raw.headers["x-pointsman-route"] == "manual:unlisted"
    assert gateway.row(raw.headers["x-pointsman-request-id"])["cost_usd"] is None


def test_models_endpoint_lists_catalog_and_aliases(gateway: Gateway) -> None:
    client = gateway.client()
    ids = {m.id for m in client.models.list()}
    assert {"small", "big", "embed", "fast"} <= ids
    assert client.models.retrieve("fast").owned_by == "fake"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("nope")


def test_embeddings_priced_by_input_tokens(gateway: Gateway) -> None:
    raw = gateway.client().embeddings.with_raw_response.create(
        model="embed", input=["hello world", "more text"]
    )
    result = raw.parse()
    assert len(result.data) == 2 and len(result.data[0].embedding) == 8
    expected = result.usage.prompt_tokens * Decimal("0.02") / MILLION
    assert Decimal(raw.headers["x-pointsman-cost-usd"]) == expected
    assert gateway.row(raw.headers["x-pointsman-request-id"])["endpoint"] == "embeddings"


def test_health_and_readiness(gateway: Gateway) -> None:
    import httpx2 as httpx

    assert httpx.get(f"{gateway.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{gateway.url}/readyz")
    assert ready.status_code == 200 and ready.json()["ledger"]["ok"] is True


def test_pooled_upstream_connections_are_reused_for_json_and_streams(
    gateway: Gateway, fake: FakeOpenAI
) -> None:
    client = gateway.client()
    for _ in range(4):
        client.chat.completions.create(model="small", messages=user("say: x"))
        for _ in client.chat.completions.create(model="small", messages=user("say: y"), stream=True):
            pass
    ports = {seen.peer_port for seen in fake.seen}
    assert len(fake.seen) == 8 and len(ports) == 1, f"8 calls over {len(ports)} connections"


def test_metadata_reaches_openai_only_with_store(gateway: Gateway, fake: FakeOpenAI) -> None:
    """OpenAI refuses `metadata` without `store: true` (the fake does too); it still tags the row."""
    client = gateway.client()
    raw = client.chat.completions.with_raw_response.create(
        model="small", messages=user("say: hi"), metadata={"team": "search"}
    )
    assert "metadata" not in fake.seen[-1].body
    assert gateway.row(raw.headers["x-pointsman-request-id"])["tags"] == {"team": "search"}
    client.chat.completions.create(model="small", messages=user("hi"), metadata={"team": "a"}, store=True)
    assert fake.seen[-1].body["metadata"] == {"team": "a"} and fake.seen[-1].body["store"] is True
