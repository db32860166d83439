"""POST /v1/feedback through a real gateway: the official openai SDK makes a request, httpx rates it
by the id the answer carried; the feedback is read back beside the ledger row, and a learned route's
next decision for the same prompt uses the ability the score moved."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from conftest import EXPLAIN, PROVIDER_KEY, FakeOpenAI, Gateway, trace_of, user
from pointsman.ledger.sqlite import read_feedback
from pointsman.shadow.store import read_verdicts

KEY = "pm-feedback-client-key"
OTHER = "pm-feedback-other-key"
PROMPT = "Who was the first president of the United States?"


def config_text(fake: FakeOpenAI, abilities: str = "") -> str:
    return f"""
server:
  keys: [{{id: team, key: {KEY}}}, {{id: other, key: {OTHER}}}]
providers:
  fake: {{type: openai, base_url: "{fake.url}/v1", api_key: {PROVIDER_KEY}}}
models:
  small: {{provider: fake, upstream: small-1, input: "0.15", output: "0.60", tier: mid}}
  big: {{provider: fake, upstream: big-1, input: "2.50", output: "10", tier: strong}}
  gpt-4-1106-preview: {{provider: fake, upstream: big-1, input: "10", output: "30"}}
routes:
  auto:
    learned: {{candidates: [small, big], preset: balanced}}
  strong:
    learned: {{candidates: [big]}}
  veteran:
    learned: {{candidates: [gpt-4-1106-preview]}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 30}}
learned: {{abilities: "{abilities}"}}
"""


@pytest.fixture
def gw(make_gateway: Callable[..., Gateway], fake: FakeOpenAI) -> Gateway:
    return make_gateway(text=config_text(fake))


def ask(gw: Gateway, route: str = "auto") -> tuple[str, dict[str, Any]]:
    """One request through the SDK: the id the answer carries and the learned part of its trace."""
    raw = gw.client(KEY).chat.completions.with_raw_response.create(
        model=route, messages=user(PROMPT), extra_headers=EXPLAIN
    )
    raw.parse()
    learned: dict[str, Any] = trace_of(raw.headers)["learned"]
    return raw.headers["x-pointsman-request-id"], learned


def rate(gw: Gateway, body: dict[str, Any], key: str = KEY) -> httpx.Response:
    return httpx.post(
        f"{gw.url}/v1/feedback", json=body, headers={"authorization": f"Bearer {key}"}, timeout=10
    )


def test_feedback_is_stored_against_the_row_before_it_was_flushed_and_moves_the_ability(gw: Gateway) -> None:
    request_id, first = ask(gw)
    chosen = first["chosen"]
    assert first["abilities"][chosen] == ("tier:strong" if chosen == "big" else "tier:mid")
    # the ledger flushes every 30 s: the row is still waiting when the feedback arrives
    response = rate(gw, {"request_id": request_id, "score": 0, "label": "wrong", "comment": "not him"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (
        answer["object"] == "feedback" and answer["model"] == chosen and answer["route"].startswith("auto/")
    )
    assert answer["replaced"] is None
    update = answer["ability_update"]
    assert update["model"] == chosen and update["feedback"] == 1
    assert update["delta"]["knowledge"] < 0  # a knowledge question, rated bad: that skill goes down
    row = gw.row(request_id)
    assert row["model"] == chosen and row["trace"]["learned"]["chosen"] == chosen
    [stored] = read_feedback(gw.ledger)
    assert stored["request_id"] == request_id and stored["score"] == 0.0 and stored["key_id"] == "team"
    assert (stored["label"], stored["comment"], stored["model"]) == ("wrong", "not him", chosen)
    assert stored["learned"]["estimates"] == first["estimates"]

    _, second = ask(gw)
    assert second["abilities"][chosen].endswith("+feedback(n=1)")
    assert second["estimates"][chosen] < first["estimates"][chosen]
    others = [m for m in first["estimates"] if m != chosen]
    assert all(second["estimates"][m] == first["estimates"][m] for m in others)


def test_a_corrected_score_replaces_the_first_and_is_not_a_second_vote(gw: Gateway) -> None:
    request_id, first = ask(gw)
    chosen = first["chosen"]
    bad = rate(gw, {"request_id": request_id, "score": False}).json()["ability_update"]
    good = rate(gw, {"request_id": request_id, "score": True})
    assert good.status_code == 200 and good.json()["replaced"] == 0.0
    update = good.json()["ability_update"]
    assert update["feedback"] == 1 and update["delta"]["knowledge"] > bad["delta"]["knowledge"]
    [stored] = read_feedback(gw.ledger)
    assert stored["score"] == 1.0
    _, second = ask(gw)
    assert second["abilities"][chosen].endswith("+feedback(n=1)")
    assert second["estimates"][chosen] > first["estimates"][chosen]  # 1 beat the estimate it had


def test_many_bad_scores_move_an_ability_at_most_the_cap_and_every_route_sees_it(gw: Gateway) -> None:
    _, before = ask(gw)
    assert before["chosen"] == "big"
    for _ in range(30):  # the strong model fails this question again and again, on a route of its own
        request_id, _ = ask(gw, route="strong")
        update = rate(gw, {"request_id": request_id, "score": 0}).json()["ability_update"]
        assert update["model"] == "big" and all(-1.0 <= d < 0 for d in update["delta"].values())
    assert update["feedback"] == 30 and update["delta"]["knowledge"] == -1.0
    _, after = ask(gw)
    assert after["abilities"]["big"] == "tier:strong+feedback(n=30)"
    assert after["chosen"] == "small"  # no longer worth its price on this prompt


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"score": 1}, "request_id"),
        ({"request_id": 7, "score": 1}, "request_id"),
        ({"request_id": "req_x"}, "score"),
        ({"request_id": "req_x", "score": 1.5}, "score"),
        ({"request_id": "req_x", "score": -0.1}, "score"),
        ({"request_id": "req_x", "score": "good"}, "score"),
        ({"request_id": "req_x", "score": None}, "score"),
        ({"request_id": "req_x", "score": 1, "label": 3}, "label"),
        ({"request_id": "req_x", "score": 1, "comment": "x" * 4001}, "comment"),
    ],
)
def test_a_bad_field_is_a_400_naming_it(gw: Gateway, body: dict[str, Any], param: str) -> None:
    response = rate(gw, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert f"'{param}'" in error["message"]


def test_an_unknown_request_id_is_a_404_that_says_which_id_to_send(gw: Gateway) -> None:
    response = rate(gw, {"request_id": "req_nothing_like_it", "score": 1})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["type"] == "not_found_error" and error["param"] == "request_id"
    assert "req_nothing_like_it" in error["message"] and "x-pointsman-request-id" in error["message"]


def test_feedback_needs_a_gateway_key_and_sees_only_that_keys_requests(gw: Gateway) -> None:
    request_id, _ = ask(gw)
    assert rate(gw, {"request_id": request_id, "score": 1}, key="wrong").status_code == 401
    stranger = rate(gw, {"request_id": request_id, "score": 1}, key=OTHER)
    assert stranger.status_code == 404 and "made with this key" in stranger.json()["error"]["message"]
    assert read_feedback(gw.ledger) == []


def test_feedback_on_a_request_no_learned_route_decided_is_stored_and_moves_nothing(gw: Gateway) -> None:
    raw = gw.client(KEY).chat.completions.with_raw_response.create(model="small", messages=user("hi"))
    raw.parse()
    request_id = raw.headers["x-pointsman-request-id"]
    answer = rate(gw, {"request_id": request_id, "score": 0.25}).json()
    assert answer["model"] == "small" and answer["ability_update"] is None
    assert [f["score"] for f in read_feedback(gw.ledger)] == [0.25]
    _, learned = ask(gw)
    assert "feedback" not in learned["abilities"]["small"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pointsman", "feedback", *args], capture_output=True, text=True, timeout=120
    )


def test_the_cli_rates_a_request_in_the_ledger_file_and_lists_it(gw: Gateway) -> None:
    raw = gw.client(KEY).chat.completions.with_raw_response.create(model="small", messages=user("hi"))
    raw.parse()
    request_id = raw.headers["x-pointsman-request-id"]
    gw.row(request_id)  # in the file, which the command writes to
    done = cli(request_id, "0.75", "--ledger", gw.ledger, "--label", "ok", "--comment", "fine")
    assert done.returncode == 0, done.stderr
    assert request_id in done.stdout and "0.75" in done.stdout and "small" in done.stdout
    [listed] = json.loads(cli("--list", "--json", "--ledger", gw.ledger).stdout)
    assert (listed["request_id"], listed["score"], listed["label"]) == (request_id, 0.75, "ok")
    assert listed["key_id"] == "" and listed["learned"] is None
    table = cli("--list", "--ledger", gw.ledger).stdout
    assert request_id in table and "fine" in table and "1 feedback" in table
    again = cli(request_id, "false", "--ledger", gw.ledger)
    assert again.returncode == 0 and "replacing 0.75" in again.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("req_unknown", "1"), "no request 'req_unknown' in the ledger"),
        (("req_unknown", "1.5"), "SCORE must be a number from 0 to 1"),
        (("req_unknown", "nan"), "SCORE must be a number from 0 to 1"),
        (("req_unknown",), "give REQUEST_ID and SCORE"),
        (("--export-abilities", "out.json"), "--export-abilities needs --config"),
    ],
)
def test_the_cli_says_what_is_wrong(gw: Gateway, args: tuple[str, ...], says: str) -> None:
    gw.rows()  # the ledger file exists
    done = cli(*args, "--ledger", gw.ledger)
    assert done.returncode == 2 and says in done.stderr and "Traceback" not in done.stderr


def test_exported_abilities_are_what_the_gateway_learned_online_and_survive_a_restart(
    gw: Gateway, make_gateway: Callable[..., Gateway], fake: FakeOpenAI, tmp_path: Path
) -> None:
    for _ in range(3):
        request_id, _ = ask(gw)
        online = rate(gw, {"request_id": request_id, "score": 0}).json()["ability_update"]
        request_id, _ = ask(gw, route="veteran")  # a model the shipped router was trained on
        rate(gw, {"request_id": request_id, "score": 1})
    _, taught = ask(gw)
    _, veteran = ask(gw, route="veteran")
    assert veteran["abilities"]["gpt-4-1106-preview"] == "trained:gpt-4-1106-preview+feedback(n=3)"
    config = tmp_path / "gw.yaml"
    config.write_text(config_text(fake).replace("{ledger}", gw.ledger))
    gw.rows()
    out = tmp_path / "abilities.json"
    done = cli("--export-abilities", str(out), "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "big (3)" in done.stdout and "gpt-4-1106-preview (3)" in done.stdout
    big = json.loads(out.read_text())["models"]["big"]
    assert big["source"] == "tier:strong+feedback(n=3)" and big["feedback"]["count"] == 3
    assert big["artifact"] == "shipped"
    assert big["feedback"]["delta"] == pytest.approx(online["delta"], abs=1e-4)

    restarted = make_gateway(text=config_text(fake, str(out)))
    _, after = ask(restarted)
    assert after["abilities"]["big"] == "calibrated"
    assert after["estimates"]["big"] == pytest.approx(taught["estimates"]["big"], abs=1e-3)
    trained = json.loads(out.read_text())["models"]["gpt-4-1106-preview"]
    assert trained["factors"] == "trained"  # its free factors from the artifact still apply
    _, restored = ask(restarted, route="veteran")
    estimate = restored["estimates"]["gpt-4-1106-preview"]
    assert estimate == pytest.approx(veteran["estimates"]["gpt-4-1106-preview"], abs=1e-3)

    config.write_text(config_text(fake, str(out)).replace("{ledger}", gw.ledger))
    again = tmp_path / "again.json"
    assert cli("--export-abilities", str(again), "--config", str(config)).returncode == 0
    assert json.loads(again.read_text()) == json.loads(out.read_text())  # no score counted twice


def test_a_shadow_verdict_moves_the_cheap_models_ability_like_a_score(
    make_gateway: Callable[..., Gateway], fake: FakeOpenAI
) -> None:
    shadowed = """
  frugal:
    learned: {candidates: [small, big], preset: frugal}
    shadow: {sample: 1, budget_usd_per_day: 1, judge: exact}
"""
    gw = make_gateway(text=config_text(fake).replace("  strong:\n", shadowed + "  strong:\n"))
    _, first = ask(gw, route="frugal")
    assert first["chosen"] == "small"  # the cheap one answered: the strong one is asked too, after
    gw.servers.run(gw.app.gateway.shadow.drain())
    [verdict] = read_verdicts(gw.ledger)
    assert verdict.model == "small" and verdict.agreed is not None
    _, second = ask(gw, route="frugal")
    assert second["abilities"]["small"] == "tier:mid+feedback(n=1)"
    moved = second["estimates"]["small"] - first["estimates"]["small"]
    assert moved > 0 if verdict.agreed else moved < 0  # as good as the strong answer: a 1, else a 0
    assert second["abilities"]["big"] == "tier:strong"
