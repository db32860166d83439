"""No configured secret leaves the gateway, even when every provider repeats what it received.

The fakes here echo their request headers (the key, the secret headers) into every field of their
errors, as careless self-hosted servers and proxies do; every byte the gateway sends back, every
ledger column and every log record is then searched for each secret.
"""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from conftest import Gateway
from pointsman.config.loader import parse_config
from pointsman.errors import ConfigError
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.base import FakeModel, FakeProvider
from pointsman.fakes.faults import Fault
from pointsman.fakes.gemini_server import FakeGemini
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.redact import Redactor, header_secrets, safe_url, url_secrets
from pointsman.serving import BackgroundServers

MARK = "MRKZQX"
"""In every secret, and nowhere else: finding it anywhere is a leak, even of part of a secret."""
OAI_KEY = f"sk-{MARK}-oai-0123456789abcdef"
ANT_KEY = f"{MARK}-ant-plain-key-9876"  # not key-shaped: only the config can say it is a key
GEM_KEY = f"{MARK}-gem-plain-key-5555"
SECRET_HEADERS = {
    "oai": {"X-Org-Secret": f"{MARK}-hdr-org-0000aaaa", "OpenAI-Beta": "assistants=v2"},
    "ant": {"cf-aig-authorization": f"Bearer {MARK}-hdr-aig-1111bbbb"},
    "gem": {"X-Proxy-Token": f"{MARK}-hdr-proxy-2222cccc"},
}
URL_USER, URL_PASS = "proxyuser", f"{MARK}-url-pass-3333"
URL_QUERY_KEY = f"{MARK}-url-query-4444"
GATEWAY_KEY = f"{MARK}-gateway-key-5555"
ADMIN_KEY = f"{MARK}-admin-key-6666"
SECRETS = [
    OAI_KEY,
    ANT_KEY,
    GEM_KEY,
    URL_PASS,
    URL_QUERY_KEY,
    GATEWAY_KEY,
    ADMIN_KEY,
    *(v for h in SECRET_HEADERS.values() for k, v in h.items() if k != "OpenAI-Beta"),
]
AUTH = {"authorization": f"Bearer {GATEWAY_KEY}", "x-pointsman-explain": "1"}
NAMES = ["o-small", "oai/small-1", "auto", "ant/claude-small", "gem/gemini-flash"]
"""A manual name, `provider/model` on each wire, and a route whose every tier fails."""


@pytest.fixture(scope="module")
def echoes(servers: BackgroundServers) -> tuple[FakeOpenAI, FakeAnthropic, FakeGemini]:
    oai = FakeOpenAI({"small-1": FakeModel()}, api_key=OAI_KEY)
    ant = FakeAnthropic({"claude-small": FakeModel()}, api_key=ANT_KEY)
    gem = FakeGemini({"gemini-flash": FakeModel()}, api_key=GEM_KEY)
    for fake in (oai, ant, gem):
        servers.start_fake(fake)
    return oai, ant, gem


def _headers(name: str) -> str:
    return "{" + ", ".join(f'"{k}": "{v}"' for k, v in SECRET_HEADERS[name].items()) + "}"


@pytest.fixture(scope="module")
def gw(make_gateway: Any, echoes: tuple[FakeOpenAI, FakeAnthropic, FakeGemini]) -> Gateway:
    oai, ant, gem = echoes
    oai_url = oai.url.replace("://", f"://{URL_USER}:{URL_PASS}@")
    gateway: Gateway = make_gateway(
        text=f"""
server:
  keys: [{{id: team-a, key: "{GATEWAY_KEY}"}}]
  admin_key: "{ADMIN_KEY}"
providers:
  oai: {{type: openai, base_url: "{oai_url}/v1", api_key: "{OAI_KEY}", headers: {_headers("oai")}}}
  ant: {{type: anthropic, base_url: "{ant.url}/v1", api_key: "{ANT_KEY}", headers: {_headers("ant")}}}
  gem: {{type: gemini, base_url: "{gem.url}/v1beta", api_key: "{GEM_KEY}", headers: {_headers("gem")}}}
  spare: {{type: gemini, base_url: "https://127.0.0.1:9/v1beta?key={URL_QUERY_KEY}&alt=json"}}
models:
  o-small: {{provider: oai, upstream: small-1, input: 1, output: 1}}
  a-small: {{provider: ant, upstream: claude-small, input: 1, output: 1}}
  g-small: {{provider: gem, upstream: gemini-flash, input: 1, output: 1}}
routes:
  auto: {{default: o-small, fallbacks: [a-small, g-small], retries: 0}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
"""
    )
    return gateway


_NOT_THE_GATEWAY = ("httpx", "httpcore", "aiohttp")
"""The test's own client and the fake providers log in this process too."""


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(_NOT_THE_GATEWAY):
            self.lines.append(self.format(record))  # the traceback too, when there is one


@pytest.fixture
def logs() -> Iterator[Records]:
    """Every record at DEBUG, from the gateway's loggers and uvicorn's (which do not propagate)."""
    handler = Records()
    loggers = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield handler
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def _body(surface: str, model: str, stream: bool) -> dict[str, Any]:
    text = "say: one two three four five six"
    if surface == "/v1/messages":
        return {
            "model": model,
            "max_tokens": 50,
            "messages": [{"role": "user", "content": text}],
            "stream": stream,
        }
    if surface == "/v1/responses":
        return {"model": model, "input": text, "stream": stream}
    return {"model": model, "messages": [{"role": "user", "content": text}], "stream": stream}


def _drive(
    gw: Gateway, fakes: tuple[FakeProvider, ...], fault: Fault, streams: tuple[bool, ...]
) -> list[bytes]:
    """Every surface, model name and mode against providers that all answer with `fault`; what
    came back, byte for byte: status line, every header, the whole body (SSE included)."""
    for fake in fakes:
        fake.faults.clear()
        fake.inject(fault)
    out: list[bytes] = []
    with httpx.Client(base_url=gw.url, timeout=20) as client:
        for surface in ("/v1/chat/completions", "/v1/messages", "/v1/responses"):
            for model in NAMES:
                for stream in streams:
                    r = client.post(surface, json=_body(surface, model, stream), headers=AUTH)
                    assert r.status_code >= 400 or stream, (surface, model, r.status_code, r.text)
                    head = b"".join(k + b": " + v + b"\n" for k, v in r.headers.raw)
                    out.append(
                        f"{surface} {model} stream={stream} {r.status_code}\n".encode() + head + r.content
                    )
    for fake in fakes:
        fake.faults.clear()
    return out


def _ledger(gw: Gateway) -> list[bytes]:
    gw.rows()  # flushed
    with sqlite3.connect(gw.ledger) as db:
        return [repr(row).encode() for row in db.execute("SELECT * FROM requests")]


def _leaks(blobs: list[bytes]) -> list[str]:
    return [
        f"{secret!r} in: {blob[:300]!r}"
        for blob in blobs
        for secret in [*SECRETS, MARK]
        if secret.encode() in blob
    ]


def test_no_secret_leaves_the_gateway_when_providers_echo_them(
    gw: Gateway, echoes: tuple[FakeOpenAI, FakeAnthropic, FakeGemini], logs: Records
) -> None:
    sent: list[bytes] = []
    for status in (401, 429, 500):
        sent += _drive(gw, echoes, Fault("echo", status=status, times=0), (False, True))
    sent += _drive(gw, echoes, Fault("echo_event", after=2, times=0), (True,))
    with httpx.Client(base_url=gw.url, timeout=20) as client:
        for path in ("/admin/spend?by=key", "/admin/spend?by=model", "/v1/models"):
            r = client.get(
                path, headers={"authorization": f"Bearer {ADMIN_KEY if 'admin' in path else GATEWAY_KEY}"}
            )
            assert r.status_code == 200, r.text
            sent.append(b"".join(k + b": " + v + b"\n" for k, v in r.headers.raw) + r.content)
    rows = _ledger(gw)

    # the providers did receive every secret they were given, and repeated them
    received = [str(s.headers) for fake in echoes for s in fake.seen]
    for secret in (OAI_KEY, ANT_KEY, GEM_KEY, *(v for h in SECRET_HEADERS.values() for v in h.values())):
        assert any(secret in r for r in received), secret
    echoed = [b for b in sent if b"upstream exploded handling" in b]
    assert len(echoed) >= 90 and all(b"[redacted]" in b for b in echoed)
    lines = [line for blob in sent for line in blob.split(b"\n")]
    assert any(line.startswith(b"x-pointsman-trace: ") and b"upstream exploded" in line for line in lines)
    assert any(b"event: error" in b for b in sent) and any(b'"finish_reason":"error"' in b for b in sent)
    assert len(rows) >= 100 and any(b"upstream exploded" in row for row in rows)

    leaks = _leaks(sent) + _leaks(rows) + _leaks([line.encode() for line in logs.lines])
    assert not leaks, "\n".join(leaks[:20])


def test_redactor_catches_secrets_whole_shortened_and_key_shaped() -> None:
    header = f"{MARK}-hdr-org-0000aaaa"
    redact = Redactor([header, header[:12], "ab", GATEWAY_KEY])
    assert redact(f"X-Org={header};") == "X-Org=[redacted];"  # the longer secret wins over its prefix
    assert redact(f"auth: Bearer {GATEWAY_KEY}, next") == "auth: [redacted], next"
    # echoed shortened, as providers mask keys: start and end around a mask
    for masked in (
        f"{header[:3]}***{header[-4:]}",
        f"{header[:6]}...{header[-4:]}",
        f"{header[:4]}…{header[-3:]}",
    ):
        assert redact(f"key {masked}.") == "key [redacted].", masked
    assert redact("sk-abc***wxyz and sk-live-0123456789") == "[redacted] and [redacted]"
    # a mask that matches no secret, and secrets too short to be worth redacting, are left alone
    kept = "Loading... done; ab*** is ok; the ab test"
    assert redact(kept) == kept


def test_redactor_leaves_no_part_of_a_secret_at_a_cut() -> None:
    redact = Redactor([ANT_KEY])
    text = "x" * 95 + ANT_KEY + " tail"
    out = redact.bounded(text, 100)
    assert MARK[:3] not in out and out.startswith("x" * 95 + "[reda")
    assert out.endswith(f"… [{len(text)} characters in all, cut]")
    assert redact.bounded("short", 100) == "short"


def test_text_without_any_secret_is_returned_as_it_was() -> None:
    redact = Redactor(SECRETS)
    text = "The model `gpt-4o-mini` does not exist or you do not have access to it."
    assert redact(text) is text


def test_url_credentials_and_secret_headers_are_known_as_secrets() -> None:
    url = f"https://{URL_USER}:{URL_PASS}@proxy.example/v1?key={URL_QUERY_KEY}&api-version=2024-10-21"
    found = url_secrets(url)
    assert URL_PASS in found and URL_QUERY_KEY in found and f"{URL_USER}:{URL_PASS}" in found
    assert URL_USER not in found and "2024-10-21" not in found  # a name beside a password; a version
    assert url_secrets(f"https://{OAI_KEY}@proxy.example/v1") == [OAI_KEY, OAI_KEY]  # a token alone
    assert url_secrets("https://api.example/v1%3Fkey%3Dx") == []
    shown = safe_url(url)
    assert shown == "https://proxyuser:[redacted]@proxy.example/v1?key=[redacted]&api-version=2024-10-21"
    assert header_secrets({"Anthropic-Version": "2023-06-01", "X-Title": "app", "Helicone-Auth": "h"}) == [
        "h"
    ]


def test_config_check_prints_base_urls_without_their_credentials(tmp_path: Path) -> None:
    config = tmp_path / "gw.yaml"
    url = f"http://{URL_USER}:{URL_PASS}@127.0.0.1:9/v1?key={URL_QUERY_KEY}&api-version=1"
    config.write_text(f'providers:\n  proxied: {{type: openai, base_url: "{url}"}}\n')
    result = subprocess.run(
        [sys.executable, "-m", "pointsman", "config", "check", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "proxied: openai at http://proxyuser:[redacted]@127.0.0.1:9/v1?key=[redacted]&api-version=1"
        in result.stdout
    )
    assert MARK not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ("type: '${SECRET}', base_url: 'http://h/v1'", "gw.yaml:2: providers.p.type: unknown wire type"),
        ("type: openai, base_url: '${SECRET}'", "gw.yaml:2: providers.p.base_url: must start with http"),
        ("type: openai, base_url: '${SECRET}/v1'", "gw.yaml:2: providers.p.base_url: must start with http"),
        ("preset: '${SECRET}'", "gw.yaml:2: providers.p.preset: unknown preset"),
    ],
)
def test_a_secret_in_the_wrong_field_is_not_repeated_by_the_config_error(field: str, where: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(f"providers:\n  p: {{{field}}}\n", "gw.yaml", {"SECRET": OAI_KEY})
    assert info.value.message.startswith(where), info.value.message
    assert MARK not in info.value.message and "sk-" not in info.value.message
