"""Providers over TLS: the upstream client verifies certificates, and a private CA can be trusted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest

from conftest import self_signed, user
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.serving import BackgroundServers


@pytest.fixture(scope="module")
def tls_fake(servers: BackgroundServers, tmp_path_factory: pytest.TempPathFactory) -> tuple[FakeOpenAI, Path]:
    context, cert = self_signed(tmp_path_factory.mktemp("tls"), "DNS:localhost,IP:127.0.0.1")
    fake = FakeOpenAI()
    servers.start_fake(fake, tls=context)
    return fake, cert


def _config(fake: FakeOpenAI, ca_line: str) -> str:
    return f"""
providers:
  secure: {{type: openai, base_url: "{fake.url}/v1", api_key: sk-x{ca_line}}}
models:
  m: {{provider: secure, upstream: m-1, input: 1, output: 1}}
ledger: {{path: "{{ledger}}"}}
"""


def test_https_provider_with_a_private_ca(make_gateway: Any, tls_fake: tuple[FakeOpenAI, Path]) -> None:
    fake, cert = tls_fake
    assert fake.url.startswith("https://localhost:")
    gateway = make_gateway(text=_config(fake, f", ca_file: {cert}"))
    client = gateway.client()
    assert client.chat.completions.create(model="m", messages=user("say: over tls")).choices[
        0
    ].message.content == ("over tls")
    streamed = client.chat.completions.create(model="m", messages=user("say: streamed tls"), stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == "streamed tls"


def test_an_untrusted_certificate_is_refused(make_gateway: Any, tls_fake: tuple[FakeOpenAI, Path]) -> None:
    fake, _ = tls_fake
    gateway = make_gateway(text=_config(fake, ""))
    with pytest.raises(openai.APIStatusError) as info:
        gateway.client().chat.completions.create(model="m", messages=user("x"))
    assert info.value.status_code == 502 and "cannot connect to provider 'secure'" in info.value.message
