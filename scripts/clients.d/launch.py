"""How each client is run: Claude Code (`claude -p`), the Codex CLI (`codex exec`) and one Node library
call (`node sdk.mjs CASE`), each non-interactively, in a clean environment of its own (a fresh home,
nothing of the caller's but PATH and locale), pointed at the recording proxy in front of the gateway."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from services import KEY, Services

SECRET = "marmalade-4217"
"""In a file the agent must read with a tool; in no prompt, so seeing it in the answer proves the loop."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    """The client finished without an error of its own (exit 0, no error result)."""
    text: str
    detail: str


@dataclass(frozen=True)
class Context:
    services: Services
    clients: Path
    """The npm folder (node_modules/.bin, sdk.mjs)."""
    work: Path
    """This run's folder: homes, the project the agents work in, logs."""

    def project(self) -> Path:
        folder = self.work / "project"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "secret.txt").write_text(f"The secret word is {SECRET}.\n")
        return folder

    def env(self, home: str, **extra: str) -> dict[str, str]:
        """Only what a program needs to start: no key, base URL or setting of the caller leaks in."""
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ", "TERM")}
        folder = self.work / home
        folder.mkdir(parents=True, exist_ok=True)
        return {**keep, "HOME": str(folder), **extra}


def _run(argv: list[str], env: dict[str, str], cwd: Path, timeout: float) -> tuple[int, str, str]:
    try:
        done = subprocess.run(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return -1, "", f"no answer within {timeout:.0f} s"
    return done.returncode, done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def claude(ctx: Context, prompt: str, flags: list[str], env: dict[str, str], timeout: float) -> Outcome:
    """`claude -p` with JSON output: the final answer, how many turns, and the error if any."""
    run_env = ctx.env(
        "claude-home",
        DISABLE_TELEMETRY="1",
        DISABLE_AUTOUPDATER="1",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        ANTHROPIC_BASE_URL=ctx.services.proxy.url if ctx.services.proxy else ctx.services.gateway,
        ANTHROPIC_API_KEY=KEY,
        **env,
    )
    binary = str(ctx.clients / "node_modules" / ".bin" / "claude")
    argv = [binary, "-p", prompt, "--output-format", "json", *flags]
    code, out, err = _run(argv, run_env, ctx.project(), timeout)
    try:
        result = json.loads(out)
    except ValueError:
        return Outcome(False, "", f"exit {code}: {_last_line(err) or _last_line(out)}")
    text = str(result.get("result") or "")
    models = ", ".join(result.get("modelUsage") or {})
    detail = f"{result.get('num_turns')} turns, model {models or '?'}"
    failed = code != 0 or result.get("is_error")
    return Outcome(not failed, text, f"exit {code}: {text[:240]}" if failed else detail)


CODEX_CONFIG = """\
model = "gpt-5"
model_provider = "pointsman"
model_reasoning_effort = "low"

[model_providers.pointsman]
name = "pointsman"
base_url = "{base}/v1"
env_key = "POINTSMAN_API_KEY"
wire_api = "responses"
"""


def codex(ctx: Context, prompt: str, flags: list[str], timeout: float) -> Outcome:
    """`codex exec` with a custom model provider (Responses wire) in a CODEX_HOME of its own."""
    home = ctx.work / "codex-home"
    home.mkdir(parents=True, exist_ok=True)
    base = ctx.services.proxy.url if ctx.services.proxy else ctx.services.gateway
    (home / "config.toml").write_text(CODEX_CONFIG.format(base=base))
    last = ctx.work / "codex-last-message.txt"
    last.unlink(missing_ok=True)
    run_env = ctx.env("codex-user", CODEX_HOME=str(home), POINTSMAN_API_KEY=KEY)
    binary = str(ctx.clients / "node_modules" / ".bin" / "codex")
    argv = [binary, "exec", "--skip-git-repo-check", "--output-last-message", str(last), *flags, prompt]
    code, _, err = _run(argv, run_env, ctx.project(), timeout)
    text = last.read_text() if last.exists() else ""
    if code != 0:
        errors = [line for line in err.splitlines() if "ERROR" in line or "error" in line.lower()]
        return Outcome(False, text, f"exit {code}: {(errors[-1] if errors else _last_line(err))[:300]}")
    return Outcome(True, text, f"tokens used: {_last_line(err)}")


def node(ctx: Context, case: str, model: str, timeout: float, max_tokens: int) -> Outcome:
    """One case of sdk.mjs: it prints {"ok", "text", "detail"} as its last line."""
    base = ctx.services.proxy.url if ctx.services.proxy else ctx.services.gateway
    run_env = ctx.env("node-home", PM_BASE=base, PM_KEY=KEY, PM_MODEL=model, PM_MAX_TOKENS=str(max_tokens))
    code, out, err = _run(["node", "sdk.mjs", case], run_env, ctx.clients, timeout)
    try:
        result = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return Outcome(False, "", f"exit {code}: {_last_line(err) or _last_line(out)}")
    return Outcome(bool(result.get("ok")), str(result.get("text", "")), str(result.get("detail", "")))
