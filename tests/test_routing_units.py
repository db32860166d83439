"""Routing without a network: rules, routes, pools, health windows and circuits, failover, route config."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from pointsman.catalog.model import CatalogModel
from pointsman.catalog.price import Price
from pointsman.compose import build as build_gateway
from pointsman.compose import catalog_of, router_of
from pointsman.config.loader import parse_config
from pointsman.config.schema import Config, HealthConfig, Match, Rule, TokenBounds
from pointsman.engine import failover
from pointsman.errors import (
    ConfigError,
    ContentFiltered,
    ContextLengthExceeded,
    ModelNotFound,
    UpstreamError,
    UpstreamOverloaded,
    UpstreamProtocolError,
    UpstreamRateLimited,
    UpstreamRejected,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from pointsman.routing.plan import MANUAL, RoutePlan, RouteRequest
from pointsman.routing.pool import Member, order
from pointsman.routing.router import RouteRouter
from pointsman.routing.rules import CompiledRule, compile_rule, first_match, matches
from pointsman.state.health import CLOSED, HALF_OPEN, OPEN, LocalHealth, Stats

# ---- helpers -------------------------------------------------------------------------------------------


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def chat(text: str, **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}], **extra}


def req(body: dict[str, Any] | None = None, **kw: Any) -> RouteRequest:
    return RouteRequest("auto", body if body is not None else chat("hello"), **kw)


def rule(when: dict[str, Any], *, to: str = "x", name: str = "r", pin: bool = False) -> CompiledRule:
    return compile_rule(Rule(to=to, name=name, pin=pin, when=Match(**when)), 0)


IMAGE_PART = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}

BASE = """
providers:
  fake: {type: openai, base_url: "http://127.0.0.1:9/v1"}
catalog: {builtin: false}
models:
  small: {provider: fake, input: 0.1, output: 0.4}
  mid: {provider: fake, input: 1, output: 4}
  big: {provider: fake, input: 5, output: 20}
  huge: {provider: fake, input: 10, output: 40}
  east: {provider: fake, upstream: dep-east, input: 1, output: 1}
  west: {provider: fake, upstream: dep-west, input: 1, output: 1}
aliases:
  fast: small
pools:
  duo:
    strategy: weighted
    members: [{model: east}, {model: west}]
"""


@dataclass
class Setup:
    config: Config
    router: RouteRouter
    health: LocalHealth
    clock: Clock


def build(
    routes: str,
    *,
    pools: str = "",
    rng: Callable[[], float] = lambda: 0.0,
) -> Setup:
    """BASE plus a `routes:` section (written at column 0, dedented here)."""
    config = parse_config(BASE + pools + textwrap.dedent(routes), "test.yaml", {})
    clock = Clock()
    health = LocalHealth(config.health, clock=clock)
    return Setup(config, router_of(config, catalog_of(config), health, rng), health, clock)


def names(plan: RoutePlan) -> list[str]:
    return [a.model.name for a in plan.attempts]


def record(health: LocalHealth, model: str, *latencies: float, ttft: float | None = None) -> None:
    for ms in latencies:
        health.started(model)
        health.succeeded(model, latency_ms=ms, ttft_ms=ttft)


# ---- 1. rules ------------------------------------------------------------------------------------------

RULE_CASES: list[tuple[str, dict[str, Any], RouteRequest, str, bool]] = [
    # task: request metadata, then the x-pointsman-task header, then the route's own task
    ("task-metadata", {"task": ("code",)}, req(chat("x", metadata={"task": "code"})), "", True),
    ("task-metadata-other", {"task": ("code",)}, req(chat("x", metadata={"task": "chat"})), "", False),
    ("task-header", {"task": ("code",)}, req(task="code"), "", True),
    ("task-header-other", {"task": ("code",)}, req(task="chat"), "", False),
    (
        "task-metadata-beats-header",
        {"task": ("code",)},
        req(chat("x", metadata={"task": "chat"}), task="code"),
        "",
        False,
    ),
    ("task-route-default", {"task": ("code",)}, req(), "code", True),
    ("task-header-beats-route", {"task": ("code",)}, req(task="chat"), "code", False),
    ("task-none", {"task": ("code",)}, req(), "", False),
    # regex: searched in the last user message only
    ("regex-last-user", {"regex": r"def \w+\("}, req(chat("fix def main(): pass")), "", True),
    ("regex-no-match", {"regex": r"def \w+\("}, req(chat("hello there")), "", False),
    (
        "regex-earlier-user-ignored",
        {"regex": "python"},
        req(
            {
                "messages": [
                    {"role": "user", "content": "write python"},
                    {"role": "assistant", "content": "sure, python it is"},
                    {"role": "user", "content": "thanks"},
                ]
            }
        ),
        "",
        False,
    ),
    (
        "regex-last-user-before-assistant",
        {"regex": "python"},
        req(
            {
                "messages": [
                    {"role": "system", "content": "no python here"},
                    {"role": "user", "content": "thanks"},
                    {"role": "user", "content": "write python"},
                    {"role": "assistant", "content": "ok"},
                ]
            }
        ),
        "",
        True,
    ),
    (
        "regex-content-parts",
        {"regex": "python"},
        req({"messages": [{"role": "user", "content": [{"type": "text", "text": "python"}, IMAGE_PART]}]}),
        "",
        True,
    ),
    # keywords: whole words or phrases, case-insensitive
    ("keyword-case-insensitive", {"keywords": ("refund",)}, req(chat("Refund please")), "", True),
    ("keyword-not-a-prefix", {"keywords": ("refund",)}, req(chat("I was refunded")), "", False),
    ("keyword-not-a-suffix", {"keywords": ("refund",)}, req(chat("a prefund")), "", False),
    ("keyword-phrase", {"keywords": ("refund", "money back")}, req(chat("I want my MONEY BACK!")), "", True),
    ("keyword-absent", {"keywords": ("refund",)}, req(chat("hello")), "", False),
    (
        "keyword-later-whole-occurrence",
        {"keywords": ("refund",)},
        req(chat("refunded? no: refund")),
        "",
        True,
    ),
    ("keyword-not-before-underscore", {"keywords": ("refund",)}, req(chat("see refund_policy")), "", False),
    ("keyword-not-before-digit", {"keywords": ("refund",)}, req(chat("refund2 please")), "", False),
    ("keyword-upper-case-config", {"keywords": ("REFUND",)}, req(chat("a refund")), "", True),
    ("keyword-punctuated", {"keywords": ("c++",)}, req(chat("Write it in C++, please")), "", True),
    ("keyword-non-ascii", {"keywords": ("rückerstattung",)}, req(chat("Bitte RÜCKERSTATTUNG.")), "", True),
    (
        "keyword-earlier-user-ignored",
        {"keywords": ("refund",)},
        req({"messages": [{"role": "user", "content": "refund"}, {"role": "user", "content": "hi"}]}),
        "",
        False,
    ),
    # tools, images, json
    ("tools-present", {"tools": True}, req(chat("x", tools=[TOOL])), "", True),
    ("tools-absent-wanted", {"tools": True}, req(chat("x")), "", False),
    ("tools-absent", {"tools": False}, req(chat("x")), "", True),
    ("tools-empty-list-is-absent", {"tools": False}, req(chat("x", tools=[])), "", True),
    ("tools-present-unwanted", {"tools": False}, req(chat("x", tools=[TOOL])), "", False),
    (
        "images-present",
        {"images": True},
        req({"messages": [{"role": "user", "content": [{"type": "text", "text": "what?"}, IMAGE_PART]}]}),
        "",
        True,
    ),
    ("images-absent-wanted", {"images": True}, req(chat("what?")), "", False),
    ("images-absent", {"images": False}, req(chat("what?")), "", True),
    ("json-object", {"json": True}, req(chat("x", response_format={"type": "json_object"})), "", True),
    (
        "json-schema",
        {"json": True},
        req(chat("x", response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": {}}})),
        "",
        True,
    ),
    ("json-text-format", {"json": True}, req(chat("x", response_format={"type": "text"})), "", False),
    ("json-absent", {"json": False}, req(chat("x")), "", True),
    (
        "json-present-unwanted",
        {"json": False},
        req(chat("x", response_format={"type": "json_object"})),
        "",
        False,
    ),
    # language of the last user message
    (
        "language-ja",
        {"language": ("ja",)},
        req(chat("これは日本語の文章です。よろしくお願いします。")),
        "",
        True,
    ),
    (
        "language-en-not-ja",
        {"language": ("ja",)},
        req(chat("Please explain how this function works")),
        "",
        False,
    ),
    (
        "language-any-of",
        {"language": ("ja", "en")},
        req(chat("Please explain how this function works")),
        "",
        True,
    ),
    # gateway key and team
    ("key-match", {"key": ("k1", "k2")}, req(key_id="k2"), "", True),
    ("key-other", {"key": ("k1",)}, req(key_id="k3"), "", False),
    ("key-none", {"key": ("k1",)}, req(), "", False),
    ("team-match", {"team": ("ml",)}, req(team="ml"), "", True),
    ("team-other", {"team": ("ml",)}, req(team="web"), "", False),
    # metadata equality (values compared as strings)
    (
        "metadata-equal",
        {"metadata": {"tier": "gold"}},
        req(chat("x", metadata={"tier": "gold", "a": "b"})),
        "",
        True,
    ),
    (
        "metadata-different",
        {"metadata": {"tier": "gold"}},
        req(chat("x", metadata={"tier": "silver"})),
        "",
        False,
    ),
    ("metadata-missing", {"metadata": {"tier": "gold"}}, req(chat("x", metadata={"a": "b"})), "", False),
    ("metadata-not-a-dict", {"metadata": {"tier": "gold"}}, req(chat("x", metadata="gold")), "", False),
    (
        "metadata-number-as-string",
        {"metadata": {"tier": "2"}},
        req(chat("x", metadata={"tier": 2})),
        "",
        True,
    ),
    (
        "metadata-all-fields",
        {"metadata": {"tier": "gold", "region": "eu"}},
        req(chat("x", metadata={"tier": "gold", "region": "us"})),
        "",
        False,
    ),
    # an empty `when` matches anything, even an empty body
    ("empty-when", {}, req({}), "", True),
]


@pytest.mark.parametrize(
    ("when", "request_", "route_task", "expected"),
    [case[1:] for case in RULE_CASES],
    ids=[case[0] for case in RULE_CASES],
)
def test_each_condition_alone(
    when: dict[str, Any], request_: RouteRequest, route_task: str, expected: bool
) -> None:
    assert matches(rule(when), request_, route_task) is expected


def test_prompt_tokens_estimate_and_bounds() -> None:
    # a quarter token per ASCII byte (rounded up per text), one per other character; no tokenizer
    cases = [
        ("x" * 400, {"gt": 99}, True),
        ("x" * 400, {"gt": 100}, False),
        ("x" * 400, {"lt": 101}, True),
        ("x" * 400, {"lt": 100}, False),
        ("0123456789", {"gt": 50}, False),  # 3 tokens
        ("0123456789", {"gt": 2}, True),
        ("日本語です", {"gt": 4}, True),  # 5 tokens, one per character
        ("日本語です", {"gt": 5}, False),
        ("x" * 400, {"gt": 50, "lt": 150}, True),
        ("x" * 1000, {"gt": 50, "lt": 150}, False),
        ("x" * 100, {"gt": 50, "lt": 150}, False),
    ]
    for text, bounds, expected in cases:
        r = rule({"prompt_tokens": TokenBounds(**bounds)})
        assert matches(r, req(chat(text))) is expected, (text[:12], bounds)


def test_prompt_tokens_estimate_counts_every_message_text() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "abcde"},  # 2
            {"role": "user", "content": [{"type": "text", "text": "abcd"}, IMAGE_PART]},  # 1 + 0
            {"role": "assistant", "content": "héllo"},  # 4 ASCII bytes → 1, plus 1 for é
            {"role": "user", "content": "x" * 40},  # 10
        ]
    }
    request = req(body)
    assert matches(rule({"prompt_tokens": TokenBounds(gt=14, lt=16)}), request)
    assert request._cache["tokens"] == 15  # estimated once, then read by every later rule
    assert not matches(rule({"prompt_tokens": TokenBounds(gt=15)}), request)


def test_conditions_are_anded() -> None:
    r = rule({"task": ("code",), "tools": True, "keywords": ("urgent",), "team": ("ml",)})
    assert matches(r, req(chat("urgent: fix it", metadata={"task": "code"}, tools=[TOOL]), team="ml"))
    # drop any one condition's fact and the rule no longer holds
    assert not matches(r, req(chat("urgent: fix it", metadata={"task": "chat"}, tools=[TOOL]), team="ml"))
    assert not matches(r, req(chat("urgent: fix it", metadata={"task": "code"}), team="ml"))
    assert not matches(r, req(chat("fix it", metadata={"task": "code"}, tools=[TOOL]), team="ml"))
    assert not matches(r, req(chat("urgent: fix it", metadata={"task": "code"}, tools=[TOOL]), team="web"))


def test_first_match_wins_in_order() -> None:
    rules = (
        compile_rule(Rule(to="a", when=Match(keywords=("refund",))), 0),
        compile_rule(Rule(to="b", name="catch-all"), 1),
        compile_rule(Rule(to="c"), 2),
    )
    assert rules[0].name == "#1" and rules[2].name == "#3"  # unnamed rules are numbered from 1
    hit = first_match(rules, req(chat("refund please")))
    assert hit is not None and hit.to == "a"
    hit = first_match(rules, req(chat("hello")))
    assert hit is not None and (hit.to, hit.name) == ("b", "catch-all")
    assert first_match(rules[:1], req(chat("hello"))) is None
    assert first_match((), req()) is None


# ---- 2. routes -----------------------------------------------------------------------------------------

ROUTE = """
routes:
  auto:
    default: small
    fallbacks: [mid, big]
    rules:
      - {name: code, to: mid, when: {keywords: [python]}}
      - {name: secret, to: big, pin: true, when: {metadata: {sensitivity: high}}}
"""


def test_default_target_and_decision() -> None:
    s = build(ROUTE)
    plan = s.router.decide(req(chat("hello")))
    assert [(a.model.name, a.tier, a.reason) for a in plan.attempts] == [
        ("small", 0, "auto/default"),
        ("mid", 1, "auto/fallback:1"),
        ("big", 2, "auto/fallback:2"),
    ]
    assert plan.primary.model.name == "small"
    decision = plan.decision
    assert decision is not None
    assert (decision.route, decision.decided_by, decision.notes) == ("auto", "default", ())
    assert [(c.model.name, c.tier, c.skipped) for c in decision.candidates] == [
        ("small", 0, ""),
        ("mid", 1, ""),
        ("big", 2, ""),
    ]
    assert decision.prompt_tokens == 2  # estimated: (5 bytes + 3) // 4
    assert plan.policy.circuit and plan.policy.retries == 1 and plan.policy.deadline == 10.0


def test_rule_target() -> None:
    plan = build(ROUTE).router.decide(req(chat("some Python please")))
    assert names(plan) == ["mid", "big"]  # mid is not repeated as the first fallback
    assert [(a.tier, a.reason) for a in plan.attempts] == [(0, "auto/rule:code"), (2, "auto/fallback:2")]
    assert plan.decision is not None and plan.decision.decided_by == "rule:code"


def test_pinned_rule_is_exactly_one_attempt() -> None:
    s = build(ROUTE)
    plan = s.router.decide(req(chat("python", metadata={"sensitivity": "high"})))
    # the code rule comes first and matches, so the pin only applies when it is reached
    assert names(plan) == ["mid", "big"]
    plan = s.router.decide(req(chat("hello", metadata={"sensitivity": "high"})))
    assert [(a.model.name, a.tier, a.reason) for a in plan.attempts] == [("big", 0, "auto/pin:secret")]
    assert "pin:" in plan.primary.reason
    assert plan.decision is not None and plan.decision.decided_by == "pin:secret"
    assert [c.model.name for c in plan.decision.candidates] == ["big"]


def test_pin_skips_the_latency_guard() -> None:
    s = build(
        """
        routes:
          auto:
            default: small
            rules: [{name: p, to: big, pin: true, when: {team: [ops]}}]
            latency: {alternative: small, p99_ms: 100, min_samples: 1}
        """
    )
    record(s.health, "big", 5000)
    assert names(s.router.decide(req(team="ops"))) == ["big"]


@pytest.mark.parametrize("max_fallbacks", [3, 9])
def test_fallback_tiers_in_order(max_fallbacks: int) -> None:
    route = "routes:\n  auto:\n    default: small\n    fallbacks: [mid, big, huge]\n"
    plan = build(f"{route}    max_fallbacks: {max_fallbacks}\n").router.decide(req())
    expected = ["small", "mid", "big", "huge"]
    assert names(plan) == expected
    assert [a.tier for a in plan.attempts] == list(range(len(expected)))
    assert [a.reason for a in plan.attempts[1:]] == [f"auto/fallback:{n}" for n in range(1, len(expected))]


@pytest.mark.parametrize("max_fallbacks", [None, 0, 2])
def test_more_tiers_than_max_fallbacks_fail_at_start_instead_of_being_cut(max_fallbacks: int | None) -> None:
    cap = "" if max_fallbacks is None else f"\n    max_fallbacks: {max_fallbacks}"  # default: 2
    with pytest.raises(ConfigError, match=r"routes\.auto\.fallbacks: lists 3 tiers but max_fallbacks"):
        build(f"routes:\n  auto:\n    default: small\n    fallbacks: [mid, big, huge]{cap}\n")


def test_model_already_planned_is_not_repeated() -> None:
    # `fast` is an alias of small, the default; duo's members appear once even when named twice
    s = build(
        "routes:\n  auto:\n    default: small\n"
        "    fallbacks: [fast, mid, small, duo, duo]\n    max_fallbacks: 9\n"
    )
    plan = s.router.decide(req())
    assert names(plan) == ["small", "mid", "east", "west"]
    tiers = [a.tier for a in plan.attempts]
    assert tiers == sorted(tiers) and tiers[0] == 0
    for attempt in plan.attempts[1:]:
        assert attempt.reason == f"auto/fallback:{attempt.tier}"
    assert plan.decision is not None and len(plan.decision.candidates) == 4


def test_pool_target_expands_into_one_tier() -> None:
    routes = "routes:\n  auto:\n    default: duo\n    fallbacks: [duo2]\n"
    pools = "  duo2:\n    strategy: cheapest\n    members: [{model: big}, {model: mid}]\n"
    for draw, expected in ((0.0, ["east", "west"]), (0.99, ["west", "east"])):
        plan = build(routes, pools=pools, rng=lambda d=draw: d).router.decide(req())  # type: ignore[misc]
        assert names(plan) == [*expected, "mid", "big"]  # duo2 is cheapest-first
        assert [(a.tier, a.reason) for a in plan.attempts] == [
            (0, "auto/default"),
            (0, "auto/duo:alternate"),
            (1, "auto/fallback:1"),
            (1, "auto/fallback:1"),
        ]
        assert plan.decision is not None and plan.decision.decided_by == "default"


LATENCY_ROUTE = """
routes:
  auto:
    default: big
    fallbacks: [mid]
    latency: {alternative: small, p99_ms: 1000, min_samples: 5}
"""


def test_latency_guard_swaps_a_slow_primary_for_the_alternative() -> None:
    s = build(LATENCY_ROUTE)
    record(s.health, "big", 100, 200, 300, 400, 2500)  # p99 2500 ms over 5 samples
    record(s.health, "small", 50)
    plan = s.router.decide(req())
    assert [(a.model.name, a.tier, a.reason) for a in plan.attempts] == [
        ("small", 0, "auto/default latency:small"),
        ("mid", 1, "auto/fallback:1"),
    ]
    decision = plan.decision
    assert decision is not None and decision.decided_by == "default latency:small"
    slow, alternative = decision.candidates[0], decision.candidates[1]
    assert slow.model.name == "big" and "latency" in slow.skipped and "p99 2500 ms > 1000 ms" in slow.skipped
    assert (slow.p50_ms, alternative.model.name, alternative.skipped, alternative.p50_ms) == (
        300,
        "small",
        "",
        50,
    )
    assert decision.notes == ("big skipped for small (p99 2500 ms > 1000 ms)",)


def test_latency_guard_needs_min_samples() -> None:
    s = build(LATENCY_ROUTE)
    record(s.health, "big", 5000, 5000, 5000, 5000)  # 4 < min_samples 5
    plan = s.router.decide(req())
    assert names(plan) == ["big", "mid"]
    assert plan.decision is not None and plan.decision.decided_by == "default"
    assert all(not c.skipped for c in plan.decision.candidates)
    record(s.health, "big", 5000)
    s.clock.advance(0.3)  # percentiles are recomputed at most every 0.25 s
    assert names(s.router.decide(req())) == ["small", "mid"]


def test_latency_guard_leaves_a_fast_primary_alone() -> None:
    s = build(LATENCY_ROUTE)
    record(s.health, "big", *[900.0] * 10)
    assert names(s.router.decide(req())) == ["big", "mid"]


def test_latency_guard_on_time_to_first_token() -> None:
    s = build(
        """
        routes:
          auto:
            default: big
            latency: {alternative: small, ttft_p95_ms: 500, min_samples: 2}
        """
    )
    record(s.health, "big", 900, 900, ttft=800)
    plan = s.router.decide(req())
    assert names(plan) == ["small"]
    assert plan.decision is not None and "ttft p95 800 ms > 500 ms" in plan.decision.candidates[0].skipped


def test_latency_guard_never_skips_a_model_for_itself() -> None:
    s = build(
        """
        routes:
          auto:
            default: big
            rules: [{name: simple, to: small, when: {keywords: [hi]}}]
            latency: {alternative: small, p99_ms: 1000, min_samples: 2}
        """
    )
    record(s.health, "small", 5000, 5000, 5000)
    plan = s.router.decide(req(chat("hi")))
    assert names(plan) == ["small"]  # actual: [] — "small skipped for small"


def test_names_that_are_not_routes_route_manually() -> None:
    s = build(ROUTE)
    plan = s.router.decide(RouteRequest("small", chat("x")))
    assert [(a.model.name, a.reason) for a in plan.attempts] == [("small", "manual")]
    assert plan.policy is MANUAL and not plan.policy.circuit and plan.decision is None
    assert s.router.decide(RouteRequest("fast", chat("x"))).primary.reason == "alias:fast"
    unlisted = s.router.decide(RouteRequest("fake/other-model", chat("x"))).primary
    assert (unlisted.reason, unlisted.model.upstream, unlisted.model.price) == (
        "manual:unlisted",
        "other-model",
        None,
    )
    with pytest.raises(ModelNotFound):
        s.router.decide(RouteRequest("nosuch", chat("x")))


def test_decision_reports_the_estimate_a_token_rule_used() -> None:
    s = build(
        """
        routes:
          auto:
            default: small
            rules: [{name: long, to: big, when: {prompt_tokens: {gt: 50}}}]
        """
    )
    plan = s.router.decide(req(chat("x" * 400)))
    assert plan.primary.model.name == "big"
    assert plan.decision is not None and plan.decision.prompt_tokens == 100
    plan = s.router.decide(req(chat("x" * 200)))
    assert plan.primary.model.name == "small"
    assert plan.decision is not None and plan.decision.prompt_tokens == 50


# ---- 3. pools ------------------------------------------------------------------------------------------


def member(name: str, weight: float = 1.0, price: tuple[str, str] | None = ("1", "1")) -> Member:
    cost = Price(Decimal(price[0]), Decimal(price[1])) if price else None
    return Member(CatalogModel(name, "fake", name, cost), weight)


def stats_of(table: dict[str, Stats]) -> Callable[[str], Stats]:
    return lambda name: table.get(name, Stats())


def pool_names(members: list[Member]) -> list[str]:
    return [m.model.name for m in members]


def test_weighted_with_injected_draws() -> None:
    pair = (member("a"), member("b"))
    assert pool_names(order(pair, "weighted", stats_of({}), lambda: 0.0)) == ["a", "b"]
    assert pool_names(order(pair, "weighted", stats_of({}), lambda: 0.99)) == ["b", "a"]
    assert pool_names(order(pair, "weighted", stats_of({}), lambda: 0.49)) == ["a", "b"]
    assert pool_names(order(pair, "weighted", stats_of({}), lambda: 0.51)) == ["b", "a"]
    # a weight-0 member is drawn last
    drained = (member("off", weight=0), member("on"))
    assert pool_names(order(drained, "weighted", stats_of({}), lambda: 0.0)) == ["on", "off"]


def test_weighted_shares_follow_weights() -> None:
    pair = (member("heavy", weight=3), member("light", weight=1))
    draw = random.Random(1).random
    firsts = [order(pair, "weighted", stats_of({}), draw)[0].model.name for _ in range(10_000)]
    share = firsts.count("heavy") / len(firsts)
    assert 0.72 <= share <= 0.78
    # sampling without replacement: every order is a permutation of the members
    trio = (member("a", 5), member("b", 3), member("c", 1))
    for _ in range(200):
        assert sorted(pool_names(order(trio, "weighted", stats_of({}), draw))) == ["a", "b", "c"]


def test_latency_strategy_lowest_p50_first_unmeasured_first() -> None:
    members = (member("slow"), member("fast"), member("new"), member("mid"))
    table = {"slow": Stats(samples=9, p50_ms=900.0), "fast": Stats(samples=9, p50_ms=90.0)}
    table["mid"] = Stats(samples=9, p50_ms=300.0)
    assert pool_names(order(members, "latency", stats_of(table))) == ["new", "fast", "mid", "slow"]


def test_least_busy_strategy() -> None:
    members = (member("a"), member("b"), member("c"))
    table = {"a": Stats(in_flight=4), "b": Stats(in_flight=1), "c": Stats(in_flight=2)}
    assert pool_names(order(members, "least_busy", stats_of(table))) == ["b", "c", "a"]


def test_cheapest_strategy_by_typical_turn_price() -> None:
    members = (
        member("pricey", price=("3", "15")),  # 3 * 3 + 15 = 24
        member("unknown", price=None),  # unknown price goes last
        member("in-cheap", price=("1", "20")),  # 23
        member("out-cheap", price=("7", "1")),  # 22
    )
    assert pool_names(order(members, "cheapest", stats_of({}))) == [
        "out-cheap",
        "in-cheap",
        "pricey",
        "unknown",
    ]


def test_unknown_strategy_raises() -> None:
    with pytest.raises(ValueError, match="fastest"):
        order((member("a"),), "fastest", stats_of({}))


# ---- 4. health -----------------------------------------------------------------------------------------


def make_health(**config: Any) -> tuple[LocalHealth, Clock]:
    clock = Clock()
    return LocalHealth(HealthConfig(**config), clock=clock), clock


def fail(health: LocalHealth, model: str, times: int = 1) -> None:
    for _ in range(times):
        health.started(model)
        health.failed(model)


def test_unknown_model_is_healthy_and_empty() -> None:
    health, _ = make_health()
    assert health.admit("m") and health.stats("m") == Stats()


def test_latency_percentiles_nearest_rank() -> None:
    health, _ = make_health()
    record(health, "m", *random.Random(7).sample(range(1, 101), 100))  # 1..100 ms, any order
    s = health.stats("m")
    assert (s.samples, s.p50_ms, s.p95_ms, s.p99_ms) == (100, 50, 95, 99)
    record(health, "n", 40, 10, 30, 20)
    s = health.stats("n")
    assert (s.samples, s.p50_ms, s.p95_ms, s.p99_ms) == (4, 20, 40, 40)
    record(health, "one", 123.4567)
    s = health.stats("one")
    assert (s.p50_ms, s.p95_ms, s.p99_ms) == (123.457, 123.457, 123.457)  # rounded to µs


def test_ttft_percentiles() -> None:
    health, _ = make_health()
    for i in range(1, 21):
        health.started("m")
        health.succeeded("m", latency_ms=1000, ttft_ms=i * 10)
    record(health, "m", 1000)  # a non-streamed answer adds latency, no TTFT
    s = health.stats("m")
    assert (s.samples, s.ttft_samples) == (21, 20)
    assert (s.ttft_p50_ms, s.ttft_p95_ms, s.ttft_p99_ms) == (100, 190, 200)


def test_samples_older_than_the_window_expire() -> None:
    health, clock = make_health(window=10)
    record(health, "m", 100)
    fail(health, "m")
    clock.advance(6)
    record(health, "m", 300)
    assert health.stats("m").samples == 2 and health.stats("m").requests == 3
    clock.advance(4.5)  # the first two are now 10.5 s old
    s = health.stats("m")
    assert (s.samples, s.p50_ms, s.requests, s.error_rate) == (1, 300, 1, 0.0)
    clock.advance(6)
    assert health.stats("m").samples == 0 and health.stats("m").p50_ms is None


def test_samples_are_capped() -> None:
    health, _ = make_health(samples=3)
    record(health, "m", 900, 1, 2, 3)
    s = health.stats("m")
    assert (s.samples, s.p99_ms) == (3, 3)


def test_error_rate_and_in_flight() -> None:
    health, _ = make_health()
    record(health, "m", 10, 10, 10)
    fail(health, "m")
    s = health.stats("m")
    assert (s.requests, s.error_rate, s.samples, s.in_flight) == (4, 0.25, 3, 0)
    for _ in range(3):
        health.started("m")
    assert health.stats("m").in_flight == 3  # counted live, not cached
    health.succeeded("m", 10)
    health.failed("m")
    assert health.stats("m").in_flight == 1
    health.released("m")
    health.released("m")  # never below zero
    assert health.stats("m").in_flight == 0


def test_circuit_opens_after_consecutive_failures_then_one_probe() -> None:
    health, clock = make_health(failures=3, cooldown=10)
    fail(health, "m", 2)
    record(health, "m", 10)  # a success resets the consecutive count
    fail(health, "m", 2)
    assert health.admit("m") and health.stats("m").circuit == CLOSED
    fail(health, "m")
    assert not health.admit("m") and health.stats("m").circuit == OPEN
    clock.advance(9.5)
    assert not health.admit("m")
    clock.advance(0.5)  # the cooldown is over: exactly one probe
    assert health.stats("m").circuit == HALF_OPEN
    assert health.admit("m")
    assert not health.admit("m")
    assert not health.admit("m")
    health.started("m")
    health.succeeded("m", 50)  # the probe answered: closed, failures forgotten
    assert health.admit("m") and health.admit("m")
    s = health.stats("m")
    assert (s.circuit, s.requests, s.error_rate) == (CLOSED, 1, 0.0)
    fail(health, "m", 2)
    assert health.admit("m")  # the count starts over


def test_failed_probe_reopens_for_another_cooldown() -> None:
    health, clock = make_health(failures=2, cooldown=5)
    fail(health, "m", 2)
    clock.advance(5)
    assert health.admit("m")
    fail(health, "m")  # one failure is enough in half-open
    assert not health.admit("m") and health.stats("m").circuit == OPEN
    clock.advance(4.5)
    assert not health.admit("m")
    clock.advance(0.5)
    assert health.admit("m") and not health.admit("m")


def test_released_probe_lets_the_next_request_probe() -> None:
    health, clock = make_health(failures=1, cooldown=5)
    fail(health, "m")
    clock.advance(5)
    assert health.admit("m") and not health.admit("m")
    health.started("m")
    health.released("m")  # the probe said nothing about the model
    assert health.stats("m").circuit == HALF_OPEN
    assert health.admit("m") and not health.admit("m")


def test_circuit_opens_on_error_rate() -> None:
    health, _ = make_health(failures=100, min_requests=10, error_rate=0.5)
    for _ in range(4):
        record(health, "m", 10)
        fail(health, "m")
    record(health, "m", 10)
    assert health.admit("m") and health.stats("m").requests == 9  # 4/9 failed
    fail(health, "m")  # 5 of 10 ≥ 0.5
    assert not health.admit("m") and health.stats("m").circuit == OPEN


def test_error_rate_needs_min_requests() -> None:
    health, _ = make_health(failures=100, min_requests=10, error_rate=0.5)
    record(health, "m", 10)
    fail(health, "m", 1)
    record(health, "m", 10)
    fail(health, "m", 1)
    assert health.stats("m").error_rate == 0.5 and health.admit("m")  # only 4 requests


def test_cool_keeps_a_model_away_for_its_seconds() -> None:
    health, clock = make_health(cooldown=10)
    health.cool("m", 30)
    assert not health.admit("m") and health.stats("m").circuit == OPEN
    clock.advance(29.5)
    assert not health.admit("m")
    clock.advance(0.5)
    assert health.admit("m") and not health.admit("m")  # then one probe, as after any opening


def test_cool_never_shortens_an_open_circuit() -> None:
    health, clock = make_health(failures=1, cooldown=10)
    fail(health, "m")
    health.cool("m", 2)
    clock.advance(5)
    assert not health.admit("m")
    health.cool("m", 20)  # a longer cool extends it
    clock.advance(10)
    assert not health.admit("m")
    clock.advance(10)
    assert health.admit("m")


def test_stats_are_cached_for_a_quarter_second() -> None:
    health, clock = make_health(window=10)
    record(health, "m", 100)
    clock.advance(9.875)
    assert health.stats("m").samples == 1  # computed now
    clock.advance(0.25)  # the sample has left the window, but these stats are only 0.25 s old
    assert health.stats("m").samples == 1
    clock.advance(0.125)
    assert health.stats("m").samples == 0
    record(health, "m", 200)  # an answer shows within a quarter second: recomputing per answer is costly
    assert health.stats("m").samples == 0
    clock.advance(0.26)
    assert health.stats("m").p50_ms == 200
    health.started("m")
    health.failed("m")  # a failure shows at once
    assert health.stats("m").error_rate == 0.5


# ---- 5. failover ---------------------------------------------------------------------------------------

RETRY, NEXT, LARGER, STOP = failover.RETRY, failover.NEXT, failover.LARGER, failover.STOP

FAILOVER_CASES: list[tuple[str, UpstreamError, dict[str, Any], failover.Action]] = [
    ("5xx-retry", UpstreamServerError("boom", upstream_status=500), {}, failover.Action(RETRY, delay=0.3)),
    (
        "5xx-no-deadline",
        UpstreamServerError("boom"),
        {"fits": lambda wait: True},
        failover.Action(RETRY, delay=0.3),
    ),
    ("5xx-retries-exhausted", UpstreamServerError("boom"), {"retries_left": 0}, failover.Action(NEXT)),
    (
        "5xx-backoff-past-deadline",
        UpstreamServerError("boom"),
        {"fits": lambda wait: wait < 0.2},
        failover.Action(NEXT),
    ),
    (
        "529-overloaded",
        UpstreamOverloaded("busy", upstream_status=529),
        {},
        failover.Action(RETRY, delay=0.3),
    ),
    ("overloaded-exhausted", UpstreamOverloaded("busy"), {"retries_left": 0}, failover.Action(NEXT)),
    ("protocol-retry", UpstreamProtocolError("garbled"), {}, failover.Action(RETRY, delay=0.3)),
    ("protocol-exhausted", UpstreamProtocolError("garbled"), {"retries_left": 0}, failover.Action(NEXT)),
    ("timeout-next", UpstreamTimeout("slow"), {}, failover.Action(NEXT)),
    ("unavailable-next", UpstreamUnavailable("refused"), {}, failover.Action(NEXT)),
    ("429-fits", UpstreamRateLimited("slow down", retry_after="2"), {}, failover.Action(RETRY, delay=2.0)),
    (
        "429-does-not-fit",
        UpstreamRateLimited("slow down", retry_after="2"),
        {"fits": lambda wait: wait < 1.5},
        failover.Action(NEXT, cool=2.0),
    ),
    (
        "429-retries-exhausted",
        UpstreamRateLimited("slow down", retry_after="2"),
        {"retries_left": 0},
        failover.Action(NEXT, cool=2.0),
    ),
    ("429-no-retry-after", UpstreamRateLimited("slow down"), {}, failover.Action(NEXT, cool=1.0)),
    ("context-larger", ContextLengthExceeded("too long"), {}, failover.Action(LARGER)),
    ("filtered-stop", ContentFiltered("no"), {}, failover.Action(STOP)),
    ("filtered-fallback", ContentFiltered("no"), {"on_content_filter": "fallback"}, failover.Action(NEXT)),
    ("400-stop", UpstreamRejected("bad", upstream_status=400), {}, failover.Action(STOP)),
    ("422-stop", UpstreamRejected("bad", upstream_status=422), {}, failover.Action(STOP)),
    ("401-next", UpstreamRejected("key", upstream_status=401), {}, failover.Action(NEXT)),
    ("403-next", UpstreamRejected("perm", upstream_status=403), {}, failover.Action(NEXT)),
    ("404-next", UpstreamRejected("gone", upstream_status=404), {}, failover.Action(NEXT)),
]


@pytest.mark.parametrize(
    ("error", "overrides", "expected"),
    [case[1:] for case in FAILOVER_CASES],
    ids=[case[0] for case in FAILOVER_CASES],
)
def test_failover_decision(
    error: UpstreamError, overrides: dict[str, Any], expected: failover.Action
) -> None:
    kw: dict[str, Any] = {
        "retries_left": 1,
        "fits": lambda wait: wait < 5.0,
        "backoff": 0.3,
        "on_content_filter": "stop",
    }
    kw.update(overrides)
    assert failover.decide(error, **kw) == expected


def test_retry_after_values() -> None:
    assert failover.retry_after("2") == 2.0
    assert failover.retry_after("0") == 0.0
    assert failover.retry_after("-3") == 0.0
    assert failover.retry_after(None) is None and failover.retry_after("") is None
    assert failover.retry_after("soon") is None
    assert failover.retry_after("Wed, 32 Foo 2015 99:99:99 GMT") is None
    when = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert failover.retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=when - 5) == 5.0
    assert failover.retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=when + 60) == 0.0  # in the past


def test_retry_after_rejects_non_numeric_floats() -> None:
    action = failover.decide(
        UpstreamRateLimited("slow down", retry_after="inf"), retries_left=1, fits=lambda w: w < 5, backoff=0.2
    )
    assert action.cool < 3600
    assert failover.retry_after("inf") is None


def test_blames_model() -> None:
    unhealthy: list[UpstreamError] = [
        UpstreamServerError("x"),
        UpstreamOverloaded("x"),
        UpstreamTimeout("x"),
        UpstreamUnavailable("x"),
        UpstreamProtocolError("x"),
    ]
    refused: list[UpstreamError] = [
        UpstreamRejected("x", upstream_status=400),
        UpstreamRejected("x", upstream_status=401),
        UpstreamRateLimited("x"),
        ContextLengthExceeded("x"),
        ContentFiltered("x"),
    ]
    assert [failover.blames_model(e) for e in unhealthy] == [True] * 5
    assert [failover.blames_model(e) for e in refused] == [False] * 5


# ---- 6. route config errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("routes", "expected"),
    [
        (
            "routes:\n  auto: {default: nosuch}\n",
            "routes.auto.default: 'nosuch' is neither a pool nor a model",
        ),
        (
            "routes:\n  auto:\n    default: small\n    fallbacks: [mid, ghost]\n",
            "routes.auto.fallbacks[1]: 'ghost' is neither a pool nor a model",
        ),
        (
            "routes:\n  auto:\n    default: small\n    rules: [{to: ghost}]\n",
            "routes.auto.rules[0].to: 'ghost' is neither a pool nor a model",
        ),
        (
            "routes:\n  auto:\n    default: small\n    latency: {alternative: ghost, p99_ms: 100}\n",
            "routes.auto.latency.alternative: 'ghost' is neither",
        ),
        (
            "routes:\n  auto:\n    default: small\n    rules:\n      - {to: mid, when: {regex: 'a(b'}}\n",
            "routes.auto.rules[0].when.regex: bad regular expression",
        ),
        (
            "routes:\n  auto:\n    default: small\n    rules:\n      - {to: mid, when: {keyword: [x]}}\n",
            "routes.auto.rules[0].when.keyword: unknown key (did you mean 'keywords'?)",
        ),
        (
            "routes:\n  auto: {default: small, retries: -1}\n",
            "routes.auto.retries: cannot be negative, got -1",
        ),
        (
            "routes:\n  auto: {default: small, max_fallbacks: -2}\n",
            "routes.auto.max_fallbacks: cannot be negative",
        ),
        (
            "routes:\n  auto: {default: small, deadline: 0}\n",
            "routes.auto.deadline: must be a positive number of seconds",
        ),
        (
            "routes:\n  auto: {default: small, on_content_filter: maybe}\n",
            "routes.auto.on_content_filter: must be 'stop' or 'fallback'",
        ),
        ("routes:\n  small: {default: mid}\n", "routes.small: 'small' is already a model"),
        ("routes:\n  fast: {default: mid}\n", "routes.fast: 'fast' is already a model"),
        ("routes:\n  duo: {default: mid}\n", "routes.duo: 'duo' is already a pool"),
    ],
)
def test_route_config_errors_name_the_key(routes: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_gateway(parse_config(BASE + routes, "test.yaml", {}))  # as a start does
    message = info.value.message
    assert message.startswith("test.yaml:") and expected in message, message


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "  bad:\n    strategy: fastest\n    members: [{model: small}]\n",
            "pools.bad.strategy: unknown strategy 'fastest'; one of: weighted, latency, least_busy, cheapest",
        ),
        ("  empty:\n    members: []\n", "pools.empty.members: a pool needs at least one member"),
        (
            "  trio:\n    members: [{model: small}, {model: ghost}]\nroutes:\n  auto: {default: trio}\n",
            "pools.trio.members[1].model: 'ghost' is neither a pool nor a model",
        ),
    ],
)
def test_pool_config_errors_name_the_key(extra: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_gateway(parse_config(BASE + extra, "test.yaml", {}))
    assert expected in info.value.message, info.value.message


def test_config_error_points_at_the_line() -> None:
    text = BASE + "routes:\n  auto:\n    default: small\n    fallbacks:\n      - mid\n      - ghost\n"
    line = text.splitlines().index("      - ghost") + 1
    with pytest.raises(ConfigError) as info:
        build_gateway(parse_config(text, "test.yaml", {}))
    assert info.value.message.startswith(f"test.yaml:{line}: routes.auto.fallbacks[1]: 'ghost'")


@pytest.mark.parametrize(
    ("health", "expected"),
    [
        ("health: {error_rate: 2}\n", "health.error_rate: must be in (0, 1], got 2"),
        ("health: {error_rate: 0}\n", "health.error_rate: must be in (0, 1]"),
        ("health: {cooldown: 0}\n", "health.cooldown: must be a positive number of seconds"),
        ("health: {failures: 0}\n", "health.failures: must be at least 1"),
    ],
)
def test_health_config_errors(health: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(BASE + health, "test.yaml", {})
    assert expected in info.value.message, info.value.message


# ---- bugs found while testing ----------------------------------------------------------------------------


def test_prompt_tokens_estimate_counts_tool_call_arguments() -> None:
    arguments = '{"q": "' + "word " * 800 + '"}'  # 4,000 bytes: about 800 tokens sent to the model
    body = {
        "messages": [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": arguments}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
            {"role": "user", "content": "thanks"},
        ]
    }
    assert matches(rule({"prompt_tokens": TokenBounds(gt=500)}), req(body))  # actual estimate: 4 tokens


def test_routing_modules_import_on_their_own() -> None:
    # once a circular import (routing.plan → engine package → engine.trace → routing.plan)
    code = "import pointsman.routing.plan, pointsman.routing.rules, pointsman.routing.features"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr[-300:]
