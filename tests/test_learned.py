"""The learned router end to end: `pointsman train` on a file, a route that learns, its decisions
through a real gateway (openai SDK), `pointsman eval --router`, and the config's errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import EXPLAIN, PROVIDER_KEY, Gateway, reset, seen, trace_of, user
from pointsman.cli.main import main
from pointsman.config.loader import parse_config
from pointsman.errors import ConfigError
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.learned.artifact import load

SYNTHETIC = Path(__file__).parent / "fixtures" / "routing" / "synthetic.jsonl"
HARD = "Prove rigorously the theorem about prime gaps: show every step of the proof."
EASY = "Say hello to Gus and wish Gus a nice day."


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A router trained by the CLI on the synthetic set: `cheap` fails proofs, passes greetings."""
    out = str(tmp_path_factory.mktemp("router") / "router.npz")
    code = main(["train", "--data", str(SYNTHETIC), "--out", out, "--bits", "14", "--epochs", "10"])
    assert code == 0
    return out


def _config(fake: FakeOpenAI, artifact: str, route: str, models: str = "") -> str:
    return f"""
providers:
  fake: {{type: openai, base_url: "{fake.url}/v1", api_key: {PROVIDER_KEY}}}
models:
  cheap: {{provider: fake, upstream: small-1, input: "0.1", output: "0.4"}}
  strong: {{provider: fake, upstream: big-1, input: "2", output: "8"}}
{models}
catalog: {{builtin: false}}
learned: {{artifact: "{artifact}"}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
routes:
{route}
"""


def test_train_writes_a_small_artifact_that_loads(artifact: str) -> None:
    loaded = load(artifact)
    assert sorted(loaded.abilities) == ["cheap", "strong"]
    assert loaded.meta["prompts"] == 240 and loaded.meta["data"] == ["synthetic.jsonl"]
    assert Path(artifact).stat().st_size < 1_000_000


def test_shipped_artifact_is_small_and_trained_on_permissive_data() -> None:
    shipped = load()
    path = Path(__file__).parent.parent / "src" / "pointsman" / "learned" / "router.npz"
    assert path.stat().st_size <= 10 * 1024 * 1024
    assert "gpt-4-1106-preview" in shipped.abilities and "mistralai/mixtral-8x7b-chat" in shipped.abilities
    # routerdc7 carries CMMLU/C-Eval (non-commercial licences): it must not be in the shipped router
    assert not any("routerdc7" in name or "cmmlu" in name for name in shipped.meta["data"])


def test_a_learned_route_sends_each_prompt_to_the_cheapest_model_expected_to_answer_it(
    make_gateway: Callable[..., Gateway], fake: FakeOpenAI, artifact: str
) -> None:
    route = "  smart: {learned: {candidates: [cheap, strong], preset: balanced}}"
    gw = make_gateway(text=_config(fake, artifact, route))
    client = gw.client()
    reset(fake)
    easy = client.chat.completions.with_raw_response.create(
        model="smart", messages=user(EASY), extra_headers=EXPLAIN
    )
    hard = client.chat.completions.with_raw_response.create(
        model="smart", messages=user(HARD), extra_headers=EXPLAIN
    )
    assert seen(fake, "small-1") == 1 and seen(fake, "big-1") == 1
    assert easy.parse().model and hard.headers["x-pointsman-route"] == "smart/learned:balanced"
    easy_trace, hard_trace = trace_of(easy.headers)["learned"], trace_of(hard.headers)["learned"]
    assert easy_trace["chosen"] == "cheap" and easy_trace["runner_up"] == "strong"
    assert hard_trace["chosen"] == "strong" and hard_trace["runner_up"] == "cheap"
    estimates = hard_trace["estimates"]
    assert estimates["cheap"] < hard_trace["threshold"] <= estimates["strong"]
    assert hard_trace["abilities"] == {"cheap": "trained:cheap", "strong": "trained:strong"}
    assert hard_trace["target"] == 0.9 and hard_trace["skills"]
    # the failover order follows the estimates: the cheap model is the hard prompt's alternate
    assert [c["model"] for c in trace_of(hard.headers)["candidates"]] == ["strong", "cheap"]


def test_rules_decide_the_obvious_traffic_before_the_learned_router(
    make_gateway: Callable[..., Gateway], fake: FakeOpenAI, artifact: str
) -> None:
    route = """  smart:
    learned: {candidates: [cheap, strong]}
    rules: [{name: greet, to: strong, when: {keywords: [hello]}}]"""
    gw = make_gateway(text=_config(fake, artifact, route))
    answer = gw.client().chat.completions.with_raw_response.create(
        model="smart", messages=user(EASY), extra_headers=EXPLAIN
    )
    assert answer.headers["x-pointsman-route"] == "smart/rule:greet"
    assert "learned" not in trace_of(answer.headers)


def test_a_model_the_router_never_saw_is_placed_by_its_tier(
    make_gateway: Callable[..., Gateway], fake: FakeOpenAI, artifact: str
) -> None:
    models = '  newcomer: {provider: fake, upstream: thinker-1, input: "0.05", output: "0.2", tier: frontier}'
    route = "  smart: {learned: {candidates: [newcomer, strong]}}"
    gw = make_gateway(text=_config(fake, artifact, route, models))
    answer = gw.client().chat.completions.with_raw_response.create(
        model="smart", messages=user(HARD), extra_headers=EXPLAIN
    )
    learned = trace_of(answer.headers)["learned"]
    assert learned["abilities"]["newcomer"] == "tier:frontier"
    assert 0 < learned["estimates"]["newcomer"] < 1


def test_route_explains_a_learned_decision(
    fake: FakeOpenAI, artifact: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gw.yaml"
    text = _config(fake, artifact, "  smart: {learned: {candidates: [cheap, strong], preset: premium}}")
    config.write_text(text.replace("{ledger}", str(tmp_path / "l.db")))
    assert main(["route", HARD, "-c", str(config), "--explain"]) == 0
    out = capsys.readouterr().out
    assert "decided by  learned:premium" in out
    assert "estimate  strong:" in out and "chosen" in out and "runner-up" in out
    assert main(["route", EASY, "-c", str(config), "--format", "json", "--explain"]) == 0
    learned = json.loads(capsys.readouterr().out)["learned"]
    assert learned["target"] == 0.97 and set(learned["estimates"]) == {"cheap", "strong"}


def test_eval_scores_a_router_next_to_the_baselines(
    artifact: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "result.json"
    code = main(
        [
            "eval",
            "--data",
            str(SYNTHETIC),
            "--models",
            "strong,cheap",
            "--router",
            artifact,
            "--json",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "learned" in printed and "strong: trained" in printed
    policies = json.loads(out.read_text())["policies"]
    # the synthetic set is separable: the router finds the proofs (strong) and spares the greetings
    # as well as the oracle does (0.75 here: the strong model helps on half the rows)
    assert policies["learned"]["apgr"] == pytest.approx(policies["oracle"]["apgr"])
    assert policies["learned"]["apgr"] > policies["random"]["apgr"] == 0.5


def test_eval_needs_a_catalog_entry_for_a_model_the_router_never_saw(
    artifact: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d.jsonl"
    row = {"prompt": "hi", "scores": {"alien": 1, "strong": 0}, "costs": {"alien": 1, "strong": 2}}
    data.write_text(json.dumps(row) + "\n")
    assert main(["eval", "--data", str(data), "--models", "strong,alien", "--router", artifact]) == 2
    assert "not trained on 'alien'" in capsys.readouterr().err
    config = tmp_path / "gw.yaml"
    config.write_text(
        "providers: {p: {type: openai, base_url: 'http://127.0.0.1:9/v1'}}\n"
        "models: {alien: {provider: p, tier: small}}\n"
    )
    args = ["eval", "--data", str(data), "--models", "strong,alien", "--router", artifact, "-c", str(config)]
    assert main(args) == 0
    assert "alien: tier:small" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("route", "models", "problem"),
    [
        (
            "  r: {learned: {candidates: [cheap, mystery]}}",
            "  mystery: {provider: fake, input: '1', output: '1'}",
            r"gw.yaml:\d+: routes.r.learned.candidates\[1\]: nothing is known of what 'mystery' can do: "
            r"give it `tier:`",
        ),
        (
            "  r: {learned: {candidates: [cheap], preset: cheapest}}",
            "",
            r"routes.r.learned.preset: unknown preset 'cheapest'",
        ),
        (
            "  r: {learned: {candidates: [cheap], quality: 0.9, strong_share: 0.2}}",
            "",
            r"give `quality` or `strong_share`, not both",
        ),
        (
            "  r: {learned: {candidates: [cheap], quality: 1.5}}",
            "",
            r"routes.r.learned.quality: must be a number in \(0, 1\]",
        ),
        ("  r: {learned: {candidates: []}}", "", r"needs at least one candidate"),
        ("  r: {rules: []}", "", r"routes.r: a route needs `default`"),
        (
            "  r: {default: cheap}",
            "  odd: {provider: fake, tier: genius}",
            r"models.odd.tier: unknown tier 'genius'",
        ),
        (
            "  r: {default: cheap}",
            "  odd: {provider: fake, skills: {cooking: 0.5}}",
            r"models.odd.skills.cooking: unknown skill",
        ),
        (
            "  r: {default: cheap}",
            "  odd: {provider: fake, skills: {code: 2}}",
            r"models.odd.skills.code: an expected score is 0..1",
        ),
    ],
)
def test_learned_config_mistakes_fail_at_start_naming_the_key(
    fake: FakeOpenAI, artifact: str, route: str, models: str, problem: str
) -> None:
    from pointsman.compose import build

    text = _config(fake, artifact, route, models).replace("{ledger}", "unused.db")
    with pytest.raises(ConfigError, match=problem):
        build(parse_config(text, "gw.yaml", {}))


def test_a_file_that_is_not_an_artifact_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "router.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match=r"router\.npz: not a pointsman router artifact"):
        load(str(bad))


def test_every_surface_is_routed_by_the_learned_router(
    make_gateway: Callable[..., Gateway], fake: FakeOpenAI, artifact: str
) -> None:
    """The decision reads the canonical request, so Anthropic and Gemini clients are routed alike."""
    import anthropic
    from google import genai

    route = "  smart: {learned: {candidates: [cheap, strong]}}"
    gw = make_gateway(text=_config(fake, artifact, route))
    reset(fake)
    claude = anthropic.Anthropic(base_url=gw.url, api_key="x", max_retries=0, default_headers=EXPLAIN)
    answer = claude.messages.with_raw_response.create(
        model="smart", max_tokens=50, messages=[{"role": "user", "content": HARD}]
    )
    assert trace_of(answer.headers)["learned"]["chosen"] == "strong"
    gemini = genai.Client(api_key="x", http_options={"base_url": gw.url})
    gemini.models.generate_content(model="smart", contents=EASY)
    assert seen(fake, "big-1") == 1 and seen(fake, "small-1") == 1


def test_a_prompt_in_another_language_calls_on_the_multilingual_skill(
    make_gateway: Callable[..., Gateway], fake: FakeOpenAI, artifact: str
) -> None:
    """ "Mistral for European-language summaries": a config's multilingual score weighs in on a
    French prompt though the training data had none."""
    models = (
        '  euro: {provider: fake, upstream: thinker-1, input: "0.2", output: "0.6",'
        " skills: {multilingual: 0.95, chat: 0.3, reasoning: 0.3, knowledge: 0.3, maths: 0.3, code: 0.3}}"
    )
    route = "  smart: {learned: {candidates: [euro, strong]}}"
    gw = make_gateway(text=_config(fake, artifact, route, models))
    client = gw.client()
    french = "Résume ce texte en trois phrases, s'il te plaît : la réunion a porté sur le budget annuel."
    english = "Summarise this text in three sentences please: the meeting was about the annual budget."
    traces = [
        trace_of(
            client.chat.completions.with_raw_response.create(
                model="smart", messages=user(text), extra_headers=EXPLAIN
            ).headers
        )["learned"]
        for text in (french, english)
    ]
    assert traces[0]["skills"]["multilingual"] >= 0.5 and "multilingual" not in traces[1]["skills"]
    assert traces[0]["estimates"]["euro"] > traces[1]["estimates"]["euro"] + 0.2
    assert traces[0]["abilities"]["euro"] == "catalog"
