"""The little ASGI the gateway needs: read a bounded body, send JSON, send SSE, notice a client leaving.

Plain ASGI instead of a framework: the hot path must stay a few function calls deep.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from pointsman.errors import InvalidRequest, PayloadTooLarge, PointsmanError, RequestTimeout

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON_TYPE = (b"content-type", b"application/json")
SSE_HEADERS: Headers = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


_UNSAFE = re.compile(b"[\x00-\x08\x0a-\x1f\x7f]")
"""What uvicorn refuses in a header value."""


def safe_headers(headers: Headers) -> Headers:
    """`headers` with any control character in a value replaced. uvicorn refuses to send one, and
    by then it counts the answer as started, so the client would get nothing at all."""
    for _, value in headers:
        if _UNSAFE.search(value):
            return [(name, _UNSAFE.sub(b"?", value)) for name, value in headers]
    return headers


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class ClientDisconnected(Exception):
    """The client closed the connection before the request was complete."""


async def read_body(scope: Scope, receive: Receive, limit: int, within: float) -> bytes:
    """The whole body, at most `limit` bytes, arriving within `within` seconds (else 408)."""
    declared = header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is {declared} bytes; this gateway accepts at most {limit}")
    # a bare timer: this runs for every request, and asyncio.timeout() costs about twice as much
    task = asyncio.current_task()
    assert task is not None
    expired = False

    def expire() -> None:
        nonlocal expired
        expired = True
        task.cancel()

    timer = asyncio.get_running_loop().call_later(within, expire)
    try:
        return await _chunks(receive, limit)
    except asyncio.CancelledError:
        if not expired:
            raise  # cancelled for another reason: shutdown
        task.uncancel()
        raise RequestTimeout(f"The request body did not arrive within {within:g} s.") from None
    finally:
        timer.cancel()


async def _chunks(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected
        body = message.get("body", b"")
        if body:
            size += len(body)
            if size > limit:
                raise PayloadTooLarge(f"request body exceeds this gateway's limit of {limit} bytes")
            chunks.append(body)
        if not message.get("more_body"):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


MAX_DEPTH = 128
"""How deep a request body may nest. orjson reads 1024 levels but writes only 254, and a body is
written again (upstream, into answers) with a few levels added: past that limit it would fail there."""
_ORJSON_MAX_DEPTH = 1024  # orjson's reading limit (a test holds it to this)
_PAD = _ORJSON_MAX_DEPTH - MAX_DEPTH
_OPEN, _CLOSE = b"[" * _PAD, b"]" * _PAD
_WALK_BELOW = 24 * 1024
"""Bodies under this size are checked by walking them, larger ones inside orjson (measured on a
2-core machine: a walk costs about 2.5 µs a KiB, the in-orjson check about 60 µs whatever the size)."""


def parse_json_object(body: bytes) -> dict[str, Any]:
    if not body:
        raise InvalidRequest("request body is empty; send a JSON object")
    if len(body) >= _WALK_BELOW:
        data = _loads_bounded(body)
    else:
        data = _loads(body)
        # fewer brackets than the limit cannot nest past it: most bodies stop here
        if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _too_deep(data):
            raise _depth_error()
    if not isinstance(data, dict):
        raise InvalidRequest(f"request body must be a JSON object, not {type(data).__name__}")
    return data


def _loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit exceeded"):
            raise _depth_error() from None
        raise InvalidRequest(f"request body is not valid JSON: {exc}") from None


def _loads_bounded(body: bytes) -> Any:
    """Parse inside `_PAD` levels of arrays, so orjson's own depth limit stops the body at
    MAX_DEPTH levels, at orjson's speed. Each padding array must hold exactly one value: one that
    holds more means the body was not one JSON value on its own (`1],[2`)."""
    try:
        data = orjson.loads(b"".join((_OPEN, body, _CLOSE)))
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit exceeded"):
            raise _depth_error() from None
        data = None
    for _ in range(_PAD):
        if type(data) is not list or len(data) != 1:
            _loads(body)  # raises the error plain parsing gives, with its own positions
            raise InvalidRequest("request body is not one JSON value")
        data = data[0]
    return data


def _too_deep(data: Any) -> bool:
    """Whether `data` nests deeper than MAX_DEPTH, one level at a time."""
    level = [data]
    for _ in range(MAX_DEPTH):
        level = [v for c in level for v in (c.values() if type(c) is dict else c) if type(v) in _CONTAINERS]
        if not level:
            return False
    return True


_CONTAINERS = (dict, list)


def _depth_error() -> InvalidRequest:
    return InvalidRequest(
        f"request body nests deeper than {MAX_DEPTH} levels; this gateway accepts at most {MAX_DEPTH}"
    )


async def send_json(send: Send, status: int, body: bytes, headers: Headers) -> None:
    await send_body(send, status, body, [JSON_TYPE, *headers])


async def send_body(send: Send, status: int, body: bytes, headers: Headers) -> None:
    """A whole response; `headers` include its content type."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", str(len(body)).encode()), *safe_headers(headers)],
        }
    )
    await send({"type": "http.response.body", "body": body})


ErrorShape = Callable[[PointsmanError], dict[str, Any]]
"""How a surface words an error body (`surfaces.errorshape.error_shape` picks the client's)."""


async def send_error(
    send: Send, error: PointsmanError, headers: Headers, *, shape: ErrorShape = PointsmanError.to_openai
) -> None:
    await send_json(send, error.status, orjson.dumps(shape(error)), [*error.headers(), *headers])


class DisconnectWatch:
    """Cancels the request's task when the client goes away, so upstream work stops with it;
    `on_leave` is told first, so whoever catches the cancellation knows the client left."""

    def __init__(self, receive: Receive, on_leave: Callable[[], None] | None = None) -> None:
        self.disconnected = False
        self._stopped = False
        self._on_leave = on_leave
        self._target = asyncio.current_task()
        self._task = asyncio.get_running_loop().create_task(self._watch(receive))

    async def _watch(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        # the server also reports a disconnect once the response is complete: that is no reason to cancel
        if not self._stopped:
            self.disconnected = True
            if self._on_leave is not None:
                self._on_leave()
            if self._target is not None:
                self._target.cancel()

    def stop(self) -> None:
        """Call before sending the last bytes of the response."""
        self._stopped = True
        self._task.cancel()
