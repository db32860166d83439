"""Provider calls through an HTTP proxy: a real proxy program (proxy.py) on loopback.

The fakes sit at names under `.pointsman.test`, which only the proxy resolves (tests/proxy_plugins.py):
an answer from such a provider can only have come through the proxy. For https providers that also
proves the certificate is checked against the provider's name, since the proxy is 127.0.0.1 and the
certificate names only the provider.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest

from conftest import PROVIDER_KEY, Gateway, self_signed, user
from pointsman.compose import redactor_of
from pointsman.config.loader import parse_config
from pointsman.config.proxies import bypassed, from_environment
from pointsman.errors import ConfigError
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.serving import BackgroundServers
from pointsman.upstream.http1 import Pool

HERE = Path(__file__).resolve().parent
NAME = "fake.pointsman.test"
PASSWORD = "pa55-w0rd-proxy"
DEAD = "http://127.0.0.1:9"
"""A proxy address where nothing listens: a call that tried it would fail."""


@dataclass
class RealProxy:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def said(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_proxy(folder: Path, *flags: str) -> RealProxy:
    port_file, log = folder / "port", folder / "proxy.log"
    plugins = ["--plugins", "proxy_plugins.LoopbackNames"]
    command = [sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", "0"]
    command += ["--port-file", str(port_file), "--num-workers", "1", "--num-acceptors", "1"]
    command += ["--log-level", "INFO", "--log-file", str(log), *plugins, *flags]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        text = port_file.read_text().strip() if port_file.exists() else ""
        if text.isdigit():
            try:
                socket.create_connection(("127.0.0.1", int(text)), timeout=1).close()
                return RealProxy(proc, int(text), log)
            except OSError:
                pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"proxy.py did not start: {log.read_text() if log.exists() else ''}")


@dataclass
class TLSFake:
    fake: FakeOpenAI
    port: int
    cert: Path
    """The certificate to trust."""


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealProxy]:
    """proxy.py, refusing to tunnel to `blocked.pointsman.test` (its host filter plugin answers 418)."""
    flags = ["--plugins", "proxy.plugin.FilterByUpstreamHostPlugin"]
    running = start_proxy(
        tmp_path_factory.mktemp("proxy"), *flags, "--filtered-upstream-hosts", "blocked.pointsman.test"
    )
    yield running
    running.proc.terminate()
    running.proc.wait(10)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealProxy]:
    """proxy.py asking for basic auth."""
    running = start_proxy(tmp_path_factory.mktemp("guarded"), "--basic-auth", f"user:{PASSWORD}")
    yield running
    running.proc.terminate()
    running.proc.wait(10)


@pytest.fixture(scope="module")
def tls_fake(servers: BackgroundServers, tmp_path_factory: pytest.TempPathFactory) -> TLSFake:
    """A TLS fake whose certificate names only NAME."""
    context, cert = self_signed(tmp_path_factory.mktemp("tls"), f"DNS:{NAME}")
    fake = FakeOpenAI()
    servers.start_fake(fake, tls=context)
    return TLSFake(fake, fake.port, cert)


@pytest.fixture
def start(servers: BackgroundServers, tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
    """A gateway from `providers` (YAML lines) with `env` as its environment."""
    started: list[Gateway] = []

    def make(providers: str, env: dict[str, str] | None = None) -> Gateway:
        ledger = str(tmp_path / f"ledger-{len(started)}.db")
        models = "".join(
            f"  {name}: {{provider: {name}, upstream: small-1, input: 1, output: 1}}\n"
            for name in (line.split(":")[0].strip() for line in providers.strip().splitlines())
        )
        text = f"providers:\n{providers}models:\n{models}catalog: {{builtin: false}}\n"
        text += f"ledger: {{path: '{ledger}'}}\n"
        app, url = servers.start_gateway(parse_config(text, "proxy.yaml", env or {}))
        started.append(Gateway(app, url, ledger, servers))
        return started[-1]

    yield make
    for gateway in started:
        servers.stop_gateway(gateway.app)


def http_line(name: str, port: int, proxy: str = "") -> str:
    extra = f", proxy: '{proxy}'" if proxy else ""
    return (
        f"  {name}: {{type: openai, base_url: 'http://{NAME}:{port}/v1', api_key: {PROVIDER_KEY}{extra}}}\n"
    )


def https_line(name: str, tls: TLSFake, proxy: str = "", ca: bool = True) -> str:
    extra = (f", ca_file: '{tls.cert}'" if ca else "") + (f", proxy: '{proxy}'" if proxy else "")
    return f"  {name}: {{type: openai, base_url: 'https://{NAME}:{tls.port}/v1', api_key: sk-x{extra}}}\n"


def ask(gateway: Gateway, model: str, text: str = "say: through the proxy") -> None:
    """A whole answer and a streamed one."""
    client = gateway.client()
    whole = client.chat.completions.create(model=model, messages=user(text))
    assert whole.choices[0].message.content == text.removeprefix("say: ")
    chunks = client.chat.completions.create(model=model, messages=user(text), stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == text.removeprefix(
        "say: "
    )


def refused(gateway: Gateway, model: str) -> str:
    with pytest.raises(openai.APIStatusError) as info:
        gateway.client().chat.completions.create(model=model, messages=user("x"))
    assert info.value.status_code == 502
    return info.value.message


# ---- through the proxy


def test_an_http_provider_is_reached_through_HTTP_PROXY(
    start: Callable[..., Gateway], proxy: RealProxy, fake: FakeOpenAI
) -> None:
    gateway = start(http_line("plain", fake.port), {"HTTP_PROXY": proxy.url})
    ask(gateway, "plain")
    assert len(fake.seen) == 2 and fake.seen[0].headers["via"].startswith("1.1 proxy.py")
    # (proxy.py passes later requests on a kept-alive connection through as they are, without a Via)


def test_an_https_provider_is_tunnelled_and_checked_by_its_own_name(
    start: Callable[..., Gateway], proxy: RealProxy, tls_fake: TLSFake
) -> None:
    gateway = start(https_line("secure", tls_fake), {"https_proxy": proxy.url})
    ask(gateway, "secure")
    deadline = time.monotonic() + 10  # proxy.py logs a tunnel when it closes
    gateway.servers.stop_gateway(gateway.app)
    while f"CONNECT {NAME}:{tls_fake.port}" not in proxy.said() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f"CONNECT {NAME}:{tls_fake.port}" in proxy.said()


def test_an_untrusted_certificate_inside_the_tunnel_is_refused(
    start: Callable[..., Gateway], proxy: RealProxy, tls_fake: TLSFake
) -> None:
    gateway = start(https_line("secure", tls_fake, ca=False), {"HTTPS_PROXY": proxy.url})
    message = refused(gateway, "secure")
    assert f"TLS with {NAME} through proxy {proxy.url} failed" in message and "certificate" in message


def test_NO_PROXY_sends_a_provider_direct(start: Callable[..., Gateway], fake: FakeOpenAI) -> None:
    line = f"  near: {{type: openai, base_url: '{fake.url}/v1', api_key: {PROVIDER_KEY}}}\n"
    gateway = start(line, {"HTTP_PROXY": DEAD, "HTTPS_PROXY": DEAD, "NO_PROXY": "example.com, 127.0.0.0/8"})
    ask(gateway, "near", "say: straight there")


def test_a_providers_own_proxy_setting_wins_over_the_environment(
    start: Callable[..., Gateway], proxy: RealProxy, fake: FakeOpenAI
) -> None:
    direct = f"  near: {{type: openai, base_url: '{fake.url}/v1', api_key: {PROVIDER_KEY}, proxy: none}}\n"
    env = {"HTTP_PROXY": DEAD, "NO_PROXY": NAME}  # the environment: no proxy for NAME, a dead one otherwise
    gateway = start(direct + http_line("far", fake.port, proxy.url), env)
    ask(gateway, "near", "say: straight there")
    ask(gateway, "far")


# ---- proxy credentials and refusals


def test_proxy_credentials_open_the_way_and_are_never_shown(
    start: Callable[..., Gateway],
    guarded: RealProxy,
    fake: FakeOpenAI,
    tls_fake: TLSFake,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    good = f"http://user:{PASSWORD}@127.0.0.1:{guarded.port}"
    bad = f"http://user:wrong-{PASSWORD}@127.0.0.1:{guarded.port}"
    gateway = start(
        http_line("plain", fake.port, good)
        + https_line("secure", tls_fake, good)
        + http_line("plainbad", fake.port, bad)
        + https_line("securebad", tls_fake, bad)
    )
    ask(gateway, "plain")
    ask(gateway, "secure")
    # through a tunnel the provider cannot see them (proxy.py passes them on in plain HTTP: its choice)
    assert tls_fake.fake.seen and all("proxy-authorization" not in s.headers for s in tls_fake.fake.seen)
    shown = f"http://user:[redacted]@127.0.0.1:{guarded.port}"
    plain = refused(gateway, "plainbad")
    assert f"proxy {shown} answered 407" in plain
    secure = refused(gateway, "securebad")
    assert f"proxy {shown} refused to open a tunnel to {NAME}:{tls_fake.port}: 407" in secure
    assert "wrong credentials" in secure
    assert PASSWORD not in plain + secure + caplog.text


def test_proxy_credentials_are_known_to_the_redactor(guarded: RealProxy) -> None:
    line = (
        f"  p: {{type: openai, base_url: 'https://{NAME}/v1', proxy: 'http://user:{PASSWORD}@127.0.0.1:1'}}\n"
    )
    config = parse_config(f"providers:\n{line}", "proxy.yaml", {})
    token = "dXNlcjpwYTU1LXcwcmQtcHJveHk="  # base64 of user:PASSWORD, as Proxy-Authorization carries it
    assert (
        redactor_of(config)(f"echoed {PASSWORD} and Basic {token}")
        == "echoed [redacted] and Basic [redacted]"
    )


def test_a_proxy_that_refuses_to_tunnel_is_named_with_its_status(
    start: Callable[..., Gateway], proxy: RealProxy
) -> None:
    blocked = "  blocked: {type: openai, base_url: 'https://blocked.pointsman.test/v1', api_key: sk-x}\n"
    down = "  down: {type: openai, base_url: 'https://127.0.0.1:9/v1', api_key: sk-x}\n"
    gateway = start(blocked + down, {"HTTPS_PROXY": proxy.url})
    message = refused(gateway, "blocked")
    assert f"proxy {proxy.url} refused to open a tunnel to blocked.pointsman.test:443: 418" in message
    message = refused(gateway, "down")  # the proxy cannot reach the provider: 502 from the proxy
    assert f"proxy {proxy.url} refused to open a tunnel to 127.0.0.1:9: 502" in message


def test_an_unreachable_proxy_is_named(start: Callable[..., Gateway], fake: FakeOpenAI) -> None:
    gateway = start(http_line("plain", fake.port, DEAD))
    assert f"cannot connect to provider 'plain': proxy {DEAD} unreachable" in refused(gateway, "plain")


def test_connections_are_pooled_per_proxy_and_provider(
    start: Callable[..., Gateway], guarded: RealProxy, fake: FakeOpenAI
) -> None:
    """A kept-alive direct connection to a provider is not reused for the same provider behind a proxy."""
    bad = f"http://user:nope@127.0.0.1:{guarded.port}"
    near = f"  near: {{type: openai, base_url: '{fake.url}/v1', api_key: {PROVIDER_KEY}}}\n"
    via = f"  via: {{type: openai, base_url: '{fake.url}/v1', api_key: {PROVIDER_KEY}, proxy: '{bad}'}}\n"
    gateway = start(near + via)
    ask(gateway, "near", "say: direct first")
    assert "answered 407" in refused(gateway, "via")
    pool = Pool()
    keys = {pool.target(f"{fake.url}/v1/x", {}, "", p).key for p in ("", bad, guarded.url)}
    assert len(keys) == 3


# ---- the environment's rules


def test_NO_PROXY_matches_as_curl_does() -> None:
    rules = "example.com, .corp.test,*.wild.test , 10.0.0.0/8,192.168.1.5, [::1]:8443, api.test:8080"
    covered = [
        ("example.com", 443), ("api.example.com", 443), ("corp.test", 80), ("a.b.corp.test", 80),
        ("x.wild.test", 443), ("10.1.2.3", 443), ("192.168.1.5", 80), ("::1", 8443), ("api.test", 8080),
        ("EXAMPLE.COM.", 443),
    ]  # fmt: skip
    missed = [
        ("notexample.com", 443), ("example.com.evil.test", 443), ("11.0.0.1", 443), ("192.168.1.6", 80),
        ("::1", 443), ("api.test", 443),
    ]  # fmt: skip
    assert [h for h, p in covered if not bypassed(h, p, rules)] == []
    assert [h for h, p in missed if bypassed(h, p, rules)] == []
    assert bypassed("anything.at.all", 1, "*") and not bypassed("x", 1, "")


def test_the_lowercase_variable_wins_and_the_scheme_picks_the_variable() -> None:
    env = {"https_proxy": "http://low:1", "HTTPS_PROXY": "http://up:1", "HTTP_PROXY": "http://plain:1"}
    assert from_environment("https://api.test/v1", env) == ("http://low:1", "https_proxy")
    assert from_environment("http://api.test/v1", env) == ("http://plain:1", "HTTP_PROXY")
    assert from_environment("http://api.test/v1", {**env, "no_proxy": "api.test"}) == ("", "")


def test_a_proxy_setting_that_cannot_work_is_a_config_error() -> None:
    base = "providers:\n  p: {type: openai, base_url: 'https://api.test/v1'"
    with pytest.raises(
        ConfigError, match=r"proxy.yaml:2: providers.p.proxy: a socks5:// proxy is not supported"
    ):
        parse_config(base + ", proxy: 'socks5://127.0.0.1:1080'}\n", "proxy.yaml", {})
    with pytest.raises(ConfigError) as info:
        parse_config(base + "}\n", "proxy.yaml", {"HTTPS_PROXY": f"https://u:{PASSWORD}@corp:1"})
    message = str(info.value)
    assert "providers.p: HTTPS_PROXY (from the environment): a https:// proxy is not supported" in message
    assert "proxy: none" in message and PASSWORD not in message
    config = parse_config(base + ", proxy: 'corp.test:3128'}\n", "proxy.yaml", {})
    assert config.providers["p"].proxy == "http://corp.test:3128"


def test_config_check_shows_each_providers_proxy_without_its_password(tmp_path: Path) -> None:
    config = tmp_path / "gw.yaml"
    config.write_text(
        "providers:\n  far: {type: openai, base_url: 'https://api.test/v1'}\n"
        "  near: {type: openai, base_url: 'http://127.0.0.1:1/v1'}\n"
        "models:\n  m: {provider: far, upstream: m, input: 1, output: 1}\ncatalog: {builtin: false}\n"
    )
    env = {**os.environ, "HTTPS_PROXY": f"http://me:{PASSWORD}@corp.test:3128", "NO_PROXY": "127.0.0.1"}
    result = subprocess.run(
        [sys.executable, "-m", "pointsman", "config", "check", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "far: openai at https://api.test/v1 through proxy http://me:[redacted]@corp.test:3128"
        in result.stdout
    )
    assert "near: openai at http://127.0.0.1:1/v1 (no key)" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
