"""The only network I/O to providers: one pooled keep-alive aiohttp session, timeouts, SSE reading.

aiohttp, not httpx: measured on this hardware httpx's pool collapses under concurrency (see
DESIGN.md), and the client is what bounds a gateway's overhead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType

import aiohttp

from pointsman.errors import (
    UpstreamError,
    UpstreamProtocolError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from pointsman.providers.base import Endpoint, UpstreamRequest, UpstreamResponse
from pointsman.upstream.sse import SSEDecoder, SSEEvent


def _network_error(exc: BaseException, endpoint: Endpoint, *, streaming: bool = False) -> UpstreamError:
    """Say what happened on the wire without the URL's secrets (the URL never holds a key)."""
    where = f"provider '{endpoint.name}'"
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        what = "stopped sending" if streaming else "did not answer"
        return UpstreamTimeout(f"{where} {what} within the time limit", provider=endpoint.name)
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or type(exc.os_error).__name__
        return UpstreamUnavailable(f"cannot connect to {where}: {reason}", provider=endpoint.name)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return UpstreamProtocolError(f"{where} cut the response short", provider=endpoint.name)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return UpstreamUnavailable(f"{where} closed the connection without answering", provider=endpoint.name)
    if isinstance(exc, aiohttp.ClientOSError):
        reason = exc.strerror or "connection error"
        return UpstreamUnavailable(f"{where} connection failed: {reason}", provider=endpoint.name)
    return UpstreamUnavailable(f"{where} request failed: {type(exc).__name__}", provider=endpoint.name)


_NETWORK_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


class UpstreamStream:
    """An open streaming response: status and headers now, events as they arrive."""

    def __init__(self, response: aiohttp.ClientResponse, endpoint: Endpoint) -> None:
        self._response = response
        self._endpoint = endpoint
        self.status = response.status
        self.headers = response.headers
        self.ended_cleanly = False
        """True once the body ended at the HTTP level (as opposed to a cut connection)."""

    async def read_all(self) -> UpstreamResponse:
        try:
            body = await self._response.read()
        except _NETWORK_ERRORS as exc:
            raise _network_error(exc, self._endpoint) from None
        return UpstreamResponse(self.status, self.headers, body)

    async def events(self) -> AsyncIterator[list[SSEEvent]]:
        """The events of each network read, together: forwarding them in one write per read
        instead of one per event is what keeps streaming cheap."""
        decoder = SSEDecoder()
        content = self._response.content
        try:
            while True:
                chunk = await content.readany()
                if not chunk:
                    break
                events = decoder.feed(chunk)
                if events:
                    yield events
        except _NETWORK_ERRORS as exc:
            raise _network_error(exc, self._endpoint, streaming=True) from None
        self.ended_cleanly = True
        last = decoder.close()
        if last:
            yield last

    def close(self) -> None:
        self._response.close()

    async def __aenter__(self) -> UpstreamStream:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class UpstreamClient:
    """Pooled HTTP to every provider. Create inside the running loop; `close()` on shutdown."""

    def __init__(self, session: aiohttp.ClientSession | None = None, *, keepalive: float = 4.0) -> None:
        # keep-alive shorter than common servers' idle limit (uvicorn: 5 s), so a pooled
        # connection is not reused just as the server closes it
        self._session = session or aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, keepalive_timeout=keepalive),
            auto_decompress=True,
            cookie_jar=aiohttp.DummyCookieJar(),  # providers set no cookies we should send back
            skip_auto_headers=("User-Agent",),
        )
        self._timeouts: dict[tuple[float, float], aiohttp.ClientTimeout] = {}

    def _timeout(self, endpoint: Endpoint) -> aiohttp.ClientTimeout:
        key = (endpoint.connect_timeout, endpoint.read_timeout)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(total=None, connect=key[0], sock_read=key[1])
            self._timeouts[key] = timeout
        return timeout

    async def send(self, endpoint: Endpoint, request: UpstreamRequest) -> UpstreamResponse:
        try:
            async with self._session.post(
                request.url, data=request.body, headers=request.headers, timeout=self._timeout(endpoint)
            ) as response:
                body = await response.read()
                return UpstreamResponse(response.status, response.headers, body)
        except _NETWORK_ERRORS as exc:
            raise _network_error(exc, endpoint) from None

    async def open_stream(self, endpoint: Endpoint, request: UpstreamRequest) -> UpstreamStream:
        try:
            response = await self._session.post(
                request.url, data=request.body, headers=request.headers, timeout=self._timeout(endpoint)
            )
        except _NETWORK_ERRORS as exc:
            raise _network_error(exc, endpoint) from None
        return UpstreamStream(response, endpoint)

    async def close(self) -> None:
        await self._session.close()
