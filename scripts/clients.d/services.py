"""What the clients talk to: the fake providers, the real local model and `pointsman serve`, each its own
process on a free loopback port, and a recording proxy in front of the gateway (what each client sent,
to compare with what reached the provider)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

KEY = "pm-clients-key"
ADMIN_KEY = "pm-clients-admin"
FAKES = ("openai", "anthropic", "gemini")
_HOP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> Any:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def _wait_ready(proc: subprocess.Popen[bytes], url: str, name: str, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode} (see its log in the run folder)")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers: up (a fake has no health path and says 404)
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{name} did not start within {limit:.0f} s")


@dataclass
class Inbound:
    """One request a client sent, as the gateway received it."""

    method: str
    path: str
    body: Any
    headers: dict[str, str]
    adapted: list[str] = field(default_factory=list)
    """What the gateway said it adapted for this request (its `x-pointsman-adapted` header)."""


@dataclass
class Recorder:
    """A passthrough proxy in front of the gateway that keeps every request it forwards."""

    target: str
    seen: list[Inbound] = field(default_factory=list)
    port: int = 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        inbound = Inbound(request.method, request.path, body, {k.lower(): v for k, v in headers.items()})
        self.seen.append(inbound)
        timeout = ClientTimeout(total=None, sock_read=600)
        async with (
            ClientSession(auto_decompress=False, timeout=timeout) as session,
            session.request(request.method, self.target + request.path_qs, headers=headers, data=raw) as up,
        ):
            reply_headers = {k: v for k, v in up.headers.items() if k.lower() not in _HOP}
            inbound.adapted = json.loads(up.headers.get("x-pointsman-adapted", "[]"))
            reply = web.StreamResponse(status=up.status, headers=reply_headers)
            await reply.prepare(request)
            async for chunk in up.content.iter_any():
                await reply.write(chunk)
            await reply.write_eof()
            return reply

    def start(self) -> None:
        """Serve on a thread of its own: the driver runs clients with blocking subprocess calls."""
        ready = threading.Event()

        async def serve() -> None:
            app = web.Application(client_max_size=64 * 1024 * 1024)
            app.router.add_route("*", "/{tail:.*}", self._handle)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = int(runner.addresses[0][1])
            ready.set()
            await asyncio.Event().wait()

        threading.Thread(target=asyncio.run, args=(serve(),), daemon=True).start()
        ready.wait(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Services:
    """The running processes and how to ask them what they saw."""

    folder: Path
    ports: dict[str, int]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    local: bool = False
    proxy: Recorder | None = None

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("wb")
        cmd = [sys.executable, "-m", "pointsman", *argv]
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder, env=env)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):  # only the processes this driver started, by their handles
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def fake_url(self, wire: str) -> str:
        return f"http://127.0.0.1:{self.ports[wire]}"

    def clear(self) -> None:
        for wire in FAKES:
            get_json(f"{self.fake_url(wire)}/_fake/requests", method="DELETE")
        if self.proxy is not None:
            self.proxy.seen.clear()

    def reached(self, wire: str) -> list[dict[str, Any]]:
        """What the fake provider of this wire received since the last clear()."""
        rows: list[dict[str, Any]] = get_json(f"{self.fake_url(wire)}/_fake/requests")
        return rows

    def ledger(self) -> dict[str, tuple[int, int]]:
        """Requests and errors per model in the gateway's ledger (`pointsman spend --by model`)."""
        auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
        spend = get_json(f"{self.gateway}/admin/spend?by=model", auth)
        return {row["group"]: (row["requests"], row["errors"]) for row in spend["data"]}


def _local_ready(env: dict[str, str], folder: Path) -> bool:
    """Whether the real local model is installed here (./scripts/install-local)."""
    probe = "import sys; from pointsman import localmodel; sys.exit(0 if localmodel.available() else 1)"
    return subprocess.run([sys.executable, "-c", probe], env=env, cwd=folder, check=False).returncode == 0


@contextmanager
def running(folder: Path, config: Path, *, local: bool) -> Iterator[Services]:
    """Start the fakes, the local model (if asked and there), the gateway and the proxy; stop them after."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("ledger.db*"):  # each run counts its own calls
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    names = [*FAKES, "local", "gateway"]
    ports = {name: free_port() for name in names}
    env = {**os.environ, **{f"PM_FAKE_{w.upper()}_PORT": str(ports[w]) for w in FAKES}}
    env["PM_LOCAL_PORT"] = str(ports["local"])
    services = Services(folder, ports)
    try:
        for wire in FAKES:
            proc = services.spawn(f"fake-{wire}", ["fake", wire, "--port", str(ports[wire])], env)
            _wait_ready(proc, f"{services.fake_url(wire)}/_fake/requests", f"fake {wire}", 30)
        if local and _local_ready(env, folder):
            argv = ["local-model", "--port", str(ports["local"])]
            proc = services.spawn("local-model", argv, {**env, "LLAMA_LOG_VERBOSITY": "0"})
            _wait_ready(proc, f"http://127.0.0.1:{ports['local']}/health", "local model", 120)
            services.local = True
        argv = ["serve", "--config", str(config), "--port", str(ports["gateway"]), "--log-level", "warning"]
        proc = services.spawn("gateway", argv, env)
        _wait_ready(proc, f"{services.gateway}/healthz", "pointsman serve", 60)
        services.proxy = Recorder(services.gateway)
        services.proxy.start()
        yield services
    finally:
        services.stop()
