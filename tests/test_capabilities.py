"""Capabilities as data: a request the target cannot serve is refused with a clear 400, unsent."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from conftest import Gateway, user
from pointsman.catalog.model import CatalogModel
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.routing import capabilities

TOOLS: Any = [
    {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}
]
IMAGE: Any = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "what?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
        ],
    }
]


def test_needs_reads_the_request() -> None:
    assert capabilities.needs({"messages": user("x")}, "chat") == {"chat"}
    body = {"messages": IMAGE, "tools": TOOLS, "response_format": {"type": "json_schema", "json_schema": {}}}
    assert capabilities.needs(body, "chat") == {"chat", "vision", "tools", "json_schema"}
    assert capabilities.needs({"input": "x"}, "embeddings") == {"embeddings"}
    schema_model = CatalogModel("m", "p", "u", None, capabilities=frozenset({"chat", "json_schema"}))
    assert (
        capabilities.missing(
            {"messages": user("x"), "response_format": {"type": "json_object"}}, "chat", schema_model
        )
        == set()
    )


@pytest.fixture(scope="module")
def limited(make_gateway: Any, fake: FakeOpenAI) -> Gateway:
    from conftest import PROVIDER_KEY

    gateway: Gateway = make_gateway(
        text=f"""
providers:
  fake: {{type: openai, base_url: "{fake.url}/v1", api_key: {PROVIDER_KEY}}}
models:
  textonly: {{provider: fake, upstream: small-1, input: 1, output: 1, capabilities: [chat, streaming]}}
  narrow: {{provider: fake, upstream: small-1, input: 1, output: 1, context_window: 40}}
  embed: {{provider: fake, upstream: embed-1, input: 1, output: 0, capabilities: [embeddings]}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}"}}
"""
    )
    return gateway


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"messages": user("x"), "tools": TOOLS}, "tools"),
        ({"messages": IMAGE}, "vision"),
        (
            {
                "messages": user("x"),
                "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {}}},
            },
            "json_schema",
        ),
    ],
)
def test_unsupported_features_are_refused_before_any_call(
    limited: Gateway, fake: FakeOpenAI, kwargs: dict[str, Any], word: str
) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        limited.client().chat.completions.create(model="textonly", **kwargs)
    assert info.value.code == "unsupported_capability" and f"does not support {word}" in info.value.message
    assert "models.textonly.capabilities" in info.value.message
    assert not fake.seen


def test_the_right_endpoint_for_the_model(limited: Gateway, fake: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        limited.client().embeddings.create(model="textonly", input="x")
    with pytest.raises(openai.BadRequestError):
        limited.client().chat.completions.create(model="embed", messages=user("x"))
    assert not fake.seen
    assert (
        limited.client()
        .chat.completions.create(model="textonly", messages=user("say: fine"))
        .choices[0]
        .message.content
        == "fine"
    )


def test_context_window_is_checked_before_the_call(limited: Gateway, fake: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        limited.client().chat.completions.create(model="narrow", messages=user("many words here " * 30))
    assert info.value.code == "context_length_exceeded" and "40-token context window" in info.value.message
    assert not fake.seen
    assert (
        limited.client()
        .chat.completions.create(model="narrow", messages=user("say: short"))
        .choices[0]
        .message.content
        == "short"
    )
