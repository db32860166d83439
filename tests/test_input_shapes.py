"""Valid JSON of an unexpected shape is a 400 that names the value, on every surface and in that
surface's own error shape; never a 500. Each case is a place the type-confusion fuzzer made the
gateway crash (the reliability field notes, M1 and L4)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest

from conftest import PROVIDER_KEY, Gateway, user
from fuzzing import ADMIN_KEY, DEEP, body_for, nested, replaced, three_wire_gateway, with_deep
from pointsman.api.http import MAX_DEPTH
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.serving import BackgroundServers


@pytest.fixture(scope="module")
def gw(make_gateway: Any, servers: BackgroundServers, fake: FakeOpenAI) -> Iterator[Gateway]:
    yield three_wire_gateway(make_gateway, servers, fake.url, PROVIDER_KEY)


def post(gw: Gateway, path: str, body: Any) -> httpx.Response:
    return httpx.post(f"{gw.url}{path}", json=body, timeout=10)


def assert_names(response: httpx.Response, surface: str, where: str) -> str:
    """A 400 in the surface's error shape whose message (and `param`, where the shape has one)
    names `where`; returns the message."""
    assert response.status_code == 400, response.text
    body = response.json()
    if surface == "/v1/messages":
        assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error", body
    else:
        assert body["error"]["param"] == where, body
    message: str = body["error"]["message"]
    assert where in message, message
    return message


CHAT, MESSAGES, RESPONSES = "/v1/chat/completions", "/v1/messages", "/v1/responses"

# (surface, model, path replaced, wrong value, the place the error names)
CRASH_SITES = [
    # api/validate.py check_chat: an unhashable role
    (CHAT, "small", ("messages", 0, "role"), [], "messages[0].role"),
    # routing/capabilities.py: an unhashable content part type
    (CHAT, "small", ("messages", 1, "content", 0, "type"), [], "messages[1].content[0].type"),
    # providers/anthropic/request.py (an OpenAI request to an Anthropic model)
    (
        CHAT,
        "claude",
        ("messages", 1, "content", 1, "image_url", "url"),
        None,
        "messages[1].content[1].image_url.url",
    ),
    (CHAT, "claude", ("messages", 2, "tool_calls"), "s", "messages[2].tool_calls"),
    (
        CHAT,
        "claude",
        ("messages", 2, "tool_calls", 0, "function"),
        True,
        "messages[2].tool_calls[0].function",
    ),
    (CHAT, "claude", ("tools", 0, "function"), True, "tools[0].function"),
    (CHAT, "claude", ("stop",), [1], "stop[0]"),
    (CHAT, "claude", ("response_format", "json_schema"), True, "response_format.json_schema"),
    # providers/gemini/request.py: an unhashable tool_call_id
    (CHAT, "gem", ("messages", 3, "tool_call_id"), [], "messages[3].tool_call_id"),
    # surfaces/anthropic/parse.py
    (MESSAGES, "small", ("messages", 0, "content"), [1], "messages[0].content[0]"),
    (MESSAGES, "small", ("messages", 0, "content"), 1.5, "messages[0].content"),
    (MESSAGES, "small", ("messages", 0, "content", 1, "source"), "s", "messages[0].content[1].source"),
    (MESSAGES, "small", ("messages", 1, "content"), [None], "messages[1].content[0]"),
    (MESSAGES, "small", ("messages", 1, "content"), True, "messages[1].content"),
    (MESSAGES, "small", ("messages", 1, "content", 0, "text"), [], "messages[1].content[0].text"),
    (MESSAGES, "small", ("messages", 2, "content", 0, "content"), [1], "messages[2].content[0].content[0]"),
    (MESSAGES, "small", ("system", 0, "text"), 0, "system[0].text"),
    (MESSAGES, "small", ("system",), -1, "system"),
    (MESSAGES, "small", ("messages",), 6, "messages"),
    (MESSAGES, "small", ("tools",), -1, "tools"),
    (MESSAGES, "small", ("output_config",), True, "output_config"),
    # surfaces/responses/parse.py
    (RESPONSES, "small", ("input", 0, "content"), [1], "input[0].content[0]"),
    (RESPONSES, "small", ("input", 0, "content"), -1, "input[0].content"),
    (RESPONSES, "small", ("input", 0, "role"), [], "input[0].role"),
    (RESPONSES, "small", ("input", 2, "output"), [1], "input[2].output[0]"),
    (RESPONSES, "small", ("input", 2, "output"), {"a": 1}, "input[2].output"),
    (RESPONSES, "small", ("text",), "s", "text"),
    (RESPONSES, "small", ("text", "format"), [1], "text.format"),
    (RESPONSES, "small", ("tools",), True, "tools"),
]


@pytest.mark.parametrize(
    ("surface", "model", "path", "value", "where"),
    CRASH_SITES,
    ids=[f"{s.rsplit('/', 1)[1]}-{m}-{w}" for s, m, _, _, w in CRASH_SITES],
)
def test_a_value_of_the_wrong_type_is_a_400_naming_it(
    gw: Gateway, surface: str, model: str, path: tuple[Any, ...], value: Any, where: str
) -> None:
    body = body_for(surface, model)
    assert post(gw, surface, body).status_code == 200, "the unbroken body is answered"
    response = post(gw, surface, replaced(body, path, value))
    assert_names(response, surface, where)
    row = gw.row(response.headers["x-pointsman-request-id"])
    assert (row["status"], row["error_type"]) == (400, "invalid_request_error")


SURFACES = ("/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/embeddings")


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("depth", [300, 1000])
def test_a_deeply_nested_field_is_a_400_naming_the_limit(gw: Gateway, surface: str, depth: int) -> None:
    """orjson reads 1024 levels but writes only 254: a forwarded field nested in between was a 500."""
    content = with_deep({**body_for(surface, "small"), "x": DEEP}, depth)
    response = httpx.post(f"{gw.url}{surface}", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert f"deeper than {MAX_DEPTH} levels" in error["message"]
    if surface == "/v1/messages":
        assert response.json()["type"] == "error"


def test_the_depth_limit_is_exact_for_small_and_large_bodies(gw: Gateway) -> None:
    """128 levels in all (the body itself is the first) are served; 129 are refused, whether the
    body is small (checked by a walk) or large (checked inside orjson)."""
    for filler in ("", "x" * 40_000):
        base = {"model": "small", "messages": user("say: deep"), "filler": filler}
        fits = post(gw, "/v1/chat/completions", {**base, "x": nested(MAX_DEPTH - 1)})
        assert fits.status_code == 200, fits.text
        refused = post(gw, "/v1/chat/completions", {**base, "x": nested(MAX_DEPTH)})
        assert refused.status_code == 400 and "128" in refused.json()["error"]["message"]


def test_deep_metadata_is_refused_before_it_becomes_tags(gw: Gateway) -> None:
    """`metadata` values are written into the ledger's tags: 1,000 levels made str() recurse out."""
    content = with_deep({"model": "small", "messages": user("hi"), "metadata": {"k": DEEP}}, 1000)
    response = httpx.post(
        f"{gw.url}/v1/chat/completions", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and "deeper than" in response.json()["error"]["message"]
    assert gw.row(response.headers["x-pointsman-request-id"])["status"] == 400


class BrokenTransport:
    """An upstream client with a bug: every call raises something no provider error is."""

    async def send(self, *args: Any, **kw: Any) -> Any:
        raise RuntimeError("a bug in the transport")

    async def open_stream(self, *args: Any, **kw: Any) -> Any:
        raise RuntimeError("a bug in the transport")

    async def close(self) -> None:
        pass


@pytest.mark.parametrize("stream", [False, True])
def test_an_internal_error_on_messages_is_anthropic_shaped(make_gateway: Any, stream: bool) -> None:
    broken = make_gateway(transport=BrokenTransport())
    body = {"model": "small", "max_tokens": 5, "messages": user("hi"), "stream": stream}
    response = post(broken, "/v1/messages", body)
    assert response.status_code == 500
    error = response.json()
    assert error["type"] == "error" and error["error"]["type"] == "api_error", error
    assert "internal error in the gateway" in error["error"]["message"]
    # the OpenAI surfaces keep OpenAI's shape
    chat = post(broken, "/v1/chat/completions", {"model": "small", "messages": user("hi")})
    assert chat.status_code == 500 and set(chat.json()["error"]) == {"message", "type", "param", "code"}


def spend(gw: Gateway, query: str) -> httpx.Response:
    return httpx.get(
        f"{gw.url}/admin/spend?{query}", headers={"authorization": f"Bearer {ADMIN_KEY}"}, timeout=10
    )


@pytest.mark.parametrize("days", ["²", "٣", "nan", "-1", "0", "1e309", "inf", "-inf", "junk", "1,5", "0x10"])
def test_admin_spend_refuses_a_days_that_is_no_positive_number(gw: Gateway, days: str) -> None:
    response = spend(gw, f"days={days}")
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == "days" and "'days'" in error["message"]


@pytest.mark.parametrize("days", ["1", "0.5", "7", "1e300", ""])
def test_admin_spend_reads_a_positive_days_or_all_time(gw: Gateway, days: str) -> None:
    post(gw, "/v1/chat/completions", {"model": "small", "messages": user("say: counted")})
    response = spend(gw, f"days={days}&by=model")
    assert response.status_code == 200, response.text
    assert any(line["group"] == "small" for line in response.json()["data"])
