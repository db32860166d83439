"""Client connections with the limits uvicorn's httptools protocol lacks.

uvicorn arms its keep-alive timer only after an answer, so a connection that never finishes a
request was held forever, and nothing capped how many were open. Here:

- a request's headers must arrive within `header_timeout` of the connection opening, or of the
  first byte of the next request on a kept-alive one: a silent connection is closed, a slow one
  gets a 408;
- the request line and headers are bounded in bytes (counted as they arrive, so an endless header
  is cut before it ends) and in number (431);
- at most `max_connections` are open: at the cap the oldest idle one is closed to make room (its
  client reconnects), and when none is idle the new one gets a 503 with Retry-After.

These answers go out before the app sees a request, in the error shape of the path's surface
(`surfaces.errorshape`), then the connection closes. The body's own timeout is the app's (`read_body`), so
that 408 is ledgered like any other answer.
"""

from __future__ import annotations

import asyncio
import http
import logging
import resource
import time
from dataclasses import dataclass
from typing import Any

import httptools
import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from pointsman.config.schema import ServerConfig
from pointsman.errors import (
    GatewayUnavailable,
    HeadersTooLarge,
    InvalidRequest,
    PointsmanError,
    RequestTimeout,
)
from pointsman.surfaces.errorshape import error_shape

log = logging.getLogger("pointsman")

LINGER = 2.0
"""Seconds a refused connection is still read (and what arrives dropped) after its answer, so the
client's unsent request does not turn into a reset that loses the answer."""


def default_max_connections() -> int:
    """Three quarters of the open-file limit: the rest is for provider connections and the ledger."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, soft * 3 // 4) if soft != resource.RLIM_INFINITY else 65536


@dataclass(frozen=True, slots=True)
class Limits:
    header_timeout: float
    keepalive_timeout: float
    max_connections: int
    max_header_bytes: int
    max_headers: int

    @classmethod
    def of(cls, server: ServerConfig) -> Limits:
        return cls(
            header_timeout=server.header_timeout,
            keepalive_timeout=server.keepalive_timeout,
            max_connections=server.max_connections or default_max_connections(),
            max_header_bytes=server.max_header_bytes,
            max_headers=server.max_headers,
        )


class Admission:
    """What the connections of one server share: the idle ones (oldest first), and when the cap
    was last reported."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.idle: dict[GuardedProtocol, None] = {}
        self._reported = 0.0
        self._evicted = self._refused = 0

    def make_room(self) -> bool:
        """Close the oldest idle connection; False when none is idle."""
        if not self.idle:
            self._refused += 1
            self._report()
            return False
        victim = next(iter(self.idle))
        del self.idle[victim]
        victim.transport.close()
        self._evicted += 1
        self._report()
        return True

    def _report(self) -> None:
        now = time.monotonic()
        if now - self._reported >= 10:  # at most one line every 10 s, however hard the cap is hit
            log.warning(
                "at the connection cap (server.max_connections: %d): closed %d idle, refused %d",
                self.limits.max_connections,
                self._evicted,
                self._refused,
            )
            self._reported, self._evicted, self._refused = now, 0, 0


class _Refused(Exception):
    """Raised inside the parser's callbacks to stop parsing a head that broke a limit."""

    def __init__(self, error: PointsmanError) -> None:
        super().__init__(error.message)
        self.error = error


def raw_error(error: PointsmanError, path: bytes) -> bytes:
    """A whole HTTP/1.1 answer for `error` that closes the connection, in the path's surface shape."""
    body = orjson.dumps(error_shape(path.decode("latin-1"))(error))
    phrase = http.HTTPStatus(error.status).phrase
    lines = [
        f"HTTP/1.1 {error.status} {phrase}".encode(),
        b"content-type: application/json",
        b"content-length: " + str(len(body)).encode(),
        b"connection: close",
        *(name + b": " + value for name, value in error.headers() if name != b"connection"),
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def guarded_protocol(limits: Limits) -> type[GuardedProtocol]:
    """The protocol class for one server: its connections share one `Admission`."""

    class Bound(GuardedProtocol):
        admission = Admission(limits)

    return Bound


class GuardedProtocol(HttpToolsProtocol):
    admission: Admission

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        limits = self.admission.limits
        self.timeout_keep_alive = limits.keepalive_timeout  # type: ignore[assignment]  # a float works
        self.url = b""
        self._head_timer: asyncio.TimerHandle | None = None
        self._awaiting_head = True
        self._head_bytes = 0
        """Bytes received while awaiting a head: a bound on its size (body bytes that came with it
        included)."""
        self._closing_timer: asyncio.TimerHandle | None = None
        self._rejected = False

    # ---- the connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        admission = self.admission
        if len(self.connections) > admission.limits.max_connections and not admission.make_room():
            code = "too_many_connections"
            self._reject(GatewayUnavailable("the gateway is at its connection limit; retry", code=code))
            return
        admission.idle[self] = None  # a new connection that has sent nothing is idle
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.admission.idle.pop(self, None)
        for timer in (self._head_timer, self._closing_timer):
            if timer is not None:
                timer.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, with the head counted and bounded, and errors answered as JSON."""
        if self._rejected:
            return  # lingering after a refusal: what the client still sends is dropped
        self._unset_keepalive_if_required()
        if self._awaiting_head:
            self.admission.idle.pop(self, None)
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError as exc:
            cause = exc.__context__
            if isinstance(cause, _Refused):
                self._reject(cause.error)
            else:
                log.info("invalid HTTP from a client: %s", exc)
                self._reject(InvalidRequest(f"Invalid HTTP request: {exc}", code="invalid_http"))
            return
        if self._awaiting_head and self._head_bytes:  # a head is still arriving
            if self._head_bytes > self.admission.limits.max_header_bytes:
                self._reject(self._too_large())
            elif self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
                self._arm_head_timer()  # the next request's first bytes: its headers are now timed

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing() or self.pipeline:
            return
        if self._head_bytes:  # part of the next head came during the answer
            if self._head_timer is None:
                self._arm_head_timer()
        else:
            self.admission.idle[self] = None

    # ---- the head, as the parser reads it

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        limits = self.admission.limits
        if len(self.headers) > limits.max_headers:
            raise _Refused(HeadersTooLarge(f"More than {limits.max_headers} request headers."))
        # the bytes received while awaiting the head bound its size, body bytes read with it
        # included: only a request that large is measured exactly (no per-header cost otherwise)
        if self._head_bytes > limits.max_header_bytes and self._head_size() > limits.max_header_bytes:
            raise _Refused(self._too_large())
        super().on_headers_complete()

    def _head_size(self) -> int:
        return len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._awaiting_head = True
        self._head_bytes = 0

    def _too_large(self) -> HeadersTooLarge:
        limit = self.admission.limits.max_header_bytes
        return HeadersTooLarge(f"The request line and headers exceed this gateway's limit of {limit} bytes.")

    # ---- timing out and refusing

    def _arm_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.admission.limits.header_timeout, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._awaiting_head:
            return
        if not self._head_bytes:
            self.transport.close()  # it never asked anything: nothing to answer
            return
        seconds = self.admission.limits.header_timeout
        self._reject(RequestTimeout(f"The request headers did not arrive within {seconds:g} s."))

    def _reject(self, error: PointsmanError) -> None:
        """Answer `error` and close; the client's unread bytes are drained a moment first."""
        self.admission.idle.pop(self, None)
        self._rejected = True
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # an answer is under way: one cannot go out in front of it
            return
        self.transport.write(raw_error(error, self.url))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._closing_timer = self.loop.call_later(LINGER, self.transport.close)
