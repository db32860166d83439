"""`pointsman eval` on a hand-made data set whose every number is worked out in the comments."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from pointsman.engine.trace import ASSUMED_OUTPUT_TOKENS
from pointsman.evaluation.costs import cost_table
from pointsman.evaluation.data import read_rows
from pointsman.evaluation.policies import Table
from pointsman.evaluation.report import evaluate_many, evaluate_pair
from pointsman.tokens import TokenCounter

# Four prompts, models A ($0.010), B ($0.001), C ($0.004) a prompt:
#   r1 task x "aaaa"   A=1 B=0 C=1
#   r2 task x "a"      A=1 B=1 C=1
#   r3 task y "aaaaaa" A=1 B=0 C=0
#   r4 task y "aa"     A=0 B=1 C=0
# A scores 0.75, B 0.5, C 0.5; the gap A - B is 0.25.
TINY = Path(__file__).parent / "fixtures" / "routing" / "tiny.jsonl"


def table(models: list[str]) -> Table:
    rows = read_rows([str(TINY)])
    costs, source = cost_table(rows, models, str(TINY))
    assert source == "recorded per prompt"
    return Table(rows, costs, models)


def test_pair_metrics_match_the_hand_computed_values() -> None:
    result = evaluate_pair(table(["A", "B"]), "A", "B")
    policies = result["policies"]
    # random: the straight line from B to A
    assert policies["random"]["apgr"] == pytest.approx(0.5)
    assert policies["random"]["cpt50"] == pytest.approx(0.5)
    assert policies["random"]["cpt80"] == pytest.approx(0.8)
    # 95% of A is 0.7125, reached at share 0.85: cost 0.001 + 0.85 * 0.009 = 0.00865
    assert policies["random"]["saving_at_95"] == pytest.approx(1 - 0.00865 / 0.01)
    # oracle: r1 and r3 (A right, B wrong) first: (0, .5) (.5, 1) (.75, 1) (1, .75)
    # area .375 + .25 + .21875 = .84375, APGR (.84375 - .5) / .25
    oracle = policies["oracle"]
    assert [p["quality"] for p in oracle["curve"]] == pytest.approx([0.5, 1.0, 1.0, 0.75])
    assert oracle["apgr"] == pytest.approx(1.375)
    assert oracle["cpt50"] == pytest.approx(0.125)  # .625 on the way from .5 to 1 over share 0..0.5
    assert oracle["cpt80"] == pytest.approx(0.2)
    assert oracle["saving_at_95"] == pytest.approx(1 - (0.001 + 0.425 * 0.0045) / 0.01)
    # per task: x gains .5 from A, y nothing: (0, .5) (.5, .75) (1, .75)
    per_task = policies["per_task_best"]
    assert per_task["apgr"] == pytest.approx(0.75)
    assert per_task["cpt50"] == pytest.approx(0.25)
    assert per_task["cpt80"] == pytest.approx(0.4)
    # longest first (r3, r1, r4, r2): (0, .5) (.25, .75) (.5, 1) (.75, .75) (1, .75)
    assert policies["prompt_length"]["apgr"] == pytest.approx(1.125)
    assert result["best_single"] == "A"


def test_many_models_curves_and_reads_match_the_hand_computed_values() -> None:
    result = evaluate_many(table(["A", "B", "C"]))
    assert result["best_single"] == "A" and result["cheapest"] == "B"
    policies = result["policies"]
    # uniform random choice among three models
    assert policies["random"]["top"]["quality"] == pytest.approx((0.75 + 0.5 + 0.5) / 3)
    assert policies["random"]["top"]["cost"] == pytest.approx(0.005)
    assert policies["best_single"]["top"] == pytest.approx({"quality": 0.75, "cost": 0.01})
    # oracle: cheapest model with the top score: C, B, A, B -> quality 1 at (.004 + .001 + .01 + .001) / 4
    oracle = policies["oracle"]
    assert oracle["top"] == pytest.approx({"quality": 1.0, "cost": 0.004})
    # its curve also has r3 going to B (.75 at .00175) and all B (.5 at .001)
    assert oracle["cost_at_best_quality"] == pytest.approx(0.00175)
    assert oracle["quality_at_best_cost"] == pytest.approx(1.0)
    # per task (chosen on these rows): x -> C (ties A, cheaper), y -> B (ties A, cheaper)
    per_task = policies["per_task_best"]
    assert per_task["top"] == pytest.approx({"quality": 0.75, "cost": 0.0025})
    assert per_task["cost_at_best_quality"] == pytest.approx(0.0025)


def test_costs_are_estimated_from_prices_json_next_to_the_data(tmp_path: Path) -> None:
    (tmp_path / "prices.json").write_text(
        '{"A": {"input_per_mtok": 2, "output_per_mtok": 10},'
        ' "B": {"input_per_mtok": 1, "output_per_mtok": 1}}'
    )
    data = tmp_path / "rows.jsonl"
    data.write_text('{"id": "1", "prompt": "hello there", "scores": {"A": 1, "B": 0}}\n')
    rows = read_rows([str(data)])
    costs, source = cost_table(rows, ["A", "B"], str(data))
    tokens = TokenCounter().count("hello there", "gpt-4o")
    assert "prices.json" in source and str(ASSUMED_OUTPUT_TOKENS) in source
    assert costs[0]["A"] == pytest.approx((tokens * 2 + ASSUMED_OUTPUT_TOKENS * 10) / 1e6)


def test_a_price_file_can_be_named_and_a_missing_one_is_said(tmp_path: Path) -> None:
    prices = tmp_path / "elsewhere.json"
    prices.write_text(
        '{"A": {"input_per_mtok": 3, "output_per_mtok": 3}, "B": {"input_per_mtok": 1, "output_per_mtok": 1}}'
    )
    data = tmp_path / "rows.jsonl"
    data.write_text('{"id": "1", "prompt": "hi", "scores": {"A": 1, "B": 0}}\n')
    done = run("--data", str(data), "--models", "A,B", "--prices", str(prices))
    assert done.returncode == 0 and "at elsewhere.json prices" in done.stdout
    gone = run("--data", str(data), "--models", "A,B", "--prices", str(tmp_path / "none.json"))
    assert gone.returncode == 2 and "none.json: cannot read price file" in gone.stderr


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pointsman", "eval", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_prints_the_table_and_writes_every_number(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = run("--data", str(TINY), "--models", "A,B", "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert "APGR" in result.stdout and "oracle" in result.stdout and "1.375" in result.stdout
    numbers = orjson.loads(out.read_bytes())
    assert numbers["rows"] == 4 and numbers["costs"] == "recorded per prompt"
    assert numbers["policies"]["oracle"]["apgr"] == pytest.approx(1.375)
    assert numbers["policies"]["random"]["cpt80"] == pytest.approx(0.8)


def test_cli_many_models_by_default(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = run("--data", str(TINY), "--json", str(out))
    assert result.returncode == 0, result.stderr
    numbers = orjson.loads(out.read_bytes())
    assert numbers["mode"] == "many" and set(numbers["models"]) == {"A", "B", "C"}
    assert numbers["policies"]["oracle"]["top"]["cost"] == pytest.approx(0.004)


def test_a_malformed_line_is_one_line_naming_file_and_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(TINY.read_text().splitlines()[0] + '\n{"prompt": "x", "scores": {"A": "high"}}\n')
    result = run("--data", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert f"{bad}:2:" in result.stderr and '"scores.A" is not a number' in result.stderr


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_plot_draws_the_pair_and_the_many_model_curves_to_png(tmp_path: Path) -> None:
    pair, many = tmp_path / "pair.png", tmp_path / "many.png"
    result = run("--data", str(TINY), "--models", "A,B", "--plot", str(pair))
    assert result.returncode == 0, result.stderr
    assert f"plotted the curves to {pair}" in result.stdout
    assert _png_size(pair) == (1430, 550)  # two panels (share, cost), 6.5 x 5 in each at 110 dpi
    assert pair.stat().st_size > 20_000
    assert run("--data", str(TINY), "--plot", str(many)).returncode == 0
    assert _png_size(many) == (715, 550) and many.stat().st_size > 10_000


def test_plot_without_matplotlib_names_the_extra_before_any_work(tmp_path: Path) -> None:
    out = tmp_path / "p.png"
    absent = (
        "import sys; sys.modules['matplotlib'] = None; from pointsman.cli.main import main; sys.exit(main())"
    )
    result = subprocess.run(
        [sys.executable, "-c", absent, "eval", "--data", str(TINY), "--plot", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        "pointsman: --plot needs matplotlib, an optional extra: pip install 'pointsman[plot]'"
    )
    assert not out.exists()
