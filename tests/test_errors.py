"""Bad input gets a clear OpenAI-style error; upstream failures map to the right status."""

from __future__ import annotations

import time
from typing import Any

import httpx2 as httpx
import openai
import pytest

from conftest import PROVIDER_KEY, Gateway, user
from pointsman.fakes.faults import Fault
from pointsman.fakes.openai_server import FakeOpenAI


def post(
    gateway: Gateway,
    content: bytes | None = None,
    json: Any = None,
    path: str = "/v1/chat/completions",
    method: str = "POST",
    **headers: str,
) -> httpx.Response:
    return httpx.request(
        method, f"{gateway.url}{path}", content=content, json=json, headers=headers, timeout=10
    )


def assert_openai_error(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-pointsman-request-id"].startswith("req_")
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    for word in words:
        assert word in error["message"], (word, error["message"])
    return dict(error)


@pytest.mark.parametrize(
    ("body", "status", "words", "param"),
    [
        (b"{not json", 400, ["not valid JSON"], None),
        (b"", 400, ["empty"], None),
        (b"[1, 2]", 400, ["must be a JSON object"], None),
        (b'{"messages": [{"role": "user", "content": "x"}]}', 400, ["'model'"], "model"),
        (b'{"model": "small"}', 400, ["'messages'"], "messages"),
        (b'{"model": "small", "messages": "hi"}', 400, ["must be an array"], "messages"),
        (b'{"model": "small", "messages": []}', 400, ["at least one"], "messages"),
        (b'{"model": "small", "messages": [{"content": "x"}]}', 400, ["role is missing"], "messages[0].role"),
        (
            b'{"model": "small", "messages": [{"role": "robot", "content": "x"}]}',
            400,
            ["'robot'"],
            "messages[0].role",
        ),
        (
            b'{"model": "small", "messages": [{"role": "user", "content": 5}]}',
            400,
            ["content"],
            "messages[0].content",
        ),
        (b'{"model": 7, "messages": [{"role": "user", "content": "x"}]}', 400, ["non-empty string"], "model"),
        (
            b'{"model": "small", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}',
            400,
            ["'stream' must be a boolean"],
            "stream",
        ),
        (b'{"model": "small", "messages": [{"role": "user", "content": "x"}], "n": "2"}', 400, ["'n'"], "n"),
        (
            b'{"model": "small", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}',
            400,
            ["'temperature'"],
            "temperature",
        ),
        (
            b'{"model": "smal", "messages": [{"role": "user", "content": "x"}]}',
            404,
            ["'smal' does not exist", "Did you mean 'small'", "/v1/models"],
            "model",
        ),
    ],
)
def test_bad_requests_get_clear_errors_and_one_ledger_row(
    gateway: Gateway, fake: FakeOpenAI, body: bytes, status: int, words: list[str], param: str | None
) -> None:
    response = post(gateway, body, **{"content-type": "application/json"})
    error = assert_openai_error(response, status, *words)
    assert error["param"] == param
    assert not fake.seen, "a bad request must not reach the provider"
    row = gateway.row(response.headers["x-pointsman-request-id"])
    assert row["status"] == status and row["cost_usd"] in (None, "0")


def test_sdk_sees_typed_errors(gateway: Gateway) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        gateway.client().chat.completions.create(model="gpt-99", messages=user("x"))
    assert info.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError):
        gateway.client().chat.completions.create(model="small", messages=[])


def test_oversized_body_is_refused_with_413(make_gateway: Any) -> None:
    small = make_gateway("\nserver:\n  max_body_bytes: 2000\n")
    big = {"model": "small", "messages": user("x" * 5000)}
    assert_openai_error(post(small, json=big), 413, "2000")
    # a chunked body without content-length is counted as it arrives
    chunks = iter([b'{"model": "small", "messages": [{"role": "user", "content": "', b"y" * 4000, b'"}]}'])
    response = httpx.post(f"{small.url}/v1/chat/completions", content=chunks, timeout=10)
    assert_openai_error(response, 413)


def test_the_root_answers_get_and_head_as_clients_probe_it(gateway: Gateway) -> None:
    probe = httpx.head(f"{gateway.url}/", timeout=10)  # Claude Code's first request
    assert probe.status_code == 200 and probe.content == b""
    root = httpx.get(f"{gateway.url}/", timeout=10)
    assert root.status_code == 200 and root.json()["name"] == "pointsman"
    assert httpx.head(f"{gateway.url}/healthz", timeout=10).status_code == 200
    wrong = httpx.post(f"{gateway.url}/healthz", timeout=10)
    assert_openai_error(wrong, 405, "GET")
    assert wrong.headers["allow"] == "GET, HEAD"


def test_unknown_path_and_wrong_method(gateway: Gateway) -> None:
    assert_openai_error(post(gateway, json={}, path="/v1/nothing"), 404, "/v1/nothing")
    wrong = post(gateway, path="/v1/chat/completions", method="GET")
    assert_openai_error(wrong, 405, "POST")
    assert wrong.headers["allow"] == "POST"
    preflight = post(gateway, path="/v1/chat/completions", method="OPTIONS")
    assert_openai_error(preflight, 405)
    assert preflight.headers["allow"] == "POST", "no CORS (README): a browser preflight is told why"


@pytest.mark.parametrize(
    ("fault", "status", "error_class", "words"),
    [
        (
            {"kind": "status", "status": 400, "message": "bad thing"},
            400,
            openai.BadRequestError,
            ["bad thing"],
        ),
        ({"kind": "status", "status": 403, "message": "nope"}, 403, openai.PermissionDeniedError, ["nope"]),
        ({"kind": "status", "status": 404}, 404, openai.NotFoundError, ["404"]),
        ({"kind": "status", "status": 429, "retry_after": "7"}, 429, openai.RateLimitError, ["429"]),
        ({"kind": "status", "status": 429}, 429, openai.RateLimitError, ["429"]),
        ({"kind": "status", "status": 500}, 502, openai.APIStatusError, ["returned 500"]),
        ({"kind": "status", "status": 503}, 503, openai.APIStatusError, ["returned 503"]),
        (
            {"kind": "status", "status": 529, "error_type": "overloaded_error"},
            503,
            openai.APIStatusError,
            ["529"],
        ),
        (
            {"kind": "status", "status": 400, "code": "context_length_exceeded", "message": "too long"},
            400,
            openai.BadRequestError,
            ["too long"],
        ),
        ({"kind": "reset"}, 502, openai.APIStatusError, ["fake"]),
        ({"kind": "no_response", "seconds": 30}, 504, openai.APIStatusError, ["did not answer"]),
    ],
)
def test_upstream_failures_map_to_meaningful_statuses(
    gateway: Gateway,
    fake: FakeOpenAI,
    fault: dict[str, Any],
    status: int,
    error_class: type,
    words: list[str],
) -> None:
    started = time.monotonic()
    with pytest.raises(error_class) as info:
        gateway.client().chat.completions.create(
            model="small", messages=user("hi"), extra_body={"fake_fault": fault}
        )
    error = info.value
    assert error.status_code == status
    for word in words:
        assert word in error.message
    assert error.response.headers.get("retry-after") == fault.get("retry_after")
    assert len(fake.seen) == 1, "one attempt, no hidden retries"
    assert time.monotonic() - started < 5, "the read timeout (3 s) bounds a silent provider"
    row = gateway.row(error.response.headers["x-pointsman-request-id"])
    assert row["status"] == status and row["cost_usd"] == "0" and row["attempts"] == 1
    assert row["prompt_tokens"] == 0 and row["completion_tokens"] == 0


def test_context_length_is_classified(gateway: Gateway) -> None:
    fault = {"kind": "status", "status": 400, "code": "context_length_exceeded"}
    with pytest.raises(openai.BadRequestError) as info:
        gateway.client().chat.completions.create(
            model="small", messages=user("x"), extra_body={"fake_fault": fault}
        )
    assert info.value.code == "context_length_exceeded"


def test_unreachable_provider_is_502(make_gateway: Any) -> None:
    from pointsman.serving import bind

    closed = bind("127.0.0.1", 0)
    port = closed.getsockname()[1]
    closed.close()  # nothing listens here now
    gw = make_gateway(
        text=f"""
providers:
  ghost: {{type: openai, base_url: "http://127.0.0.1:{port}/v1"}}
models:
  g: {{provider: ghost, input: 1, output: 1}}
ledger: {{path: "{{ledger}}"}}
"""
    )
    with pytest.raises(openai.APIStatusError) as info:
        gw.client().chat.completions.create(model="g", messages=user("x"))
    assert info.value.status_code == 502
    assert "cannot connect to provider 'ghost'" in info.value.message
    assert gw.row(info.value.response.headers["x-pointsman-request-id"])["status"] == 502


def test_provider_key_never_reaches_the_client(gateway: Gateway) -> None:
    fault = {"kind": "status", "status": 401, "message": f"Incorrect API key provided: {PROVIDER_KEY}"}
    with pytest.raises(openai.AuthenticationError) as info:
        gateway.client().chat.completions.create(
            model="small", messages=user("x"), extra_body={"fake_fault": fault}
        )
    text = info.value.response.text
    assert PROVIDER_KEY not in text and PROVIDER_KEY[:12] not in text and "[redacted]" in text
    row = gateway.row(info.value.response.headers["x-pointsman-request-id"])
    assert PROVIDER_KEY not in str(row)


def test_masked_key_echoed_by_the_provider_is_redacted_too(make_gateway: Any, fake: FakeOpenAI) -> None:
    gw = make_gateway(
        text=f"""
providers:
  fake: {{type: openai, base_url: "{fake.url}/v1", api_key: sk-wrong-key-abcdef123}}
models:
  small: {{provider: fake, upstream: small-1, input: 1, output: 1}}
ledger: {{path: "{{ledger}}"}}
"""
    )
    with pytest.raises(openai.AuthenticationError) as info:
        gw.client().chat.completions.create(model="small", messages=user("x"))
    assert "sk-***" not in info.value.response.text and "f123" not in info.value.response.text
    assert "returned 401" in info.value.message


@pytest.mark.parametrize("kind", ["cut", "malformed", "error_event"])
def test_stream_broken_after_bytes_sent_ends_with_an_error_event(gateway: Gateway, kind: str) -> None:
    stream = gateway.client().chat.completions.create(
        model="small",
        messages=user("say: one two three four five six"),
        stream=True,
        extra_body={"fake_fault": {"kind": kind, "after": 3}},
    )
    received = []
    with pytest.raises(openai.APIError) as info:
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "one two "  # what arrived before the break, never passed off as complete
    assert info.value.message
    rows = [r for r in gateway.rows() if r["stream"] and r["status"] >= 500]
    assert rows and rows[-1]["error_type"] == "stream_interrupted"


def test_stream_stall_is_cut_by_the_read_timeout(gateway: Gateway) -> None:
    started = time.monotonic()
    stream = gateway.client().chat.completions.create(
        model="small",
        messages=user("say: a b c d"),
        stream=True,
        extra_body={"fake_fault": {"kind": "stall", "after": 2, "seconds": 30}},
    )
    with pytest.raises(openai.APIError) as info:
        for _ in stream:
            pass
    assert "stopped sending" in info.value.message
    assert time.monotonic() - started < 6


def test_stream_failing_before_any_byte_is_a_plain_http_error(gateway: Gateway) -> None:
    with pytest.raises(openai.RateLimitError):
        gateway.client().chat.completions.create(
            model="small",
            messages=user("x"),
            stream=True,
            extra_body={"fake_fault": {"kind": "status", "status": 429, "retry_after": "1"}},
        )
    with pytest.raises(openai.APIStatusError) as info:
        gateway.client().chat.completions.create(
            model="small",
            messages=user("x"),
            stream=True,
            extra_body={"fake_fault": {"kind": "cut", "after": 0}},
        )
    assert info.value.status_code == 502


def test_stream_without_done_is_finalised_with_its_usage(gateway: Gateway) -> None:
    raw = gateway.client().chat.completions.with_raw_response.create(
        model="small",
        messages=user("say: no done here"),
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"fake_fault": {"kind": "no_done"}},
    )
    chunks = list(raw.parse())
    assert chunks[-1].usage is not None
    row = gateway.row(raw.headers["x-pointsman-request-id"])
    assert row["status"] == 200 and row["estimated"] == 0


def test_missing_usage_is_counted_locally_and_marked_estimated(gateway: Gateway) -> None:
    client = gateway.client()
    raw = client.chat.completions.with_raw_response.create(
        model="small", messages=user("say: count me please"), extra_body={"fake_fault": {"kind": "no_usage"}}
    )
    assert raw.parse().usage is None
    row = gateway.row(raw.headers["x-pointsman-request-id"])
    assert row["estimated"] == 1 and row["completion_tokens"] == 3 and row["prompt_tokens"] > 0

    raw = client.chat.completions.with_raw_response.create(
        model="small",
        messages=user("say: count me please"),
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"fake_fault": {"kind": "no_usage"}},
    )
    chunks = list(raw.parse())
    assert chunks[-1].usage.completion_tokens == 3, "the client asked for usage: it gets our count"
    row = gateway.row(raw.headers["x-pointsman-request-id"])
    assert row["estimated"] == 1 and row["completion_tokens"] == 3


def test_scripted_faults_hit_only_their_model(gateway: Gateway, fake: FakeOpenAI) -> None:
    fake.inject(Fault("status", status=500, model="big-1", times=2))
    client = gateway.client()
    assert (
        client.chat.completions.create(model="small", messages=user("say: fine")).choices[0].message.content
        == "fine"
    )
    for _ in range(2):
        with pytest.raises(openai.APIStatusError):
            client.chat.completions.create(model="big", messages=user("x"))
    assert (
        client.chat.completions.create(model="big", messages=user("say: back")).choices[0].message.content
        == "back"
    )


def test_a_provider_answering_not_http_is_a_502(make_gateway: Any, servers: Any) -> None:
    import asyncio

    async def gibberish(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\nthis is not http\r\n\r\n")
        await writer.drain()
        writer.close()

    server = servers.run(asyncio.start_server(gibberish, "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    gw = make_gateway(
        text=f"""
providers:
  odd: {{type: openai, base_url: "http://127.0.0.1:{port}/v1"}}
models:
  o: {{provider: odd, input: 1, output: 1}}
ledger: {{path: "{{ledger}}"}}
"""
    )
    with pytest.raises(openai.APIStatusError) as info:
        gw.client().chat.completions.create(model="o", messages=user("x"))
    assert info.value.status_code == 502 and "not valid HTTP" in info.value.message
    server.close()
