"""One ledger row per request, exact costs, tags; a SIGTERM under load loses no row."""

from __future__ import annotations

import asyncio
import os
import signal
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai

from conftest import PROVIDER_KEY, Gateway, serve_process, user
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.ledger.sqlite import read_rows


async def test_concurrent_requests_get_exactly_one_row_each(make_gateway: Any) -> None:
    gw: Gateway = make_gateway()
    client = gw.async_client()

    async def one(i: int) -> str:
        kind = i % 4
        try:
            if kind == 0:
                raw = await client.chat.completions.with_raw_response.create(
                    model="small", messages=user(f"n{i}")
                )
            elif kind == 1:
                raw = await client.chat.completions.with_raw_response.create(
                    model="big", messages=user(f"n{i}"), stream=True
                )
                async for _ in raw.parse():
                    pass
            elif kind == 2:
                raw = await client.chat.completions.with_raw_response.create(
                    model="missing", messages=user("x")
                )
            else:
                raw = await client.embeddings.with_raw_response.create(model="embed", input=f"n{i}")
            return raw.headers["x-pointsman-request-id"]
        except openai.APIStatusError as exc:
            return exc.response.headers["x-pointsman-request-id"]

    ids = await asyncio.gather(*(one(i) for i in range(120)))
    await client.close()
    rows = gw.rows()
    assert sorted(r["id"] for r in rows) == sorted(ids)
    by_status: dict[int, int] = {}
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    assert by_status == {200: 90, 404: 30}


def test_tags_from_metadata_and_header(gateway: Gateway) -> None:
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="small",
        messages=user("x"),
        metadata={"team": "search", "feature": "rerank"},
        extra_headers={"x-pointsman-tags": "env=prod, canary"},
    )
    row = gateway.row(raw.headers["x-pointsman-request-id"])
    assert row["tags"] == {"team": "search", "feature": "rerank", "env": "prod", "canary": ""}


def test_row_fields_for_a_streamed_request(gateway: Gateway) -> None:
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="fast", messages=user("say: hi"), stream=True, stream_options={"include_usage": True}
    )
    usage = list(raw.parse())[-1].usage
    row = gateway.row(raw.headers["x-pointsman-request-id"])
    assert row["requested_model"] == "fast" and row["model"] == "small" and row["upstream_model"] == "small-1"
    assert row["provider"] == "fake" and row["route"] == "alias:fast" and row["attempts"] == 1
    assert row["stream"] == 1 and row["key_id"] == "" and row["endpoint"] == "chat"
    cost = (usage.prompt_tokens * Decimal("0.15") + usage.completion_tokens * Decimal("0.60")) / 1_000_000
    assert Decimal(row["cost_usd"]) == cost
    assert 0 < row["ttft_ms"] <= row["latency_ms"]


async def test_sigterm_under_load_loses_no_ledger_row(tmp_path: Path, fake: FakeOpenAI) -> None:
    ledger = tmp_path / "ledger.db"
    config = tmp_path / "gw.yaml"
    config.write_text(f"""
server: {{port: 0}}
providers:
  fake: {{type: openai, base_url: "{fake.url}/v1", api_key: {PROVIDER_KEY}}}
models:
  steady: {{provider: fake, upstream: steady-1, input: 1, output: 2}}
ledger: {{path: "{ledger}", flush_interval: 5}}
""")
    proc, url = serve_process(config)
    client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
    answered: list[str] = []
    refused = 0
    warm = asyncio.Event()

    async def one(i: int) -> None:
        nonlocal refused
        await asyncio.sleep(i * 0.004)
        try:
            raw = await client.chat.completions.with_raw_response.create(
                model="steady", messages=user(f"{i}")
            )
            answered.append(raw.headers["x-pointsman-request-id"])
            if len(answered) == 20:
                warm.set()
        except openai.APIConnectionError:
            refused += 1  # sent after the gateway stopped accepting: never reached it

    load = asyncio.gather(*(one(i) for i in range(300)))
    await asyncio.wait_for(warm.wait(), 30)  # under load: answers came back, more are on their way
    before = len(answered)
    os.kill(proc.pid, signal.SIGTERM)  # the ledger's 5 s flush interval has not come round yet
    await load
    await client.close()
    # uvicorn re-raises the signal once it has drained: the exit says "stopped by SIGTERM", cleanly
    assert proc.wait(30) == -signal.SIGTERM
    rows = list(read_rows(str(ledger)))
    assert len(answered) > before, "requests in flight at SIGTERM were answered"
    assert sorted(r["id"] for r in rows) == sorted(answered)
    assert all(r["status"] == 200 and Decimal(r["cost_usd"]) > 0 for r in rows)
    assert len(answered) + refused == 300
