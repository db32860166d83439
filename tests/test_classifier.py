"""The learned route's LLM-classifier option end to end: the openai SDK → the gateway on loopback →
fake providers, one of which plays the classifier with a fixed answer. The rating changes the pick,
its cost is on the ledger row, a cached rating is not asked again, and a broken classifier leaves
the decision to the learned estimate without failing the request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from conftest import EXPLAIN, Gateway, reset, seen, trace_of, user
from pointsman.compose import catalog_of, router_of
from pointsman.config.loader import parse_config
from pointsman.errors import ConfigError
from pointsman.fakes.base import FakeModel
from pointsman.fakes.faults import Fault
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.learned.classifier import Rating, Ratings, parse_rating
from pointsman.serving import BackgroundServers
from pointsman.state.health import LocalHealth

KEY = "sk-classifier-secret-7"

MODELS = {
    "cheap-1": FakeModel(),
    "strong-1": FakeModel(),
    "rater-easy-1": FakeModel(reply='{"skill": "chat", "difficulty": 1}'),
    "rater-hard-1": FakeModel(reply='Sure.\n```json\n{"skill": "Math", "difficulty": "5"}\n```'),
    "rater-junk-1": FakeModel(reply="This prompt looks moderately tricky to me."),
    "rater-slow-1": FakeModel(reply='{"skill": "chat", "difficulty": 1}', latency=5.0),
}

CONFIG = """
providers:
  r:
    type: openai
    base_url: {url}/v1
    api_key: {key}
    timeouts: {{connect: 1, read: 8}}
models:
  cheap: {{provider: r, upstream: cheap-1, input: "0.10", output: "0.40", tier: small}}
  strong: {{provider: r, upstream: strong-1, input: "3", output: "15", tier: frontier}}
  rater-easy: {{provider: r, upstream: rater-easy-1, input: "0.20", output: "0.80"}}
  rater-hard: {{provider: r, upstream: rater-hard-1, input: "0.20", output: "0.80"}}
  rater-junk: {{provider: r, upstream: rater-junk-1, input: "0.20", output: "0.80"}}
  rater-slow: {{provider: r, upstream: rater-slow-1, input: "0.20", output: "0.80"}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
routes:
  plain:
    learned: {{candidates: [cheap, strong]}}
  easy:
    learned: {{candidates: [cheap, strong], classifier: {{model: rater-easy}}}}
  hard:
    learned: {{candidates: [cheap, strong], classifier: {{model: rater-hard}}}}
  junk:
    learned: {{candidates: [cheap, strong], classifier: {{model: rater-junk}}}}
  slow:
    learned: {{candidates: [cheap, strong], classifier: {{model: rater-slow, timeout: 0.3}}}}
  ruled:
    rules: [{{name: greet, when: {{regex: "^hello"}}, to: cheap}}]
    learned: {{candidates: [cheap, strong], classifier: {{model: rater-easy}}}}
"""


@pytest.fixture(scope="module")
def cfake(servers: BackgroundServers) -> FakeOpenAI:
    return servers.start_fake(FakeOpenAI(dict(MODELS), api_key=KEY))  # type: ignore[return-value]


@pytest.fixture(autouse=True)
def _clean(cfake: FakeOpenAI) -> Iterator[None]:
    yield
    reset(cfake)


@pytest.fixture(scope="module")
def gw(make_gateway: Callable[..., Gateway], cfake: FakeOpenAI) -> Gateway:
    return make_gateway(text=CONFIG.format(url=cfake.url, key=KEY))


def _ask(gw: Gateway, route: str, text: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    raw = gw.client().chat.completions.with_raw_response.create(
        model=route, messages=user(text), extra_headers=EXPLAIN
    )
    trace = trace_of(raw.headers)
    return raw.parse(), trace, gw.row(raw.headers["x-pointsman-request-id"])


def _classifier(trace: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in trace["attempts"] if a["outcome"] == "classifier"]


def test_the_rating_changes_the_pick_and_its_cost_is_on_the_row(gw: Gateway, cfake: FakeOpenAI) -> None:
    prompt = "What colour is a clear daytime sky? Answer in one word, please."
    _, plain, _ = _ask(gw, "plain", prompt)
    easy, trace, row = _ask(gw, "easy", prompt)
    assert plain["learned"]["chosen"] == "strong"  # a small tier is never close enough unrated
    assert easy.model == "cheap-1" and trace["learned"]["chosen"] == "cheap"
    assert trace["learned"]["classifier"] == {
        "model": "rater-easy",
        "how": "asked",
        "skill": "chat",
        "difficulty": 1,
    }
    (call,) = _classifier(trace)
    assert call["model"] == "rater-easy" and call["status"] == 200
    assert call["detail"] == "rated chat, difficulty 1/5"
    cost = Decimal(call["cost_usd"].lstrip("$"))
    assert cost > 0
    assert Decimal(row["discarded_cost_usd"]) == cost  # billed, never shown: counted, not the answer's
    assert row["model"] == "cheap" and row["attempts"] == 1
    answered = [a for a in trace["attempts"] if a["outcome"] == "answered"]
    assert Decimal(row["cost_usd"]) == Decimal(answered[0]["cost_usd"].lstrip("$"))

    hard, trace, _ = _ask(gw, "hard", prompt)
    assert hard.model == "strong-1"
    assert trace["learned"]["classifier"]["skill"] == "maths"
    assert trace["learned"]["classifier"]["difficulty"] == 5
    assert seen(cfake, "rater-easy-1") == 1 and seen(cfake, "rater-hard-1") == 1


def test_a_cached_rating_is_not_asked_again(gw: Gateway, cfake: FakeOpenAI) -> None:
    prompt = "Name one primary colour, cached edition."
    _, first, _ = _ask(gw, "easy", prompt)
    second, trace, row = _ask(gw, "easy", prompt)
    assert first["learned"]["classifier"]["how"] == "asked"
    assert trace["learned"]["classifier"]["how"] == "cached"
    assert second.model == "cheap-1"
    assert seen(cfake, "rater-easy-1") == 1
    assert Decimal(row["discarded_cost_usd"]) == 0
    assert _classifier(trace) == []  # nothing was called, so there is no attempt to show


@pytest.mark.parametrize(
    ("route", "fault", "says"),
    [
        ("junk", None, "unusable answer"),
        ("slow", None, "timed out after 0.3 s"),
        ("easy", Fault("status", status=500, model="rater-easy-1", times=0), "upstream_error"),
    ],
)
def test_a_broken_classifier_falls_back_to_the_learned_estimate(
    gw: Gateway, cfake: FakeOpenAI, route: str, fault: Fault | None, says: str
) -> None:
    if fault is not None:
        cfake.inject(fault)
    prompt = f"What colour is a clear daytime sky? ({route} fallback)"
    _, plain, _ = _ask(gw, "plain", prompt)
    answer, trace, row = _ask(gw, route, prompt)
    assert answer.choices[0].message.content
    rated = trace["learned"]["classifier"]
    assert "skill" not in rated and says in rated["how"] and "learned estimate decided" in rated["how"]
    assert trace["learned"]["estimates"] == plain["learned"]["estimates"]
    assert trace["learned"]["chosen"] == plain["learned"]["chosen"]
    (call,) = _classifier(trace)
    assert says in call["detail"]
    assert row["status"] == 200


def test_a_rule_that_decides_asks_no_classifier(gw: Gateway, cfake: FakeOpenAI) -> None:
    answer, trace, _ = _ask(gw, "ruled", "hello there")
    assert answer.model == "cheap-1" and "learned" not in trace
    assert seen(cfake, "rater-easy-1") == 0


def test_answers_are_parsed_leniently() -> None:
    assert parse_rating('{"skill": "code", "difficulty": 4}') == Rating("code", 4)
    assert parse_rating('noise {"a": 1} then {"skill": "Long Context", "difficulty": 2.0}') == Rating(
        "long_context", 2
    )
    assert parse_rating("Skill: coding. Difficulty: 3 of 5") == Rating("code", 3)
    assert parse_rating('{"skill": "poetry", "difficulty": 2}') == Rating("", 2)
    for bad in ('{"skill": "code", "difficulty": 9}', '{"difficulty": true}', "no idea", ""):
        assert parse_rating(bad) is None


def test_the_cache_keeps_the_most_recent() -> None:
    cache = Ratings(2)
    keys = [Ratings.key(t) for t in ("a", "b", "c")]
    cache.put(keys[0], Rating("chat", 1))
    cache.put(keys[1], Rating("code", 2))
    assert cache.get(keys[0]) == Rating("chat", 1)  # now the most recent: b goes first
    cache.put(keys[2], Rating("maths", 3))
    assert cache.get(keys[1]) is None and cache.get(keys[0]) is not None and len(cache) == 2
    off = Ratings(0)
    off.put(keys[0], Rating("chat", 1))
    assert off.get(keys[0]) is None


BAD = """
providers:
  r: {{type: openai, base_url: "http://127.0.0.1:9/v1"}}
models:
  cheap: {{provider: r, input: "0.1", output: "0.4", tier: small}}
  strong: {{provider: r, input: "3", output: "15", tier: frontier}}
catalog: {{builtin: false}}
routes:
  auto:
    learned:
      candidates: [cheap, strong]
      classifier: {{{rater}}}
"""


@pytest.mark.parametrize(
    ("rater", "expected"),
    [
        ("model: cheap, cache: -1", "gw.yaml:12: routes.auto.learned.classifier.cache: must be 0 or more"),
        ("model: cheap, timeout: 0", "gw.yaml:12: routes.auto.learned.classifier.timeout: must be seconds"),
        ("model: nosuch", "gw.yaml:12: routes.auto.learned.classifier.model: 'nosuch' is neither"),
        ("modle: cheap", "gw.yaml:12: routes.auto.learned.classifier.modle: unknown key"),
    ],
)
def test_classifier_config_errors_name_the_key(rater: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        config = parse_config(BAD.format(rater=rater), "gw.yaml", {})
        catalog = catalog_of(config)
        router_of(config, catalog, LocalHealth(config.health))
    assert info.value.message.startswith(expected), info.value.message


def test_a_stream_is_rated_too(gw: Gateway, cfake: FakeOpenAI) -> None:
    raw = gw.client().chat.completions.with_raw_response.create(
        model="easy",
        messages=user("Stream me the colour of a clear daytime sky."),
        stream=True,
        extra_headers=EXPLAIN,
    )
    text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
    trace = trace_of(raw.headers)
    assert raw.headers["x-pointsman-model"] == "cheap" and text
    assert trace["learned"]["classifier"]["how"] == "asked"
    assert [a["outcome"] for a in trace["attempts"]][:1] == ["classifier"]
    row = gw.row(raw.headers["x-pointsman-request-id"])
    assert Decimal(row["discarded_cost_usd"]) > 0 and row["stream"] == 1
