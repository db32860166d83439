"""`pointsman calibrate`: the generated anchor set (deterministic, every answer right), the grader,
and a calibration through a real gateway against a fake model that knows some skills and not
others, picked up by a learned route."""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import EXPLAIN, PROVIDER_KEY, Gateway, trace_of, user
from pointsman.cli.main import main
from pointsman.errors import ConfigError
from pointsman.fakes.base import FakeModel
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.learned.abilities import read_calibrated
from pointsman.learned.anchors import Anchor, generate, grade, read_anchors
from pointsman.learned.skills import SKILLS


def _run_code(anchor: Anchor) -> str:
    source = anchor.prompt.split("\n\n")[1]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(source, {})
    return out.getvalue().strip()


def _order(anchor: Anchor) -> str:
    """Recompute an ordering puzzle from its facts (or a weekday offset) independently."""
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    weekday = re.match(r"If today is (\w+), .* in (\d+) days", anchor.prompt)
    if weekday:
        return days[(days.index(weekday[1]) + int(weekday[2])) % 7]
    facts = re.findall(r"(\w+) is (?:taller|older) than (\w+)\.", anchor.prompt)
    above = {a: b for a, b in facts}
    top = next(a for a in above if a not in above.values())
    chain = [top]
    while chain[-1] in above:
        chain.append(above[chain[-1]])
    if "second" in anchor.prompt:
        return chain[-2]
    return chain[0] if re.search(r"tallest|oldest", anchor.prompt) else chain[-1]


def _bottles(anchor: Anchor) -> str:
    first = re.match(r"A warehouse holds (\d+) crates with (\d+) bottles", anchor.prompt)
    assert first is not None
    total = int(first[1]) * int(first[2])
    steps = re.findall(
        r"Then (?:(\d+) bottles are sold|(\d+) more crates of (\d+)|the stock is (doubled)|"
        r"the stock is split equally between (\d+)|(7) bottles are found)",
        anchor.prompt,
    )
    for sold, crates, each, doubled, split, found in steps:
        if sold:
            total -= int(sold)
        elif crates:
            total += int(crates) * int(each)
        elif doubled:
            total *= 2
        elif split:
            assert total % int(split) == 0
            total //= int(split)
        else:
            total += int(found)
    return str(total)


NUMBER_WORDS = {  # written out by hand, not by the generator's rules
    "siebzehn": 17, "einundzwanzig": 21, "dreiundvierzig": 43, "neunundneunzig": 99, "dreißig": 30,
    "soixante et onze": 71, "quatre-vingts": 80, "quatre-vingt-dix-sept": 97, "soixante-dix-neuf": 79,
    "vingt et un": 21, "veintitrés": 23, "treinta y uno": 31, "dieciséis": 16, "ventuno": 21,
    "trentotto": 38, "ventitré": 23, "diciannove": 19, "siedem": 7, "kahdeksan": 8, "dokuz": 9,
}  # fmt: skip


def _spot_check(anchor: Anchor) -> bool:
    """True when the anchor was recomputed here independently (and asserted)."""
    if anchor.skill == "code":
        assert _run_code(anchor) == anchor.answer
    elif anchor.skill == "reasoning":
        assert _order(anchor) == anchor.answer
    elif anchor.skill == "maths":
        assert _bottles(anchor) == anchor.answer
    elif anchor.skill == "long_context":
        found = re.findall(r"access code for the (\w+) is (\d+)", anchor.prompt)
        asked = re.search(r"What is the access code for the (\w+)\?", anchor.prompt)
        assert asked is not None and dict(found)[asked[1]] == anchor.answer
        assert len(found) == len(dict(found))  # one code per place
    elif anchor.skill == "multilingual":
        word = re.search(r"word '([^']+)'", anchor.prompt)
        assert word is not None
        if word[1] not in NUMBER_WORDS:
            return False
        assert str(NUMBER_WORDS[word[1]]) == anchor.answer
    else:
        return False
    return True


def test_generated_anchors_are_deterministic_cover_every_skill_and_are_right() -> None:
    anchors = generate(200, seed=7)
    assert anchors == generate(200, seed=7)
    assert anchors != generate(200, seed=8)
    assert len(anchors) == 200
    for skill in SKILLS:
        mine = [a for a in anchors if a.skill == skill]
        assert len(mine) >= 28 and {a.level for a in mine} == {0, 1, 2, 3}
    assert all(grade(a, a.answer) for a in anchors)
    checked = sum(_spot_check(a) for a in [*anchors, *generate(200, seed=1), *generate(200, seed=2)])
    assert checked >= 300
    knowledge = {a.prompt: a.answer for a in anchors if a.skill == "knowledge"}
    facts = {"capital of France": "Paris", "capital of Canada": "Ottawa", "symbol of iron": "Fe",
             "symbol of gold": "Au", "symbol of tungsten": "W", "capital of Bhutan": "Thimphu"}  # fmt: skip
    for prompt, answer in knowledge.items():
        for fact, right in facts.items():
            if fact in prompt:
                assert answer == right


def test_the_grader_wants_the_answer_not_a_longer_number_and_verbatim_means_it() -> None:
    maths = Anchor("q", "14", "maths")
    assert grade(maths, "The answer is **14**.") and grade(maths, "14")
    assert not grade(maths, "140") and not grade(maths, "1 4")
    assert grade(Anchor("q", "1234", "maths"), "1,234")
    assert grade(Anchor("q", "Brasília", "knowledge"), "brasilia")
    exact = Anchor("q", "Fe", "knowledge", match="exact")
    assert grade(exact, "fe.") and not grade(exact, "Fe (iron)")
    verbatim = Anchor("q", "COBALT EMBER", "chat", match="verbatim")
    assert grade(verbatim, " COBALT EMBER\n") and not grade(verbatim, "cobalt ember")


def test_a_users_anchor_file_is_read_and_a_bad_line_named(tmp_path: Path) -> None:
    good = tmp_path / "a.jsonl"
    good.write_text('{"prompt": "2+2?", "answer": "4", "skill": "maths"}\n\n')
    assert read_anchors(str(good)) == [Anchor("2+2?", "4", "maths")]
    bad = tmp_path / "b.jsonl"
    first = '{"prompt": "2+2?", "answer": "4", "skill": "maths"}\n'
    bad.write_text(first + '{"prompt": "x", "answer": "y", "skill": "art"}\n')
    with pytest.raises(ConfigError, match=r"b\.jsonl:2: unknown skill 'art'"):
        read_anchors(str(bad))


GOOD = ("maths", "code", "knowledge")

CONFIG = """
providers:
  fake: {{type: openai, base_url: "{url}/v1", api_key: {key}}}
models:
  calib: {{provider: fake, upstream: calib-1, input: "0.1", output: "0.4", tier: mid}}
  big: {{provider: fake, upstream: big-1, input: "2.5", output: "10", tier: frontier}}
routes:
  auto:
    learned: {{candidates: [calib, big]}}
learned: {{abilities: "{abilities}"}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}"}}
"""


def _knows_some(anchors: list[Anchor]) -> Callable[[str], str | None]:
    answers = {a.prompt: a for a in anchors}

    def rule(prompt: str) -> str | None:
        anchor = answers.get(prompt)
        if anchor is None:
            return None
        return anchor.answer if anchor.skill in GOOD else "I am not sure."

    return rule


def test_calibrate_through_the_gateway_moves_each_skill_its_way_and_a_route_uses_it(
    fake: FakeOpenAI,
    make_gateway: Callable[..., Gateway],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "abilities.json"
    config = tmp_path / "gateway.yaml"
    config.write_text(
        CONFIG.format(url=fake.url, key=PROVIDER_KEY, abilities=out).replace(
            "{ledger}", str(tmp_path / "l.db")
        )
    )
    assert fake.models is not None
    fake.models["calib-1"] = FakeModel(rule=_knows_some(generate(70, seed=5)))
    out.write_text(json.dumps({"models": {"other": {"abilities": {"maths": 1.5}, "n": 3}}}))
    try:
        gateway = make_gateway(text=config.read_text())
        code = main(["calibrate", "--model", "calib", "--url", f"{gateway.url}/v1", "--n", "70",
                     "--seed", "5", "--config", str(config)])  # fmt: skip
    finally:
        del fake.models["calib-1"]
    printed = capsys.readouterr().out
    assert code == 0
    assert "20/70 answered" in printed and "70/70 answered, 30 right" in printed
    data = json.loads(out.read_text())
    entry = data["models"]["calib"]
    assert (
        entry["n"] == 70
        and entry["artifact"] == "shipped"
        and entry["accuracy"] == pytest.approx(30 / 70, abs=1e-4)
    )
    assert data["models"]["other"]["abilities"] == {"maths": 1.5}  # merged, not overwritten
    for skill in SKILLS:
        moved = entry["abilities"][skill] - entry["prior"][skill]
        assert moved > 0.3 if skill in GOOD else moved < -0.3, (skill, moved)
    assert read_calibrated(str(out))["calib"] == entry["abilities"]

    routed = make_gateway(text=config.read_text())
    raw = routed.client().chat.completions.with_raw_response.create(
        model="auto", messages=user("What is 17 * 23?"), extra_headers=EXPLAIN
    )
    learned = trace_of(raw.headers)["learned"]
    assert learned["abilities"] == {"calib": "calibrated", "big": "tier:frontier"}


def test_calibrate_says_what_is_wrong_with_its_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["calibrate", "--model", "m", "--n", "500"]) == 2
    assert "--n: between 1 and 200" in capsys.readouterr().err
    assert main(["calibrate", "--model", "m", "--anchors", str(tmp_path / "none.jsonl")]) == 2
    assert "cannot read anchors" in capsys.readouterr().err


def test_a_users_anchor_file_is_asked_through_the_gateway_and_graded(
    gateway: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the fake answers `say: X` with X and anything else by echoing it: right on two, wrong on one
    anchors = tmp_path / "mine.jsonl"
    lines = [
        {"prompt": "say: 42", "answer": "42", "skill": "maths"},
        {"prompt": "say: Paris.", "answer": "paris", "skill": "knowledge", "match": "exact"},
        {"prompt": "What is 6 * 7?", "answer": "42", "skill": "maths"},
    ]
    anchors.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = tmp_path / "abilities.json"
    argv = ["calibrate", "-m", "small", "--url", f"{gateway.url}/v1", "--anchors", str(anchors)]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "prior from tier:mid (nothing known of the model)" in printed
    entry = json.loads(out.read_text())["models"]["small"]
    assert entry["by_skill"] == {"maths": {"right": 1, "asked": 2}, "knowledge": {"right": 1, "asked": 1}}
    assert entry["anchors"] == str(anchors) and entry["n"] == 3


def test_the_fit_recovers_known_abilities_from_many_grades() -> None:
    import numpy as np

    from pointsman.learned.calibrate import Design, fit_theta

    rng = np.random.default_rng(0)
    truth = np.array([2.0, -1.0, 0.5, 0.0, 1.0, -2.0, 0.8])
    skill = rng.integers(0, 7, 20_000)
    mix = np.eye(7, dtype=np.float32)[skill]
    difficulty = rng.normal(0, 1, 20_000).astype(np.float32)
    p = 1 / (1 + np.exp(-(truth[skill] - difficulty)))
    grades = list(rng.random(20_000) < p)
    theta = fit_theta(Design(mix, difficulty), grades, np.zeros(7, np.float32))
    assert np.abs(theta - truth).max() < 0.15
    # one right answer on each of six skills: they move up, the prior holds them; the seventh, unasked, stays
    six = Design(np.eye(7, dtype=np.float32)[:6], np.zeros(6, np.float32))
    few = fit_theta(six, [True] * 6, np.full(7, 0.5, np.float32))
    assert (few[:6] > 0.6).all() and (few[:6] < 1.5).all() and few[6] == pytest.approx(0.5)


def test_abilities_fitted_against_another_artifact_are_read_and_flagged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "abilities.json"
    models = {
        "old": {"abilities": {"maths": 1.0}, "artifact": "0" * 64},
        "new": {"abilities": {"maths": 2.0}, "artifact": "shipped"},
        "hand": {"abilities": {"code": 0.5}},
    }
    path.write_text(json.dumps({"models": models}))
    with caplog.at_level("WARNING", logger="pointsman"):
        found = read_calibrated(str(path), "")
    assert found == {"old": {"maths": 1.0}, "new": {"maths": 2.0}, "hand": {"code": 0.5}}
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}: old calibrated against another router artifact than the shipped one: "
        "run `pointsman calibrate` again"
    ]
