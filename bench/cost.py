"""What a request costs the gateway, in CPU instructions: a named model, a route with a fallback tier
and answer checks, and the same route with four rules that all miss (keywords, a regex, language,
prompt size), side by side, optionally beside an earlier revision, in one run.

    python bench/cost.py                        # this checkout
    python bench/cost.py --baseline REV         # and an earlier commit, side by side
    python bench/cost.py --served               # the whole server: uvicorn, sockets, the real client
    python bench/cost.py --journal-off          # and this checkout without the ledger's journal

callgrind counts the instructions `bench/cost_driver.py` executes (the gateway's ASGI app in
process, the upstream an in-memory stub), or with `--served` those of `pointsman serve` itself
while a client sends it requests over loopback (the upstream a fake provider in its own process).
Counts repeat to within a fraction of a percent whatever else the machine is doing, where
requests/s on this shared 2-core machine swing by 20%. Each target runs twice, with a few and with
many requests, and the difference is divided by the difference in requests, so start-up is left out.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
Measure = Callable[[str, int, "Target", Path, bool], int]
DRIVER = ROOT / "bench" / "cost_driver.py"
FEW = 20


@dataclass(frozen=True)
class Target:
    source: Path | None
    """Where pointsman's sources are (None: this checkout)."""
    ledger: str = ""
    """More ledger settings, e.g. `, journal: false`."""

    def env(self) -> dict[str, str]:
        env = {**os.environ, "PYTHONHASHSEED": "0", "BENCH_LEDGER": self.ledger}  # same dict layouts
        if self.source is not None:
            env["PYTHONPATH"] = str(self.source)
        return env


def instructions(model: str, requests: int, target: Target, work: Path, stream: bool) -> int:
    out = Path(tempfile.mkstemp(dir=work, suffix=".callgrind")[1])
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable]
    subprocess.run(
        [*command, str(DRIVER), model, str(requests), *(["stream"] if stream else [])],
        env=target.env(),
        check=True,
        capture_output=True,
        cwd=work,
    )
    match = re.search(r"^summary: (\d+)", out.read_text(), re.M)
    assert match is not None, f"no summary in {out}"
    return int(match.group(1))


def served(model: str, requests: int, target: Target, work: Path, stream: bool) -> int:
    """Instructions `pointsman serve` executes from its start to its exit, having answered
    `requests` requests (after 20 to warm up) from a keep-alive client on loopback."""
    out = Path(tempfile.mkstemp(dir=work, suffix=".callgrind")[1])
    port = free_port()
    config = work / f"served-{port}.yaml"
    more = {"ledger": work / f"{port}.db", "more": target.ledger}
    config.write_text(SERVED_CONFIG.format(port=port, upstream=UPSTREAM[0], **more))
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-m"]
    serve = ["pointsman", "serve", "--config", str(config), "--log-level", "warning"]
    proc = subprocess.Popen([*command, *serve], env=target.env(), cwd=work, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, proc)
        body = orjson.dumps({"model": model, "messages": [{"role": "user", "content": "Hello there!"}]})
        if stream:
            body = body[:-1] + b',"stream":true}'
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for _ in range(20 + requests):
            conn.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
            response = conn.getresponse()
            assert response.status == 200, response.read()
            response.read()
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(600)
    match = re.search(r"^summary: (\d+)", out.read_text(), re.M)
    assert match is not None, f"no summary in {out}"
    return int(match.group(1))


SERVED_CONFIG = """
server: {{port: {port}}}
providers:
  fake: {{type: openai, base_url: 'http://127.0.0.1:{upstream}/v1', api_key: sk-bench}}
models:
  small: {{provider: fake, upstream: small-1, input: 0.15, output: 0.6}}
  big: {{provider: fake, upstream: big-1, input: 2.5, output: 10}}
ledger: {{path: '{ledger}', batch_size: 64, flush_interval: 1000 {more}}}
routes:
  chain: {{default: small, fallbacks: [big]}}
  auto:
    default: small
    fallbacks: [big]
    rules:
      - {{when: {{keywords: [refund, chargeback]}}, to: big, pin: true}}
      - {{when: {{regex: '```|def |class '}}, to: big}}
      - {{when: {{language: [ja, zh]}}, to: big}}
      - {{when: {{prompt_tokens: {{gt: 4000}}}}, to: big}}
"""
UPSTREAM = [0]
"""The fake provider's port, for --served."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], limit: float = 600) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"port {port} did not open")


def per_request(
    model: str,
    many: int,
    target: Target,
    work: Path,
    pool: ThreadPoolExecutor,
    stream: bool = False,
    measure: Measure | None = None,
) -> float:
    measure = measure or instructions
    few = pool.submit(measure, model, FEW, target, work, stream)
    lots = pool.submit(measure, model, many, target, work, stream)
    return (lots.result() - few.result()) / (many - FEW)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1020)
    parser.add_argument("--baseline", help="a git revision to measure beside this checkout")
    parser.add_argument("--served", action="store_true", help="measure `pointsman serve` over loopback")
    parser.add_argument("--journal-off", action="store_true", help="also this checkout without the journal")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is needed (apt-get install valgrind)")
    work = Path(tempfile.mkdtemp(prefix="pointsman-cost-"))
    sources = {"now": Target(None)}
    if args.journal_off:
        sources["now, no journal"] = Target(None, ", journal: false")
    fake = None
    measure: Measure = served if args.served else instructions
    try:
        if args.served:
            UPSTREAM[0] = free_port()
            fake = subprocess.Popen(
                [sys.executable, "-m", "pointsman", "fake", "openai", "--port", str(UPSTREAM[0])],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _wait_port(UPSTREAM[0], fake)
        if args.baseline:
            tree = work / "base"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.baseline])
            sources[f"at {args.baseline}"] = Target(tree / "src")
        with ThreadPoolExecutor(2) as pool:
            results = {
                (label, model, stream): per_request(model, args.requests, target, work, pool, stream, measure)
                for label, target in sources.items()
                for stream in (False, True)
                for model in ("small", "chain", "auto")
            }
    finally:
        if fake is not None:
            fake.terminate()
        if args.baseline:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / "base")])
        shutil.rmtree(work, ignore_errors=True)
    print(
        "\ninstructions per request (thousands)   named model   route: fallback + checks   with 4 rules too"
    )
    for stream in (False, True):
        for label in sources:
            named, chain, route = (results[(label, m, stream)] for m in ("small", "chain", "auto"))
            what = f"{'stream' if stream else 'json'}, {label}"
            print(
                f"  {what:<36}{named / 1000:>12.0f}{chain / 1000:>16.0f} ({chain / named:.2f}×)"
                f"{route / 1000:>11.0f} ({route / named:.2f}×)"
            )


if __name__ == "__main__":
    main()
