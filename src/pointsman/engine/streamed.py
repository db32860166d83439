"""One streamed attempt: open the upstream stream, hold its first chunks back until the answer is
visible (so a failure before that is invisible to the client and can be retried), then pass the rest."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable

from pointsman.engine.progress import Progress
from pointsman.errors import UpstreamError
from pointsman.providers.base import Json, Provider
from pointsman.routing.plan import Attempt
from pointsman.upstream.client import UpstreamClient, UpstreamStream
from pointsman.upstream.sse import SSEEvent

Batch = list[tuple[Json, bytes | None]]


class StreamedAttempt:
    def __init__(self, attempt: Attempt, provider: Provider, perf: Callable[[], float]) -> None:
        self.attempt = attempt
        self.provider = provider
        self.translator = provider.stream_translator()
        self.progress = Progress()
        self.held: Batch = []
        """Chunks read but not yet sent to the client."""
        self.seen: list[Json] = []
        """Every chunk, kept only when the answer must be checked whole."""
        self.keep_all = False
        self.done = False
        """The upstream said the answer is complete ([DONE], message_stop, a finish reason)."""
        self._perf = perf
        self.started = perf()
        self.first_token: float | None = None
        self._upstream: UpstreamStream | None = None
        self._events: AsyncGenerator[list[SSEEvent], None] | None = None
        self._error: UpstreamError | None = None

    async def open(self, client: UpstreamClient, body: Json) -> None:
        model = self.attempt.model
        request = self.provider.chat_request(body, model.upstream, want_stream_usage=True)
        upstream = await client.open_stream(self.provider.endpoint, request)
        self._upstream = upstream
        if upstream.status >= 400:
            error = self.provider.classify_error(await upstream.read_all())
            upstream.close()
            raise error
        self._events = upstream.events()

    async def _next(self) -> Batch | None:
        """The chunks of the next network read; None at the end. A bad event raises, but only
        after the chunks before it were handed out, as they would have been on their own."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        if self.done:
            return None
        assert self._events is not None
        events = await anext(self._events, None)
        if events is None:
            return None
        batch: Batch = []
        try:
            for event in events:
                out = self.translator.feed(event)
                batch.extend(out.chunks)
                if out.done:
                    self.done = True
                    break
        except UpstreamError as error:
            if not batch:
                raise
            self._error = error
        self._note(batch)
        return batch

    def _note(self, batch: Batch) -> None:
        progress = self.progress
        progress.feed(batch)
        if self.first_token is None and progress.visible:
            self.first_token = self._perf()
        if self.keep_all:
            self.seen.extend(data for data, _ in batch)

    async def prime(self, *, whole: bool, min_chars: int = 1) -> None:
        """Read until the answer is visible (at least `min_chars` of text, a tool call, a refusal),
        or to its end when `whole`. Everything read stays in `held`."""
        while True:
            batch = await self._next()
            if batch is None:
                return
            self.held.extend(batch)
            if self.done:
                return
            p = self.progress
            if not whole and (p.chars >= min_chars or p.tools or p.refusal):
                return

    def take_held(self) -> Batch:
        held, self.held = self.held, []
        return held

    async def rest(self) -> AsyncIterator[Batch]:
        while (batch := await self._next()) is not None:
            if batch:
                yield batch

    @property
    def complete(self) -> bool:
        """The answer ended properly: the upstream's end marker or a finish reason arrived."""
        return self.done or self.progress.finish_reason is not None

    def set_stall(self, seconds: float | None) -> None:
        if seconds is not None and self._upstream is not None:
            self._upstream.set_read_timeout(seconds)

    async def close(self, *, abort: bool) -> None:
        events, self._events = self._events, None
        if events is not None:
            await events.aclose()
        if self._upstream is not None:
            self._upstream.close(abort=abort)
