"""Gateway overhead, side by side: the same fake upstream called directly, through pointsman, and
through LiteLLM's proxy, in one run.

    python bench/overhead.py                    # everything (LiteLLM if its bench venv exists)
    python bench/overhead.py --quick            # shorter runs
    python bench/overhead.py --baseline REV     # also an earlier commit of pointsman, side by side
    python bench/overhead.py --journal-off      # also this pointsman without the ledger's journal
    (`pointsman-chain` is the same gateway asked for a route with a fallback tier and answer checks;
    `pointsman-auto` adds four rules that all miss)
    bash bench/setup_litellm.sh                 # once: LiteLLM's proxy in its own venv

Reports added latency p50/p99 at concurrency 1, requests/s of one worker at 32 and 256 connections
(JSON and streaming; wrk), and resident memory before and after N requests. Ratios between the
columns survive a noisy machine better than the absolute numbers do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
LITELLM = ROOT / ".bench-venv" / "litellm" / "bin" / "litellm"
KEY = "sk-bench-gateway-key"  # both gateways authenticate it, so both do the same work
BODY = {"model": "small", "messages": [{"role": "user", "content": "Hello there, how are you today?"}]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"port {port} did not open")


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (LiteLLM runs workers as children)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024, 1)


class Target:
    def __init__(self, name: str, url: str, model: str, proc: subprocess.Popen[bytes] | None) -> None:
        self.name, self.url, self.model, self.proc = name, url, model, proc

    def body(self, stream: bool = False) -> bytes:
        body: dict[str, Any] = {**BODY, "model": self.model}
        if stream:
            body["stream"] = True
        return json.dumps(body).encode()


async def latency(targets: list[Target], n: int) -> dict[str, list[float]]:
    """Sequential requests, round-robin over the targets so drift hits all of them alike."""
    times: dict[str, list[float]] = {t.name: [] for t in targets}
    headers = {"content-type": "application/json", "authorization": f"Bearer {KEY}"}
    async with aiohttp.ClientSession() as session:
        for i in range(n + 50):
            for target in targets:
                started = time.perf_counter()
                async with session.post(target.url, data=target.body(), headers=headers) as response:
                    await response.read()
                    assert response.status == 200, (target.name, response.status)
                if i >= 50:  # warm-up excluded
                    times[target.name].append((time.perf_counter() - started) * 1000)
    return times


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (its own threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(target: Target, connections: int, seconds: float, stream: bool) -> dict[str, float]:
    """Requests/s, and the gateway's CPU per request: the CPU a request costs does not depend on how
    much of the shared machine the run happened to get, so it compares better than requests/s."""
    cpu = cpu_seconds(target.proc.pid) if target.proc is not None else 0.0
    result = _wrk(target, connections, seconds, stream)
    if target.proc is not None and result["requests"]:
        result["cpu_us"] = (cpu_seconds(target.proc.pid) - cpu) / result["requests"] * 1e6
    return result


def _wrk(target: Target, connections: int, seconds: float, stream: bool) -> dict[str, float]:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    body = target.body(stream).decode().replace("\\", "\\\\").replace("'", "\\'")
    script.write_text(
        "wrk.method = 'POST'\n"
        f"wrk.body = '{body}'\n"
        "wrk.headers['Content-Type'] = 'application/json'\n"
        f"wrk.headers['Authorization'] = 'Bearer {KEY}'\n"
    )
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    out = subprocess.run([*command, target.url], capture_output=True, text=True, check=True)
    script.unlink()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out.stdout).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out.stdout).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out.stdout)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out.stdout)
    failed = (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)
    return {"rps": rate, "requests": total, "failed": failed}


def start(cmd: list[str], port: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wait_port(port, proc)
    return proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--latency-requests", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--memory-requests", type=int, default=100_000)
    parser.add_argument("--skip-litellm", action="store_true")
    parser.add_argument("--baseline", help="a git revision of pointsman to measure beside this one")
    parser.add_argument("--journal-off", action="store_true", help="also pointsman with `journal: false`")
    parser.add_argument("--json", help="write results here too")
    args = parser.parse_args()
    if args.quick:
        args.latency_requests, args.seconds, args.memory_requests = 300, 3, 10_000
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (apt-get install wrk)")

    work = Path(tempfile.mkdtemp(prefix="pointsman-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        fake_port, gw_port, lite_port = free_port(), free_port(), free_port()
        procs.append(
            start([sys.executable, "-m", "pointsman", "fake", "openai", "--port", str(fake_port)], fake_port)
        )
        upstream = f"http://127.0.0.1:{fake_port}/v1"
        (work / "gw.yaml").write_text(
            f"server: {{port: {gw_port}, keys: [{{id: bench, key: {KEY}}}]}}\n"
            f"providers:\n  fake: {{type: openai, base_url: '{upstream}', api_key: sk-bench}}\n"
            "models:\n  small: {provider: fake, upstream: small-1, input: 0.15, output: 0.6}\n"
            "  big: {provider: fake, upstream: big-1, input: 2.5, output: 10}\n"
            f"ledger: {{path: '{work / 'ledger.db'}'}}\n"
            # `chain`: a fallback tier and answer checks (on by default); `auto`: the same with
            # four rules that all miss (each is evaluated)
            "routes:\n  chain:\n    default: small\n    fallbacks: [big]\n"
            "  auto:\n    default: small\n    fallbacks: [big]\n    rules:\n"
            "      - {when: {keywords: [refund, chargeback]}, to: big, pin: true}\n"
            "      - {when: {regex: '```|def |class '}, to: big}\n"
            "      - {when: {language: [ja, zh]}, to: big}\n"
            "      - {when: {prompt_tokens: {gt: 4000}}, to: big}\n"
        )
        gateway = serve_pointsman(work / "gw.yaml", gw_port)
        procs.append(gateway)
        targets = [
            Target("direct", f"{upstream}/chat/completions", "small-1", None),
            Target("pointsman", f"http://127.0.0.1:{gw_port}/v1/chat/completions", "small", gateway),
            Target("pointsman-chain", f"http://127.0.0.1:{gw_port}/v1/chat/completions", "chain", gateway),
            Target("pointsman-auto", f"http://127.0.0.1:{gw_port}/v1/chat/completions", "auto", gateway),
        ]
        if args.baseline:
            port = free_port()
            text = (work / "gw.yaml").read_text().replace(f"port: {gw_port}", f"port: {port}")
            (work / "base.yaml").write_text(text.replace("ledger.db", "base-ledger.db"))
            base = serve_pointsman(work / "base.yaml", port, checkout(args.baseline, work / "base"))
            procs.append(base)
            url = f"http://127.0.0.1:{port}/v1/chat/completions"
            targets += [
                Target("before", url, "small", base),
                Target("before-chain", url, "chain", base),
                Target("before-auto", url, "auto", base),
            ]
        if args.journal_off:
            port = free_port()
            text = (work / "gw.yaml").read_text().replace(f"port: {gw_port}", f"port: {port}")
            (work / "plain.yaml").write_text(text.replace("ledger.db'}", "plain.db', journal: false}"))
            plain = serve_pointsman(work / "plain.yaml", port)
            procs.append(plain)
            targets.append(
                Target("no-journal", f"http://127.0.0.1:{port}/v1/chat/completions", "small", plain)
            )
        if LITELLM.exists() and not args.skip_litellm:
            (work / "litellm.yaml").write_text(
                "model_list:\n  - model_name: small\n    litellm_params:\n"
                f"      model: openai/small-1\n      api_base: {upstream}\n      api_key: sk-bench\n"
                f"general_settings:\n  master_key: {KEY}\n"
            )
            env = {**os.environ, "LITELLM_LOG": "ERROR"}
            lite = start(
                [
                    str(LITELLM),
                    "--config",
                    str(work / "litellm.yaml"),
                    "--port",
                    str(lite_port),
                    "--num_workers",
                    "1",
                ],
                lite_port,
                env,
            )
            procs.append(lite)
            targets.append(
                Target("litellm", f"http://127.0.0.1:{lite_port}/v1/chat/completions", "small", lite)
            )
        results = run(targets, args)
        results["ledger_rows"] = ledger_rows(work / "ledger.db", gateway)
        report(results)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if args.baseline:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / "base")])
        shutil.rmtree(work, ignore_errors=True)


def serve_pointsman(config: Path, port: int, source: Path | None = None) -> subprocess.Popen[bytes]:
    """`pointsman serve` from this checkout, or from `source` (an earlier revision's src folder)."""
    env = {**os.environ, "PYTHONPATH": str(source)} if source is not None else None
    command = [sys.executable, "-m", "pointsman", "serve", "--config", str(config), "--log-level", "warning"]
    return start(command, port, env)


def checkout(revision: str, where: Path) -> Path:
    """An earlier revision's source tree, for measuring before and after in one run."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), revision], check=True)
    return where / "src"


def ledger_rows(path: Path, gateway: subprocess.Popen[bytes]) -> int:
    gateway.terminate()
    gateway.wait(60)
    from pointsman.ledger.sqlite import read_rows

    return sum(1 for _ in read_rows(str(path)))


def run(targets: list[Target], args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "targets": [t.name for t in targets],
        "latency_ms": {},
        "throughput": {},
        "memory_mb": {},
    }
    for t in targets:
        if t.proc is not None:
            results["memory_mb"][t.name] = {"start": rss_mb(t.proc.pid)}
    times = asyncio.run(latency(targets, args.latency_requests))
    for name, values in times.items():
        results["latency_ms"][name] = {
            "p50": round(statistics.median(values), 3),
            "p99": round(percentile(values, 0.99), 3),
        }
    for stream in (False, True):
        for connections in (32, 256):
            key = f"{'stream' if stream else 'json'}@{connections}"
            results["throughput"][key] = {t.name: wrk(t, connections, args.seconds, stream) for t in targets}
            time.sleep(1)
    for t in targets:
        if t.proc is None:
            continue
        memory = results["memory_mb"][t.name]
        memory["before"] = rss_mb(t.proc.pid)
        rate = max(results["throughput"]["json@32"][t.name]["rps"], 1)
        seconds = int(min(args.memory_requests / rate + 2, 900))
        done = wrk(t, 32, seconds, False)
        memory["after"] = rss_mb(t.proc.pid)
        memory["requests"] = done["requests"]
    return results


def report(r: dict[str, Any]) -> None:
    names = r["targets"]
    direct = r["latency_ms"]["direct"]
    print("\nlatency at concurrency 1 (ms)          " + "".join(f"{n:>14}" for n in names))
    for q in ("p50", "p99"):
        print(
            f"  {q}                                  "
            + "".join(f"{r['latency_ms'][n][q]:>14.3f}" for n in names)
        )
        added = [r["latency_ms"][n][q] - direct[q] for n in names]
        print(f"  added {q}                            " + "".join(f"{a:>14.3f}" for a in added))
    print("\nrequests/s, one worker                 " + "".join(f"{n:>14}" for n in names))
    for key, row in r["throughput"].items():
        cells = "".join(f"{row[n]['rps']:>14.0f}" for n in names)
        failed = sum(row[n]["failed"] for n in names)
        print(f"  {key:<37}{cells}" + (f"   ({failed} failed)" if failed else ""))
        if "litellm" in names:
            ratio = row["pointsman"]["rps"] / row["litellm"]["rps"]
            print(f"    pointsman / litellm                {ratio:>14.1f}x")
        for route in ("chain", "auto"):
            ratio = row[f"pointsman-{route}"]["rps"] / row["pointsman"]["rps"]
            print(f"    {route} / named model{' ' * (22 - len(route))}{ratio:>14.2f}")
    print("\ngateway CPU per request (µs)           " + "".join(f"{n:>14}" for n in names[1:]))
    for key, row in r["throughput"].items():
        cells = "".join(f"{row[n].get('cpu_us', 0):>14.0f}" for n in names[1:])
        print(f"  {key:<37}{cells}")
    print("\nresident memory (MB)                   " + "".join(f"{n:>14}" for n in names[1:]))
    for key in ("start", "before", "after"):
        print(f"  {key:<37}" + "".join(f"{r['memory_mb'][n][key]:>14}" for n in names[1:]))
    print(
        "  requests between before and after    "
        + "".join(f"{r['memory_mb'][n]['requests']:>14}" for n in names[1:])
    )
    print(f"\nledger rows written by pointsman: {r['ledger_rows']}")


if __name__ == "__main__":
    main()
