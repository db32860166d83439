"""scripts/clients (real Node clients against the gateway) needs npm and minutes, so it is not run
here; these checks keep it from rotting silently: its files parse, its gateway config loads with
pointsman's own loader and resolves every model its cases ask for, each Node case it names exists in
the Node driver, and its checks see a dropped field as a failure."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import repo_root
from pointsman.compose import catalog_of
from pointsman.config.loader import load_config

DRIVER = repo_root() / "scripts" / "clients.d"
PORTS = {
    "PM_FAKE_OPENAI_PORT": "1",
    "PM_FAKE_ANTHROPIC_PORT": "2",
    "PM_FAKE_GEMINI_PORT": "3",
    "PM_LOCAL_PORT": "4",
}
MODULES = ("launch", "cases", "checks", "report", "run", "services")


@pytest.fixture(scope="module")
def driver() -> Iterator[dict[str, ModuleType]]:
    """The driver's modules, imported by the plain names they use for each other, then forgotten."""
    sys.path.insert(0, str(DRIVER))
    try:
        yield {name: __import__(name) for name in MODULES}
    finally:
        sys.path.remove(str(DRIVER))
        for name in MODULES:
            sys.modules.pop(name, None)


def test_the_entry_script_is_executable_bash_that_parses() -> None:
    script = repo_root() / "scripts" / "clients"
    assert script.stat().st_mode & 0o111
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_the_clients_are_pinned_to_exact_versions() -> None:
    deps = json.loads((DRIVER / "package.json").read_text())["dependencies"]
    wanted = {"@anthropic-ai/claude-code", "@openai/codex", "openai", "@anthropic-ai/sdk", "ai"}
    assert wanted | {"@ai-sdk/openai", "@ai-sdk/anthropic", "zod"} <= set(deps)
    loose = {name: v for name, v in deps.items() if not re.fullmatch(r"\d+\.\d+\.\d+", v)}
    assert not loose, f"not an exact version: {loose}"


def test_the_gateway_config_loads_and_every_asked_model_resolves(driver: dict[str, ModuleType]) -> None:
    config = load_config(str(DRIVER / "gateway.yaml"), PORTS)
    assert config.providers["openai"].base_url == "http://127.0.0.1:1/v1"
    assert config.providers["local"].base_url == "http://127.0.0.1:4/v1"
    catalog = catalog_of(config)
    asked = {case.model for _, _, make in driver["cases"].CLIENTS.values() for case in make()}
    for model in sorted(asked - {""}):
        assert catalog.resolve(model).name, model


def test_every_node_case_exists_in_the_node_driver(driver: dict[str, ModuleType]) -> None:
    source = (DRIVER / "sdk.mjs").read_text()
    defined = set(re.findall(r"async '?([\w.]+)'?\(", source))
    surfaces = set(re.findall(r"^  (\w+): \(\) => ai", source, re.M))
    cases = [c for key in ("openai", "anthropic", "ai") for c in driver["cases"].CLIENTS[key][2]()]
    assert len(cases) > 40
    for case in cases:
        name = case.run.args[0]  # partial(_node, "client/case", model)
        client, _, rest = name.partition("/")
        if client == "ai":
            surface, _, rest = rest.partition("/")
            assert surface in surfaces, name
        assert rest in defined, f"{name} is not a case of sdk.mjs"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed here")
def test_the_node_driver_parses() -> None:
    done = subprocess.run(
        ["node", "--check", str(DRIVER / "sdk.mjs")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_rows_are_unique_and_the_run_is_selectable(driver: dict[str, ModuleType]) -> None:
    keys = [
        (key, c.surface, c.name, c.model, c.target)
        for key, (_, _, make) in driver["cases"].CLIENTS.items()
        for c in make()
    ]
    assert len(keys) == len(set(keys))
    assert driver["run"]._arguments(["claude", "--fakes-only"]).clients == ["claude"]
    with pytest.raises(SystemExit):
        driver["run"]._arguments(["claude-code"])


def _seen(driver: dict[str, ModuleType], sent: dict[str, Any], forwarded: dict[str, Any], path: str) -> Any:
    """A client sent `sent` to `path`; the provider received `forwarded`."""
    inbound = [driver["services"].Inbound("POST", path, sent, {})]
    rows = [{"path": "/v1/chat/completions", "model": "m", "body": forwarded}]
    return driver["checks"].Seen(inbound=inbound, reached={"openai": rows, "anthropic": rows}, ledger={})


def test_the_checks_see_what_did_not_reach_the_provider(driver: dict[str, ModuleType]) -> None:
    checks = driver["checks"]
    tools = [
        {"type": "function", "name": "exec_command"},
        {"type": "namespace", "name": "agents", "tools": [{"name": "spawn_agent"}]},
        {"type": "web_search"},
    ]
    carried = {"tools": [{"type": "function", "function": {"name": "exec_command"}}]}
    seen = _seen(driver, {"tools": tools, "reasoning": {"effort": "low"}}, carried, "/v1/responses")
    assert checks.tools_kept("openai")(seen) == (
        "2 of 3 tools dropped without a word: agents.spawn_agent, web_search"
    )
    seen.inbound[0].adapted = ["gpt-5: web_search: left out, it cannot search the web"]
    assert checks.tools_kept("openai")(seen) == "1 of 3 tools dropped without a word: agents.spawn_agent"
    assert "no reasoning_effort" in checks.effort_kept("openai")(seen)
    flattened = {"tools": [{"function": {"name": n}} for n in ("exec_command", "agents__spawn_agent")]}
    flattened["reasoning_effort"] = "low"
    seen = _seen(driver, {"tools": tools[:2], "reasoning": {"effort": "low"}}, flattened, "/v1/responses")
    assert checks.tools_kept("openai")(seen) is None and checks.effort_kept("openai")(seen) is None
    system = {"system": [{"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}]}
    assert "in none at the provider" in checks.kept("cache_control", "anthropic")(
        _seen(driver, system, {"system": "x"}, "/v1/messages")
    )
    assert checks.kept("cache_control", "anthropic")(_seen(driver, system, system, "/v1/messages")) is None
    blocks = {
        "system": [{"type": "text", "text": "You are an agent."}, {"type": "text", "text": "Be brief."}]
    }
    glued = _seen(driver, blocks, {"system": "You are an agent.Be brief."}, "/v1/messages")
    assert "1 of 2 system blocks glued" in checks.system_blocks_kept("anthropic")(glued)
    as_blocks = _seen(driver, blocks, blocks, "/v1/messages")
    assert checks.system_blocks_kept("anthropic")(as_blocks) is None
    apart = _seen(driver, blocks, {"system": "You are an agent.\n\nBe brief."}, "/v1/messages")
    assert checks.system_blocks_kept("anthropic")(apart) is None


def test_a_partial_run_keeps_the_other_clients_rows(driver: dict[str, ModuleType], tmp_path: Path) -> None:
    report = driver["report"]
    page = tmp_path / "compatibility.md"
    page.write_text(f"# Title\n\nprose\n\n{report.BEGIN}\n{report.END}\n\nmore prose\n")
    row = ["Codex CLI", "1", "/v1/responses", "task", "fake openai", "PASS", "ok"]
    order = ["Claude Code", "Codex CLI"]
    report.write(page, [row], "scripts/clients codex", {"Codex CLI"}, order)
    claude = ["Claude Code", "2", "/v1/messages", "task", "fake anthropic", "FAIL", "a | b"]
    report.write(page, [claude], "scripts/clients claude", {"Claude Code"}, order)
    text = page.read_text()
    assert text.startswith("# Title\n\nprose\n") and text.endswith("more prose\n")
    lines = [ln for ln in text.splitlines() if ln.startswith("| ") and "---" not in ln]
    assert [ln.split(" | ")[0] for ln in lines] == ["| client", "| Claude Code", "| Codex CLI"]
    assert "a \\| b" in lines[1]
    assert "`scripts/clients claude`: 1 PASS, 1 FAIL. Rows of the other clients are kept" in text
