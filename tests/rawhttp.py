"""HTTP/1.1 over a plain socket, for what an HTTP client library will not do: go silent, trickle
headers, stall a body, hold connections open."""

from __future__ import annotations

import select
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

WAIT = 15.0
"""Generous: a busy machine may take a while; a test waits for an event, never for a duration."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=WAIT)
    sock.settimeout(WAIT)
    return sock


def request_bytes(path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: gateway", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def closed_by_peer(sock: socket.socket, limit: float = WAIT) -> bytes:
    """Everything the server sends until it closes the connection; fails if it does not close."""
    data = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        except TimeoutError:
            break
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"the server kept the connection open; it sent {data[:200]!r}")


def readable(sock: socket.socket, limit: float = 0.0) -> bool:
    return bool(select.select([sock], [], [], limit)[0])


def trickle(sock: socket.socket, pieces: list[bytes], every: float = 0.05) -> bytes:
    """Send `pieces` one at a time until the server answers or hangs up; then what it sent."""
    for piece in pieces:
        if readable(sock, every):
            break
        try:
            sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            break
    return closed_by_peer(sock)


def parse(data: bytes) -> Response:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(status, headers, body)


def exchange(url: str, raw: bytes) -> Response:
    """One request on its own connection, read as the server sends it (content-length framed)."""
    with connect(url) as sock:
        sock.sendall(raw)
        return read_response(sock)


def read_response(sock: socket.socket) -> Response:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed mid-response: {data!r}")
        data += chunk
    response = parse(data)
    length = int(response.headers.get("content-length", "0"))
    while len(response.body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        response.body += chunk
    return response
