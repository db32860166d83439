"""What the tests of the Anthropic surface's fidelity share: the three fakes (an OpenAI one with
OpenAI's rules, which refuses what real OpenAI refuses), a gateway over them, and a Claude Code
request as it reaches the gateway. A test module makes the fixtures with `fixtures()`."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest

from conftest import EXPLAIN, Gateway, reset, trace_of
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.base import FakeModel
from pointsman.fakes.gemini_server import FakeGemini
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.serving import BackgroundServers

KEY = "pm-fidelity-key"
CONFIGURED_BETA = "files-api-2025-04-14"
"""An `anthropic-beta` the provider's config sets, which the client's are merged with."""


def start_oai(servers: BackgroundServers) -> FakeOpenAI:
    models = {
        "gpt-4o": FakeModel(reasoning=False, max_output_tokens=16384),
        "gpt-5": FakeModel(reasoning=True, max_output_tokens=128000),
        "local-1": FakeModel(),
    }
    fake = FakeOpenAI(models)
    servers.start_fake(fake)
    return fake


def start_ant(servers: BackgroundServers) -> FakeAnthropic:
    fake = FakeAnthropic()
    servers.start_fake(fake)
    return fake


def start_gem(servers: BackgroundServers) -> FakeGemini:
    fake = FakeGemini({"gemini-x": FakeModel()})
    servers.start_fake(fake)
    return fake


def start_gateway(make_gateway: Any, oai: FakeOpenAI, ant: FakeAnthropic, gem: FakeGemini) -> Gateway:
    caps = "[tools, vision, json_schema, streaming]"
    thinks = "[tools, vision, json_schema, streaming, reasoning]"
    gateway: Gateway = make_gateway(
        text=f"""
server:
  keys: [{{id: fidelity, key: {KEY}}}]
providers:
  openai: {{base_url: "{oai.url}/v1", api_key: sk-openai}}
  local: {{preset: llamacpp, base_url: "{oai.url}/v1"}}
  ant: {{type: anthropic, base_url: "{ant.url}/v1", api_key: sk-ant,
        headers: {{anthropic-beta: {CONFIGURED_BETA}}}}}
  gem: {{type: gemini, base_url: "{gem.url}/v1beta", api_key: g-key}}
models:
  gpt-4o: {{provider: openai, input: 2.5, output: 10, max_output_tokens: 16384, capabilities: {caps}}}
  gpt-5: {{provider: openai, input: 1.25, output: 10, max_output_tokens: 128000, capabilities: {thinks}}}
  tiny: {{provider: openai, upstream: gpt-4o, input: 1, output: 1, context_window: 40, capabilities: {caps}}}
  claude: {{provider: ant, upstream: claude-opus-4-8, input: 5, output: 25, max_output_tokens: 128000,
           capabilities: {thinks}}}
  gem: {{provider: gem, upstream: gemini-x, input: 1, output: 1, capabilities: {thinks}}}
  local: {{provider: local, upstream: local-1, input: 0, output: 0}}
routes:
  searcher: {{default: gpt-4o, fallbacks: [claude]}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
"""
    )
    return gateway


def forget(request: pytest.FixtureRequest) -> Any:
    """After each test: the fakes forget what they saw."""
    yield
    for name in ("oai", "ant", "gem"):
        if name in request.fixturenames:
            reset(request.getfixturevalue(name))


def client(gw: Gateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key=KEY, max_retries=0, default_headers=EXPLAIN)


def notes(headers: Any) -> list[str]:
    """What the trace says was adapted."""
    return list(trace_of(headers).get("adapted", []))


CLAUDE_CODE_BETAS = [
    "claude-code-20250219",
    "context-1m-2025-08-07",
    "interleaved-thinking-2025-05-14",
    "context-management-2025-06-27",
    "prompt-caching-scope-2026-01-05",
    "effort-2025-11-24",
    "mid-conversation-system-2026-04-07",
]
EPHEMERAL = {"type": "ephemeral"}
SYSTEM = [
    {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.197; cc_entrypoint=sdk-cli"},
    {
        "type": "text",
        "text": "You are a Claude agent, built on Anthropic's Claude Agent SDK.",
        "cache_control": EPHEMERAL,
    },
    {"type": "text", "text": "Follow the repository's conventions.", "cache_control": EPHEMERAL},
]
MID_SYSTEM = "Available agent types for the Agent tool: general-purpose"
USER_ID = json.dumps({"device_id": "d" * 64, "account_uuid": "", "session_id": "5f3c-session"})
TOOLS: list[dict[str, Any]] = [
    {
        "name": f"Tool{i}",
        "description": f"The tool number {i}.",
        "input_schema": {"type": "object", "properties": {"arg": {"type": "string"}}, "required": ["arg"]},
    }
    for i in range(24)
]
TOOLS[-1] = {**TOOLS[-1], "cache_control": EPHEMERAL}
FIELDS = {
    "thinking": {"type": "adaptive"},
    "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
    "output_config": {"effort": "high"},
}
REMINDER = "<system-reminder>The date is 2026-11-29.</system-reminder>"


def claude_code_turn(model: str) -> dict[str, Any]:
    """The keyword arguments of one Claude Code turn (the shape the field notes recorded)."""
    return {
        "model": model,
        "max_tokens": 64000,
        "system": SYSTEM,
        "tools": TOOLS,
        "metadata": {"user_id": USER_ID},
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": REMINDER},
                    {"type": "text", "text": "say: done", "cache_control": EPHEMERAL},
                ],
            },
            {"role": "system", "content": MID_SYSTEM},
        ],
        "extra_body": FIELDS,
        "extra_headers": {"anthropic-beta": ",".join(CLAUDE_CODE_BETAS)},
    }


def streamed(gw: Gateway, **kw: Any) -> tuple[list[Any], Any, Any]:
    """Every event, the final message and the response headers of a streamed request."""
    with client(gw).messages.stream(**kw) as stream:
        events = list(stream)
        return events, stream.get_final_message(), stream.response.headers


def fixtures() -> tuple[Any, ...]:
    """The fixtures oai, ant, gem, gw (module-scoped) and the autouse cleanup, for a test module to
    bind at its top level."""
    return (
        pytest.fixture(scope="module", name="oai")(start_oai),
        pytest.fixture(scope="module", name="ant")(start_ant),
        pytest.fixture(scope="module", name="gem")(start_gem),
        pytest.fixture(scope="module", name="gw")(start_gateway),
        pytest.fixture(autouse=True)(forget),
    )
