"""The only network I/O to providers: pooled keep-alive HTTP/1.1 (see http1.py), timeouts, SSE.

Not httpx, whose pool collapses under concurrency here, and since measuring it not aiohttp's client
either: its per-request machinery was the largest single cost of a proxied request (DESIGN.md,
docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from types import TracebackType

from pointsman.errors import (
    UpstreamError,
    UpstreamProtocolError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from pointsman.providers.base import Endpoint, UpstreamRequest, UpstreamResponse
from pointsman.redact import safe_url
from pointsman.upstream.http1 import ConnectFailed, ConnectionLost, Exchange, Pool, ReadTimeout
from pointsman.upstream.sse import SSEDecoder, SSEEvent

log = logging.getLogger("pointsman.upstream")


def _network_error(exc: BaseException, endpoint: Endpoint, *, streaming: bool = False) -> UpstreamError:
    """Say what happened on the wire, naming the provider (URLs and keys stay out of it)."""
    where = f"provider '{endpoint.name}'"
    if isinstance(exc, ReadTimeout):
        what = "stopped sending" if streaming else "did not answer"
        return UpstreamTimeout(f"{where} {what} within the time limit", provider=endpoint.name)
    if isinstance(exc, ConnectFailed):
        return UpstreamUnavailable(f"cannot connect to {where}: {exc}", provider=endpoint.name)
    if isinstance(exc, ConnectionLost) and exc.got_headers:
        return UpstreamProtocolError(f"{where} cut the response short", provider=endpoint.name)
    if isinstance(exc, ConnectionLost):
        return UpstreamUnavailable(f"{where} closed the connection without answering", provider=endpoint.name)
    return UpstreamProtocolError(f"{where} sent a response that is not valid HTTP", provider=endpoint.name)


_NETWORK_ERRORS = (OSError, TimeoutError)


class UpstreamStream:
    """An open streaming response: status and headers now, events as they arrive."""

    def __init__(self, exchange: Exchange, endpoint: Endpoint, url: str) -> None:
        self._exchange = exchange
        self._endpoint = endpoint
        self._url = url
        self.status = exchange.status
        self.headers = exchange.headers

    async def read_all(self) -> UpstreamResponse:
        try:
            body = await self._exchange.read()
        except _NETWORK_ERRORS as exc:
            raise _network_error(exc, self._endpoint) from None
        return UpstreamResponse(self.status, self.headers, body, self._url)

    async def events(self) -> AsyncGenerator[list[SSEEvent], None]:
        """The events of each network read, together: forwarding them in one write per read
        instead of one per event is what keeps streaming cheap."""
        decoder = SSEDecoder()
        try:
            while chunk := await self._exchange.chunk():
                events = decoder.feed(chunk)
                if events:
                    yield events
        except _NETWORK_ERRORS as exc:
            raise _network_error(exc, self._endpoint, streaming=True) from None
        last = decoder.close()
        if last:
            yield last

    def set_read_timeout(self, seconds: float) -> None:
        """Seconds the stream may go silent from now on (a route's stall deadline)."""
        self._exchange.read_timeout = seconds

    def close(self, *, abort: bool = False) -> None:
        """Done with the stream. `abort` drops the connection at once, which stops the provider
        generating (the client left); otherwise a nearly finished body is drained for reuse."""
        self._exchange.release(drain=not abort)

    async def __aenter__(self) -> UpstreamStream:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(abort=et is not None)


class UpstreamClient:
    """Pooled HTTP to every provider. Create inside the running loop; `close()` on shutdown."""

    def __init__(self, *, keepalive: float = 4.0) -> None:
        # keep-alive shorter than common servers' idle limit (uvicorn: 5 s), so a pooled
        # connection is not reused just as the server closes it
        self._pool = Pool(keepalive=keepalive)
        self._unreachable: dict[str, int] = {}
        """Providers whose last connection failed → connections failed since: their state is
        logged when it changes, not once per request."""

    async def _exchange(
        self, endpoint: Endpoint, request: UpstreamRequest, within: float | None = None
    ) -> Exchange:
        read = endpoint.read_timeout if within is None else min(endpoint.read_timeout, within)
        deadline = None if within is None else asyncio.get_running_loop().time() + within
        try:
            exchange = await self._pool.request(
                request.url,
                request.headers,
                request.body,
                connect_timeout=endpoint.connect_timeout,
                read_timeout=read,
                ca_file=endpoint.ca_file,
                proxy=endpoint.proxy,
            )
        except _NETWORK_ERRORS as exc:
            if isinstance(exc, ConnectFailed):
                self._cannot_connect(endpoint, exc)
            raise _network_error(exc, endpoint) from None
        if self._unreachable:
            self._reached(endpoint)
        exchange.deadline = deadline
        return exchange

    def _cannot_connect(self, endpoint: Endpoint, exc: ConnectFailed) -> None:
        failed = self._unreachable.get(endpoint.name)
        self._unreachable[endpoint.name] = (failed or 0) + 1
        if failed is None:
            where = safe_url(endpoint.base_url)
            log.warning(
                endpoint.redactor(
                    f"provider '{endpoint.name}' unreachable at {where}: {exc}; "
                    "further failures are not logged until it answers again"
                )
            )

    def _reached(self, endpoint: Endpoint) -> None:
        failed = self._unreachable.pop(endpoint.name, None)
        if failed is not None:
            log.info("provider '%s' reachable again (%d connections had failed)", endpoint.name, failed)

    async def send(
        self, endpoint: Endpoint, request: UpstreamRequest, *, within: float | None = None
    ) -> UpstreamResponse:
        """The whole response. `within`: the seconds it must arrive in (UpstreamTimeout otherwise),
        kept on the timers the connection runs anyway, as cheap as a read timeout."""
        exchange = await self._exchange(endpoint, request, within)
        try:
            body = await exchange.read()
        except _NETWORK_ERRORS as exc:
            exchange.release()
            raise _network_error(exc, endpoint) from None
        return UpstreamResponse(exchange.status, exchange.headers, body, request.url)

    async def open_stream(self, endpoint: Endpoint, request: UpstreamRequest) -> UpstreamStream:
        return UpstreamStream(await self._exchange(endpoint, request), endpoint, request.url)

    async def close(self) -> None:
        self._pool.close()
