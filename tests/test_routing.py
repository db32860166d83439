"""The routing engine end to end: the openai SDK → the gateway on loopback → wire-faithful fakes
with injected faults. Each test builds its own gateway, so health state never leaks between tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import openai
import orjson
import pytest

from conftest import EXPLAIN, Gateway, reset, seen, trace_of, user
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.base import FakeModel
from pointsman.fakes.faults import Fault
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.serving import BackgroundServers

KEY = "sk-routing-secret-42"

MODELS = {
    "cheap-1": FakeModel(),
    "mid-1": FakeModel(),
    "strong-1": FakeModel(),
    "empty-1": FakeModel(reply=""),
    "prose-1": FakeModel(reply="Sure! Here is some prose, not JSON."),
    "sorry-1": FakeModel(reply="I'm sorry, but I can't help with that."),
    "lazy-1": FakeModel(latency=1.0, ttft=1.0),
    "tiny-1": FakeModel(context_window=20),
}

CONFIG = """
providers:
  r:
    type: openai
    base_url: {openai}/v1
    api_key: {key}
    timeouts: {{connect: 1, read: 5}}
  claude:
    type: anthropic
    base_url: {anthropic}/v1
    api_key: {key}
    timeouts: {{connect: 1, read: 5}}
models:
  cheap: {{provider: r, upstream: cheap-1, input: "0.10", output: "0.40"}}
  mid: {{provider: r, upstream: mid-1, input: "1", output: "4"}}
  strong: {{provider: r, upstream: strong-1, input: "3", output: "15"}}
  empty: {{provider: r, upstream: empty-1, input: "0.10", output: "0.40"}}
  prose: {{provider: r, upstream: prose-1, input: "0.10", output: "0.40"}}
  sorry: {{provider: r, upstream: sorry-1, input: "0.10", output: "0.40"}}
  lazy: {{provider: r, upstream: lazy-1, input: "0.10", output: "0.40"}}
  tiny: {{provider: r, upstream: tiny-1, input: "0.10", output: "0.40"}}
  blind: {{provider: r, upstream: mid-1, input: "1", output: "4", capabilities: [chat, streaming]}}
  opus:
    provider: claude
    upstream: claude-opus-9
    input: "5"
    output: "25"
    context_window: 200000
    capabilities: [chat, tools, vision, json_schema, streaming, prefill]
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
health: {{failures: 3, cooldown: 1.0}}
"""


@pytest.fixture(scope="module")
def rfake(servers: BackgroundServers) -> FakeOpenAI:
    return servers.start_fake(FakeOpenAI(dict(MODELS), api_key=KEY))  # type: ignore[return-value]


@pytest.fixture(scope="module")
def claude(servers: BackgroundServers) -> FakeAnthropic:
    fake = FakeAnthropic({"claude-opus-9": FakeModel()}, api_key=KEY)
    return servers.start_fake(fake)  # type: ignore[return-value]


@pytest.fixture(autouse=True)
def _clean(rfake: FakeOpenAI, claude: FakeAnthropic) -> Iterator[None]:
    yield
    reset(rfake, claude)


@pytest.fixture
def routed(
    make_gateway: Callable[..., Gateway], rfake: FakeOpenAI, claude: FakeAnthropic
) -> Callable[[str], Gateway]:
    def make(routes: str) -> Gateway:
        text = CONFIG.format(openai=rfake.url, anthropic=claude.url, key=KEY) + routes
        return make_gateway(text=text)

    return make


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content if isinstance(b, dict))


CHAIN = """
routes:
  auto:
    default: cheap
    fallbacks: [mid, strong]
    backoff: 0.01
"""


def ask(gw: Gateway, text: str = "say: hello there", **kw: Any) -> Any:
    return gw.client().chat.completions.with_raw_response.create(
        model="auto", messages=user(text), extra_headers=EXPLAIN, **kw
    )


def streamed(gw: Gateway, text: str = "say: one two three four five six", **kw: Any) -> tuple[str, Any]:
    with gw.client().chat.completions.with_streaming_response.create(
        model="auto", messages=user(text), stream=True, extra_headers=EXPLAIN, **kw
    ) as response:
        parts = [c.choices[0].delta.content or "" for c in response.parse() if c.choices]
        return "".join(parts), response.headers


# ---- rules and explain


def test_rules_pick_the_model_and_the_trace_says_why(routed: Callable[[str], Gateway]) -> None:
    gw = routed(
        """
routes:
  auto:
    default: cheap
    fallbacks: [strong]
    rules:
      - {name: refunds, when: {keywords: [refund, chargeback]}, to: opus, pin: true}
      - {name: code, when: {regex: "```|def |class "}, to: strong}
      - {name: long, when: {prompt_tokens: {gt: 40}}, to: mid}
"""
    )
    raw = ask(gw, "say: fine")
    assert raw.headers["x-pointsman-model"] == "cheap" and raw.headers["x-pointsman-route"] == "auto/default"
    raw = ask(gw, "Here is code: def f(): pass")
    assert (
        raw.headers["x-pointsman-model"] == "strong" and raw.headers["x-pointsman-route"] == "auto/rule:code"
    )
    raw = ask(gw, "word " * 60)
    assert raw.headers["x-pointsman-model"] == "mid"
    raw = ask(gw, "I want a REFUND now")
    assert (
        raw.headers["x-pointsman-model"] == "opus" and raw.headers["x-pointsman-route"] == "auto/pin:refunds"
    )
    trace = trace_of(raw.headers)
    assert trace["decided_by"] == "pin:refunds"
    assert [c["model"] for c in trace["candidates"]] == ["opus"]  # pinned: nothing else considered
    raw = ask(gw, "say: fine")
    trace = trace_of(raw.headers)
    assert [(c["model"], c["tier"]) for c in trace["candidates"]] == [("cheap", 0), ("strong", 1)]
    assert all("expected_cost_usd" in c for c in trace["candidates"])
    cheap, strong = (float(c["expected_cost_usd"]) for c in trace["candidates"])
    assert cheap < strong
    assert [a["outcome"] for a in trace["attempts"]] == ["answered"]
    row = gw.row(raw.headers["x-pointsman-request-id"])
    assert row["trace"]["decided_by"] == "default" and row["route"] == "auto/default"


def test_routes_are_listed_as_models(routed: Callable[[str], Gateway]) -> None:
    gw = routed(CHAIN)
    ids = [m.id for m in gw.client().models.list()]
    assert "auto" in ids and "cheap" in ids


# ---- failover triggers, whole answers


def test_5xx_is_retried_once_then_fails_over(routed: Callable[[str], Gateway], rfake: FakeOpenAI) -> None:
    gw = routed(CHAIN)
    rfake.inject(Fault("status", status=500, model="cheap-1", times=2))
    raw = ask(gw)
    assert raw.parse().choices[0].message.content == "hello there"
    assert raw.headers["x-pointsman-model"] == "mid" and raw.headers["x-pointsman-route"] == "auto/fallback:1"
    assert (seen(rfake, "cheap-1"), seen(rfake, "mid-1"), seen(rfake, "strong-1")) == (2, 1, 0)
    outcomes = [(a["model"], a["outcome"]) for a in trace_of(raw.headers)["attempts"]]
    assert outcomes == [("cheap", "retried"), ("cheap", "failed"), ("mid", "answered")]
    row = gw.row(raw.headers["x-pointsman-request-id"])
    assert row["model"] == "mid" and row["attempts"] == 3 and row["status"] == 200
    # billed once, at the answering model's price; the failed attempts cost nothing
    expected = (row["prompt_tokens"] * 1 + row["completion_tokens"] * 4) / 1_000_000
    assert abs(float(row["cost_usd"]) - expected) < 1e-12


def test_529_overloaded_fails_over_after_one_retry(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI
) -> None:
    gw = routed(CHAIN)
    rfake.inject(Fault("status", status=529, model="cheap-1", times=0))
    raw = ask(gw)
    assert raw.headers["x-pointsman-model"] == "mid"
    assert seen(rfake, "cheap-1") == 2


@pytest.mark.parametrize("kind", ["reset", "no_response"])
def test_a_silent_or_refusing_endpoint_is_not_retried(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI, kind: str
) -> None:
    gw = routed(CHAIN + "    attempt_timeout: 0.5\n")
    rfake.inject(Fault(kind, model="cheap-1", seconds=30))
    started = time.monotonic()
    raw = ask(gw)
    assert raw.headers["x-pointsman-model"] == "mid"
    assert seen(rfake, "cheap-1") == 1
    # the endpoint holds 30 s: an answer well before that means its attempt was cut, not waited out
    # (not a tighter bound: a busy machine may take seconds to get to the fallback)
    assert time.monotonic() - started < 15
    detail = trace_of(raw.headers)["attempts"][0]["detail"]
    assert ("timeout" in detail) if kind == "no_response" else ("cheap" in detail or "r" in detail)


def test_429_waits_for_a_retry_after_that_fits(routed: Callable[[str], Gateway], rfake: FakeOpenAI) -> None:
    gw = routed(CHAIN)
    rfake.inject(Fault("status", status=429, retry_after="0.3", model="cheap-1"))
    started = time.monotonic()
    raw = ask(gw)
    assert raw.headers["x-pointsman-model"] == "cheap"
    assert seen(rfake, "cheap-1") == 2 and time.monotonic() - started >= 0.3
    times = [s.ts for s in rfake.seen if s.model == "cheap-1"]
    assert times[1] - times[0] >= 0.3  # honoured, not hammered


def test_429_with_a_long_retry_after_fails_over_and_cools_the_model(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI
) -> None:
    gw = routed(CHAIN)
    rfake.inject(Fault("status", status=429, retry_after="30", model="cheap-1"))
    started = time.monotonic()
    raw = ask(gw)
    assert raw.headers["x-pointsman-model"] == "mid" and time.monotonic() - started < 2
    raw = ask(gw)  # the model is cooling off: not even tried
    assert raw.headers["x-pointsman-model"] == "mid" and seen(rfake, "cheap-1") == 1
    assert trace_of(raw.headers)["attempts"][0] == {
        "model": "cheap",
        "provider": "r",
        "tier": 0,
        "reason": "auto/default",
        "outcome": "skipped",
        "detail": "circuit open",
    }


def test_context_length_goes_only_to_a_larger_window(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI
) -> None:
    gw = routed(
        """
routes:
  auto:
    default: tiny
    fallbacks: [mid, opus]
"""
    )
    raw = ask(gw, "say: " + "many words here " * 20)
    # tiny's window is unknown to the catalog, so it is tried; its error names no window to beat,
    # so only models whose window is known and larger qualify: mid (unknown) is skipped, opus answers
    assert raw.headers["x-pointsman-model"] == "opus"
    assert (seen(rfake, "tiny-1"), seen(rfake, "mid-1")) == (1, 0)
    attempts = trace_of(raw.headers)["attempts"]
    assert attempts[1]["model"] == "mid" and attempts[1]["outcome"] == "skipped"


def test_content_filter_stops_with_the_providers_reason(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI
) -> None:
    gw = routed(CHAIN)
    rfake.inject(
        Fault("status", status=400, code="content_filter", message="Flagged by the safety system: violence.")
    )
    with pytest.raises(openai.BadRequestError) as info:
        gw.client().chat.completions.create(model="auto", messages=user("say: x"), extra_headers=EXPLAIN)
    assert "violence" in info.value.message
    assert info.value.response.headers["x-pointsman-route"] == "auto/default"
    assert len(rfake.seen) == 1  # no retry, no fallback
    assert trace_of(info.value.response.headers)["attempts"][0]["outcome"] == "failed"


def test_a_bad_request_is_not_shopped_around(routed: Callable[[str], Gateway], rfake: FakeOpenAI) -> None:
    gw = routed(CHAIN)
    rfake.inject(Fault("status", status=400, message="Invalid value for 'temperature'."))
    with pytest.raises(openai.BadRequestError):
        gw.client().chat.completions.create(model="auto", messages=user("x"))
    assert len(rfake.seen) == 1


def test_the_total_deadline_holds_when_everything_hangs(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI
) -> None:
    gw = routed(CHAIN + "    deadline: 1.5\n")
    rfake.inject(Fault("no_response", seconds=30, times=0))
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as info:
        gw.client().chat.completions.create(model="auto", messages=user("x"))
    elapsed = time.monotonic() - started
    assert info.value.status_code == 504 and 1.4 < elapsed < 2.5
    row = gw.rows()[-1]
    assert row["status"] == 504 and row["cost_usd"] == "0"


def test_preflight_skips_a_fallback_that_cannot_take_the_request(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI
) -> None:
    gw = routed(
        """
routes:
  auto:
    default: cheap
    fallbacks: [blind, opus]
"""
    )
    rfake.inject(Fault("status", status=500, model="cheap-1", times=0))
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    raw = gw.client().chat.completions.with_raw_response.create(
        model="auto",
        messages=[{"role": "user", "content": [{"type": "text", "text": "what is this"}, image]}],
        extra_headers=EXPLAIN,
    )
    assert raw.headers["x-pointsman-model"] == "opus"
    assert seen(rfake, "mid-1") == 0  # blind (text only) was never called
    skipped = [a for a in trace_of(raw.headers)["attempts"] if a["outcome"] == "skipped"]
    assert skipped and skipped[0]["model"] == "blind" and "vision" in skipped[0]["detail"]


# ---- answer checks


@pytest.mark.parametrize(
    ("primary", "kw", "check"),
    [
        ("empty", {}, "empty"),
        ("prose", {"response_format": {"type": "json_object"}}, "invalid_json"),
        ("sorry", {}, "refusal"),
    ],
)
def test_a_bad_answer_escalates_to_the_next_tier(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI, primary: str, kw: dict[str, Any], check: str
) -> None:
    gw = routed(
        f"""
routes:
  auto:
    default: {primary}
    fallbacks: [strong]
    checks: {{refusal_patterns: ["^I'm sorry"]}}
"""
    )
    raw = ask(gw, "say: a fine answer", **kw)
    assert raw.headers["x-pointsman-model"] == "strong"
    trace = trace_of(raw.headers)
    assert trace["attempts"][0]["outcome"] == "check_failed" and trace["attempts"][0]["detail"].startswith(
        check
    )
    assert trace["escalations"] == 1
    row = gw.row(raw.headers["x-pointsman-request-id"])
    assert row["escalations"] == 1 and row["model"] == "strong"
    # the provider billed the bad answer too: the client never saw it, so it is discarded, not cost
    assert float(row["discarded_cost_usd"]) > 0
    assert row["discarded_cost_usd"] == trace["attempts"][0]["cost_usd"]


def test_a_tool_call_to_an_unknown_tool_escalates(routed: Callable[[str], Gateway]) -> None:
    gw = routed(
        """
routes:
  auto:
    default: cheap
    fallbacks: [strong]
"""
    )
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    raw = ask(gw, "use the tool please", tools=tools)
    assert raw.parse().choices[0].message.tool_calls[0].function.name == "get_weather"
    assert raw.headers["x-pointsman-model"] == "cheap"  # a valid call passes the check


def test_escalations_are_capped_and_the_last_answer_is_returned(routed: Callable[[str], Gateway]) -> None:
    gw = routed(
        """
routes:
  auto:
    default: empty
    fallbacks: [sorry, strong]
    checks: {max_escalations: 1, refusal_patterns: ["^I'm sorry"]}
"""
    )
    raw = ask(gw)
    assert raw.headers["x-pointsman-model"] == "sorry"  # one escalation allowed, strong never tried
    assert trace_of(raw.headers)["escalations"] == 1


def test_stream_json_check_buffers_and_escalates(routed: Callable[[str], Gateway]) -> None:
    gw = routed(
        """
routes:
  auto:
    default: prose
    fallbacks: [strong]
"""
    )
    text, headers = streamed(gw, "say: x", response_format={"type": "json_object"})
    assert orjson.loads(text) == {"answer": "ok"} and headers["x-pointsman-model"] == "strong"


# ---- streams


def test_stream_cut_before_anything_was_sent_is_retried_transparently(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI
) -> None:
    gw = routed(CHAIN)
    rfake.inject(Fault("cut", after=1, model="cheap-1"))  # after the role chunk, before any text
    text, headers = streamed(gw)
    assert text == "one two three four five six"
    assert headers["x-pointsman-model"] == "cheap" and seen(rfake, "cheap-1") == 2


def test_stream_stalled_before_the_first_token_fails_over(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI
) -> None:
    gw = routed(CHAIN + "    ttft_timeout: 0.4\n")
    rfake.inject(Fault("stall", after=1, seconds=30, model="cheap-1"))
    started = time.monotonic()
    text, headers = streamed(gw)
    assert text == "one two three four five six" and headers["x-pointsman-model"] == "mid"
    assert time.monotonic() - started < 2
    row = gw.rows()[-1]
    assert row["model"] == "mid" and row["attempts"] == 2 and row["ttft_ms"] is not None


def test_stream_without_done_is_finalised_at_once(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI
) -> None:
    gw = routed(CHAIN)
    rfake.inject(Fault("no_done", model="cheap-1"))
    started = time.monotonic()
    text, _ = streamed(gw)
    assert text == "one two three four five six" and time.monotonic() - started < 1
    assert len(rfake.seen) == 1 and gw.rows()[-1]["completion_tokens"] > 0


def test_stream_empty_answer_escalates(routed: Callable[[str], Gateway]) -> None:
    gw = routed(
        """
routes:
  auto:
    default: empty
    fallbacks: [strong]
"""
    )
    text, headers = streamed(gw, "say: full answer")
    assert text == "full answer" and headers["x-pointsman-model"] == "strong"


# ---- health: circuit breaker, latency-aware routing, hedging


def test_circuit_opens_serves_the_fallback_and_closes_on_recovery(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI
) -> None:
    gw = routed(CHAIN.replace("backoff: 0.01", "backoff: 0.01\n    retries: 0"))
    rfake.inject(Fault("status", status=500, model="cheap-1", times=0))
    for _ in range(6):
        assert ask(gw).headers["x-pointsman-model"] == "mid"
    assert seen(rfake, "cheap-1") == 3  # health.failures: the circuit opened after 3
    rfake.faults.clear()
    time.sleep(1.1)  # the cooldown: the next request probes the recovered model
    raw = ask(gw)
    assert raw.headers["x-pointsman-model"] == "cheap" and seen(rfake, "cheap-1") == 4
    assert ask(gw).headers["x-pointsman-model"] == "cheap"


def test_latency_aware_route_skips_a_slow_endpoint(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI
) -> None:
    gw = routed(
        """
routes:
  auto:
    default: lazy
    deadline: 5
    latency: {p99_ms: 500, alternative: cheap, min_samples: 2}
"""
    )
    for _ in range(2):
        assert ask(gw).headers["x-pointsman-model"] == "lazy"
    time.sleep(0.3)  # percentiles refresh at most every 0.25 s
    raw = ask(gw)
    assert raw.headers["x-pointsman-model"] == "cheap" and "latency" in raw.headers["x-pointsman-route"]
    trace = trace_of(raw.headers)
    assert trace["candidates"][0]["model"] == "lazy" and "p99" in trace["candidates"][0]["skipped"]


@pytest.mark.parametrize("stream", [False, True])
def test_hedging_races_a_slow_start_and_cancels_the_loser(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI, stream: bool
) -> None:
    gw = routed(
        """
routes:
  auto:
    default: lazy
    fallbacks: [cheap]
    hedge: {after: 0.2}
"""
    )
    started = time.monotonic()
    if stream:
        text, headers = streamed(gw)
    else:
        raw = ask(gw, "say: one two three four five six")
        text, headers = raw.parse().choices[0].message.content, raw.headers
    assert text == "one two three four five six" and headers["x-pointsman-model"] == "cheap"
    assert time.monotonic() - started < 1.0  # sooner than the slow primary alone could answer
    row = gw.rows()[-1]
    assert row["model"] == "cheap" and row["attempts"] == 2
    outcomes = {a["model"]: a["outcome"] for a in row["trace"]["attempts"]}
    assert outcomes["lazy"] == "hedge_lost" and outcomes["cheap"] == "answered"
    expected = (row["prompt_tokens"] * 0.10 + row["completion_tokens"] * 0.40) / 1_000_000
    assert abs(float(row["cost_usd"]) - expected) < 1e-12  # the loser is not billed


# ---- the same triggers on streams, and what is left


@pytest.mark.parametrize(
    ("fault", "tries", "answered_by"),
    [
        (Fault("status", status=500, model="cheap-1", times=2), 2, "mid"),
        (Fault("status", status=429, retry_after="0.2", model="cheap-1"), 2, "cheap"),
        (Fault("status", status=429, retry_after="60", model="cheap-1"), 1, "mid"),
        (Fault("reset", model="cheap-1"), 1, "mid"),
    ],
)
def test_stream_failures_before_the_answer_fail_over_like_whole_answers(
    routed: Callable[[str], Gateway], rfake: FakeOpenAI, fault: Fault, tries: int, answered_by: str
) -> None:
    gw = routed(CHAIN)
    rfake.inject(fault)
    text, headers = streamed(gw)
    assert text == "one two three four five six" and headers["x-pointsman-model"] == answered_by
    assert seen(rfake, "cheap-1") == tries
    row = gw.rows()[-1]
    assert (
        row["status"] == 200
        and row["model"] == answered_by
        and row["attempts"] == tries + (answered_by != "cheap")
    )


def test_a_refused_connection_fails_over(
    make_gateway: Callable[..., Gateway], rfake: FakeOpenAI, claude: FakeAnthropic
) -> None:
    text = CONFIG.format(openai=rfake.url, anthropic=claude.url, key=KEY).replace(
        "providers:\n", 'providers:\n  dead: {type: openai, base_url: "http://127.0.0.1:9/v1"}\n'
    )
    gone = "models:\n  gone: {provider: dead, upstream: x, input: 1, output: 1}\n"
    gw = make_gateway(text=text.replace("models:\n", gone) + CHAIN.replace("default: cheap", "default: gone"))
    raw = ask(gw)
    assert raw.headers["x-pointsman-model"] == "mid"
    first = trace_of(raw.headers)["attempts"][0]
    assert first["model"] == "gone" and first["outcome"] == "failed" and "connect" in first["detail"]
    assert seen(rfake, "cheap-1") == 0


def test_route_command_explains_without_calling_anyone(
    tmp_path: Any, rfake: FakeOpenAI, claude: FakeAnthropic, capsys: pytest.CaptureFixture[str]
) -> None:
    from pointsman.cli.main import main

    config = tmp_path / "gw.yaml"
    text = CONFIG.format(openai=rfake.url, anthropic=claude.url, key=KEY).replace(
        "{ledger}", str(tmp_path / "l.db")
    )
    config.write_text(
        text
        + """
routes:
  auto:
    default: cheap
    fallbacks: [strong]
    rules:
      - {name: refunds, when: {keywords: [refund]}, to: opus, pin: true}
"""
    )
    assert main(["route", "--config", str(config), "--explain", "Can I get a refund?"]) == 0
    out = capsys.readouterr().out
    assert "pin:refunds" in out and "opus" in out and "cheap" not in out.split("decided by")[1]
    # the time limits the defaults derive, spelled out: one candidate has the whole deadline
    assert "first token within 10.0 s" in out and "go silent 2.5 s" in out
    assert main(["route", "--config", str(config), "--explain", "--format", "json", "hello"]) == 0
    decision = orjson.loads(capsys.readouterr().out)
    assert decision["decided_by"] == "default"
    assert [p["model"] for p in decision["plan"]] == ["cheap", "strong"]
    assert all("expected_cost_usd" in c for c in decision["candidates"])
    assert len(rfake.seen) == 0 and len(claude.seen) == 0  # nobody was called


TEAMS = """
server:
  keys:
    - {id: helpdesk, key: pm-helpdesk-key, team: support}
    - {id: batch, key: pm-batch-key}
routes:
  auto:
    default: cheap
    fallbacks: [strong]
    rules:
      - {name: support-team, when: {team: [support]}, to: mid}
      - {name: batch-key, when: {key: [batch], metadata: {tier: gold}}, to: strong}
"""


@pytest.mark.parametrize(
    ("key_id", "key", "metadata", "decided_by"),
    [
        ("helpdesk", "pm-helpdesk-key", {}, "rule:support-team"),  # the team comes with the key
        ("batch", "pm-batch-key", {"tier": "gold"}, "rule:batch-key"),
        ("batch", "pm-batch-key", {}, "default"),
    ],
)
def test_route_command_decides_as_a_request_with_that_key(
    make_gateway: Callable[..., Gateway],
    rfake: FakeOpenAI,
    claude: FakeAnthropic,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
    key_id: str,
    key: str,
    metadata: dict[str, str],
    decided_by: str,
) -> None:
    from pointsman.cli.main import main

    text = CONFIG.format(openai=rfake.url, anthropic=claude.url, key=KEY) + TEAMS
    gw = make_gateway(text=text)
    raw = gw.client(key).chat.completions.with_raw_response.create(
        model="auto", messages=user("hello"), metadata=metadata or None, extra_headers=EXPLAIN
    )
    served = trace_of(raw.headers)
    config = tmp_path / "gw.yaml"
    config.write_text(text.replace("{ledger}", str(tmp_path / "l.db")))
    pairs = [arg for k, v in metadata.items() for arg in ("--metadata", f"{k}={v}")]
    args = ["route", "-c", str(config), "--key", key_id, *pairs, "--explain", "--format", "json", "hello"]
    assert main(args) == 0
    told = orjson.loads(capsys.readouterr().out)

    def decision(trace: dict[str, Any]) -> tuple[Any, ...]:
        candidates = [(c["model"], c["tier"], c.get("skipped")) for c in trace["candidates"]]
        return trace["route"], trace["decided_by"], candidates

    assert decision(told) == decision(served) and served["decided_by"] == decided_by
    assert told["plan"][0]["model"] == raw.headers["x-pointsman-model"]


def test_route_command_refuses_a_key_id_it_does_not_know(
    rfake: FakeOpenAI, claude: FakeAnthropic, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from pointsman.cli.main import main

    config = tmp_path / "gw.yaml"
    text = CONFIG.format(openai=rfake.url, anthropic=claude.url, key=KEY) + TEAMS
    config.write_text(text.replace("{ledger}", str(tmp_path / "l.db")))
    assert main(["route", "-c", str(config), "--key", "pm-helpdesk-key", "hello"]) == 2
    err = capsys.readouterr().err
    assert "no gateway key has that id (ids: helpdesk, batch)" in err and "pm-helpdesk-key" not in err
