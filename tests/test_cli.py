"""The command line as a user runs it: models, spend, prices refresh, demo."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import orjson

from conftest import Gateway, repo_root, user
from pointsman.catalog.pricelist import read_price_list
from pointsman.cli import demo_learned


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pointsman", *args], capture_output=True, text=True, timeout=timeout
    )


def test_models_lists_builtin_prices_with_their_date() -> None:
    result = run("models")
    assert result.returncode == 0, result.stderr
    assert "openai/gpt-4o-mini" in result.stdout and "0.15" in result.stdout
    assert "prices checked 20" in result.stdout
    rows = orjson.loads(run("models", "--json").stdout)
    assert any(r["name"] == "anthropic/claude-sonnet-4-5" or r["provider"] == "anthropic" for r in rows)


def test_models_for_a_config_shows_what_is_routable() -> None:
    result = run("models", "--config", str(repo_root() / "examples" / "pointsman.yaml"), "--json")
    rows = {r["name"]: r for r in orjson.loads(result.stdout)}
    assert rows["fast"]["provider"] == "openai" and rows["fast"]["input"] == "0.15"
    assert rows["smart"]["output"] == "9.5"
    assert rows["llama-local"]["input"] == "0"


def test_spend_summarises_the_ledger(gateway: Gateway) -> None:
    client = gateway.client()
    client.chat.completions.create(model="small", messages=user("x"), metadata={"team": "ops"})
    client.chat.completions.create(model="big", messages=user("y"), metadata={"team": "ops"})
    rows = gateway.rows()
    total = sum(Decimal(r["cost_usd"]) for r in rows if r["cost_usd"] is not None)
    by_model = orjson.loads(run("spend", "--ledger", gateway.ledger, "--json").stdout)
    assert sum(Decimal(line["cost_usd"]) for line in by_model) == total
    assert sum(line["requests"] for line in by_model) == len(rows)
    by_tag = orjson.loads(run("spend", "--ledger", gateway.ledger, "--by", "tag", "--json").stdout)
    assert any(line["group"] == "team=ops" and line["requests"] >= 2 for line in by_tag)
    text = run("spend", "--ledger", gateway.ledger, "--by", "day").stdout
    assert "total $" in text


def test_spend_on_a_path_with_no_ledger_says_so_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.db"
    result = run("spend", "--ledger", str(missing))
    assert result.returncode == 2 and "no ledger at" in result.stderr and str(missing) in result.stderr
    assert not missing.exists(), "reading did not create an empty ledger"
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    result = run("spend", "--ledger", str(text))
    assert result.returncode == 2 and "not a pointsman ledger" in result.stderr


def test_version_metadata_flags_and_a_closed_pipe() -> None:
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("pointsman ")
    example = str(repo_root() / "examples" / "pointsman.yaml")
    routed = run("route", "--config", example, "--metadata", "team=a", "--metadata", "tier=b", "say hello")
    assert routed.returncode == 0, routed.stderr  # the prompt is not taken for a second key=value
    unknown = run("route", "--config", example, "--model", "nope", "hello")
    assert unknown.returncode == 2 and "'nope' does not exist" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    command = f"{sys.executable} -m pointsman models --json | head -1"  # 27 kB: more than head reads
    piped = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    assert piped.stdout.strip() and "BrokenPipeError" not in piped.stderr and "Traceback" not in piped.stderr


def test_prices_refresh_from_openrouter_list(tmp_path: Path) -> None:
    out = tmp_path / "prices.yaml"
    result = run(
        "prices",
        "refresh",
        "--from",
        str(repo_root() / "tests" / "fixtures" / "openrouter_models.json"),
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    price_list = read_price_list(str(out))
    rows = {(r.provider, r.model): r for r in price_list.models}
    gpt = rows[("openai", "gpt-5.4")]
    assert (gpt.input, gpt.output, gpt.cached_input) == (Decimal("2.5"), Decimal("15"), Decimal("0.25"))
    assert {"tools", "vision", "json_schema", "reasoning"} <= gpt.capabilities
    assert rows[("openrouter", "openai/gpt-5.4")].input == Decimal("2.5")
    assert rows[("gemini", "gemini-3.1-flash-lite-preview")].cache_write == Decimal("0.08333333333333334")
    assert ("openrouter", "openrouter/auto") not in rows, "a variable (-1) price is unknown, not negative"
    assert rows[("openrouter", "meta-llama/llama-3.3-70b-instruct:free")].input == 0

    config = tmp_path / "gw.yaml"
    config.write_text(f"providers:\n  openai: {{}}\ncatalog:\n  prices_file: {out}\n")
    listed = {r["name"]: r for r in orjson.loads(run("models", "--config", str(config), "--json").stdout)}
    assert listed["gpt-5.4"]["origin"] == "prices-file" and listed["gpt-5.4"]["output"] == "15"


def test_demo_runs_offline_and_accounts_for_every_request() -> None:
    result = run("demo", timeout=180)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for what in ("plain chat", "streamed", "tool call", "JSON schema", "embeddings", "unknown model"):
        assert what in out
    assert "error 404" in out and "error 429" in out
    assert "ledger, by model:" in out and "smart" in out
    _assert_learned_section(out)


def _assert_learned_section(out: str) -> None:
    """Per prompt: the pick among the candidates, its estimate, its cost and the strongest's; then
    the total against all-strongest. A pick of the strongest costs exactly what it would."""
    section = out.split("the learned router (route `auto`, preset frugal):\n", 1)[1]
    lines = section.splitlines()
    assert lines[0].split() == ["prompt", "chosen", "estimate", "cost", "$", "on", "gpt4", "$"]
    rows = [line.rsplit(None, 4) for line in lines[2:10]]
    assert [r[0][:20] for r in rows] == [p[:20] for p in demo_learned.PROMPTS]
    total = strongest = Decimal(0)
    for _, chosen, estimate, cost, on_strongest in rows:
        assert chosen in ("mixtral", "gpt35", "gpt4") and 0 < float(estimate) < 1
        assert Decimal(cost) <= Decimal(on_strongest)
        assert chosen != "gpt4" or Decimal(cost) == Decimal(on_strongest)
        total, strongest = total + Decimal(cost), strongest + Decimal(on_strongest)
    saving = re.fullmatch(
        r"learned route: \$([\d.]+) for 8 requests \((.+)\); all on gpt4: \$([\d.]+); saved (\d+)%", lines[10]
    )
    assert saving is not None, lines[10]
    assert Decimal(saving[1]) == total and Decimal(saving[3]) == strongest
    assert int(saving[4]) == round((1 - total / strongest) * 100)
