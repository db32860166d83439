"""The fault catalogue under default settings: a route that sets nothing but `default` and
`fallbacks` rescues every provider fault with a complete, correct answer, on time.

The openai SDK → the gateway on loopback → wire-faithful fakes injecting each fault. Each test
asserts what the client received, how many requests each fake saw, the total time, the ledger row
and the trace; streamed and whole where the fault applies to both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import anthropic
import openai
import pytest

from conftest import EXPLAIN, Gateway, ManualClock, reset, seen, trace_of, user
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.base import FakeModel
from pointsman.fakes.faults import Fault
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.serving import BackgroundServers
from pointsman.upstream.client import UpstreamClient

KEY = "sk-failover-secret-7"
DEADLINE = 10.0
"""The route's default deadline: nothing in these routes changes it."""

WORDS = " ".join(f"w{i}" for i in range(40))
"""An answer of 40 words: long enough to stall or break after 20 of them."""

MODELS = {
    "cheap-1": FakeModel(),
    "mid-1": FakeModel(),
    "strong-1": FakeModel(),
    "sure-1": FakeModel(preamble="Sure! "),
    "deaf-1": FakeModel(preamble="Sure! ", obeys=False),
    "tiny-1": FakeModel(context_window=20),
    "wide-1": FakeModel(),
    "steady-1": FakeModel(ttft=0.05, tokens_per_second=12),
}

CONFIG = """
providers:
  r:
    type: openai
    base_url: {openai}/v1
    api_key: {key}
  claude:
    type: anthropic
    base_url: {anthropic}/v1
    api_key: {key}
models:
  cheap: {{provider: r, upstream: cheap-1, input: "0.10", output: "0.40"}}
  mid: {{provider: r, upstream: mid-1, input: "1", output: "4"}}
  strong: {{provider: r, upstream: strong-1, input: "3", output: "15"}}
  sure: {{provider: r, upstream: sure-1, input: "1", output: "4"}}
  deaf: {{provider: r, upstream: deaf-1, input: "1", output: "4"}}
  tiny: {{provider: r, upstream: tiny-1, input: "0.10", output: "0.40", context_window: 20}}
  wide: {{provider: r, upstream: wide-1, input: "1", output: "4", context_window: 100000}}
  steady: {{provider: r, upstream: steady-1, input: "0.10", output: "0.40"}}
  blind: {{provider: r, upstream: mid-1, input: "1", output: "4", capabilities: [chat, streaming]}}
  opus:
    provider: claude
    upstream: claude-opus-9
    input: "5"
    output: "25"
    context_window: 200000
    capabilities: [chat, tools, vision, json_schema, streaming, prefill]
  stubborn:
    provider: claude
    upstream: claude-stubborn-9
    input: "5"
    output: "25"
    capabilities: [chat, tools, vision, json_schema, streaming, prefill]
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
"""


@pytest.fixture(scope="module")
def ofake(servers: BackgroundServers) -> FakeOpenAI:
    return servers.start_fake(FakeOpenAI(dict(MODELS), api_key=KEY))  # type: ignore[return-value]


@pytest.fixture(scope="module")
def afake(servers: BackgroundServers) -> FakeAnthropic:
    models = {"claude-opus-9": FakeModel(), "claude-stubborn-9": FakeModel(prefill="reject")}
    return servers.start_fake(FakeAnthropic(models, api_key=KEY))  # type: ignore[return-value]


@pytest.fixture(autouse=True)
def _clean(ofake: FakeOpenAI, afake: FakeAnthropic) -> Iterator[None]:
    yield
    reset(ofake, afake)


@pytest.fixture
def route(
    make_gateway: Callable[..., Gateway], ofake: FakeOpenAI, afake: FakeAnthropic
) -> Callable[..., Gateway]:
    """A gateway whose route `auto` sets only `default` and `fallbacks`."""

    def make(default: str = "cheap", fallbacks: str = "mid", extra: str = "") -> Gateway:
        routes = f"routes:\n  auto:\n    default: {default}\n    fallbacks: [{fallbacks}]\n{extra}"
        text = CONFIG.format(openai=ofake.url, anthropic=afake.url, key=KEY) + routes
        return make_gateway(text=text)

    return make


def outcomes(trace: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["model"], a["outcome"]) for a in trace["attempts"]]


def whole(gw: Gateway, text: str = f"say: {WORDS}") -> tuple[str, Any, float]:
    started = time.monotonic()
    raw = gw.client(timeout=60).chat.completions.with_raw_response.create(
        model="auto", messages=user(text), extra_headers=EXPLAIN
    )
    return raw.parse().choices[0].message.content or "", raw.headers, time.monotonic() - started


def streamed(gw: Gateway, text: str = f"say: {WORDS}") -> tuple[str, Any, float, Any]:
    """The text, the headers, the seconds it took and the final usage the client received."""
    started = time.monotonic()
    usage = None
    with gw.client(timeout=60).chat.completions.with_streaming_response.create(
        model="auto",
        messages=user(text),
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=EXPLAIN,
    ) as response:
        parts = []
        for chunk in response.parse():
            if chunk.choices:
                parts.append(chunk.choices[0].delta.content or "")
            if chunk.usage is not None:
                usage = chunk.usage
        return "".join(parts), response.headers, time.monotonic() - started, usage


def ask(gw: Gateway, stream: bool, text: str = f"say: {WORDS}") -> tuple[str, Any, float]:
    if stream:
        answer, headers, elapsed, _ = streamed(gw, text)
        return answer, headers, elapsed
    return whole(gw, text)


# ---- faults before the answer: the same rescue, streamed and whole


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize(
    ("fault", "tries", "answered_by"),
    [
        pytest.param(Fault("status", status=429, retry_after="1"), 2, "cheap", id="429-retry-after"),
        pytest.param(Fault("status", status=429), 1, "mid", id="429-no-retry-after"),
        pytest.param(Fault("status", status=500), 2, "cheap", id="500-then-200"),
        pytest.param(Fault("status", status=503, times=0), 2, "mid", id="persistent-503"),
        pytest.param(Fault("reset"), 1, "mid", id="connection-reset"),
        pytest.param(Fault("garbage"), 2, "mid", id="garbage-body"),
    ],
)
def test_faults_before_the_answer_are_rescued_with_defaults(
    route: Callable[..., Gateway],
    ofake: FakeOpenAI,
    fault: Fault,
    tries: int,
    answered_by: str,
    stream: bool,
) -> None:
    gw = route()
    ofake.inject(replace(fault, model="cheap-1", times=0 if fault.kind == "garbage" else fault.times))
    text, headers, elapsed = ask(gw, stream)
    assert text == WORDS and headers["x-pointsman-model"] == answered_by
    assert seen(ofake, "cheap-1") == tries
    assert elapsed < DEADLINE
    row = gw.row(headers["x-pointsman-request-id"])
    assert row["status"] == 200 and row["model"] == answered_by
    assert row["attempts"] == tries + (answered_by != "cheap")
    trace = row["trace"]  # a stream's header went out before its last attempt ended: the row has it all
    assert trace["attempts"][-1]["outcome"] == "answered"
    assert all(a["outcome"] in ("retried", "failed") for a in trace["attempts"][:-1])


# ---- silence and slowness: each tier gets a real share of the deadline


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize("kind", ["silent", "slow-first-token"])
def test_a_silent_or_slow_primary_leaves_the_fallback_time(
    route: Callable[..., Gateway], ofake: FakeOpenAI, kind: str, stream: bool
) -> None:
    gw = route()
    if kind == "silent":  # the connection opens and no byte ever comes
        fault = Fault("no_response", seconds=30, model="cheap-1")
    elif stream:  # the stream opens, then its first token takes 20 s
        fault = Fault("stall", after=1, seconds=20, model="cheap-1")
    else:
        fault = Fault("slow", seconds=20, model="cheap-1")
    ofake.inject(fault)
    text, headers, elapsed = ask(gw, stream)
    assert text == WORDS and headers["x-pointsman-model"] == "mid"
    assert elapsed < DEADLINE, "answered within the route's deadline"
    assert (seen(ofake, "cheap-1"), seen(ofake, "mid-1")) == (1, 1)
    asked = {s.model: s.ts for s in ofake.seen}
    assert asked["mid-1"] - asked["cheap-1"] >= 4.9, "the primary had its half of the deadline"
    first = trace_of(headers)["attempts"][0]
    assert first["model"] == "cheap" and first["outcome"] == "failed" and "within 5.0 s" in first["detail"]
    assert gw.app.gateway.health.stats("mid").error_rate == 0


def test_a_stream_that_stalls_after_20_tokens_is_finished_by_the_fallback(
    route: Callable[..., Gateway], ofake: FakeOpenAI
) -> None:
    gw = route()
    ofake.inject(Fault("stall", after=21, seconds=30, model="cheap-1"))
    text, headers, elapsed, usage = streamed(gw)
    assert text == WORDS, "complete, nothing repeated or skipped"
    assert elapsed < DEADLINE and (seen(ofake, "cheap-1"), seen(ofake, "mid-1")) == (1, 1)
    row = gw.row(headers["x-pointsman-request-id"])
    assert row["status"] == 200 and row["model"] == "mid" and row["attempts"] == 2
    assert outcomes(row["trace"]) == [("cheap", "interrupted"), ("mid", "answered")]
    # the client's usage is the ledger's: both parts, as both providers bill them
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (row["prompt_tokens"], row["completion_tokens"])


def test_the_deadline_does_not_cut_a_stream_that_flows(
    route: Callable[..., Gateway], ofake: FakeOpenAI
) -> None:
    """`deadline` bounds the time until the answer starts; a flowing stream is bounded by the stall
    limit. This answer takes about 3.5 s to stream, past a 1 s deadline."""
    gw = route("steady", "mid", "    deadline: 1\n")
    text, headers, elapsed, _ = streamed(gw)
    assert text == WORDS and headers["x-pointsman-model"] == "steady"
    assert elapsed > 1 and seen(ofake, "steady-1") == 1 and seen(ofake, "mid-1") == 0
    assert gw.row(headers["x-pointsman-request-id"])["status"] == 200


def test_stream_timeout_bounds_a_flowing_stream_and_ends_it_cleanly(
    route: Callable[..., Gateway], ofake: FakeOpenAI
) -> None:
    gw = route("steady", "mid", "    stream_timeout: 1\n")
    received: list[str] = []
    with pytest.raises(openai.APIError) as info:
        for chunk in gw.client().chat.completions.create(
            model="auto", messages=user(f"say: {WORDS}"), stream=True
        ):
            received.append(chunk.choices[0].delta.content or "")
    assert "stream_timeout" in info.value.message and WORDS.startswith("".join(received))
    assert 0 < len("".join(received)) < len(WORDS) and seen(ofake, "mid-1") == 0, "a limit, not a fault"
    assert gw.rows()[-1]["status"] == 502


# ---- a stream that breaks after text reached the client: continued, never repeated or skipped


@pytest.mark.parametrize(
    "fault",
    [
        Fault("cut", after=5, model="cheap-1"),
        Fault("malformed", after=5, model="cheap-1"),
        Fault("error_event", after=5, model="cheap-1"),
    ],
    ids=["cut", "malformed", "error-event"],
)
def test_a_broken_stream_is_regenerated_on_a_fallback_without_prefill(
    route: Callable[..., Gateway], ofake: FakeOpenAI, fault: Fault
) -> None:
    gw = route()
    ofake.inject(fault)
    text, headers, _, usage = streamed(gw)
    assert text == WORDS
    again = [s for s in ofake.seen if s.model == "mid-1"]
    assert len(again) == 1 and again[0].body["messages"] == user(f"say: {WORDS}"), "asked afresh"
    row = gw.row(headers["x-pointsman-request-id"])
    assert row["status"] == 200 and outcomes(row["trace"]) == [("cheap", "interrupted"), ("mid", "answered")]
    assert "regenerated" in row["trace"]["attempts"][1]["detail"]
    assert usage is not None and usage.completion_tokens == row["completion_tokens"]


def test_a_prefill_fallback_continues_a_broken_stream(
    route: Callable[..., Gateway], ofake: FakeOpenAI, afake: FakeAnthropic
) -> None:
    gw = route("cheap", "opus")
    ofake.inject(Fault("cut", after=5, model="cheap-1"))
    text, headers, _, _ = streamed(gw)
    assert text == WORDS
    continued = [s for s in afake.seen if s.model == "claude-opus-9"]
    assert len(continued) == 1
    prefill = continued[0].body["messages"][-1]
    # the text so far, without its trailing space (Anthropic refuses a prefill ending in whitespace)
    assert prefill["role"] == "assistant" and prefill["content"][0]["text"] == "w0 w1 w2 w3"
    row = gw.row(headers["x-pointsman-request-id"])
    assert row["status"] == 200 and row["model"] == "opus" and row["attempts"] == 2
    assert outcomes(row["trace"]) == [("cheap", "interrupted"), ("opus", "answered")]
    assert "prefill" in row["trace"]["attempts"][1]["detail"]


def test_a_fallback_that_refuses_prefill_regenerates_instead(
    route: Callable[..., Gateway], ofake: FakeOpenAI, afake: FakeAnthropic
) -> None:
    gw = route("cheap", "stubborn")
    ofake.inject(Fault("cut", after=5, model="cheap-1"))
    text, headers, _, _ = streamed(gw)
    assert text == WORDS
    assert seen(afake, "claude-stubborn-9") == 2  # the refused prefill, then a fresh answer
    row = gw.row(headers["x-pointsman-request-id"])
    assert row["status"] == 200 and outcomes(row["trace"]) == [
        ("cheap", "interrupted"),
        ("stubborn", "failed"),
        ("stubborn", "answered"),
    ]
    assert "prefill" in row["trace"]["attempts"][1]["detail"]
    assert "regenerated" in row["trace"]["attempts"][2]["detail"]


def test_a_fallback_worded_differently_continues_on_instruction(
    route: Callable[..., Gateway], ofake: FakeOpenAI
) -> None:
    gw = route("cheap", "sure")
    ofake.inject(Fault("cut", after=5, model="cheap-1"))
    text, headers, _, _ = streamed(gw)
    assert text == WORDS, "the seam is where the fallback repeated the last words shown"
    asked = [s.body["messages"] for s in ofake.seen if s.model == "sure-1"]
    assert len(asked) == 2  # a fresh answer that did not overlap, then the instruction
    assert asked[1][-2] == {"role": "assistant", "content": "w0 w1 w2 w3"}
    assert asked[1][-1]["role"] == "user" and "«w0 w1 w2 w3»" in asked[1][-1]["content"]
    trace = gw.row(headers["x-pointsman-request-id"])["trace"]
    assert outcomes(trace) == [("cheap", "interrupted"), ("sure", "unmatched"), ("sure", "answered")]
    assert "instruction" in trace["attempts"][2]["detail"]


def test_without_a_verified_seam_the_stream_ends_with_a_clean_error(
    route: Callable[..., Gateway], ofake: FakeOpenAI
) -> None:
    gw = route("cheap", "deaf")
    ofake.inject(Fault("cut", after=5, model="cheap-1"))
    received: list[str] = []
    finishes: list[str | None] = []
    with pytest.raises(openai.APIError) as info:
        for chunk in gw.client().chat.completions.create(
            model="auto", messages=user(f"say: {WORDS}"), stream=True, extra_headers=EXPLAIN
        ):
            received.append(chunk.choices[0].delta.content or "")
            finishes.append(chunk.choices[0].finish_reason)
    assert "".join(received) == "w0 w1 w2 w3 " and finishes[-1] == "error", "nothing repeated or made up"
    assert "interrupted" in info.value.message
    row = gw.rows()[-1]
    assert row["status"] == 502 and row["error_type"] == "stream_interrupted" and row["model"] == "cheap"
    # each attempt has exactly one outcome: the cut one is not also "answered"
    assert [m for m, _ in outcomes(row["trace"])].count("cheap") == 1
    assert outcomes(row["trace"])[0] == ("cheap", "interrupted")
    assert float(row["cost_usd"]) > 0, "the part the client received is billed"


def test_a_broken_stream_is_continued_for_an_anthropic_client_too(
    route: Callable[..., Gateway], ofake: FakeOpenAI
) -> None:
    """The Claude SDK on /v1/messages: the continuation reaches it in the same text block, and its
    final usage counts both parts, as the ledger does."""
    gw = route("cheap", "sure")
    ofake.inject(Fault("cut", after=5, model="cheap-1"))
    client = anthropic.Anthropic(base_url=gw.url, api_key="x", max_retries=0)
    with client.messages.stream(
        model="auto", max_tokens=200, messages=[{"role": "user", "content": f"say: {WORDS}"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == WORDS and len(final.content) == 1
    row = gw.row(stream.response.headers["x-pointsman-request-id"])
    assert row["status"] == 200 and row["endpoint"] == "messages"
    assert final.usage.output_tokens == row["completion_tokens"] > 0


def test_a_stream_without_done_is_finished_at_once(route: Callable[..., Gateway], ofake: FakeOpenAI) -> None:
    gw = route()
    ofake.inject(Fault("no_done", model="cheap-1"))
    text, headers, elapsed, _ = streamed(gw)
    assert text == WORDS and headers["x-pointsman-model"] == "cheap" and elapsed < 2
    assert len(ofake.seen) == 1


# ---- faults that must not be shopped around


def test_context_length_goes_only_to_a_larger_window(
    route: Callable[..., Gateway], ofake: FakeOpenAI
) -> None:
    gw = route("tiny", "cheap, wide")
    for stream in (True, False):
        text, headers, _ = ask(gw, stream)
        assert text == WORDS and headers["x-pointsman-model"] == "wide"
        assert seen(ofake, "cheap-1") == 0, "a model with no larger window is skipped"
    assert seen(ofake, "tiny-1") == 0, "the known window is checked before calling"


def test_context_length_from_the_provider_is_never_sent_to_the_same_model_again(
    make_gateway: Callable[..., Gateway], ofake: FakeOpenAI, afake: FakeAnthropic
) -> None:
    config = CONFIG.format(openai=ofake.url, anthropic=afake.url, key=KEY).replace(
        'upstream: tiny-1, input: "0.10", output: "0.40", context_window: 20',
        'upstream: tiny-1, input: "0.10", output: "0.40"',
    )
    gw = make_gateway(text=config + "routes:\n  auto:\n    default: tiny\n    fallbacks: [cheap, wide]\n")
    for stream in (True, False):
        text, headers, _ = ask(gw, stream)
        assert text == WORDS and headers["x-pointsman-model"] == "wide"
    assert (seen(ofake, "tiny-1"), seen(ofake, "cheap-1")) == (2, 0)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_a_content_filter_ends_cleanly_with_the_providers_reason(
    route: Callable[..., Gateway], ofake: FakeOpenAI, stream: bool
) -> None:
    gw = route()
    ofake.inject(
        Fault("status", status=400, code="content_filter", message="Flagged by the safety system: violence.")
    )
    with pytest.raises(openai.BadRequestError) as info:
        gw.client().chat.completions.create(model="auto", messages=user("x"), stream=stream)
    assert "violence" in info.value.message and len(ofake.seen) == 1
    row = gw.rows()[-1]
    assert row["status"] == 400 and row["cost_usd"] == "0"


# ---- every attempt real, every outcome once, one accounting rule


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_no_attempt_starts_without_time_to_answer(
    make_gateway: Callable[..., Gateway], ofake: FakeOpenAI, afake: FakeAnthropic, stream: bool
) -> None:
    """The primary's own limit outlasts the deadline: when the deadline ends, the fallback is not
    started with no time, not blamed, and its circuit stays closed for routes that need it."""
    routes = """routes:
  auto: {default: cheap, fallbacks: [mid], deadline: 1, attempt_timeout: 5, ttft_timeout: 5}
  other: {default: mid, fallbacks: [strong]}
health: {failures: 2}
"""
    gw = make_gateway(text=CONFIG.format(openai=ofake.url, anthropic=afake.url, key=KEY) + routes)
    ofake.inject(Fault("no_response", seconds=30, model="cheap-1", times=0))
    for _ in range(2):  # had the fallback been blamed for each, its circuit would now be open
        with pytest.raises(openai.APIStatusError) as info:
            gw.client().chat.completions.create(
                model="auto", messages=user("say: hi"), stream=stream, extra_headers=EXPLAIN
            )
        assert info.value.status_code == 504
        assert "cheap" in info.value.message or "provider 'r'" in info.value.message
        assert "0.0 s" not in info.value.message
        attempts = trace_of(info.value.response.headers)["attempts"]
        assert [(a["model"], a["outcome"]) for a in attempts] == [("cheap", "failed"), ("mid", "skipped")]
        assert "deadline" in attempts[1]["detail"]
    assert seen(ofake, "mid-1") == 0, "no phantom request reached the fallback"
    row = gw.rows()[-1]
    assert row["status"] == 504 and row["model"] == "cheap" and row["attempts"] == 1
    assert gw.app.gateway.health.stats("mid").requests == 0
    raw = gw.client().chat.completions.with_raw_response.create(model="other", messages=user("say: ok"))
    assert raw.headers["x-pointsman-model"] == "mid"


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_a_half_open_probe_is_one_attempt(
    make_gateway: Callable[..., Gateway], ofake: FakeOpenAI, afake: FakeAnthropic, stream: bool
) -> None:
    routes = """routes:
  auto: {default: cheap, fallbacks: [mid]}
health: {failures: 1, cooldown: 0.5}
"""
    gw = make_gateway(text=CONFIG.format(openai=ofake.url, anthropic=afake.url, key=KEY) + routes)
    ofake.inject(Fault("status", status=500, model="cheap-1", times=0))
    text, _, _ = ask(gw, stream)
    assert text == WORDS and seen(ofake, "cheap-1") == 1, "the circuit opened at the first failure"
    time.sleep(0.6)
    text, headers, _ = ask(gw, stream)
    assert text == WORDS and headers["x-pointsman-model"] == "mid"
    assert seen(ofake, "cheap-1") == 2, "the probe was one request, not one plus retries"


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_a_request_refused_by_the_gateway_costs_zero_on_every_path(
    route: Callable[..., Gateway], ofake: FakeOpenAI, stream: bool
) -> None:
    gw = route("blind", "blind")
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    with pytest.raises(openai.BadRequestError) as info:
        gw.client().chat.completions.create(
            model="auto",
            messages=[{"role": "user", "content": [{"type": "text", "text": "what is it"}, image]}],
            stream=stream,
        )
    assert "vision" in info.value.message
    row = gw.rows()[-1]
    assert row["status"] == 400 and row["cost_usd"] == "0" and len(ofake.seen) == 0


def test_a_flapping_primary_is_served_by_the_fallback_and_back_soon_after_recovery(
    make_gateway: Callable[..., Gateway], ofake: FakeOpenAI, afake: FakeAnthropic
) -> None:
    """Down for a minute, then healthy: every request is answered by the fallback meanwhile, with a
    handful of probes (not one per request), and the primary is back within 30 s of recovery. One
    request every 0.2 s, on a clock the test moves, so a minute takes a few seconds."""
    clock = ManualClock()
    routes = "routes:\n  auto:\n    default: cheap\n    fallbacks: [mid]\n"
    gw = make_gateway(
        text=CONFIG.format(openai=ofake.url, anthropic=afake.url, key=KEY) + routes, clock=clock
    )
    client = gw.client()

    def one() -> str:
        raw = client.chat.completions.with_raw_response.create(model="auto", messages=user("say: hi"))
        assert raw.parse().choices[0].message.content == "hi"
        clock.advance(0.2)
        return str(raw.headers["x-pointsman-model"])

    ofake.inject(Fault("reset", model="cheap-1", times=0))
    down = [one() for _ in range(300)]
    assert set(down) == {"mid"}, "every request answered, by the fallback"
    probes = seen(ofake, "cheap-1")
    assert probes <= 5 + 60 / 10 + 1, "the circuit kept the dead primary out: a probe per cooldown"
    ofake.faults.clear()
    after = [one() for _ in range(150)]
    assert "cheap" in after and after.index("cheap") * 0.2 <= 10.2, "back within one cooldown"
    assert set(after[after.index("cheap") :]) == {"cheap"}


def test_a_stream_cut_is_billed_by_one_rule_before_and_after_the_answer_shows(
    route: Callable[..., Gateway], ofake: FakeOpenAI
) -> None:
    """Cut before any text: retried unseen, and what the provider billed for the cut part is
    discarded. Cut after text, with no seam: the part the client got is the row's cost."""
    gw = route("cheap", "deaf")
    ofake.inject(Fault("cut", after=1, model="cheap-1"))  # the role chunk went out, then nothing
    text, headers, _, usage = streamed(gw)
    assert text == WORDS and headers["x-pointsman-model"] == "cheap"
    row = gw.row(headers["x-pointsman-request-id"])
    assert outcomes(row["trace"]) == [("cheap", "retried"), ("cheap", "answered")]
    assert float(row["discarded_cost_usd"]) > 0, "the provider read the prompt of the cut attempt"
    assert usage is not None and usage.completion_tokens == row["completion_tokens"]
    expected = (row["prompt_tokens"] * 0.10 + row["completion_tokens"] * 0.40) / 1_000_000
    assert abs(float(row["cost_usd"]) - expected) < 1e-12, "the answer's cost is the answer's"

    ofake.inject(Fault("cut", after=5, model="cheap-1"))
    with pytest.raises(openai.APIError):
        streamed(gw)
    row = gw.rows()[-1]
    assert row["status"] == 502 and float(row["cost_usd"]) > 0 and row["completion_tokens"] > 0
    assert float(row["discarded_cost_usd"]) > 0, "the fallback's answers that found no seam"


class Sabotaged:
    """The real upstream client, whose next call can be made to raise what no provider error is: a
    bug inside the gateway, in the middle of an attempt."""

    def __init__(self) -> None:
        self.inner: UpstreamClient | None = None
        self.sabotage = False

    def _client(self) -> UpstreamClient:
        if self.inner is None:
            self.inner = UpstreamClient()  # its connections belong to the running loop
        return self.inner

    def _check(self) -> None:
        if self.sabotage:
            self.sabotage = False
            raise RuntimeError("a bug inside the gateway")

    async def send(self, *args: Any, **kw: Any) -> Any:
        self._check()
        return await self._client().send(*args, **kw)

    async def open_stream(self, *args: Any, **kw: Any) -> Any:
        self._check()
        return await self._client().open_stream(*args, **kw)

    async def close(self) -> None:
        if self.inner is not None:
            await self.inner.close()


def test_an_attempt_that_fails_inside_the_gateway_still_ends_in_the_health_state(
    make_gateway: Callable[..., Gateway], ofake: FakeOpenAI, afake: FakeAnthropic
) -> None:
    """An attempt that raises something no provider error is, while the primary's circuit is
    half-open: the probe slot and the in-flight count are given back, so the next request probes the
    primary and closes its circuit."""
    clock = ManualClock()
    routes = (
        "routes:\n  auto: {default: cheap, fallbacks: [mid], retries: 0}\n"
        "health: {failures: 1, cooldown: 1}\n"
    )
    transport = Sabotaged()
    gw = make_gateway(
        text=CONFIG.format(openai=ofake.url, anthropic=afake.url, key=KEY) + routes,
        clock=clock,
        transport=transport,
    )
    client = gw.client()
    ofake.inject(Fault("status", status=500, model="cheap-1"))
    raw = client.chat.completions.with_raw_response.create(model="auto", messages=user("say: hi"))
    assert raw.headers["x-pointsman-model"] == "mid"  # cheap's circuit is open now
    clock.advance(1.5)  # past the cooldown: the next request is the probe
    transport.sabotage = True
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="auto", messages=user("say: hi"))
    health = gw.app.gateway.health
    assert health.stats("cheap").in_flight == 0
    raw = client.chat.completions.with_raw_response.create(model="auto", messages=user("say: hi"))
    assert raw.headers["x-pointsman-model"] == "cheap", "the probe slot was given back"
    assert health.stats("cheap").circuit == "closed"
