"""Reaching a provider through an HTTP proxy.

- An https:// provider: a CONNECT tunnel through the proxy, then TLS inside it with the provider
  (the certificate is checked against the provider's name, never the proxy's): the proxy sees only
  the provider's host and port.
- An http:// provider: the request goes to the proxy with its absolute URL (`POST http://host/path`).
  Proxies accept that from every client, where many refuse CONNECT to any port but 443 (squid's
  default `http_access deny CONNECT !SSL_ports`).

Credentials in the proxy URL become `Proxy-Authorization: Basic`, sent only to the proxy.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from pointsman.redact import safe_url

HEAD_LIMIT = 16 * 1024
"""Bytes of a CONNECT answer's head read at most (a proxy's error page may follow it; it is not read)."""

P = TypeVar("P", bound=asyncio.Protocol)


class ProxyFailed(OSError):
    """The proxy could not be reached, or it refused to tunnel; the message names it (redacted)."""


@dataclass(frozen=True, slots=True)
class Proxy:
    host: str
    port: int
    authorization: str
    """`Basic ...` for Proxy-Authorization, or ""."""
    shown: str
    """The proxy's URL fit for a message: no password."""


def proxy_authorization(url: str) -> str:
    """`Basic <base64 user:password>` for a proxy URL with credentials, "" without."""
    parts = urlsplit(url)
    if parts.username is None:
        return ""
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


def parse_proxy(url: str) -> Proxy:
    parts = urlsplit(url)
    shown = safe_url(f"{parts.scheme}://{parts.netloc}")
    return Proxy(parts.hostname or "", parts.port or 80, proxy_authorization(url), shown)


class _ConnectAnswer(asyncio.Protocol):
    """Reads the proxy's answer to CONNECT: its head, up to the blank line."""

    def __init__(self, loop: asyncio.AbstractEventLoop, proxy: Proxy) -> None:
        self.head: asyncio.Future[bytes] = loop.create_future()
        self._proxy = proxy
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if self.head.done():
            return
        if end >= 0:
            self.head.set_result(bytes(self._buffer[:end]))
        elif len(self._buffer) > HEAD_LIMIT:
            self.head.set_exception(ProxyFailed(f"proxy {self._proxy.shown} sent an answer that is not HTTP"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.head.done():
            self.head.set_exception(ProxyFailed(f"proxy {self._proxy.shown} closed the connection"))


def connect_request(proxy: Proxy, host: str, port: int) -> bytes:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {where} HTTP/1.1", f"host: {where}"]
    if proxy.authorization:
        lines.append(f"proxy-authorization: {proxy.authorization}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def refusal(proxy: Proxy, host: str, port: int, head: bytes) -> ProxyFailed | None:
    """None when the proxy opened the tunnel; otherwise the error naming the proxy and its status."""
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return ProxyFailed(f"proxy {proxy.shown} sent an answer that is not HTTP")
    status = int(parts[1])
    if 200 <= status < 300:
        return None
    reason = parts[2].strip()[:100] if len(parts) > 2 else ""
    hint = ""
    if status == 407:
        hint = (
            " (give user:password in the proxy URL)" if not proxy.authorization else " (wrong credentials?)"
        )
    return ProxyFailed(
        f"proxy {proxy.shown} refused to open a tunnel to {host}:{port}: {status} {reason}".rstrip() + hint
    )


async def open_through(
    proxy: Proxy, host: str, port: int, tls: ssl.SSLContext | None, protocol: Callable[[], P]
) -> P:
    """A connection to `host:port` through `proxy`, with `protocol` on it: a CONNECT tunnel and TLS
    inside it when `tls` is given, else a plain connection to the proxy itself."""
    loop = asyncio.get_running_loop()
    if tls is None:
        try:
            _, conn = await loop.create_connection(protocol, proxy.host, proxy.port)
        except OSError as exc:
            raise ProxyFailed(_unreachable(proxy, exc)) from None
        return conn
    try:
        transport, answer = await loop.create_connection(
            lambda: _ConnectAnswer(loop, proxy), proxy.host, proxy.port
        )
    except OSError as exc:
        raise ProxyFailed(_unreachable(proxy, exc)) from None
    try:
        transport.write(connect_request(proxy, host, port))
        refused = refusal(proxy, host, port, await answer.head)
        if refused is not None:
            raise refused
        conn = protocol()
        try:
            tunnelled = await loop.start_tls(transport, conn, tls, server_hostname=host)
        except (ssl.SSLError, OSError) as exc:
            why = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or exc.strerror
            raise ProxyFailed(f"TLS with {host} through proxy {proxy.shown} failed: {why or exc}") from None
        assert tunnelled is not None
        conn.connection_made(tunnelled)  # start_tls hands over a live connection without saying so
        return conn
    except BaseException:
        transport.abort()
        raise


def _unreachable(proxy: Proxy, exc: OSError) -> str:
    return f"proxy {proxy.shown} unreachable: {exc.strerror or type(exc).__name__}"
