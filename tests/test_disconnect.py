"""A client that leaves stops the upstream work, and the ledger still says what was spent."""

from __future__ import annotations

import time

import httpx2 as httpx
import openai
import pytest

from conftest import Gateway, user
from pointsman.fakes.openai_server import FakeOpenAI


def wait_for_row(gateway: Gateway, status: int, limit: float = 5.0) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        rows = [r for r in gateway.rows() if r["status"] == status]
        if rows:
            return rows[-1]
        time.sleep(0.05)
    raise AssertionError(f"no ledger row with status {status}")


def test_client_leaving_mid_stream_is_recorded_with_what_was_generated(make_gateway: object) -> None:
    gateway: Gateway = make_gateway()  # type: ignore[operator]
    words = " ".join(f"w{i}" for i in range(60))
    body = {"model": "trickle", "messages": user(f"say: {words}"), "stream": True}
    with httpx.stream("POST", f"{gateway.url}/v1/chat/completions", json=body, timeout=10) as response:
        assert response.status_code == 200
        seen = 0
        for line in response.iter_lines():
            seen += line.startswith("data: ")
            if seen >= 5:
                break  # leave after a few chunks; closing the response drops the connection
    started = time.monotonic()
    row = wait_for_row(gateway, 499)
    assert time.monotonic() - started < 3, "the gateway noticed at once, not at the end of the answer"
    assert row["error_type"] == "client_closed" and row["stream"] == 1
    assert row["estimated"] == 1 and 0 < row["completion_tokens"] < 60
    assert float(row["cost_usd"]) > 0, "the provider bills what it generated before we hung up"


def test_client_leaving_aborts_the_upstream_stream(gateway: Gateway, fake: FakeOpenAI) -> None:
    before = fake.abandoned
    words = " ".join(f"w{i}" for i in range(60))
    body = {"model": "trickle", "messages": user(f"say: {words}"), "stream": True}
    with httpx.stream("POST", f"{gateway.url}/v1/chat/completions", json=body, timeout=10) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                break
    deadline = time.monotonic() + 2
    while fake.abandoned == before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake.abandoned == before + 1, "the provider stopped generating: nobody was listening"


def test_client_timing_out_cancels_the_upstream_call(gateway: Gateway, fake: FakeOpenAI) -> None:
    client = gateway.client(timeout=0.5)
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="slow", messages=user("x"))
    row = wait_for_row(gateway, 499)
    assert row["latency_ms"] < 3000, "cancelled when the client left, not after the 5 s answer"
    assert row["estimated"] == 1 and row["prompt_tokens"] > 0 and row["completion_tokens"] == 0
    assert float(row["cost_usd"]) > 0, "the provider read the prompt: that is billed"


def test_stream_trailer_carries_the_cost(gateway: Gateway) -> None:
    body = {"model": "small", "messages": user("say: hi"), "stream": True}
    text = httpx.post(f"{gateway.url}/v1/chat/completions", json=body, timeout=10).text
    assert text.endswith("data: [DONE]\n\n")
    trailer = [line for line in text.splitlines() if line.startswith(": x-pointsman-cost-usd ")]
    assert len(trailer) == 1 and float(trailer[0].split()[-1]) > 0


def test_upstream_garbage_is_a_502_naming_the_provider(gateway: Gateway) -> None:
    with pytest.raises(openai.APIStatusError) as info:
        gateway.client().chat.completions.create(
            model="small", messages=user("x"), extra_body={"fake_fault": {"kind": "garbage"}}
        )
    assert info.value.status_code == 502 and "provider 'fake'" in info.value.message
