"""What a request may carry: model names fit to echo in a header, bounded tags, and answers that
never break on a header value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest

from conftest import Gateway, user
from pointsman.fakes.openai_server import FakeOpenAI


def post(gateway: Gateway, body: dict[str, Any], path: str = "/v1/chat/completions", **headers: str) -> Any:
    return httpx.post(f"{gateway.url}{path}", json=body, headers=headers, timeout=10)


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/v1/chat/completions", {"messages": user("x")}),
        ("/v1/messages", {"messages": user("x"), "max_tokens": 10}),
        ("/v1/responses", {"input": "x"}),
        ("/v1/embeddings", {"input": "x"}),
    ],
)
@pytest.mark.parametrize("model", ["fake/ctl\x07model", "fake/new\nline", "fake/" + "m" * 300])
def test_a_model_name_unfit_for_a_header_is_refused_before_any_provider_call(
    gateway: Gateway, fake: FakeOpenAI, path: str, extra: dict[str, Any], model: str
) -> None:
    response = post(gateway, {"model": model, **extra}, path)
    assert response.status_code == 400
    body = response.json()
    if path == "/v1/messages":
        assert body["type"] == "error" and "model" in body["error"]["message"]
    else:
        assert body["error"]["param"] == "model"
    assert not fake.seen, "refused before the provider was called"


RULE = """
routes:
  auto:
    default: small
    rules:
      - name: "odd\\aname"
        when: {keywords: [hello]}
        to: big
"""


def test_an_echoed_header_value_with_a_control_character_cannot_drop_the_answer(
    make_gateway: Callable[..., Gateway],
) -> None:
    gateway = make_gateway(RULE)
    for stream in (False, True):
        response = post(gateway, {"model": "auto", "messages": user("hello"), "stream": stream})
        assert response.status_code == 200
        assert response.headers["x-pointsman-route"] == "auto/rule:odd?name"


def tags_header(count: int, key: str = "k", value: str = "v") -> str:
    return ",".join(f"{key}{i}={value}" for i in range(count))


@pytest.mark.parametrize(
    ("metadata", "header", "words"),
    [
        ({}, tags_header(33), ["32 tags"]),
        ({f"m{i}": "v" for i in range(20)}, tags_header(20), ["32 tags"]),
        ({}, "k" * 65 + "=v", ["64 characters", "x-pointsman-tags"]),
        ({}, "k=" + "v" * 513, ["512 characters"]),
        ({"team": {"nested": ["deep"]}}, "", ["metadata.team", "string"]),
        ({"k" * 65: "v"}, "", ["64 characters", "metadata"]),
        ({"big": "v" * 513}, "", ["512 characters", "metadata.big"]),
    ],
)
def test_tags_are_bounded_in_count_and_length(
    gateway: Gateway, fake: FakeOpenAI, metadata: dict[str, Any], header: str, words: list[str]
) -> None:
    body = {"model": "small", "messages": user("x"), "metadata": metadata}
    response = post(gateway, body, **({"x-pointsman-tags": header} if header else {}))
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    for word in words:
        assert word in message
    assert not fake.seen


def test_tags_within_the_bounds_reach_the_ledger_whole(gateway: Gateway) -> None:
    metadata = {"team": "ops", "n": 7, "flag": True, "k" * 64: "v" * 512}
    header = tags_header(28, value="x")
    response = post(
        gateway,
        {"model": "small", "messages": user("x"), "metadata": metadata},
        **{"x-pointsman-tags": header},
    )
    assert response.status_code == 200
    tags = gateway.row(response.headers["x-pointsman-request-id"])["tags"]
    assert len(tags) == 32 and tags["team"] == "ops" and tags["n"] == "7" and tags["k27"] == "x"


def test_the_404_for_an_unknown_path_names_every_api_endpoint(gateway: Gateway) -> None:
    message = post(gateway, {}, "/v1/chat").json()["error"]["message"]
    for path in ("/v1/chat/completions", "/v1/embeddings", "/v1/messages", "/v1/responses", "/v1/models"):
        assert path in message
