"""Per-request routing hints through the gateway, driven by the official SDKs against the fakes:
they change the plan (the trace says how), never reach a provider that does not know them, and a bad
one is a 400 in the shape of the surface called."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest
from tests.conftest import ANTHROPIC_KEY, EXPLAIN, PROVIDER_KEY, Gateway, reset, trace_of, user

from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.faults import Fault
from pointsman.fakes.openai_server import FakeOpenAI

HINT_FIELDS = ("pointsman", "models", "provider")


def config(openai_url: str, anthropic_url: str) -> str:
    return f"""
providers:
  oai: {{type: openai, base_url: "{openai_url}/v1", api_key: {PROVIDER_KEY}}}
  ant: {{type: anthropic, base_url: "{anthropic_url}/v1", api_key: {ANTHROPIC_KEY}}}
  router: {{preset: openrouter, base_url: "{openai_url}/v1", api_key: {PROVIDER_KEY}}}
models:
  small: {{provider: oai, upstream: small-1, input: "0.15", output: "0.60", tier: small}}
  big: {{provider: oai, upstream: big-1, input: "2.50", output: "10", tier: frontier}}
  claude: {{provider: ant, upstream: claude-x, input: "3", output: "15", tier: frontier}}
  routed: {{provider: router, upstream: unlisted-9, input: "1", output: "1"}}
routes:
  auto:
    learned: {{candidates: [small, big], preset: balanced}}
  chain:
    default: big
    fallbacks: [small]
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
"""


@pytest.fixture(scope="module")
def hinted(make_gateway: Callable[..., Gateway], fake: FakeOpenAI, anthropic_fake: FakeAnthropic) -> Gateway:
    return make_gateway(text=config(fake.url, anthropic_fake.url))


@pytest.fixture(autouse=True)
def _clean(anthropic_fake: FakeAnthropic) -> Iterator[None]:
    yield
    reset(anthropic_fake)


def served(fake: FakeOpenAI | FakeAnthropic) -> list[str]:
    return [s.model for s in fake.seen]


def no_hint_fields(fake: FakeOpenAI | FakeAnthropic) -> None:
    assert fake.seen, "the fake received nothing"
    for s in fake.seen:
        assert not set(HINT_FIELDS) & set(s.body), s.body


def chat(gateway: Gateway, model: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return gateway.client().chat.completions.with_raw_response.create(
        model=model,
        messages=user("Prove that the square root of 2 is irrational."),  # type: ignore[arg-type]
        extra_headers={**EXPLAIN, **(headers or {})},
        extra_body=body or None,
    )


@pytest.mark.parametrize(("quality", "chosen"), [("0.05", "small-1"), ("1", "big-1")])
def test_a_quality_header_sets_the_learned_target(
    hinted: Gateway, fake: FakeOpenAI, quality: str, chosen: str
) -> None:
    raw = chat(hinted, "auto", {"x-pointsman-quality": quality})
    trace = trace_of(raw.headers)
    assert served(fake) == [chosen]
    assert trace["learned"]["target"] == float(quality)
    assert trace["decided_by"].endswith(f"+hints:quality={quality}")
    assert trace["hints"]["quality_from"] == f"{quality} (x-pointsman-quality)"
    no_hint_fields(fake)


def test_a_body_preset_wins_over_the_header_and_never_reaches_the_provider(
    hinted: Gateway, fake: FakeOpenAI
) -> None:
    raw = chat(hinted, "auto", {"x-pointsman-quality": "frugal"}, pointsman={"quality": "premium"})
    trace = trace_of(raw.headers)
    assert trace["learned"]["target"] == 0.97
    assert trace["hints"]["quality_from"] == "premium (pointsman.quality)"
    no_hint_fields(fake)


def test_a_quality_hint_on_a_route_that_does_not_learn_is_noted(hinted: Gateway, fake: FakeOpenAI) -> None:
    trace = trace_of(chat(hinted, "chain", {"x-pointsman-quality": "premium"}).headers)
    assert "quality hint premium (x-pointsman-quality): 'chain' is not a learned route" in trace["notes"]
    assert served(fake) == ["big-1"]


def test_a_max_price_skips_the_dear_model_for_the_next_tier(hinted: Gateway, fake: FakeOpenAI) -> None:
    raw = chat(hinted, "chain", {"x-pointsman-max-price": "1"})
    trace = trace_of(raw.headers)
    assert served(fake) == ["small-1"]
    assert raw.headers["x-pointsman-model"] == "small"
    big = next(c for c in trace["candidates"] if c["model"] == "big")
    assert big["skipped"] == "max price: blended 4.375 USD/M > 1 (x-pointsman-max-price)"
    assert "big not tried: blended 4.375 USD/M > 1 (x-pointsman-max-price)" in trace["notes"]


def test_openrouter_max_price_limits_prompt_and_completion_apart(hinted: Gateway, fake: FakeOpenAI) -> None:
    raw = chat(hinted, "chain", provider={"max_price": {"prompt": 5, "completion": 8}})
    assert served(fake) == ["small-1"]
    assert "big not tried: completion 10 USD/M > 8 (provider.max_price)" in trace_of(raw.headers)["notes"]
    no_hint_fields(fake)  # small's provider is not OpenRouter: `provider` is not sent


def test_nothing_within_the_max_price_is_a_400_naming_the_limit(hinted: Gateway, fake: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        chat(hinted, "chain", {"x-pointsman-max-price": "0.1"})
    error = caught.value.body
    assert isinstance(error, dict)
    assert error["param"] == "x-pointsman-max-price"
    assert error["code"] == "max_price_exceeded"
    assert "0.1 blended USD/M (x-pointsman-max-price)" in error["message"]
    assert served(fake) == []


def test_models_is_failover_after_model(hinted: Gateway, fake: FakeOpenAI) -> None:
    fake.faults.add(Fault("status", status=503, model="big-1", times=0))
    raw = chat(hinted, "big", models=["big", "small"])
    trace = trace_of(raw.headers)
    assert served(fake) == ["big-1", "small-1"]
    outcomes = [(a["model"], a["outcome"]) for a in trace["attempts"]]
    assert outcomes == [("big", "failed"), ("small", "answered")]
    assert trace["attempts"][1]["reason"] == "models[1]:manual"
    assert trace["hints"]["models"] == ["big", "small"]
    no_hint_fields(fake)


def test_models_without_model_starts_with_the_first(hinted: Gateway, fake: FakeOpenAI) -> None:
    """OpenRouter lets `model` out when `models` is given (the SDK always sends one: a raw post)."""
    body = {"models": ["small", "big"], "messages": user("hi")}
    response = httpx.post(f"{hinted.url}/v1/chat/completions", json=body, headers=EXPLAIN)
    assert response.status_code == 200
    assert response.headers["x-pointsman-model"] == "small"
    assert [a["model"] for a in trace_of(response.headers)["candidates"]] == ["small", "big"]


def test_sort_on_a_learned_route_chooses_among_the_candidates_that_clear_the_target(
    hinted: Gateway, fake: FakeOpenAI
) -> None:
    """With the target at 1 only the best estimate qualifies: sorting by price does not trade the
    quality target away, it orders the good-enough candidates first and the rest after them."""
    raw = chat(hinted, "auto", {"x-pointsman-quality": "1"}, provider={"sort": "price"})
    trace = trace_of(raw.headers)
    assert trace["learned"]["chosen"] == "big"
    assert served(fake) == ["big-1"]
    assert [c["model"] for c in trace["candidates"]] == ["big", "small"]
    assert "+hints:quality=1,sort=price" in trace["decided_by"]


def test_only_an_openrouter_provider_gets_the_provider_object(hinted: Gateway, fake: FakeOpenAI) -> None:
    preferences = {"sort": "throughput", "order": ["groq"], "allow_fallbacks": False}
    raw = chat(hinted, "routed", provider=preferences, pointsman={"max_price": 3})
    assert served(fake) == ["unlisted-9"]
    body = fake.seen[0].body
    assert body["provider"] == preferences
    assert "pointsman" not in body and "models" not in body
    notes = trace_of(raw.headers)["notes"]
    said = "provider.order, provider.allow_fallbacks: applied only by a provider that takes `provider`"
    assert said in notes


@pytest.mark.parametrize(
    ("headers", "body", "param"),
    [
        ({"x-pointsman-quality": "best"}, {}, "x-pointsman-quality"),
        ({"x-pointsman-quality": "1.5"}, {}, "x-pointsman-quality"),
        ({"x-pointsman-max-price": "cheap"}, {}, "x-pointsman-max-price"),
        ({}, {"pointsman": {"quality": 0}}, "pointsman.quality"),
        ({}, {"pointsman": {"budget": 1}}, "pointsman.budget"),
        ({}, {"pointsman": {"max_price": {"prompt": -1}}}, "pointsman.max_price.prompt"),
        ({}, {"provider": {"sort": "speed"}}, "provider.sort"),
        ({}, {"models": "small"}, "models"),
        ({}, {"models": ["small", "nonesuch"]}, "models[1]"),
    ],
)
def test_a_bad_hint_is_a_400_naming_it_on_the_openai_surface(
    hinted: Gateway, fake: FakeOpenAI, headers: dict[str, str], body: dict[str, Any], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        chat(hinted, "small", headers, **body)
    error = caught.value.body
    assert isinstance(error, dict)
    assert error["param"] == param
    assert error["message"].startswith(param)
    assert served(fake) == []


def messages(gateway: Gateway, model: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
    client = anthropic.Anthropic(base_url=gateway.url, api_key="anything", max_retries=0)
    return client.messages.with_raw_response.create(
        model=model,
        max_tokens=64,
        messages=[{"role": "user", "content": "Prove that the square root of 2 is irrational."}],
        extra_headers={**EXPLAIN, **(headers or {})},
        extra_body=body or None,
    )


def test_anthropic_surface_hints_route_and_stay_out_of_the_body(
    hinted: Gateway, anthropic_fake: FakeAnthropic
) -> None:
    raw = messages(
        hinted, "claude", pointsman={"max_price": {"prompt": 4}}, models=["small"], provider={"order": ["x"]}
    )
    assert raw.headers["x-pointsman-model"] == "claude"
    assert trace_of(raw.headers)["hints"]["models"] == ["small"]
    no_hint_fields(anthropic_fake)


def test_anthropic_surface_errors_name_the_hint(hinted: Gateway, fake: FakeOpenAI) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        messages(hinted, "chain", {"x-pointsman-quality": "superb"})
    error = caught.value.body
    assert isinstance(error, dict)
    assert error["type"] == "error"
    assert error["error"]["type"] == "invalid_request_error"
    assert error["error"]["message"].startswith("x-pointsman-quality: 'superb'")
    with pytest.raises(anthropic.BadRequestError) as priced:
        messages(hinted, "chain", {"x-pointsman-max-price": "0"})
    assert "(x-pointsman-max-price)" in str(priced.value)
    assert served(fake) == []


def test_responses_surface_takes_hints_out(hinted: Gateway, fake: FakeOpenAI) -> None:
    response = hinted.client().responses.with_raw_response.create(
        model="chain",
        input="hello",
        extra_headers={**EXPLAIN, "x-pointsman-max-price": "1"},
        extra_body={"pointsman": {"quality": "frugal"}, "provider": {"sort": "price"}},
    )
    assert response.headers["x-pointsman-model"] == "small"
    assert "adapted" not in trace_of(response.headers)  # nothing noted as an unknown Responses key
    no_hint_fields(fake)


def test_gemini_surface_takes_hints_out(hinted: Gateway, fake: FakeOpenAI) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], "pointsman": {"max_price": 5}}
    response = httpx.post(
        f"{hinted.url}/v1beta/models/chain:generateContent",
        json=body,
        headers={"x-goog-api-key": "anything", **EXPLAIN},
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-pointsman-model"] == "big"
    no_hint_fields(fake)
    bad = httpx.post(
        f"{hinted.url}/v1beta/models/chain:generateContent",
        json=body,
        headers={"x-goog-api-key": "anything", "x-pointsman-max-price": "-1"},
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["message"].startswith("x-pointsman-max-price")


def test_a_streamed_request_is_planned_with_its_hints(hinted: Gateway, fake: FakeOpenAI) -> None:
    with hinted.client().chat.completions.with_streaming_response.create(
        model="chain",
        messages=user("hello"),  # type: ignore[arg-type]
        stream=True,
        extra_headers={**EXPLAIN, "x-pointsman-max-price": "1"},
        extra_body={"models": ["claude"]},
    ) as response:
        text = "".join(chunk.choices[0].delta.content or "" for chunk in response.parse() if chunk.choices)
        assert response.headers["x-pointsman-model"] == "small"
    assert text
    assert served(fake) == ["small-1"]
    no_hint_fields(fake)
