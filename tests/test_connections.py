"""Connections that never finish a request are not held forever, headers are bounded, and there is a
cap on connections: raw sockets against the gateway on loopback."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx2 as httpx
import pytest

from conftest import Gateway, user
from rawhttp import closed_by_peer, connect, parse, read_response, request_bytes, trickle

TIMEOUTS = """
server:
  header_timeout: 0.5
  body_timeout: 0.5
  max_header_bytes: 4096
  max_headers: 20
"""

CHAT = "/v1/chat/completions"
BODY = b'{"model": "small", "messages": [{"role": "user", "content": "say: hi"}]}'


@pytest.fixture(scope="module")
def strict(make_gateway: Callable[..., Gateway]) -> Gateway:
    return make_gateway(TIMEOUTS)


def still_serves(gateway: Gateway) -> None:
    answer = gateway.client().chat.completions.create(model="small", messages=user("say: fine"))
    assert answer.choices[0].message.content == "fine"


def openai_error(data: bytes, status: int) -> dict[str, Any]:
    response = parse(data)
    assert response.status == status, data[:300]
    assert response.headers["content-type"] == "application/json"
    assert response.headers.get("connection") == "close"
    error: dict[str, Any] = response.json()["error"]
    assert error["message"] and error["type"]
    return error


def test_a_silent_connection_is_closed_after_the_header_timeout(strict: Gateway) -> None:
    with connect(strict.url) as sock:
        assert closed_by_peer(sock) == b"", "nothing was asked, so nothing is answered"
    still_serves(strict)


def test_headers_trickled_slowly_get_a_408_and_the_connection_closes(strict: Gateway) -> None:
    with connect(strict.url) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n")
        data = trickle(sock, [f"X-Slow-{i}: y\r\n".encode() for i in range(19)], every=0.2)
    error = openai_error(data, 408)
    assert "headers" in error["message"]
    still_serves(strict)


def test_a_connection_idle_after_its_answer_is_closed_once_the_next_headers_stall(strict: Gateway) -> None:
    with connect(strict.url) as sock:
        sock.sendall(request_bytes(CHAT, BODY, {"Content-Type": "application/json"}))
        assert read_response(sock).status == 200
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\n")  # ...and never more
        assert parse(closed_by_peer(sock)).status == 408


@pytest.mark.parametrize(("path", "anthropic"), [(CHAT, False), ("/v1/messages", True)])
def test_a_stalled_body_gets_a_408_in_the_surface_shape_and_a_ledger_row(
    strict: Gateway, path: str, anthropic: bool
) -> None:
    head = f"POST {path} HTTP/1.1\r\nHost: gateway\r\nContent-Length: 1000\r\n\r\n".encode()
    with connect(strict.url) as sock:
        sock.sendall(head + b'{"model": "small", ')
        data = closed_by_peer(sock)
    response = parse(data)
    assert response.status == 408 and response.headers.get("connection") == "close"
    body = response.json()
    if anthropic:
        assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    else:
        assert body["error"]["type"] == "invalid_request_error" and body["error"]["code"] == "request_timeout"
    row = strict.row(response.headers["x-pointsman-request-id"])
    assert row["status"] == 408


def test_a_body_trickled_byte_by_byte_is_cut_at_the_body_timeout(strict: Gateway) -> None:
    head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Length: 10000\r\n\r\n"
    with connect(strict.url) as sock:
        sock.sendall(head)
        data = trickle(sock, [b" "] * 400, every=0.02)  # a byte well within any idle limit
    assert parse(data).status == 408


def test_headers_too_large_or_too_many_get_a_431(strict: Gateway) -> None:
    big = request_bytes(CHAT, BODY, {"X-Big": "a" * 5000})
    error = openai_error(exchange_closing(strict, big), 431)
    assert "4096" in error["message"]
    many = request_bytes(CHAT, BODY, {f"X-H{i}": "v" for i in range(25)})
    assert "20" in openai_error(exchange_closing(strict, many), 431)["message"]
    anthropic = parse(exchange_closing(strict, request_bytes("/v1/messages", BODY, {"X-Big": "a" * 5000})))
    assert anthropic.status == 431 and anthropic.json()["type"] == "error"
    still_serves(strict)


def test_a_large_body_sent_with_its_headers_is_not_taken_for_a_large_head(strict: Gateway) -> None:
    long = b'{"model": "small", "messages": [{"role": "user", "content": "say: ' + b"a" * 200_000 + b'"}]}'
    with connect(strict.url) as sock:
        sock.sendall(request_bytes(CHAT, long, {"Content-Type": "application/json"}))  # one write
        assert read_response(sock).status == 200


def exchange_closing(gateway: Gateway, raw: bytes) -> bytes:
    with connect(gateway.url) as sock:
        sock.sendall(raw)
        return closed_by_peer(sock)


def test_an_endless_header_is_refused_before_it_ends(strict: Gateway) -> None:
    with connect(strict.url) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nX-Endless: ")
        data = trickle(sock, [b"a" * 16384] * 64, every=0.01)  # 1 MiB, and never a line end
    assert parse(data).status == 431


def test_malformed_http_gets_a_json_400(strict: Gateway) -> None:
    error = openai_error(exchange_closing(strict, b"BLAH /v1 HTTP/9\r\n\r\n"), 400)
    assert "HTTP" in error["message"]


# ---- the connection cap

CAPPED = """
server:
  max_connections: 3
  header_timeout: 30
  keepalive_timeout: 60
"""


@pytest.fixture
def capped(make_gateway: Callable[..., Gateway]) -> Gateway:
    return make_gateway(CAPPED)


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()


def test_beyond_the_cap_a_new_connection_is_refused_until_others_go(
    capped: Gateway, sockets: list[socket.socket]
) -> None:
    for _ in range(3):  # three connections in the middle of their headers: busy, not idle
        sock = connect(capped.url)
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n")
        sockets.append(sock)
    with connect(capped.url) as extra:
        extra.sendall(request_bytes(CHAT, BODY, {"Content-Type": "application/json"}))
        data = closed_by_peer(extra)
    refused = parse(data)  # it lingers after answering, so the answer is not lost to a reset
    assert refused.status == 503 and refused.headers["retry-after"] == "1"
    assert refused.json()["error"]["code"] == "too_many_connections"
    for sock in sockets:
        sock.close()
    still_serves(capped)


def test_at_the_cap_the_oldest_idle_connection_makes_room(
    capped: Gateway, sockets: list[socket.socket]
) -> None:
    for _ in range(3):  # three keep-alive connections, idle after one answer each
        sock = connect(capped.url)
        sock.sendall(request_bytes(CHAT, BODY, {"Content-Type": "application/json"}))
        assert read_response(sock).status == 200
        sockets.append(sock)
    answer = httpx.post(f"{capped.url}{CHAT}", content=BODY, headers={"content-type": "application/json"})
    assert answer.status_code == 200
    again = request_bytes(CHAT, BODY, {"Content-Type": "application/json"})
    sockets[0].sendall(again)
    assert closed_by_peer(sockets[0]) == b"", "the oldest idle connection was closed to make room"
    sockets[1].sendall(again)
    assert read_response(sockets[1]).status == 200, "a younger one still serves"
