"""A lean HTTP/1.1 client for provider calls: pooled keep-alive connections, httptools parsing.

Why not aiohttp's client: its per-request machinery (tracing, cookies, redirects, auto headers)
was about 30% of the gateway's CPU per request in a profile. A provider call is always the same
shape (POST, JSON body, a known set of headers), so the request head is built once per target and
the response is parsed by httptools straight into the structures the gateway reads.

HTTP proxies are supported (upstream/proxy.py); a connection is pooled per (proxy, provider).
Deliberately absent: redirects, cookies, HTTP/2. A request is never retried here; the engine
decides about retries.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from collections import deque
from collections.abc import Mapping
from typing import Any, cast

import httptools

from pointsman.upstream.proxy import ProxyFailed, open_through
from pointsman.upstream.target import Key, Target, make_target


class ConnectFailed(OSError):
    """The TCP or TLS connection could not be made (to the provider, or through its proxy)."""


class ConnectionLost(OSError):
    """The connection closed before the response was complete."""

    def __init__(self, message: str, *, got_headers: bool) -> None:
        super().__init__(message)
        self.got_headers = got_headers


class BadResponse(OSError):
    """The bytes that came back are not HTTP/1.1."""


class ReadTimeout(TimeoutError):
    """No byte arrived within the read timeout."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection carrying one exchange at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = 0.0
        self._reset_exchange()

    def _reset_exchange(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self._header_name = b""
        self.headers_done: asyncio.Future[None] = self._loop.create_future()
        self.chunks: deque[bytes] = deque()
        self.complete = False
        self.keep_alive = True
        self.error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._inflate: Any = None

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio subclasses

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(BadResponse(str(exc)))

    def eof_received(self) -> bool:
        self._lost(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost(exc)

    def _lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.complete or self.error is not None:
            return
        if self.headers_done.done() and "content-length" not in self.headers and not self._chunked():
            self.on_message_complete()  # a body delimited by the connection's end
            return
        what = f"connection {'reset' if exc else 'closed'} by the provider"
        self._fail(ConnectionLost(what, got_headers=self.headers_done.done()))

    def _chunked(self) -> bool:
        return "chunked" in self.headers.get("transfer-encoding", "").lower()

    def _fail(self, exc: BaseException) -> None:
        self.error = exc
        self.keep_alive = False
        if not self.headers_done.done():
            self.headers_done.set_exception(exc)
            self.headers_done.exception()  # retrieved: a caller that timed out already will not ask
        self._wake()
        if self.transport is not None:
            self.transport.abort()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # httptools callbacks
    def on_status(self, status: bytes) -> None:
        self.status = self._parser.get_status_code()

    def on_header(self, name: bytes, value: bytes) -> None:
        if name:
            self._header_name = name.lower()
            self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        else:  # a value continued across reads
            key = self._header_name.decode("latin-1")
            self.headers[key] += value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.keep_alive = self._parser.should_keep_alive()
        encoding = self.headers.get("content-encoding", "").lower()
        if encoding in ("gzip", "deflate"):
            self._inflate = zlib.decompressobj(47)  # gzip or zlib header, detected
        if not self.headers_done.done():
            self.headers_done.set_result(None)

    def on_body(self, body: bytes) -> None:
        if self._inflate is not None:
            body = self._inflate.decompress(body)
        if body:
            self.chunks.append(bytes(body))
            self._wake()

    def on_message_complete(self) -> None:
        self.complete = True
        self._wake()

    # used by the client
    async def wait_data(self, silence: float) -> None:
        """Until a body chunk, the end, or an error; ReadTimeout after `silence` seconds without."""
        waiter = self._waiter = self._loop.create_future()
        timer = self._loop.call_later(silence, _expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def prepare(self) -> None:
        self._reset_exchange()

    def time(self) -> float:
        return self._loop.time()


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(ReadTimeout())


async def _until(future: asyncio.Future[None], limit: float, loop: asyncio.AbstractEventLoop) -> None:
    """Await `future` for at most `limit` seconds; ReadTimeout otherwise. Cheaper than wait_for."""
    if future.done():
        return future.result()
    waiter = loop.create_future()

    def relay(_: asyncio.Future[None]) -> None:
        if not waiter.done():
            waiter.set_result(None)

    future.add_done_callback(relay)
    timer = loop.call_later(limit, _expire, waiter)
    try:
        await waiter
    finally:
        timer.cancel()
        future.remove_done_callback(relay)
    return future.result()


class Exchange:
    """One request's response as it arrives: status and headers first, then the body."""

    def __init__(self, pool: Pool, key: Key, conn: _Connection, read_timeout: float) -> None:
        self._pool = pool
        self._key = key
        self._conn = conn
        self.read_timeout = read_timeout
        self.deadline: float | None = None
        """Loop time by which the whole body must have come (ReadTimeout after), if any."""
        self.status = conn.status
        self.headers: Mapping[str, str] = conn.headers
        self._released = False

    async def chunk(self) -> bytes:
        """The next piece of the body; b"" at its end. Raises ConnectionLost or ReadTimeout."""
        conn = self._conn
        while True:
            if conn.chunks:
                return conn.chunks.popleft()
            if conn.error is not None:
                raise conn.error
            if conn.complete:
                self.release()
                return b""
            silence = self.read_timeout
            if self.deadline is not None:
                silence = min(silence, self.deadline - conn.time())
                if silence <= 0:
                    raise ReadTimeout()
            await conn.wait_data(silence)

    async def read(self) -> bytes:
        parts = []
        while chunk := await self.chunk():
            parts.append(chunk)
        return b"".join(parts)

    def release(self, *, drain: bool = True) -> None:
        """Back to the pool if the exchange ended cleanly; otherwise the connection is closed.

        A stream is often left right after its last event, a moment before the body's final
        chunk arrives: such a connection is drained briefly in the background and then reused."""
        if self._released:
            return
        self._released = True
        conn = self._conn
        if conn.complete and conn.keep_alive and not conn.closed and conn.error is None:
            self._pool.put(self._key, conn)
        elif drain and conn.error is None and not conn.closed and conn.keep_alive:
            self._pool.drain(self._key, conn)
        elif conn.transport is not None:
            conn.transport.abort()


class Pool:
    """Idle keep-alive connections per (host, port, tls, proxy); connections idle too long are dropped."""

    def __init__(self, *, keepalive: float = 4.0) -> None:
        self._idle: dict[Key, list[_Connection]] = {}
        self._keepalive = keepalive
        self._tls: dict[str, ssl.SSLContext] = {}
        self._targets: dict[tuple[str, tuple[tuple[str, str], ...], str, str], Target] = {}
        self._draining: set[asyncio.Task[None]] = set()

    def target(self, url: str, headers: Mapping[str, str], ca_file: str = "", proxy: str = "") -> Target:
        key = (url, tuple(headers.items()), ca_file, proxy)
        target = self._targets.get(key)
        if target is None:
            target = self._targets[key] = make_target(url, headers, ca_file, proxy)
            if len(self._targets) > 1024:  # bounded: header sets come from config, so this is a guard
                self._targets.pop(next(iter(self._targets)))
        return target

    def drain(self, key: Key, conn: _Connection, limit: float = 0.5) -> None:
        task = asyncio.get_running_loop().create_task(self._drain(key, conn, limit))
        self._draining.add(task)
        task.add_done_callback(self._draining.discard)

    async def _drain(self, key: Key, conn: _Connection, limit: float) -> None:
        deadline = asyncio.get_running_loop().time() + limit  # in all: a long answer is not read out
        try:
            while not conn.complete and conn.error is None:
                conn.chunks.clear()
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                await conn.wait_data(left)
        except ReadTimeout:
            pass
        if conn.complete and conn.keep_alive and not conn.closed and conn.error is None:
            self.put(key, conn)
        elif conn.transport is not None:
            conn.transport.abort()

    def put(self, key: Key, conn: _Connection) -> None:
        conn.idle_since = time.monotonic()
        self._idle.setdefault(key, []).append(conn)

    def _take(self, key: Key) -> _Connection | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            usable = not conn.closed and conn.transport is not None and not conn.transport.is_closing()
            if usable and now - conn.idle_since < self._keepalive:
                return conn
            if conn.transport is not None:
                conn.transport.abort()
        return None

    async def _connect(self, target: Target, limit: float) -> _Connection:
        loop = asyncio.get_running_loop()
        tls: ssl.SSLContext | None = None
        if target.tls:
            tls = self._tls.get(target.ca_file)
            if tls is None:
                tls = self._tls[target.ca_file] = ssl.create_default_context(cafile=target.ca_file or None)
        proxy = target.proxy
        try:
            async with asyncio.timeout(limit):
                if proxy is not None:
                    return await open_through(proxy, target.host, target.port, tls, lambda: _Connection(loop))
                _, conn = await loop.create_connection(
                    lambda: _Connection(loop),
                    target.host,
                    target.port,
                    ssl=tls,
                    server_hostname=target.host if tls else None,
                )
        except TimeoutError:
            via = f" through proxy {proxy.shown}" if proxy is not None else ""
            raise ConnectFailed(f"connection timed out{via}") from None
        except ProxyFailed as exc:
            raise ConnectFailed(str(exc)) from None
        except OSError as exc:
            raise ConnectFailed(exc.strerror or type(exc).__name__) from None
        return conn

    async def request(
        self,
        url: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        connect_timeout: float,
        read_timeout: float,
        ca_file: str = "",
        proxy: str = "",
    ) -> Exchange:
        """Send a POST and wait for the response's status and headers."""
        target = self.target(url, headers, ca_file, proxy)
        key = target.key
        conn = self._take(key) or await self._connect(target, connect_timeout)
        conn.prepare()
        assert conn.transport is not None
        # spelt as most clients do: proxy.py, for one, added a second one beside a lowercase one
        conn.transport.write(target.head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        try:
            await _until(conn.headers_done, read_timeout, asyncio.get_running_loop())
            # a plain-HTTP request through a proxy: a 407 is the proxy's answer, not the provider's
            if conn.status == 407 and target.proxy is not None and not target.tls:
                raise ConnectFailed(f"proxy {target.proxy.shown} answered 407 Proxy Authentication Required")
        except BaseException:
            if conn.transport is not None:
                conn.transport.abort()
            raise
        return Exchange(self, key, conn, read_timeout)

    def close(self) -> None:
        for task in self._draining:
            task.cancel()
        for idle in self._idle.values():
            for conn in idle:
                if conn.transport is not None:
                    conn.transport.close()
        self._idle.clear()
