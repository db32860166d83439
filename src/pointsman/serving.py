"""Run the gateway on a socket: in the foreground (`pointsman serve`) or in a background thread
(the demo and the tests), with fakes beside it. SIGTERM drains requests and flushes the ledger."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Coroutine, Generator
from concurrent.futures import Future
from typing import Any, TypeVar

import uvicorn

from pointsman.api.app import GatewayApp, create_app
from pointsman.compose import Gateway
from pointsman.config.exposure import open_without_keys
from pointsman.config.schema import Config
from pointsman.connections import Limits, guarded_protocol
from pointsman.errors import ConfigError
from pointsman.fakes.base import FakeProvider

T = TypeVar("T")


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        busy = exc.errno == errno.EADDRINUSE
        hint = " (another server has it: choose another with --port or server.port)" if busy else ""
        raise ConfigError(f"cannot listen on {where}: {exc.strerror or exc}{hint}") from None
    sock.set_inheritable(True)
    return sock


def uvicorn_server(app: GatewayApp, *, log_level: str = "warning") -> uvicorn.Server:
    return uvicorn.Server(uvicorn_config(app, log_level=log_level))


def uvicorn_config(app: GatewayApp, *, log_level: str) -> uvicorn.Config:
    server = app.gateway.config.server
    config = uvicorn.Config(
        app,
        loop="uvloop",
        http=guarded_protocol(Limits.of(server)),
        ws="none",
        lifespan="on",
        access_log=False,  # the gateway writes its own, one line a request (telemetry/access.py)
        log_level=log_level,
        server_header=False,
        proxy_headers=False,  # a per-request middleware; the gateway records no client addresses
        date_header=False,
    )
    # typed as whole seconds, but used as a float; a test's shutdown need not take one
    config.timeout_graceful_shutdown = server.shutdown_timeout  # type: ignore[assignment]
    return config


class _Server(uvicorn.Server):
    """uvicorn re-raises the stop signal after a graceful stop; a ledger that lost rows must instead
    be told by the exit status, so that signal is dropped then."""

    gateway: Gateway | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        with super().capture_signals():
            try:
                yield
            finally:
                state = self.gateway.ledger_state if self.gateway is not None else None
                if state is not None and state.lost:
                    self._captured_signals.clear()


def serve(config: Config, *, log_level: str = "info") -> int:
    """Foreground server; returns after SIGINT/SIGTERM once in-flight requests and the ledger are
    done: 0, or 1 when ledger rows were lost. Raises ConfigError when the ledger cannot be opened."""
    problem = open_without_keys(config.server)
    if problem is not None:
        raise ConfigError(f"refusing to start: {problem}")
    app = create_app(config, access_out=sys.stderr)
    app.gateway.check()
    sock = bind(config.server.host, config.server.port)
    server = _Server(uvicorn_config(app, log_level=log_level))
    server.gateway = app.gateway
    logging.getLogger("pointsman").info(
        "pointsman listening on http://%s:%d", config.server.host, sock.getsockname()[1]
    )
    server.run(sockets=[sock])
    state = app.gateway.ledger_state
    if state is not None and state.lost:
        logging.getLogger("pointsman").error("pointsman stopped; %d ledger rows were lost", state.lost)
        return 1
    return 0


def new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency where it builds
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


class BackgroundServers:
    """An event loop in a thread holding fakes and gateways, so sync and async clients can both call in."""

    def __init__(self) -> None:
        self.loop = new_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="pointsman-servers", daemon=True)
        self._thread.start()
        self._gateways: list[tuple[uvicorn.Server, Future[None]]] = []
        self._fakes: list[FakeProvider] = []

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start_fake(
        self, fake: FakeProvider, port: int = 0, tls: ssl.SSLContext | None = None
    ) -> FakeProvider:
        self.run(fake.start(port, tls=tls))
        self._fakes.append(fake)
        return fake

    def start_gateway(self, config: Config, **kw: Any) -> tuple[GatewayApp, str]:
        app = create_app(config, **kw)
        sock = bind("127.0.0.1", 0)
        server = uvicorn_server(app)
        future = asyncio.run_coroutine_threadsafe(server.serve(sockets=[sock]), self.loop)
        self.run(_until(lambda: server.started or future.done()))
        if future.done():
            future.result()
        self._gateways.append((server, future))
        return app, f"http://127.0.0.1:{sock.getsockname()[1]}"

    def stop_gateway(self, app: GatewayApp) -> None:
        for server, future in list(self._gateways):
            if server.config.app is app:
                server.should_exit = True
                future.result(60)
                self._gateways.remove((server, future))

    def close(self) -> None:
        for server, future in self._gateways:
            server.should_exit = True
            future.result(60)
        for fake in self._fakes:
            self.run(fake.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


async def _until(predicate: Callable[[], bool], limit: float = 20.0) -> None:
    """Poll a flag that uvicorn sets without an event to wait on."""
    deadline = asyncio.get_running_loop().time() + limit
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("server did not start")
        await asyncio.sleep(0.01)
