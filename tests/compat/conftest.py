"""Real client libraries, unmodified but for their base URL and key, against one gateway on loopback
whose OpenAI-wire and Anthropic-wire models are the project's fake providers.

The fakes answer `say: X` with X, and call the first tool offered when the prompt says "tool" (its
arguments an example of the tool's schema: `{"city": "city example"}`); after a tool result they say
`The tool returned: ...`. So each test can assert the client's own result exactly, and what reached
the provider (`fake.seen`, `claude.seen`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

# Before any client library is imported: litellm fetches its price map and beta-header config from
# the network at import unless told to use the copies it ships; the agents SDK exports traces to
# OpenAI unless tracing is off; nothing here may reach the internet.
for _name in (
    "LITELLM_LOCAL_MODEL_COST_MAP",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS",
    "LITELLM_LOCAL_BLOG_POSTS",
    "LITELLM_LOCAL_POLICY_TEMPLATES",
):
    os.environ.setdefault(_name, "True")
os.environ.setdefault("OPENAI_AGENTS_DISABLE_TRACING", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("LANGSMITH_TRACING", "false")

from compat.env import CLAUDE, GPT, INSTRUCT, KEY, Compat  # noqa: E402
from conftest import two_wire_gateway  # noqa: E402
from pointsman.fakes.anthropic_server import FakeAnthropic  # noqa: E402
from pointsman.fakes.openai_server import FakeOpenAI  # noqa: E402


@pytest.fixture(scope="session")
def compat(make_gateway: Any, fake: FakeOpenAI, anthropic_fake: FakeAnthropic) -> Compat:
    models = f"""
models:
  {GPT}: {{provider: oai, upstream: small-1, input: 0.15, output: 0.60}}
  {CLAUDE}: {{provider: ant, upstream: {CLAUDE}, input: 3, output: 15}}
  text-embedding-3-small: {{provider: oai, upstream: embed-1, input: 0.02, output: 0,
                           capabilities: [embeddings]}}
aliases:
  {INSTRUCT}: {GPT}  # a completions-era name: litellm sends it to /v1/completions
"""
    return Compat(two_wire_gateway(make_gateway, fake, anthropic_fake, KEY, models), fake, anthropic_fake)


@pytest.fixture(autouse=True)
def _forget(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test sees only its own requests at the fakes."""
    if "compat" in request.fixturenames:
        compat: Compat = request.getfixturevalue("compat")
        compat.openai.seen.clear()
        compat.anthropic.seen.clear()
    yield
