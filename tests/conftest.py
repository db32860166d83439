"""Shared fixtures: fake providers and gateways on real loopback sockets, in a background loop."""

from __future__ import annotations

import asyncio
import itertools
import re
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import orjson
import pytest

from pointsman.api.app import GatewayApp
from pointsman.config.loader import parse_config
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.base import FakeModel, FakeProvider
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.ledger.sqlite import read_rows
from pointsman.serving import BackgroundServers

PROVIDER_KEY = "sk-provider-secret-0123456789"

BASE_CONFIG = """
providers:
  fake:
    type: openai
    base_url: {fake_url}/v1
    api_key: {provider_key}
    timeouts: {{connect: 2, read: 3}}
models:
  small:
    provider: fake
    upstream: small-1
    input: "0.15"
    cached_input: "0.075"
    output: "0.60"
  big:
    provider: fake
    upstream: big-1
    input: "2.50"
    output: "10"
  cachey:
    provider: fake
    upstream: cachey-1
    input: "1.00"
    cached_input: "0.10"
    output: "4.00"
  thinker:
    provider: fake
    upstream: thinker-1
    input: "1.10"
    output: "4.40"
  slow:
    provider: fake
    upstream: slow-1
    input: "1"
    output: "1"
  trickle:
    provider: fake
    upstream: trickle-1
    input: "1"
    output: "2"
  embed:
    provider: fake
    upstream: embed-1
    input: "0.02"
    output: "0"
    capabilities: [embeddings]
aliases:
  fast: small
catalog:
  builtin: false
ledger:
  path: {ledger}
  flush_interval: 0.05
"""

FAKE_MODELS = {
    "small-1": FakeModel(),
    "big-1": FakeModel(),
    "cachey-1": FakeModel(cached_tokens=6),
    "thinker-1": FakeModel(reasoning_tokens=40),
    "slow-1": FakeModel(latency=5.0, ttft=5.0),
    "embed-1": FakeModel(),
    "unlisted-9": FakeModel(),
    "steady-1": FakeModel(latency=0.25),
    "trickle-1": FakeModel(ttft=0.05, tokens_per_second=20),
}


class ManualClock:
    """Real time plus whatever a test adds: a timing test jumps ahead instead of sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.perf_counter() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class Gateway:
    app: GatewayApp
    url: str
    ledger: str
    servers: BackgroundServers

    def client(self, api_key: str = "anything", **kw: Any) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=api_key, max_retries=0, **kw)

    def async_client(self, api_key: str = "anything", **kw: Any) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=f"{self.url}/v1", api_key=api_key, max_retries=0, **kw)

    def rows(self) -> list[dict[str, Any]]:
        # a row is recorded just after the answer's last byte leaves; let that moment pass
        time.sleep(0.05)
        self.servers.run(self.app.gateway.ledger.flush())
        return list(read_rows(self.ledger))

    def row(self, request_id: str, wait: float = 5.0) -> dict[str, Any]:
        """The request's one row, waited for: it is recorded once the answer has left, which a
        busy machine may take a while to get to."""
        deadline = time.monotonic() + wait
        while True:
            found = [r for r in self.rows() if r["id"] == request_id]
            if found or time.monotonic() > deadline:
                break
        assert len(found) == 1, f"expected one ledger row for {request_id}, found {len(found)}"
        return found[0]


@pytest.fixture(scope="session")
def servers() -> Iterator[BackgroundServers]:
    bg = BackgroundServers()
    yield bg
    bg.close()


@pytest.fixture(scope="session")
def fake(servers: BackgroundServers) -> FakeOpenAI:
    return servers.start_fake(FakeOpenAI(dict(FAKE_MODELS), api_key=PROVIDER_KEY))  # type: ignore[return-value]


@pytest.fixture(autouse=True)
def _clean_fake(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "fake" in request.fixturenames:
        reset(request.getfixturevalue("fake"))


_counter = itertools.count()


@pytest.fixture(scope="session")
def make_gateway(
    servers: BackgroundServers, fake: FakeOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Gateway]]:
    started: list[Gateway] = []

    def make(extra: str = "", *, text: str | None = None, **kw: Any) -> Gateway:
        """BASE_CONFIG plus `extra`, or a whole config `text` whose `{ledger}` is filled in."""
        ledger = str(tmp_path_factory.mktemp("ledger") / f"ledger-{next(_counter)}.db")
        if text is None:
            text = BASE_CONFIG.format(fake_url=fake.url, provider_key=PROVIDER_KEY, ledger=ledger) + extra
        else:
            text = text.replace("{ledger}", ledger)
        app, url = servers.start_gateway(parse_config(text, "test.yaml", {}), **kw)
        gateway = Gateway(app, url, ledger, servers)
        started.append(gateway)
        return gateway

    yield make
    for gateway in started:
        servers.stop_gateway(gateway.app)


@pytest.fixture(scope="session")
def gateway(make_gateway: Callable[..., Gateway]) -> Gateway:
    return make_gateway()


@pytest.fixture(scope="session")
def anthropic_fake(servers: BackgroundServers) -> FakeAnthropic:
    """An Anthropic-wire fake that answers any model name (tests clear its `seen` themselves)."""
    return servers.start_fake(FakeAnthropic(api_key=ANTHROPIC_KEY))  # type: ignore[return-value]


ANTHROPIC_KEY = "sk-ant-fake-key-9876543210"


def two_wire_gateway(
    make_gateway: Callable[..., Gateway],
    openai_fake: FakeOpenAI,
    claude: FakeAnthropic,
    key: str,
    models: str,
) -> Gateway:
    """A gateway with one key (id `clients`) in front of the OpenAI fake (provider `oai`) and an
    Anthropic fake (provider `ant`); `models` is the YAML of its `models` (and `aliases`) sections."""
    text = f"""
server:
  keys: [{{id: clients, key: {key}}}]
providers:
  oai: {{type: openai, base_url: "{openai_fake.url}/v1", api_key: {PROVIDER_KEY}}}
  ant: {{type: anthropic, base_url: "{claude.url}/v1", api_key: {ANTHROPIC_KEY}}}
{models}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
"""
    return make_gateway(text=text)


EXPLAIN = {"x-pointsman-explain": "1"}
"""Ask for the routing trace in `x-pointsman-trace`."""


def trace_of(headers: Any) -> dict[str, Any]:
    return orjson.loads(headers["x-pointsman-trace"])  # type: ignore[no-any-return]


def seen(fake: FakeProvider, model: str) -> int:
    """Requests `fake` received for `model`."""
    return sum(1 for s in fake.seen if s.model == model)


def reset(*fakes: FakeProvider) -> None:
    """Forget scripted faults and seen requests, so the next test starts clean."""
    for fake in fakes:
        fake.faults.clear()
        fake.seen.clear()


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


class Served(subprocess.Popen[str]):
    """`pointsman serve` in its own process. What it writes to stderr is read as it comes (an
    unread pipe fills up, and then the server blocks on its next log line) and kept for `said()`."""

    lines: list[str]
    reader: threading.Thread | None = None

    def said(self) -> str:
        """Everything it wrote to stderr; call once it has exited."""
        if self.reader is not None:
            self.reader.join(30)
        return "".join(self.lines)


def _keep_reading(proc: Served) -> None:
    assert proc.stderr is not None
    for line in proc.stderr:
        proc.lines.append(line)


def serve_process(config: Path, **kw: Any) -> tuple[Served, str]:
    """`pointsman serve --config` in its own process, and the URL it says it listens on."""
    proc = Served(
        [sys.executable, "-m", "pointsman", "serve", "--config", str(config)],
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )
    proc.lines = []
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        proc.lines.append(line)
        found = re.search(r"listening on (http://\S+)", line)
        if found:
            proc.reader = threading.Thread(target=_keep_reading, args=(proc,), daemon=True)
            proc.reader.start()
            return proc, found.group(1)
    proc.kill()
    raise AssertionError("pointsman serve did not start")


def self_signed(folder: Path, names: str) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a fresh certificate for `names` (a subjectAltName value, such as
    `DNS:localhost,IP:127.0.0.1`), and the certificate's file, for a client to trust."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    common = names.split(",")[0].split(":", 1)[1]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={common}",
         "-addext", f"subjectAltName={names}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert
