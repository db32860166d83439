"""`pointsman demo`: fake providers + the gateway on its embedded default + the OpenAI SDK, offline."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

import openai

from pointsman import localmodel
from pointsman.catalog.price import format_usd
from pointsman.cli import demo_learned
from pointsman.cli.table import render
from pointsman.config.loader import parse_config
from pointsman.fakes.base import FakeModel
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.ledger.spend import summarize
from pointsman.ledger.sqlite import read_rows
from pointsman.serving import BackgroundServers

_CONFIG = """
server:
  access_log: {{enabled: false}}   # the demo prints its own table of the requests
providers:
  cloud-a:            # an OpenAI-shaped provider; the preset says whose built-in prices apply
    preset: openai
    base_url: {a}/v1
    api_key: demo-key-a
  cloud-b:
    preset: openai
    base_url: {b}/v1
    api_key: demo-key-b
{local_provider}models:
  fast:  {{provider: cloud-a, upstream: gpt-4o-mini}}
  smart: {{provider: cloud-b, upstream: gpt-4o}}
  embed: {{provider: cloud-a, upstream: text-embedding-3-small}}
{learned_models}{local_model}aliases:
  default: fast
{learned_route}ledger:
  path: {ledger}
"""

_WEATHER_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
_SCHEMA: Any = {
    "type": "json_schema",
    "json_schema": {
        "name": "ticket",
        "schema": {
            "type": "object",
            "properties": {
                "priority": {"type": "string", "enum": ["low", "high"]},
                "summary": {"type": "string"},
            },
            "required": ["priority", "summary"],
        },
    },
}


def _ask(text: str) -> Any:
    return [{"role": "user", "content": text}]


# a real model, when ./scripts/install-local has installed it: llama.cpp serving SmolLM2-135M on this machine
_LOCAL_PROVIDER = """  local:
    preset: llamacpp
    base_url: {url}
"""
_LOCAL_MODEL = "  local: {provider: local, upstream: smollm2-135m, input: 0, output: 0, tokenizer: llama3}\n"


def _workload(client: openai.OpenAI, local: bool) -> list[tuple[str, Callable[[], Any]]]:
    chat = client.chat.completions
    user: Any = [{"role": "user", "content": "Summarise our refund policy in one line."}]
    return [
        ("plain chat, alias", lambda: chat.with_raw_response.create(model="default", messages=user)),
        ("plain chat", lambda: chat.with_raw_response.create(model="smart", messages=user)),
        (
            "streamed",
            lambda: chat.with_raw_response.create(
                model="smart", messages=user, stream=True, stream_options={"include_usage": True}
            ),
        ),
        (
            "tool call",
            lambda: chat.with_raw_response.create(
                model="fast",
                messages=_ask("Use the tool: weather in Oslo?"),
                tools=[_WEATHER_TOOL],
            ),
        ),
        (
            "JSON schema",
            lambda: chat.with_raw_response.create(
                model="smart",
                messages=_ask("File a ticket: the app crashes"),
                response_format=_SCHEMA,
            ),
        ),
        ("provider/model name", lambda: chat.with_raw_response.create(model="cloud-b/gpt-4o", messages=user)),
        (
            "tagged (metadata)",
            lambda: chat.with_raw_response.create(model="fast", messages=user, metadata={"team": "support"}),
        ),
        (
            "embeddings",
            lambda: client.embeddings.with_raw_response.create(model="embed", input=["refunds", "tax"]),
        ),
        *(
            [
                (
                    "real local model",
                    lambda: chat.with_raw_response.create(model="local", messages=user, max_tokens=24),
                )
            ]
            if local
            else []
        ),
        ("unknown model", lambda: chat.with_raw_response.create(model="gpt-9", messages=user)),
        (
            "provider says 429",
            lambda: chat.with_raw_response.create(
                model="fast", messages=user, extra_body={"fake_fault": {"kind": "status", "status": 429}}
            ),
        ),
    ]


def _run_one(call: Callable[[], Any]) -> tuple[str, str, str, str]:
    try:
        raw = call()
    except openai.APIStatusError as exc:
        return "-", "-", f"error {exc.status_code}", exc.message[:60]
    headers = raw.headers
    parsed = raw.parse()
    if isinstance(parsed, openai.Stream):
        for _ in parsed:
            pass
    return (
        headers["x-pointsman-model"],
        headers["x-pointsman-provider"],
        headers.get("x-pointsman-cost-usd", "(in ledger)"),
        headers["x-pointsman-route"],
    )


def run_demo(ledger_path: str = "") -> int:
    ledger = ledger_path or os.path.join(tempfile.mkdtemp(prefix="pointsman-demo-"), "ledger.db")
    servers = BackgroundServers()
    local = localmodel.start() if localmodel.available() else None
    try:
        a = servers.start_fake(FakeOpenAI(default=FakeModel(latency=0.02, ttft=0.03, tokens_per_second=400)))
        b = servers.start_fake(FakeOpenAI(default=FakeModel(latency=0.08, ttft=0.06, tokens_per_second=150)))
        text = _CONFIG.format(
            a=a.url,
            b=b.url,
            ledger=ledger,
            local_provider=_LOCAL_PROVIDER.format(url=local[1]) if local else "",
            local_model=_LOCAL_MODEL if local else "",
            learned_models=demo_learned.MODELS,
            learned_route=demo_learned.ROUTE,
        )
        app, url = servers.start_gateway(parse_config(text, "<demo>", {}))
        with_local = (
            "and a real local model (SmolLM2-135M)" if local else "(./scripts/install-local adds a real one)"
        )
        print(f"pointsman demo: gateway on {url}, two fake providers {with_local}, ledger {ledger}\n")
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="not-needed", max_retries=0)
        rows = []
        for what, call in _workload(client, local is not None):
            started = time.perf_counter()
            model, provider, cost, route = _run_one(call)
            rows.append([what, model, provider, cost, f"{(time.perf_counter() - started) * 1000:.1f}", route])
        print(render(["request", "answered by", "provider", "cost $", "ms", "route / error"], rows))
        catalog = app.gateway.catalog
        routed = [demo_learned.ask(client, catalog, prompt) for prompt in demo_learned.PROMPTS]
        print(f"\nthe learned router (route `auto`, preset frugal):\n{demo_learned.report(routed)}")
        servers.stop_gateway(app)  # stops like SIGTERM does: drains and flushes the ledger
    finally:
        servers.close()
        if local is not None:
            local[0].terminate()
    lines = summarize(read_rows(ledger), "model")
    table = [
        [
            x.group,
            str(x.requests),
            str(x.errors),
            str(x.prompt_tokens),
            str(x.completion_tokens),
            format_usd(x.cost_usd),
        ]
        for x in lines
    ]
    print(
        "\nledger, by model:\n"
        + render(["model", "requests", "errors", "prompt tok", "completion tok", "cost $"], table)
    )
    print(f"\nEvery request above has one ledger row. Explore it: pointsman spend --ledger {ledger} --by tag")
    return 0
