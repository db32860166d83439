"""Library mode: `from pointsman import Router` decides as a gateway with the same config does, hints
included, and the README's example runs as written."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.conftest import EXPLAIN, Gateway, repo_root, trace_of, user
from tests.test_hints import config

from pointsman import Plan, Router
from pointsman.cli.main import main
from pointsman.config.loader import parse_config
from pointsman.errors import ConfigError, InvalidRequest, ModelNotFound
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.openai_server import FakeOpenAI

PROOF = "Prove that the square root of 2 is irrational."


@pytest.fixture(scope="module")
def text(fake: FakeOpenAI, anthropic_fake: FakeAnthropic) -> str:
    return config(fake.url, anthropic_fake.url)


@pytest.fixture(scope="module")
def router(text: str) -> Router:
    return Router(parse_config(text.replace("{ledger}", "unused.db"), "test.yaml", {}))


@pytest.fixture(scope="module")
def gateway(make_gateway: Callable[..., Gateway], text: str) -> Gateway:
    return make_gateway(text=text)


@pytest.mark.parametrize(
    ("model", "headers", "hints"),
    [
        ("auto", {}, {}),
        ("auto", {"x-pointsman-quality": "0.05"}, {}),
        ("auto", {}, {"quality": "premium"}),
        ("auto", {"x-pointsman-quality": "1"}, {"sort": "price"}),
        ("chain", {"x-pointsman-max-price": "1"}, {}),
        ("big", {}, {"models": ["small"], "max_price": {"completion": 5}}),
    ],
)
def test_the_library_decides_as_the_gateway_does(
    gateway: Gateway, router: Router, model: str, headers: dict[str, str], hints: dict[str, Any]
) -> None:
    body: dict[str, Any] = {}
    if "sort" in hints:
        body["provider"] = {"sort": hints["sort"]}
    if "models" in hints:
        body["models"] = hints["models"]
    own = {k: hints[k] for k in ("quality", "max_price") if k in hints}
    if own:
        body["pointsman"] = own
    raw = gateway.client().chat.completions.with_raw_response.create(
        model=model, messages=user(PROOF), extra_headers={**EXPLAIN, **headers}, extra_body=body or None
    )
    trace = trace_of(raw.headers)
    plan = router.plan(messages=user(PROOF), model=model, headers=headers, **hints)
    assert plan.model == raw.headers["x-pointsman-model"]
    assert plan.decided_by == trace["decided_by"]
    assert list(plan.notes) == trace.get("notes", [])
    assert plan.learned == trace.get("learned")
    assert plan.trace["hints"] == trace.get("hints", {}) if hints or headers else "hints" not in plan.trace


def test_a_plan_says_what_was_decided_and_why(router: Router) -> None:
    plan = router.plan(messages=user(PROOF), model="auto", quality=1, max_price={"completion": 5})
    assert isinstance(plan, Plan)
    assert plan.models == ("small",)  # big, the pick at this target, is over the limit
    assert plan.learned is not None and plan.learned["chosen"] == "big"
    assert plan.decided_by == "learned:quality=1 +hints:quality=1,max_price"
    assert plan.notes == ("big not tried: completion 10 USD/M > 5 (pointsman.max_price)",)
    assert plan.trace["plan"] == [{"model": "small", "tier": 0, "reason": "auto/learned:alternate"}]
    assert plan.trace["hints"]["max_price"] == ["5 completion USD/M (pointsman.max_price)"]


def test_explain_reads_as_pointsman_route_prints(router: Router) -> None:
    text = router.explain(messages=user(PROOF), model="chain", models=["claude"], sort="price")
    lines = text.splitlines()
    assert lines[0] == "route       chain"
    assert lines[1] == "decided by  default +hints:models=1,sort=price"
    table = [line.split() for line in lines if re.match(r"^\d+\s", line)]
    assert [(row[0], row[1], row[2]) for row in table] == [
        ("1", "0", "big"),
        ("2", "1", "small"),
        ("3", "2", "claude"),
    ]


def test_bad_hints_and_names_raise_the_gateways_errors(router: Router) -> None:
    with pytest.raises(InvalidRequest) as quality:
        router.plan(messages=user("hi"), model="auto", quality="best")
    assert quality.value.param == "pointsman.quality"
    with pytest.raises(InvalidRequest) as price:
        router.plan(messages=user("hi"), model="chain", max_price=0.01)
    assert price.value.code == "max_price_exceeded"
    assert "big blended 4.375 USD/M > 0.01" in price.value.message
    with pytest.raises(InvalidRequest) as listed:
        router.plan(messages=user("hi"), model="auto", models=["nonesuch"])
    assert listed.value.param == "models[0]"
    with pytest.raises(ModelNotFound):
        router.plan(messages=user("hi"), model="nonesuch")


def test_from_config_and_from_dict(tmp_path: Path, text: str) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(text.replace("{ledger}", str(tmp_path / "l.db")))
    assert Router.from_config(str(path)).plan(messages=user("hi"), model="chain").models == ("big", "small")
    assert not (tmp_path / "l.db").exists()  # deciding writes nothing
    with pytest.raises(ConfigError) as caught:
        Router.from_dict({"routes": {"auto": {"default": "nonesuch"}}, "catalog": {"builtin": False}})
    assert caught.value.message.startswith("<dict>:")
    assert "routes.auto.default" in caught.value.message


def readme_example() -> str:
    readme = (repo_root() / "README.md").read_text()
    section = readme.split("\n## Library mode\n", 1)[1].split("\n## ", 1)[0]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None, "README's Library mode section has no python block"
    return found.group(1)


def test_the_readme_example_runs_as_written() -> None:
    run = subprocess.run([sys.executable, "-c", readme_example()], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    models, decided = lines[0].split(") ", 1)
    assert sorted(ast.literal_eval(models + ")")) == ["big", "small"]
    assert decided == "learned:balanced"
    assert set(ast.literal_eval(lines[1])) == {"small", "big"}
    assert lines[2].startswith("('small',) ('big not tried: blended 1.5 USD/M > 0.5 (pointsman.max_price)',)")
    assert "decided by  learned:balanced +hints:sort=price" in lines


def test_pointsman_route_shows_the_hints(
    tmp_path: Path, text: str, router: Router, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(text.replace("{ledger}", str(tmp_path / "l.db")))
    flags = ["--quality", "1", "--max-price", "1", "--models", "claude", "--sort", "price"]
    assert main(["route", "--config", str(path), "--model", "auto", *flags, "--explain", PROOF]) == 0
    shown = capsys.readouterr().out
    assert "decided by  learned:quality=1 +hints:quality=1,models=1,max_price" in shown
    assert "note        big not tried: blended 4.375 USD/M > 1 (x-pointsman-max-price)" in shown
    assert "note        claude not tried: blended 6 USD/M > 1 (x-pointsman-max-price)" in shown
    assert (
        main(
            [
                "route",
                "--config",
                str(path),
                "--model",
                "auto",
                *flags,
                "--explain",
                "--format",
                "json",
                PROOF,
            ]
        )
        == 0
    )
    out = orjson.loads(capsys.readouterr().out)
    assert [p["model"] for p in out["plan"]] == ["small"]
    assert out["hints"]["sort"] == "price"
    assert main(["route", "--config", str(path), "--model", "chain", "--max-price", "0", PROOF]) == 2
    assert "within the maximum price 0 blended USD/M (x-pointsman-max-price)" in capsys.readouterr().err
