"""What the operator reads: one access line per request (text or JSON) written from the request's
outcome, whatever way it ended; one line per circuit or reachability change, not per request; and a
provider's 404 that names the path called and the commonest cause (a base_url without /v1)."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import openai
import orjson
import pytest

from conftest import PROVIDER_KEY, Gateway, ManualClock, serve_process, user
from pointsman.config.loader import parse_config
from pointsman.config.schema import AccessLog as AccessLogConfig
from pointsman.errors import ConfigError
from pointsman.fakes.faults import Fault
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.providers.base import Endpoint, UpstreamResponse
from pointsman.providers.errorbody import read_error
from pointsman.redact import Redactor
from pointsman.serving import BackgroundServers
from pointsman.telemetry.access import AccessLog

PROMPT = "say: the secret plan is pineapple"
CHAIN = "routes:\n  chain: {default: small, fallbacks: [big], retries: 0}\n"


class Lines(logging.Handler):
    """Records of the `pointsman` loggers (the gateway logs from its server thread)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def access(self, request_id: str = "") -> list[logging.LogRecord]:
        return [r for r in self.records if r.name == "pointsman.access" and request_id in r.getMessage()]

    def saying(self, text: str) -> list[logging.LogRecord]:
        return [r for r in self.records if text in r.getMessage()]

    def wait_access(self, request_id: str, limit: float = 10.0) -> logging.LogRecord:
        """The request's one access line: written once its answer has left, so waited for."""
        deadline = time.monotonic() + limit
        while not self.access(request_id) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.05)  # a second line would have come by now
        found = self.access(request_id)
        assert len(found) == 1, f"one access line for {request_id}, got {[r.getMessage() for r in found]}"
        return found[0]


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("pointsman")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def fields(record: logging.LogRecord) -> dict[str, Any]:
    return record.access  # type: ignore[attr-defined, no-any-return]


def no_secrets(record: logging.LogRecord) -> None:
    text = record.getMessage()
    assert PROVIDER_KEY not in text and "pineapple" not in text and "sk-gateway" not in text


# ---- the access line


def test_a_successful_request_gets_one_text_line(make_gateway: Callable[..., Gateway], lines: Lines) -> None:
    gateway = make_gateway("server:\n  keys: [{id: team-a, key: sk-gateway-key-1}]\n")
    raw = gateway.client("sk-gateway-key-1").chat.completions.with_raw_response.create(
        model="small", messages=user(PROMPT)
    )
    request_id = raw.headers["x-pointsman-request-id"]
    record = lines.wait_access(request_id)
    text = record.getMessage()
    assert text.startswith(f"id={request_id} method=POST path=/v1/chat/completions status=200 ")
    for part in ("surface=chat", "model=small", "provider=fake", "attempts=1", "fallbacks=0", "key=team-a"):
        assert f" {part}" in text, part
    row = gateway.row(request_id)
    entry = fields(record)
    assert (
        entry["input_tokens"] == row["prompt_tokens"] and entry["output_tokens"] == row["completion_tokens"]
    )
    assert f"cost_usd={row['cost_usd']}" in text and entry["latency_ms"] == row["latency_ms"]
    assert record.levelno == logging.INFO
    no_secrets(record)


def test_a_provider_500_with_fallback_is_one_line_naming_the_model_that_answered(
    make_gateway: Callable[..., Gateway], fake: FakeOpenAI, lines: Lines
) -> None:
    gateway = make_gateway(CHAIN)
    fake.inject(Fault("status", status=500, model="small-1"))
    raw = gateway.client().chat.completions.with_raw_response.create(model="chain", messages=user(PROMPT))
    entry = fields(lines.wait_access(raw.headers["x-pointsman-request-id"]))
    assert (entry["status"], entry["model"], entry["requested"]) == (200, "big", "chain")
    assert (entry["attempts"], entry["fallbacks"]) == (2, 1)


def test_errors_and_the_gateways_own_endpoints_get_one_line_each(
    make_gateway: Callable[..., Gateway], lines: Lines
) -> None:
    gateway = make_gateway("server:\n  keys: [{id: team-a, key: sk-gateway-key-1}]\n")
    key = {"authorization": "Bearer sk-gateway-key-1"}
    body = {"model": "small", "messages": user(PROMPT)}
    asks = [
        ("GET", "/healthz", {}, None, 200),
        ("GET", "/v1/models", key, None, 200),
        ("GET", "/v1/nowhere", key, None, 404),
        ("POST", "/v1/chat/completions", {"authorization": "Bearer sk-wrong"}, body, 401),
        ("POST", "/v1/chat/completions", key, {"model": "nope", "messages": user("x")}, 404),
        ("POST", "/v1/chat/completions", key, {**body, "temperature": "hot"}, 400),
        ("POST", "/v1/messages", key, {"model": "small"}, 400),
    ]
    for method, path, headers, json, status in asks:
        response = httpx.request(method, f"{gateway.url}{path}", headers=headers, json=json, timeout=10)
        assert response.status_code == status, (path, response.text)
        entry = fields(lines.wait_access(response.headers["x-pointsman-request-id"]))
        assert (entry["method"], entry["path"], entry["status"]) == (method, path, status)
        assert (entry["error"] == "") == (status == 200)
        no_secrets(lines.access(entry["id"])[0])


def test_a_client_that_leaves_gets_a_499_line(make_gateway: Callable[..., Gateway], lines: Lines) -> None:
    gateway = make_gateway()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{gateway.url}/v1/chat/completions",
            json={"model": "slow", "messages": user(PROMPT)},
            timeout=httpx.Timeout(10, read=0.3),
        )
    deadline = time.monotonic() + 10
    while not lines.saying("status=499") and time.monotonic() < deadline:
        time.sleep(0.02)
    [record] = lines.saying("status=499")
    entry = fields(record)
    assert (entry["error"], entry["model"], entry["attempts"]) == ("client_closed", "slow", 1)
    assert gateway.row(entry["id"])["status"] == 499
    assert all(r.levelno < logging.WARNING for r in lines.records)


def test_the_json_format_is_one_object_per_line(make_gateway: Callable[..., Gateway], lines: Lines) -> None:
    gateway = make_gateway("server:\n  access_log: {format: json}\n")
    raw = gateway.client().chat.completions.with_raw_response.create(model="small", messages=user(PROMPT))
    request_id = raw.headers["x-pointsman-request-id"]
    entry = orjson.loads(lines.wait_access(request_id).getMessage())
    assert entry["id"] == request_id and entry["status"] == 200 and entry["model"] == "small"
    assert isinstance(entry["cost_usd"], float) and entry["ts"].endswith("Z")
    assert {"route", "attempts", "fallbacks", "latency_ms", "input_tokens", "output_tokens", "key"} <= set(
        entry
    )


def test_a_disabled_access_log_writes_nothing(make_gateway: Callable[..., Gateway], lines: Lines) -> None:
    gateway = make_gateway("server:\n  access_log: {enabled: false}\n")
    gateway.client().chat.completions.create(model="small", messages=user("x"))
    time.sleep(0.2)
    assert lines.access() == []


def test_a_client_chosen_path_cannot_forge_a_line(make_gateway: Callable[..., Gateway], lines: Lines) -> None:
    gateway = make_gateway()
    response = httpx.get(f"{gateway.url}/v1/x%0Aid=forged%20status=200", timeout=10)
    text = lines.wait_access(response.headers["x-pointsman-request-id"]).getMessage()
    assert "\n" not in text and 'path="/v1/x\\nid=forged status=200"' in text


@pytest.mark.parametrize("form", ["text", "json"])
def test_a_served_gateway_writes_one_line_a_request_to_stderr(
    tmp_path: Path, fake: FakeOpenAI, form: str
) -> None:
    """`pointsman serve` writes the lines itself (not through `logging`), and uvicorn writes none."""
    config = tmp_path / "gw.yaml"
    config.write_text(
        f"server: {{port: 0, access_log: {{format: {form}}}}}\n"
        f"providers:\n  fake: {{type: openai, base_url: '{fake.url}/v1', api_key: {PROVIDER_KEY}}}\n"
        "models:\n  small: {provider: fake, upstream: small-1, input: 1, output: 1}\n"
        f"catalog: {{builtin: false}}\nledger: {{path: '{tmp_path / 'ledger.db'}'}}\n"
    )
    proc, url = serve_process(config)
    try:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        raw = client.chat.completions.with_raw_response.create(model="small", messages=user(PROMPT))
        missing = httpx.get(f"{url}/v1/nowhere", timeout=10)
    finally:
        proc.terminate()
        proc.wait(30)
    err = proc.said()
    asked = [(raw.headers["x-pointsman-request-id"], 200), (missing.headers["x-pointsman-request-id"], 404)]
    if form == "json":
        objects = [orjson.loads(line) for line in err.splitlines() if line.startswith("{")]
        assert [(o["id"], o["status"]) for o in objects] == asked
    else:
        said = [line for line in err.splitlines() if " INFO pointsman.access: " in line]
        assert [line.split("access: ")[1].split(" method=")[0] for line in said] == [
            f"id={i}" for i, _ in asked
        ]
        assert " status=200 " in said[0] and " model=small " in said[0] and " status=404 " in said[1]
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO", said[0])
    assert 'HTTP/1.1"' not in err and "pineapple" not in err and PROVIDER_KEY not in err


def test_a_bad_access_log_setting_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"gw.yaml:2: server.access_log.format: must be one of text, json"):
        parse_config("server:\n  access_log: {format: xml}\n", "gw.yaml", {})
    with pytest.raises(ConfigError, match=r"server.access_log.enable: unknown key \(did you mean 'enabled'"):
        parse_config("server:\n  access_log: {enable: true}\n", "gw.yaml", {})


# ---- state changes


def failing_small(
    make_gateway: Callable[..., Gateway], fake: FakeOpenAI, health: str
) -> tuple[Gateway, ManualClock]:
    """A gateway on a clock the test moves, routing to `small` (failing with 500s until the fake is
    cleared), then `big`."""
    clock = ManualClock()
    gateway = make_gateway(f"{CHAIN}health: {health}\n", clock=clock)
    fake.inject(Fault("status", status=500, model="small-1", times=0))
    return gateway, clock


def test_a_circuit_is_logged_when_it_opens_lets_a_probe_through_and_closes(
    make_gateway: Callable[..., Gateway], fake: FakeOpenAI, lines: Lines
) -> None:
    gateway, clock = failing_small(make_gateway, fake, "{failures: 2, cooldown: 5}")
    client = gateway.client()
    for _ in range(6):  # two failures open it; the other four requests skip small
        assert client.chat.completions.create(model="chain", messages=user("x")).model
    opened = lines.saying("circuit for model 'small' opened")
    assert len(opened) == 1 and opened[0].levelno == logging.WARNING
    assert "2 failures in a row" in opened[0].getMessage()
    fake.faults.clear()
    clock.advance(6)
    raw = client.chat.completions.with_raw_response.create(model="chain", messages=user("x"))
    assert raw.headers["x-pointsman-model"] == "small"
    assert len(lines.saying("circuit for model 'small' half-open")) == 1
    closed = lines.saying("circuit for model 'small' closed")
    assert len(closed) == 1 and closed[0].levelno == logging.INFO


def test_a_probe_that_keeps_failing_is_not_logged_every_cooldown(
    make_gateway: Callable[..., Gateway], fake: FakeOpenAI, lines: Lines
) -> None:
    gateway, clock = failing_small(make_gateway, fake, "{failures: 1, cooldown: 1}")
    client = gateway.client()
    for _ in range(5):
        client.chat.completions.create(model="chain", messages=user("x"))
        clock.advance(1.5)  # each request after the first is a probe, and fails
    assert len(lines.saying("circuit for model 'small' opened")) == 1
    assert len(lines.saying("circuit for model 'small' half-open")) == 1
    assert len(lines.saying("circuit for model 'small' stays open")) == 1


def test_an_unreachable_provider_is_logged_once_until_it_answers_again(
    make_gateway: Callable[..., Gateway], servers: BackgroundServers, fake: FakeOpenAI, lines: Lines
) -> None:
    with socket.socket() as sock:  # a port nothing listens on, until a fake takes it below
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway = make_gateway(
        text=f"providers:\n  fake: {{type: openai, base_url: '{fake.url}/v1', api_key: {PROVIDER_KEY}}}\n"
        f"  gone: {{type: openai, base_url: 'http://user:sk-url-secret-99@127.0.0.1:{port}/v1'}}\n"
        "models:\n  small: {provider: fake, upstream: small-1, input: 1, output: 1}\n"
        "  dead: {provider: gone, upstream: small-1, input: 1, output: 1}\n"
        "routes:\n  chain: {default: dead, fallbacks: [small], retries: 0}\n"
        "health: {failures: 100}\ncatalog: {builtin: false}\nledger: {path: '{ledger}'}\n"
    )
    client = gateway.client()
    for _ in range(4):
        assert client.chat.completions.create(model="chain", messages=user("x")).model == "small-1"
    said = lines.saying("provider 'gone' unreachable")
    assert len(said) == 1 and said[0].levelno == logging.WARNING
    assert f"user:[redacted]@127.0.0.1:{port}" in said[0].getMessage()
    assert "sk-url-secret-99" not in said[0].getMessage()
    servers.start_fake(FakeOpenAI(), port=port)
    for _ in range(2):
        client.chat.completions.create(model="chain", messages=user("x"))
    back = lines.saying("provider 'gone' reachable again")
    assert len(back) == 1 and "4 connections had failed" in back[0].getMessage()
    assert len(lines.saying("provider 'gone' unreachable")) == 1


# ---- a provider's 404


@pytest.fixture
def misplaced(make_gateway: Callable[..., Gateway], fake: FakeOpenAI) -> Gateway:
    """A provider whose base_url lacks /v1: every call reaches a path the server does not serve."""
    return make_gateway(
        text=f"providers:\n  local: {{type: openai, base_url: '{fake.url}', api_key: {PROVIDER_KEY}}}\n"
        "models:\n  m: {provider: local, upstream: small-1, input: 1, output: 1}\n"
        "catalog: {builtin: false}\nledger: {path: '{ledger}'}\n"
    )


@pytest.mark.parametrize("stream", [False, True])
def test_a_404_names_the_path_called_and_the_missing_v1(misplaced: Gateway, stream: bool) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        misplaced.client().chat.completions.create(model="m", messages=user("x"), stream=stream)
    message = info.value.message
    assert "provider 'local' returned 404" in message
    assert "the gateway called POST /chat/completions" in message
    assert "providers.local.base_url has no version in its path" in message and "end in /v1" in message
    assert "127.0.0.1" not in message, "the provider's host stays out of what clients read"


def test_a_404_shows_no_key_from_the_url() -> None:
    endpoint = Endpoint(
        "g", "gemini", "https://example.test", "AIzaSyA-secret-key-0123456789abcdef", "", {}, 1, 1, True,
        redactor=Redactor(["AIzaSyA-secret-key-0123456789abcdef"]),
    )  # fmt: skip
    url = "https://example.test/models/x:generateContent?key=AIzaSyA-secret-key-0123456789abcdef&alt=sse"
    message = read_error(endpoint, UpstreamResponse(404, {}, b"Not Found", url)).message
    assert "POST /models/x:generateContent?key=[redacted]&alt=sse" in message, message
    assert "secret" not in message and "end in /v1beta" in message


async def test_lines_to_a_stream_are_written_once_per_loop_turn_and_a_closed_one_is_let_go() -> None:
    class Counting(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            self.writes += 1
            return super().write(text)

    out = Counting()
    access = AccessLog(AccessLogConfig(), out)
    for i in range(3):
        access.write(f"req_{i}", "GET", "/healthz", 200, "", 0.1, None)
    await asyncio.sleep(0)
    said = out.getvalue().splitlines()
    assert out.writes == 1 and len(said) == 3
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO pointsman.access: "
        r"id=req_0 method=GET path=/healthz status=200 latency_ms=0.1",
        said[0],
    )
    out.close()
    access.write("req_3", "GET", "/healthz", 200, "", 0.1, None)
    await asyncio.sleep(0)  # the write fails: no exception reaches the request or the loop
    access.write("req_4", "GET", "/healthz", 200, "", 0.1, None)
    await asyncio.sleep(0)
    assert out.writes == 2, "after a failed write, no more are tried"
