"""A provider's huge error message reaches the client bounded, and the trace header stays small."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import openai
import orjson
import pytest

from conftest import EXPLAIN, Gateway, user
from pointsman.engine.trace import DETAIL_IN_HEADER, HEADER_LIMIT
from pointsman.fakes.faults import Fault
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.providers.errorbody import MESSAGE_LIMIT

HUGE = "Traceback (most recent call last): frame of a very deep stack\n" * 3300  # ~200 KB


@pytest.fixture(scope="module")
def wide(make_gateway: Any) -> Gateway:
    gw: Gateway = make_gateway(
        """
routes:
  wide: {default: small, fallbacks: [big, cachey], retries: 1, backoff: 0.01}
"""
    )
    return gw


def test_a_200_kb_error_on_every_tier_gives_a_readable_response(wide: Gateway, fake: FakeOpenAI) -> None:
    assert len(HUGE) > 200_000
    fake.inject(Fault("status", status=500, message=HUGE, times=0))
    r = httpx.post(
        f"{wide.url}/v1/chat/completions",
        json={"model": "wide", "messages": user("hi")},
        headers=EXPLAIN,
        timeout=30,
    )
    assert r.status_code == 502
    message = r.json()["error"]["message"]
    assert message.startswith("provider 'fake' returned 500: Traceback")
    assert len(message) < MESSAGE_LIMIT + 100 and message.endswith(f"[{len(HUGE)} characters in all, cut]")

    header = r.headers.raw  # the header as sent, in bytes
    trace_bytes = next(v for k, v in header if k == b"x-pointsman-trace")
    assert len(trace_bytes) <= HEADER_LIMIT
    trace = orjson.loads(trace_bytes)
    assert "ledger" in trace["truncated"]
    assert [a["outcome"] for a in trace["attempts"]] == ["retried", "failed"] * 3
    assert all(len(a["detail"]) <= DETAIL_IN_HEADER + 1 for a in trace["attempts"])

    # the ledger keeps each attempt's whole (bounded) story
    row = wide.row(r.headers["x-pointsman-request-id"])
    assert [len(a["detail"]) > MESSAGE_LIMIT for a in row["trace"]["attempts"]] == [True] * 6


def test_a_200_kb_error_reaches_an_sdk_client_bounded(gateway: Gateway, fake: FakeOpenAI) -> None:
    fake.inject(Fault("status", status=500, message=HUGE, model="small-1"))
    with pytest.raises(openai.InternalServerError) as info:
        gateway.client().chat.completions.create(model="small", messages=user("hi"), extra_headers=EXPLAIN)
    assert info.value.status_code == 502
    assert len(info.value.response.text) < MESSAGE_LIMIT + 300
    assert len(info.value.response.headers["x-pointsman-trace"]) <= HEADER_LIMIT
