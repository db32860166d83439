"""Fuzzers kept as tests: whatever a client sends, the gateway answers 2xx or 4xx in the surface's
own error shape (a 5xx only when it is a provider's, passed on), and every ledgered request has
exactly one ledger row.

The type-confusion mutator puts each wrong-typed value in place of each JSON path of a rich body
on every surface, for a target of each wire; Hypothesis puts random JSON into endpoint-shaped
bodies and sends them in odd encodings. Most calls go straight into the ASGI app (the code path
uvicorn drives, without the socket's cost); one run goes over a real socket.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx2 as httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PROVIDER_KEY, Gateway
from fuzzing import (
    ADMIN_KEY,
    WRONG,
    Answer,
    asgi_call,
    body_for,
    check_error_shape,
    encode,
    is_upstream_5xx,
    nested_json,
    paths,
    replaced,
    show,
    three_wire_gateway,
)
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.serving import BackgroundServers

KEY = "pm-fuzz-client-key"
SURFACES = ("/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/completions", "/v1/embeddings")
STREAM_END = {
    "/v1/chat/completions": (b"data: [DONE]",),
    "/v1/messages": (b"event: message_stop",),
    "/v1/responses": (b"event: response.completed", b"event: response.incomplete"),
    "/v1/completions": (b"data: [DONE]",),
}


@pytest.fixture(scope="module")
def gw(make_gateway: Any, servers: BackgroundServers, fake: FakeOpenAI) -> Iterator[Gateway]:
    yield three_wire_gateway(make_gateway, servers, fake.url, PROVIDER_KEY, KEY)


def problem(surface: str, answer: Answer) -> str | None:
    """What is wrong with an answer, or None."""
    if "x-pointsman-request-id" not in answer.headers:
        return "no request id"
    if not answer.complete:
        return "the response never ended"
    if answer.status >= 300:
        try:
            body = orjson.loads(answer.body)
            if answer.status >= 500 and not is_upstream_5xx(answer.status, body):
                return "a 5xx of the gateway's own"
            check_error_shape(surface, answer.status, body)
        except (AssertionError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
            return f"not the surface's error shape: {exc!r}"
    elif answer.headers.get("content-type", "").startswith("text/event-stream"):
        if not any(end in answer.body for end in STREAM_END[surface]):
            return "a stream that did not finish"
    else:
        orjson.loads(answer.body)
    return None


def _call(gw: Gateway, surface: str, body: bytes, headers: dict[str, str] | None = None) -> Answer:
    auth = {"authorization": f"Bearer {KEY}", **(headers or {})}
    return gw.servers.run(asgi_call(gw.app, "POST", surface, body, auth))


def _mutants(surface: str, model: str) -> Iterator[tuple[str, Any, bytes]]:
    for stream in (False, True) if surface != "/v1/embeddings" else (False,):
        body = body_for(surface, model, stream=stream)
        for path in paths(body):
            for value in WRONG:
                yield f"stream={stream} {show(path)}", value, encode(replaced(body, path, value))


TARGETS = [(s, m) for s in SURFACES[:4] for m in ("small", "claude", "gem")] + [("/v1/embeddings", "embed")]


@pytest.mark.parametrize(("surface", "model"), TARGETS, ids=[f"{s[4:]}->{m}" for s, m in TARGETS])
def test_type_confusion_never_gets_a_5xx(gw: Gateway, surface: str, model: str) -> None:
    for stream in (False, True) if surface != "/v1/embeddings" else (False,):
        answer = _call(gw, surface, orjson.dumps(body_for(surface, model, stream=stream)))
        assert answer.status == 200 and problem(surface, answer) is None, answer.body[:300]
    before = len(gw.rows())
    statuses: Counter[int] = Counter()
    failures: list[str] = []

    async def run_all() -> None:
        for where, value, content in _mutants(surface, model):
            headers = {"authorization": f"Bearer {KEY}"}
            answer = await asgi_call(gw.app, "POST", surface, content, headers)
            statuses[answer.status] += 1
            trouble = problem(surface, answer)
            if answer.status == 404 and not where.endswith(".model"):
                trouble = "a 404 though the model was not touched"
            if trouble is not None:
                shown = f"{where} = {json.dumps(value)[:40]}: {answer.status} {trouble}"
                failures.append(f"{shown} {answer.body[:160]!r}")

    gw.servers.run(run_all(), timeout=120)
    assert not failures, f"{len(failures)} of {statuses.total()} failed:\n" + "\n".join(failures[:30])
    assert set(statuses) <= {200, 400, 404, 502}, statuses
    assert statuses[400] > statuses.total() / 4, "the gateway itself refuses a good share of wrong types"
    rows = gw.rows()[before:]
    assert len(rows) == statuses.total(), "one ledger row a request"
    assert Counter(r["status"] for r in rows) == statuses


def test_type_confusion_over_a_real_socket(gw: Gateway) -> None:
    """The same for the chat surface through uvicorn's own HTTP handling (a sample of values)."""
    body = body_for("/v1/chat/completions", "claude")
    before = len(gw.rows())
    sent = 0
    with httpx.Client(base_url=gw.url, headers={"authorization": f"Bearer {KEY}"}, timeout=10) as client:
        for path in paths(body):
            for value in (None, [1], {"a": 1}, "s"):
                response = client.post("/v1/chat/completions", content=encode(replaced(body, path, value)))
                sent += 1
                answer = Answer(response.status_code, dict(response.headers), response.content, True)
                assert problem("/v1/chat/completions", answer) is None, (show(path), value, response.text)
    assert len(gw.rows()) - before == sent


# --- Hypothesis: random JSON in endpoint-shaped bodies, odd encodings, odd requests ---------------

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def shaped_bodies(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A surface's rich body with a few of its values (or new keys) replaced by random JSON."""
    surface = draw(st.sampled_from(SURFACES))
    model = "embed" if surface == "/v1/embeddings" else draw(st.sampled_from(["small", "claude", "gem"]))
    body = body_for(surface, model, stream=draw(st.booleans()))
    every = list(paths(body))[1:]
    for path in draw(st.lists(st.sampled_from(every), max_size=3)):
        try:
            body = replaced(body, path, draw(json_values))
        except (KeyError, IndexError, TypeError):
            pass  # an earlier replacement took that path away
    if draw(st.booleans()):
        body[draw(st.text(max_size=10))] = draw(json_values)
    return surface, body


def _odd(body: dict[str, Any], how: str, draw: st.DrawFn) -> bytes:
    plain = encode(body)
    cut = draw(st.integers(0, max(len(plain) - 1, 0)))
    return {
        "orjson": plain,
        "stdlib": json.dumps(body, ensure_ascii=draw(st.booleans())).encode(),
        "truncated": plain[:cut],
        "bom": b"\xef\xbb\xbf" + plain,
        "nul": plain[:cut] + b"\x00" + plain[cut:],
        "invalid utf-8": plain[:cut] + b"\xff\xfe" + plain[cut:],
        "utf-16": json.dumps(body).encode("utf-16"),
        "trailing junk": plain + b" }{",
        "duplicate key": plain[:-1] + b',"model":' + encode(draw(json_values)) + b"}",
        "lone surrogate": plain[:-1] + b',"s":"\\ud800"}',
        "nan": plain[:-1] + b',"temperature":NaN}',
        "huge number": plain[:-1] + b',"n":1' + b"0" * 400 + b"}",
        "deep": plain[:-1] + b',"x":' + nested_json(draw(st.integers(100, 2000))) + b"}",
        "top level": encode(draw(json_values)),
        "empty": b"",
        "random bytes": draw(st.binary(max_size=64)),
    }[how]


ENCODINGS = [
    "orjson",
    "orjson",
    "orjson",
    "stdlib",
    "truncated",
    "bom",
    "nul",
    "invalid utf-8",
    "utf-16",
    "trailing junk",
    "duplicate key",
    "lone surrogate",
    "nan",
    "huge number",
    "deep",
    "top level",
    "empty",
    "random bytes",
]
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
AUTH = [f"Bearer {KEY}", KEY, "Bearer wrong", "", "Basic abc", f"bearer {KEY}"]


@st.composite
def posts(draw: st.DrawFn) -> tuple[str, bytes, dict[str, str]]:
    surface, body = draw(shaped_bodies())
    content = _odd(body, draw(st.sampled_from(ENCODINGS)), draw)
    headers = {"authorization": draw(st.sampled_from(AUTH))}
    for name in draw(st.lists(st.sampled_from(["tags", "task", "explain"]), max_size=3)):
        headers[f"x-pointsman-{name}"] = draw(header_text)
    return surface, content, headers


@st.composite
def gets(draw: st.DrawFn) -> tuple[str, bytes, dict[str, str]]:
    path = draw(st.sampled_from(["/v1/models", "/v1/models/", "/healthz", "/readyz", "/admin/spend"]))
    if path == "/v1/models/":
        path += draw(st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=20))
    # a query as clients send it: any text, percent-encoded ("²" arrives as %C2%B2)
    digits = st.text(st.characters(categories=("Nd", "No")), min_size=1, max_size=3)  # "²", "٣"
    value = st.text(max_size=8) | digits | st.sampled_from(["1", "0.5", "7"])
    pair = st.tuples(st.sampled_from(["days", "by", "x"]), value)
    query = draw(st.lists(pair.map(lambda kv: f"{kv[0]}={quote(kv[1])}"), max_size=3))
    auth = draw(st.sampled_from([*AUTH, f"Bearer {ADMIN_KEY}", f"Bearer {ADMIN_KEY}"]))
    return path, "&".join(query).encode(), {"authorization": auth}


LEDGERED_KEYS = {f"Bearer {KEY}", KEY, f"bearer {KEY}"}


def test_random_json_in_odd_encodings_never_gets_a_5xx(gw: Gateway) -> None:
    before = len(gw.rows())
    ledgered = 0

    @settings(
        max_examples=400,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=posts())
    def post_one(request: tuple[str, bytes, dict[str, str]]) -> None:
        nonlocal ledgered
        surface, content, headers = request
        answer = gw.servers.run(asgi_call(gw.app, "POST", surface, content, headers))
        assert problem(surface, answer) is None, (answer.status, answer.body[:300])
        ledgered += headers["authorization"] in LEDGERED_KEYS
        if headers["authorization"] not in LEDGERED_KEYS:
            assert answer.status == 401

    post_one()
    assert len(gw.rows()) - before == ledgered


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=gets())
def test_random_get_requests_never_get_a_5xx(gw: Gateway, request: tuple[str, bytes, dict[str, str]]) -> None:
    path, query, headers = request
    answer = gw.servers.run(asgi_call(gw.app, "GET", path, b"", headers, query=query))
    assert answer.status < 500, (path, query, answer.body[:300])
    assert problem("/v1/models", answer) is None, (path, query, answer.body[:300])
