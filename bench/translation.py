"""What translating between wire formats costs, next to plain passthrough, in one run.

    python bench/translation.py            # about 2 minutes

One worker of `pointsman serve` and two fake upstreams (OpenAI- and Anthropic-shaped). Each route is
measured against its own upstream called directly, so the columns compare the gateway's added cost:
  passthrough   OpenAI request  → OpenAI upstream        (bytes forwarded untouched)
  to-anthropic  OpenAI request  → Anthropic upstream     (request and answer translated)
  from-messages Anthropic request (/v1/messages) → OpenAI upstream
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from overhead import free_port, start

ROUTES = {
    # name: (gateway path, model, body style, the upstream it reaches)
    "passthrough": ("/v1/chat/completions", "oa", "openai", "openai"),
    "to-anthropic": ("/v1/chat/completions", "an", "openai", "anthropic"),
    "from-messages": ("/v1/messages", "oa", "anthropic", "openai"),
}
DIRECT = {
    "openai": ("/v1/chat/completions", "up-oa", "openai"),
    "anthropic": ("/v1/messages", "up-an", "anthropic"),
}


def body(style: str, model: str, stream: bool) -> str:
    message = {"role": "user", "content": "Hello there, how are you today?"}
    data: dict[str, object] = {"model": model, "messages": [message]}
    if style == "anthropic":
        data["max_tokens"] = 64
    if stream:
        data["stream"] = True
    return json.dumps(data)


def wrk(url: str, payload: str, connections: int, seconds: int) -> tuple[float, float]:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(
        f"wrk.method='POST'\nwrk.body='{payload}'\nwrk.headers['Content-Type']='application/json'\n"
        "wrk.headers['x-api-key']='k'\n"
    )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script.unlink()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    assert p50 is not None
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    return rate, float(p50.group(1)) * scale


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    work = Path(tempfile.mkdtemp(prefix="pointsman-translation-"))
    procs = []
    try:
        ports = {"openai": free_port(), "anthropic": free_port()}
        for wire, port in ports.items():
            procs.append(start([sys.executable, "-m", "pointsman", "fake", wire, "--port", str(port)], port))
        gw_port = free_port()
        (work / "gw.yaml").write_text(
            f"server: {{port: {gw_port}}}\nproviders:\n"
            f"  o: {{type: openai, base_url: 'http://127.0.0.1:{ports['openai']}/v1'}}\n"
            f"  a: {{type: anthropic, base_url: 'http://127.0.0.1:{ports['anthropic']}/v1'}}\n"
            "models:\n  oa: {provider: o, upstream: up-oa, input: 1, output: 2}\n"
            "  an: {provider: a, upstream: up-an, input: 1, output: 2}\n"
            f"catalog: {{builtin: false}}\nledger: {{path: '{work / 'ledger.db'}'}}\n"
        )
        procs.append(
            start(
                [
                    sys.executable,
                    "-m",
                    "pointsman",
                    "serve",
                    "--config",
                    str(work / "gw.yaml"),
                    "--log-level",
                    "warning",
                ],
                gw_port,
            )
        )
        print(
            f"{'route':<16}{'mode':<8}{'direct req/s':>14}{'gateway req/s':>15}{'ratio':>8}"
            f"{'direct p50 ms':>15}{'gateway p50 ms':>16}{'added ms':>10}"
        )
        for name, (path, model, style, upstream) in ROUTES.items():
            d_path, d_model, d_style = DIRECT[upstream]
            for stream in (False, True):
                mode = "sse" if stream else "json"
                direct_url = f"http://127.0.0.1:{ports[upstream]}{d_path}"
                d_rps, _ = wrk(direct_url, body(d_style, d_model, stream), 32, seconds)
                g_rps, _ = wrk(f"http://127.0.0.1:{gw_port}{path}", body(style, model, stream), 32, seconds)
                _, d_p50 = wrk(direct_url, body(d_style, d_model, stream), 1, seconds // 2)
                _, g_p50 = wrk(
                    f"http://127.0.0.1:{gw_port}{path}", body(style, model, stream), 1, seconds // 2
                )
                print(
                    f"{name:<16}{mode:<8}{d_rps:>14.0f}{g_rps:>15.0f}{g_rps / d_rps:>8.2f}"
                    f"{d_p50:>15.3f}{g_p50:>16.3f}{g_p50 - d_p50:>10.3f}",
                    flush=True,
                )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
