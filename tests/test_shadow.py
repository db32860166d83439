"""Routing-accuracy monitoring end to end: the openai SDK → the gateway on loopback → fake
providers. A sample of the answers a route's cheap model gave is sent again to the strong model
once the client has its answer, judged, stored, reported and budgeted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import Gateway, reset, seen, user
from pointsman.api.app import GatewayApp, create_app
from pointsman.cli.main import main
from pointsman.config.loader import parse_config
from pointsman.fakes.base import FakeModel
from pointsman.fakes.faults import Fault
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.serving import BackgroundServers, bind, uvicorn_server
from pointsman.shadow.monitor import MAX_IN_FLIGHT
from pointsman.shadow.store import Verdict, read_verdicts

KEY = "sk-shadow-secret-7"
MODELS = {
    "cheap-1": FakeModel(),
    "strong-1": FakeModel(),
    "wordy-1": FakeModel(preamble="Sure! "),
    "trickle-1": FakeModel(ttft=0.05, tokens_per_second=40),
    "judge-yes-1": FakeModel(reply="Yes, they are."),
    "judge-no-1": FakeModel(reply="No"),
    "tardy-1": FakeModel(latency=3.0),
}
CONFIG = """
providers:
  f: {{type: openai, base_url: "{url}/v1", api_key: {key}, timeouts: {{connect: 1, read: 5}}}}
models:
  cheap: {{provider: f, upstream: cheap-1, input: "0.10", output: "0.40", tier: small}}
  trickle: {{provider: f, upstream: trickle-1, input: "0.10", output: "0.40"}}
  strong: {{provider: f, upstream: strong-1, input: "3", output: "15", tier: frontier}}
  wordy: {{provider: f, upstream: wordy-1, input: "3", output: "15"}}
  tardy: {{provider: f, upstream: tardy-1, input: "3", output: "15"}}
  judge-yes: {{provider: f, upstream: judge-yes-1, input: "1", output: "2"}}
  judge-no: {{provider: f, upstream: judge-no-1, input: "1", output: "2"}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
routes:
{routes}
"""
SHADOWED = """
  auto:
    default: cheap
    fallbacks: [strong]
    shadow: {sample: 1, budget_usd_per_day: 1}
"""


@pytest.fixture(scope="module")
def upstream(servers: BackgroundServers) -> FakeOpenAI:
    return servers.start_fake(FakeOpenAI(dict(MODELS), api_key=KEY))  # type: ignore[return-value]


@pytest.fixture(autouse=True)
def _clean(upstream: FakeOpenAI) -> Iterator[None]:
    yield
    reset(upstream)


def config_text(upstream: FakeOpenAI, routes: str) -> str:
    return CONFIG.format(url=upstream.url, key=KEY, routes=routes)


def shadow_gateway(
    make_gateway: Callable[..., Gateway], upstream: FakeOpenAI, routes: str = SHADOWED
) -> Gateway:
    return make_gateway(text=config_text(upstream, routes))


def settled(gw: Gateway, shadowed: int) -> list[Verdict]:
    """The stored verdicts, once `shadowed` requests were picked and their shadow calls ended."""
    monitor = gw.app.gateway.shadow
    deadline = time.monotonic() + 10
    while sum(monitor.counts.values()) < shadowed and time.monotonic() < deadline:
        time.sleep(0.01)  # told just after the client's last byte: let that moment pass
    gw.servers.run(monitor.drain())
    return list(read_verdicts(gw.app.gateway.config.ledger.path))


def test_a_cheap_answer_is_shadowed_judged_and_stored(
    make_gateway: Callable[..., Gateway], upstream: FakeOpenAI
) -> None:
    gw = shadow_gateway(make_gateway, upstream)
    raw = gw.client().chat.completions.with_raw_response.create(model="auto", messages=user("say: Paris"))
    answer = raw.parse()
    assert answer.choices[0].message.content == "Paris"
    assert raw.headers["x-pointsman-model"] == "cheap"  # the client's answer is the cheap model's
    [verdict] = settled(gw, 1)
    assert seen(upstream, "strong-1") == 1 and seen(upstream, "cheap-1") == 1
    assert (verdict.id, verdict.route, verdict.model, verdict.against) == (
        raw.headers["x-pointsman-request-id"],
        "auto",
        "cheap",
        "strong",
    )
    assert verdict.agreed is True and verdict.judge == "exact" and verdict.error == ""
    assert verdict.shadow_cost_usd > 0 and verdict.judge_cost_usd == 0
    strong_body = next(s.body for s in upstream.seen if s.model == "strong-1")
    assert strong_body["messages"] == user("say: Paris") and "stream" not in strong_body
    rows = gw.rows()  # the shadow call is not client traffic: one ledger row, the cheap model's
    assert [(r["model"], r["id"]) for r in rows] == [("cheap", verdict.id)]
    assert Decimal(rows[0]["cost_usd"]) == verdict.cheap_cost_usd


def test_a_different_strong_answer_is_a_disagreement(
    make_gateway: Callable[..., Gateway], upstream: FakeOpenAI
) -> None:
    routes = SHADOWED.replace("fallbacks: [strong]", "fallbacks: [wordy]")
    gw = shadow_gateway(make_gateway, upstream, routes)
    gw.client().chat.completions.create(model="auto", messages=user("say: Paris"))
    [verdict] = settled(gw, 1)
    assert seen(upstream, "wordy-1") == 1
    assert verdict.against == "wordy" and verdict.agreed is False


def test_sample_zero_sends_nothing(make_gateway: Callable[..., Gateway], upstream: FakeOpenAI) -> None:
    gw = shadow_gateway(make_gateway, upstream, SHADOWED.replace("sample: 1", "sample: 0"))
    client = gw.client()
    for _ in range(3):
        client.chat.completions.create(model="auto", messages=user("say: Paris"))
    assert settled(gw, 3) == []
    assert gw.app.gateway.shadow.counts == {"sampled_out": 3}
    assert seen(upstream, "strong-1") == 0 and seen(upstream, "cheap-1") == 3


def test_the_strong_model_itself_is_never_shadowed(
    make_gateway: Callable[..., Gateway], upstream: FakeOpenAI
) -> None:
    routes = SHADOWED.replace("default: cheap", "default: strong").replace(
        "fallbacks: [strong]", "fallbacks: []"
    )
    gw = shadow_gateway(make_gateway, upstream, routes)
    gw.client().chat.completions.create(model="auto", messages=user("say: Paris"))
    time.sleep(0.1)
    assert settled(gw, 0) == [] and seen(upstream, "strong-1") == 1


def test_a_pinned_request_is_never_sent_to_another_model(
    make_gateway: Callable[..., Gateway], upstream: FakeOpenAI
) -> None:
    rule = "    rules: [{name: private, when: {keywords: [private]}, to: cheap, pin: true}]\n"
    gw = shadow_gateway(make_gateway, upstream, SHADOWED + rule)
    client = gw.client()
    client.chat.completions.create(model="auto", messages=user("say: private matter"))
    client.chat.completions.create(model="auto", messages=user("say: public matter"))
    verdicts = settled(gw, 1)
    assert [v.model for v in verdicts] == ["cheap"] and seen(upstream, "strong-1") == 1
    strong_body = next(s.body for s in upstream.seen if s.model == "strong-1")
    assert strong_body["messages"] == user("say: public matter")


def test_the_daily_budget_stops_shadowing(make_gateway: Callable[..., Gateway], upstream: FakeOpenAI) -> None:
    measure = shadow_gateway(make_gateway, upstream)
    measure.client().chat.completions.create(model="auto", messages=user("say: Paris"))
    [first] = settled(measure, 1)
    reset(upstream)
    budget = first.cost * 3 / 2  # room for one shadow call of this size, not two
    gw = shadow_gateway(
        make_gateway, upstream, SHADOWED.replace("budget_usd_per_day: 1", f'budget_usd_per_day: "{budget}"')
    )
    client = gw.client()
    for _ in range(3):
        client.chat.completions.create(model="auto", messages=user("say: Paris"))
    verdicts = settled(gw, 3)
    assert len(verdicts) == 1 and seen(upstream, "strong-1") == 1
    assert gw.app.gateway.shadow.counts == {"shadowed": 1, "over_budget": 2}
    assert sum(v.cost for v in verdicts) <= budget


def test_shadow_calls_in_flight_are_capped(
    make_gateway: Callable[..., Gateway], upstream: FakeOpenAI
) -> None:
    gw = shadow_gateway(make_gateway, upstream, SHADOWED.replace("fallbacks: [strong]", "fallbacks: [tardy]"))

    async def burst() -> list[str | None]:
        async with gw.async_client() as client:
            asks = [
                client.chat.completions.create(model="auto", messages=user(f"say: {i}")) for i in range(12)
            ]
            return [a.choices[0].message.content for a in await asyncio.gather(*asks)]

    assert asyncio.run(burst()) == [str(i) for i in range(12)]  # answered while the shadows still run
    settled(gw, 12)
    assert gw.app.gateway.shadow.counts == {"shadowed": MAX_IN_FLIGHT, "busy": 12 - MAX_IN_FLIGHT}
    assert seen(upstream, "tardy-1") == MAX_IN_FLIGHT


def test_a_budget_of_zero_shadows_nothing(make_gateway: Callable[..., Gateway], upstream: FakeOpenAI) -> None:
    gw = shadow_gateway(
        make_gateway, upstream, SHADOWED.replace("budget_usd_per_day: 1", "budget_usd_per_day: 0")
    )
    gw.client().chat.completions.create(model="auto", messages=user("say: Paris"))
    assert settled(gw, 1) == [] and seen(upstream, "strong-1") == 0


def test_the_model_judge_is_asked_and_its_cost_counted(
    make_gateway: Callable[..., Gateway], upstream: FakeOpenAI
) -> None:
    routes = SHADOWED.replace(
        "{sample: 1, budget_usd_per_day: 1}",
        "{sample: 1, budget_usd_per_day: 1, judge: model, judge_model: judge-yes}",
    ) + SHADOWED.replace("auto:", "strict:").replace(
        "{sample: 1, budget_usd_per_day: 1}",
        "{sample: 1, budget_usd_per_day: 1, judge: model, judge_model: judge-no}",
    )
    gw = shadow_gateway(make_gateway, upstream, routes)
    client = gw.client()
    client.chat.completions.create(model="auto", messages=user("say: Paris"))
    client.chat.completions.create(model="strict", messages=user("say: Paris"))
    verdicts = {v.route: v for v in settled(gw, 2)}
    assert verdicts["auto"].agreed is True and verdicts["strict"].agreed is False
    assert all(v.judge == "model" and v.judge_cost_usd > 0 for v in verdicts.values())
    asked = next(s.body for s in upstream.seen if s.model == "judge-yes-1")
    prompt = asked["messages"][0]["content"]
    assert prompt.startswith("Are these two answers equivalent for the request? Answer yes or no.")
    assert "Request:\nsay: Paris" in prompt and "Answer A:\nParis" in prompt


def test_verdicts_reach_the_hook_with_the_learned_trace(
    make_gateway: Callable[..., Gateway], upstream: FakeOpenAI
) -> None:
    routes = """
  auto:
    learned: {candidates: [cheap, strong], quality: 0.05}
    shadow: {sample: 1, budget_usd_per_day: 1}
"""
    gw = shadow_gateway(make_gateway, upstream, routes)
    heard: list[tuple[str, Any, bool]] = []
    gw.app.gateway.shadow.connect(lambda model, trace, agreed: heard.append((model, trace, agreed)))
    raw = gw.client().chat.completions.with_raw_response.create(model="auto", messages=user("say: hi"))
    assert raw.headers["x-pointsman-model"] == "cheap"
    [verdict] = settled(gw, 1)
    [(model, trace, agreed)] = heard
    assert (model, agreed) == ("cheap", True) and verdict.against == "strong"
    assert trace["route"] == "auto" and trace["chosen"] == "cheap" and "estimates" in trace
    assert verdict.decision == orjson.loads(orjson.dumps(trace))


def test_shadow_report_per_route_and_day(
    make_gateway: Callable[..., Gateway], upstream: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    routes = SHADOWED + SHADOWED.replace("auto:", "chatty:").replace(
        "fallbacks: [strong]", "fallbacks: [wordy]"
    )
    gw = shadow_gateway(make_gateway, upstream, routes)
    client = gw.client()
    for route in ("auto", "auto", "chatty"):
        client.chat.completions.create(model=route, messages=user("say: Paris"))
    verdicts = settled(gw, 3)
    cost = {r: sum((v.cost for v in verdicts if v.route == r), Decimal(0)) for r in ("auto", "chatty")}
    assert main(["shadow", "report", "--ledger", gw.ledger, "--json"]) == 0
    lines = orjson.loads(capsys.readouterr().out)
    assert [(x["route"], x["n"], x["agreed"], x["rate"]) for x in lines] == [
        ("auto", 2, 2, 1.0),
        ("chatty", 1, 0, 0.0),
    ]
    assert [Decimal(x["cost_usd"]) for x in lines] == [cost["auto"], cost["chatty"]]
    assert main(["shadow", "report", "--ledger", gw.ledger, "--by", "day"]) == 0
    table = capsys.readouterr().out
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert f"auto    {today}  2       2  1.000" in table and f"chatty  {today}  1       0  0.000" in table
    assert len(gw.rows()) == 3  # flushed: a row is queued when its shadow starts, not yet written
    assert main(["spend", "--ledger", gw.ledger, "--json"]) == 0  # client traffic only
    assert sum(x["requests"] for x in orjson.loads(capsys.readouterr().out)) == 3


class Watched:
    """The gateway's ASGI app, noting when each response's last byte was handed to the server."""

    def __init__(self, app: GatewayApp) -> None:
        self.app = app
        self.gateway = app.gateway
        self.ends: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def watched(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.ends.append(time.time())

        await self.app(scope, receive, watched)


@pytest.fixture
def watched(
    servers: BackgroundServers, upstream: FakeOpenAI, tmp_path: Path
) -> Iterator[tuple[Watched, str]]:
    text = config_text(upstream, SHADOWED.replace("default: cheap", "default: trickle")).replace(
        "{ledger}", str(tmp_path / "l.db")
    )
    app = Watched(create_app(parse_config(text, "test.yaml", {})))
    sock = bind("127.0.0.1", 0)
    server = uvicorn_server(app)  # type: ignore[arg-type]
    future = asyncio.run_coroutine_threadsafe(server.serve(sockets=[sock]), servers.loop)
    while not server.started:
        assert not future.done(), future.result()
        time.sleep(0.01)
    yield app, f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    server.should_exit = True
    future.result(30)


@pytest.mark.parametrize("stream", [False, True])
def test_the_shadow_call_starts_after_the_answer_is_complete(
    watched: tuple[Watched, str], upstream: FakeOpenAI, servers: BackgroundServers, stream: bool
) -> None:
    import openai

    app, url = watched
    client = openai.OpenAI(base_url=url, api_key="x", max_retries=0)
    text = "say: one two three four five six seven eight"
    if stream:
        chunks = client.chat.completions.create(model="auto", messages=user(text), stream=True)
        first = next(iter(chunks))
        assert seen(upstream, "strong-1") == 0  # the answer is still flowing: nothing shadowed yet
        content = (first.choices[0].delta.content or "") + "".join(
            c.choices[0].delta.content or "" for c in chunks if c.choices
        )
    else:
        content = (
            client.chat.completions.create(model="auto", messages=user(text)).choices[0].message.content or ""
        )
    assert content == "one two three four five six seven eight"
    deadline = time.monotonic() + 10
    while seen(upstream, "strong-1") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    servers.run(app.gateway.shadow.drain())
    [answer_end] = app.ends
    [shadow_call] = [s for s in upstream.seen if s.model == "strong-1"]
    assert shadow_call.ts >= answer_end  # it reached the strong model after the client's last byte left
    [verdict] = read_verdicts(app.gateway.config.ledger.path)
    assert verdict.model == "trickle" and verdict.agreed is True  # the streamed text was judged


def test_the_budget_spent_today_survives_a_restart(
    make_gateway: Callable[..., Gateway], upstream: FakeOpenAI, tmp_path: Path
) -> None:
    ledger = str(tmp_path / "kept.db")
    first = make_gateway(text=config_text(upstream, SHADOWED).replace("{ledger}", ledger))
    first.client().chat.completions.create(model="auto", messages=user("say: Paris"))
    [verdict] = settled(first, 1)
    reset(upstream)
    routes = SHADOWED.replace("budget_usd_per_day: 1", f'budget_usd_per_day: "{verdict.cost}"')
    again = make_gateway(text=config_text(upstream, routes).replace("{ledger}", ledger))
    again.client().chat.completions.create(model="auto", messages=user("say: Paris"))
    assert len(settled(again, 1)) == 1  # today's budget was spent before the restart
    assert again.app.gateway.shadow.counts == {"over_budget": 1} and seen(upstream, "strong-1") == 0


def test_against_names_the_model_to_compare_with(
    make_gateway: Callable[..., Gateway], upstream: FakeOpenAI
) -> None:
    routes = SHADOWED.replace("budget_usd_per_day: 1}", "budget_usd_per_day: 1, against: wordy}")
    gw = shadow_gateway(make_gateway, upstream, routes)
    gw.client().chat.completions.create(model="auto", messages=user("say: Paris"))
    [verdict] = settled(gw, 1)
    assert verdict.against == "wordy" and seen(upstream, "wordy-1") == 1 and seen(upstream, "strong-1") == 0


def test_a_failed_shadow_call_is_stored_without_a_verdict(
    make_gateway: Callable[..., Gateway], upstream: FakeOpenAI
) -> None:
    gw = shadow_gateway(make_gateway, upstream)
    heard: list[bool] = []
    gw.app.gateway.shadow.connect(lambda model, trace, agreed: heard.append(agreed))
    upstream.inject(Fault(kind="status", status=500, model="strong-1", times=1))
    answer = gw.client().chat.completions.create(model="auto", messages=user("say: Paris"))
    assert answer.choices[0].message.content == "Paris"
    [verdict] = settled(gw, 1)
    assert verdict.agreed is None and verdict.error.startswith("upstream_error") and heard == []


def test_a_messages_stream_is_shadowed_too(
    make_gateway: Callable[..., Gateway], upstream: FakeOpenAI
) -> None:
    import anthropic

    gw = shadow_gateway(make_gateway, upstream)
    client = anthropic.Anthropic(base_url=gw.url, api_key="x", max_retries=0)
    with client.messages.stream(model="auto", max_tokens=50, messages=user("say: Bonjour Paris")) as stream:
        text = "".join(stream.text_stream)
    assert text == "Bonjour Paris"
    [verdict] = settled(gw, 1)
    assert (verdict.model, verdict.against, verdict.agreed) == ("cheap", "strong", True)
    strong_body = next(s.body for s in upstream.seen if s.model == "strong-1")
    assert "stream" not in strong_body and strong_body["messages"][-1]["content"] == "say: Bonjour Paris"
