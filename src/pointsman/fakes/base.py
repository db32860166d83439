"""What every fake provider shares: a real aiohttp server, request log, fault control, pacing.

Each wire format (OpenAI now; Anthropic and Gemini later) subclasses `FakeProvider` and renders
answers and errors its own way. Control routes live under `/_fake/`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import ssl
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from pointsman.fakes.answers import Ask
from pointsman.fakes.faults import Fault, FaultBook
from pointsman.tokens import TokenCounter


@dataclass(slots=True)
class FakeModel:
    reply: str | None = None
    """A fixed reply; otherwise the answer is derived from the prompt."""
    latency: float = 0.0
    """Seconds before a whole (non-streamed) answer."""
    ttft: float = 0.0
    """Seconds before the first streamed token."""
    tokens_per_second: float = 0.0
    """Stream pacing after the first token; 0 sends as fast as possible."""
    usage: bool = True
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    context_window: int | None = None
    """Prompts longer than this get the provider's context-length error."""
    max_output_tokens: int | None = None
    """A larger output limit in the request is refused, as the providers do."""
    reasoning: bool | None = None
    """None: takes any parameter (a lenient OpenAI-shaped server). True or False: an OpenAI reasoning
    or plain model, refusing what OpenAI refuses: unknown parameters, and `max_tokens` (reasoning:
    it wants max_completion_tokens) or `reasoning_effort` (plain)."""
    prefill: str = "continue"
    """A trailing assistant message: `continue` it (Anthropic, DeepSeek), `ignore` it and answer
    afresh (OpenAI), or `reject` the request with a 400 (models that refuse prefill)."""
    preamble: str = ""
    """Put before every text answer ("Sure! "), so this model's wording differs from another's."""
    obeys: bool = True
    """Follows a request to continue a cut-off reply (repeating its last words first); False: a model
    that ignores the instruction and answers something else."""
    rule: Callable[[str], str | None] | None = None
    """Answers by rule: the reply to a last user message, or None for the usual answer. A fake that
    knows some things and not others (right on some questions, wrong on the rest)."""

    def reply_to(self, ask: Ask) -> str | None:
        """The fixed reply for this request: the rule's, else `reply` (None: derived from the prompt)."""
        if self.rule is not None:
            ruled = self.rule(ask.last_user)
            if ruled is not None:
                return ruled
        return self.reply


@dataclass(slots=True)
class Seen:
    """One request as the fake received it."""

    ts: float
    path: str
    model: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None
    peer_port: int = 0
    """The client's port: the same port on two requests means a reused connection."""


def reset_connection(request: web.Request) -> None:
    """A TCP reset, not a polite close: SO_LINGER 0 makes close() send RST."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class FakeProvider:
    """A wire-faithful fake provider on a real loopback port."""

    def __init__(
        self,
        models: dict[str, FakeModel] | None = None,
        *,
        api_key: str | None = None,
        default: FakeModel | None = None,
    ) -> None:
        self.api_key = api_key
        """When set, requests must present it (each wire checks its own header)."""
        self.models = models
        self.default = default or FakeModel()
        self.faults = FaultBook()
        self.seen: deque[Seen] = deque(maxlen=10_000)  # bounded: benchmarks send millions
        self.abandoned = 0
        """Streams the client cut off before the end (the gateway aborting an upstream call)."""
        self.tokens = TokenCounter()
        self.port = 0
        self.scheme = "http"
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.app.router.add_post("/_fake/faults", self._add_fault)
        self.app.router.add_delete("/_fake/faults", self._clear_faults)
        self.app.router.add_get("/_fake/requests", self._requests)
        self.app.router.add_delete("/_fake/requests", self._clear_requests)
        self.routes(self.app)

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    @property
    def url(self) -> str:
        host = "localhost" if self.scheme == "https" else "127.0.0.1"  # a certificate names a host
        return f"{self.scheme}://{host}:{self.port}"

    async def start(
        self, port: int = 0, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None
    ) -> None:
        self.tokens.warm("o200k_base", "cl100k_base")
        self._runner = web.AppRunner(self.app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_address=True, ssl_context=tls)
        self.scheme = "https" if tls else "http"
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def inject(self, fault: Fault) -> None:
        self.faults.add(fault)

    def model_spec(self, name: str) -> FakeModel | None:
        if self.models is None:
            return self.default
        return self.models.get(name)

    def record(self, request: web.Request, model: str, body: Any, fault: Fault | None) -> None:
        headers = {k.lower(): v for k, v in request.headers.items()}
        peer = request.transport.get_extra_info("peername") if request.transport else None
        port = int(peer[1]) if peer else 0
        self.seen.append(
            Seen(time.time(), request.path, model, body, headers, fault.kind if fault else None, port)
        )

    def fault_for(self, model: str, body: Any) -> Fault | None:
        """A per-request fault in the body wins over a scripted one."""
        raw = body.get("fake_fault") if isinstance(body, dict) else None
        return Fault.parse(raw) if raw is not None else self.faults.take(model)

    async def pace(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)

    @staticmethod
    def echo(request: web.Request) -> str:
        """Everything the request carried but its body: what a careless upstream puts in an error."""
        headers = "; ".join(f"{k}={v}" for k, v in request.headers.items())
        return f"upstream exploded handling {request.method} {request.path_qs} with headers: {headers}"

    @staticmethod
    def credential(request: web.Request) -> str:
        """The key as presented, in whichever way the wire carries it."""
        for name in ("authorization", "x-api-key", "x-goog-api-key"):
            if name in request.headers:
                return request.headers[name]
        return request.query.get("key", "(none)")

    # what each wire format renders its own way
    @staticmethod
    def error_response(
        status: int,
        message: str,
        *,
        code: str | None = None,
        error_type: str | None = None,
        retry_after: str | None = None,
        param: str | None = None,
    ) -> web.Response:
        """The wire's error body; each fake sets this to its builder (openai_error, ...)."""
        raise NotImplementedError

    def not_found(self, model: str) -> web.Response:
        raise NotImplementedError

    def denied(self, request: web.Request) -> web.Response | None:
        return None

    def error_frame(self, fault: Fault) -> bytes:
        raise NotImplementedError

    def prefill_refused(self, ask: Ask, spec: FakeModel) -> web.Response | None:
        """A model that refuses an assistant prefill answers 400; one that ignores it starts afresh."""
        if not ask.prefill:
            return None
        if spec.prefill == "reject":
            return self.error_response(
                400,
                "This model does not support assistant message prefill. The conversation must end "
                "with a user message.",
            )
        if spec.prefill == "ignore":
            ask.prefill = ""
        return None

    done_frame: bytes | None = None
    malformed_frame = b"data: {not json\n\n"

    async def begin(
        self, request: web.Request, model: str | None = None
    ) -> tuple[dict[str, Any], FakeModel, Fault | None] | web.Response:
        """Auth, body, model and any fault that ends the exchange before an answer."""
        denied = self.denied(request)
        if denied is not None:
            return denied
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return self.error_response(400, "We could not parse the JSON body of your request.")
        if not isinstance(body, dict):
            return self.error_response(400, "The request body must be a JSON object.")
        model = model if model is not None else str(body.get("model"))
        spec = self.model_spec(model)
        fault = self.fault_for(model, body)
        self.record(request, model, body, fault)
        if spec is None:
            return self.not_found(model)
        if fault is not None:
            early = await self._early_fault(request, fault)
            if early is not None:
                return early
        return body, spec, fault

    async def _early_fault(self, request: web.Request, fault: Fault) -> web.Response | None:
        if fault.kind == "status":
            message = fault.message or f"Injected error {fault.status}."
            return self.error_response(
                fault.status,
                message,
                code=fault.code,
                error_type=fault.error_type,
                retry_after=fault.retry_after,
            )
        if fault.kind == "echo":
            credential = self.credential(request)
            return self.error_response(
                fault.status,
                self.echo(request),
                code=self.echo(request),
                retry_after=credential,
                param=credential,
            )
        if fault.kind in ("reset", "no_response"):
            if fault.kind == "no_response":
                await asyncio.sleep(fault.seconds)
            reset_connection(request)
            return web.Response(status=500)
        if fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
        if fault.kind == "garbage":
            return web.Response(
                status=200, body=b"<html>upstream proxy error</html>", content_type="text/html"
            )
        return None

    async def stream(
        self, request: web.Request, frames: list[bytes], spec: FakeModel, fault: Fault | None
    ) -> web.StreamResponse:
        """Send SSE frames paced like a model (first frame at once, then TTFT, then tokens/s), with
        the stream faults applied at frame `fault.after`."""
        response = web.StreamResponse(
            headers={"content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache"}
        )
        await response.prepare(request)
        try:
            await self._send_frames(request, response, frames, spec, fault)
        except (ConnectionResetError, asyncio.CancelledError):
            self.abandoned += 1
            raise
        return response

    async def _send_frames(
        self,
        request: web.Request,
        response: web.StreamResponse,
        frames: list[bytes],
        spec: FakeModel,
        fault: Fault | None,
    ) -> None:
        gap = 1.0 / spec.tokens_per_second if spec.tokens_per_second > 0 else 0.0
        for i, frame in enumerate(frames):
            if fault is not None and i == fault.after:
                if fault.kind == "cut":
                    reset_connection(request)
                    return
                if fault.kind == "stall":
                    await asyncio.sleep(fault.seconds)
                elif fault.kind == "malformed":
                    await response.write(self.malformed_frame)
                elif fault.kind in ("error_event", "echo_event"):
                    if fault.kind == "echo_event":
                        fault = dataclasses.replace(fault, message=self.echo(request))
                    await response.write(self.error_frame(fault))
                    await response.write_eof()
                    return
            await self.pace(spec.ttft if i == 1 else gap if i > 1 else 0.0)
            await response.write(frame)
        if self.done_frame is not None and not (fault is not None and fault.kind == "no_done"):
            await response.write(self.done_frame)
        await response.write_eof()

    # control routes
    async def _add_fault(self, request: web.Request) -> web.Response:
        try:
            self.inject(Fault.parse(await request.json()))
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"ok": True})

    async def _clear_faults(self, request: web.Request) -> web.Response:
        self.faults.clear()
        return web.json_response({"ok": True})

    async def _requests(self, request: web.Request) -> web.Response:
        rows = [
            {"ts": s.ts, "path": s.path, "model": s.model, "fault": s.fault, "body": s.body}
            for s in self.seen
        ]
        return web.Response(body=orjson.dumps(rows), content_type="application/json")

    async def _clear_requests(self, request: web.Request) -> web.Response:
        self.seen.clear()
        return web.json_response({"ok": True})
