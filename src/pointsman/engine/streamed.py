"""One streamed attempt: open the upstream stream, hold its first chunks back until the answer is
visible (so a failure before that is invisible to the client and can be retried), then pass the rest.

Its first token must come within the attempt's budget; after that, silence is bounded by the stall
limit, not by the deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from decimal import Decimal
from typing import TYPE_CHECKING

from pointsman.engine.book import Candidate, Failed, Live
from pointsman.engine.budget import Budget
from pointsman.engine.costs import partial, priced
from pointsman.engine.progress import Progress
from pointsman.errors import UpstreamError, UpstreamProtocolError, UpstreamTimeout
from pointsman.providers.base import Json, Provider
from pointsman.routing import carry
from pointsman.upstream.client import UpstreamClient, UpstreamStream
from pointsman.upstream.sse import SSEEvent

if TYPE_CHECKING:
    from pointsman.engine.run import Run
    from pointsman.engine.trace import Trace

Batch = list[tuple[Json, bytes | None]]
Ready = Callable[[Progress], bool]
STREAM_TIMEOUT = "stream_timeout"


class StreamedAttempt:
    def __init__(self, live: Live, provider: Provider, now: Callable[[], float]) -> None:
        self.live = live
        self.attempt = live.attempt
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
        self.opened = False
        """The provider accepted the request and is generating (it bills from here on)."""
        self.dropped = 0
        """Characters at the start of its answer the client already had (a continuation's seam)."""
        self.how = ""
        """What the trace says of it when it answers (how its seam was made, ...)."""
        self._now = now
        self.first_token: float | None = None
        """When the first visible token came."""
        self.flowing_since: float | None = None
        """When the first token of any kind came (reasoning included): from then on the stream flows."""
        self._upstream: UpstreamStream | None = None
        self._events: AsyncGenerator[list[SSEEvent], None] | None = None
        self._error: UpstreamError | None = None

    @property
    def started(self) -> float:
        return self.live.began

    async def open(self, client: UpstreamClient, body: Json, trace: Trace) -> None:
        model = self.attempt.model
        request = carry.fitted_request(self.provider, body, model, stream_usage=True)
        if request.adapted:
            trace.adapt(*(f"{model.name}: {note}" for note in request.adapted))
        upstream = await client.open_stream(self.provider.endpoint, request)
        self._upstream = upstream
        if upstream.status >= 400:
            error = self.provider.classify_error(await upstream.read_all())
            upstream.close()
            raise error
        self._events = upstream.events()
        self.opened = True

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
        if self.flowing_since is None and progress.started:
            self.flowing_since = self._now()
        if self.first_token is None and progress.visible:
            self.first_token = self._now()
        if self.keep_all:
            self.seen.extend(data for data, _ in batch)

    async def read_until(self, ready: Callable[[Progress], bool]) -> None:
        """Read until `ready(progress)` holds or the answer ends; everything read stays in `held`."""
        while not ready(self.progress):
            batch = await self._next()
            if batch is None:
                return
            self.held.extend(batch)
            if self.done:
                return

    @property
    def delivered_text(self) -> str:
        """The answer text this attempt added to what the client has."""
        return self.progress.answer[self.dropped :]

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

    def flow_limit(
        self, seconds: float | None, since: float | None = None
    ) -> AbstractAsyncContextManager[object]:
        """The route's `stream_timeout`, counted from when the stream (or `since`) started flowing."""
        start = since if since is not None else self.flowing_since
        if seconds is None or start is None:
            return nullcontext()
        return asyncio.timeout(max(start + seconds - self._now(), 0.0))

    async def close(self, *, abort: bool) -> None:
        events, self._events = self._events, None
        if events is not None:
            await events.aclose()
        if self._upstream is not None:
            self._upstream.close(abort=abort)


def _started(progress: Progress) -> bool:
    return progress.started


class StreamOnce:
    """One streamed attempt, read until `ready` (the answer visible, or more) before it is handed on."""

    def __init__(self, run: Run, ready: Ready, body: Json | None = None) -> None:
        self._run = run
        self._ready = ready
        self._body = body

    async def __call__(self, candidate: Candidate, budget: Budget) -> StreamedAttempt:
        run = self._run
        live = run.begin(candidate, budget)
        model = candidate.attempt.model
        current = StreamedAttempt(live, run.parts.providers[model.provider], run.parts.clock.now)
        current.keep_all = run.policy.checks is not None
        try:
            try:
                async with asyncio.timeout(budget.seconds):
                    await current.open(run.parts.upstream(), self._body or run.call.body, run.call.trace)
                    await current.read_until(_started)
            except TimeoutError:
                raise run.timed_out(model, budget, "sent no first token") from None
            current.set_stall(run.stall)
            async with current.flow_limit(run.policy.stream_timeout):
                await current.read_until(self._ready)
            if not current.progress.visible and not current.complete:
                raise UpstreamProtocolError(
                    f"provider '{model.provider}' ended the stream without an answer", provider=model.provider
                )
            return current
        except (UpstreamError, TimeoutError) as exc:
            error = stalled(run, current, exc)
            live.failed(error, blame=current.progress.started or None)
            await current.close(abort=True)
            run.book.discard(spent(run, current))
            raise Failed(live, error) from None
        except asyncio.CancelledError:
            await current.close(abort=True)
            run.cancelled(live, current.translator.text, current.translator.usage, current.opened)
            raise
        except BaseException:
            await current.close(abort=True)
            live.released()
            raise


def spent(run: Run, current: StreamedAttempt) -> Decimal | None:
    """What the provider bills for a stream that did not finish (nothing if it never opened)."""
    if not current.opened:
        return None
    usage = partial(
        run.parts.tokens, run.call.body, current.live.model, current.translator.text, current.translator.usage
    )
    return priced(current.live.model, usage)


def stalled(run: Run, current: StreamedAttempt, error: UpstreamError | TimeoutError) -> UpstreamError:
    """Say what a stream's failure was: a read timeout once the stream flowed is the stall limit, a
    TimeoutError here the route's `stream_timeout`."""
    model = current.live.model
    if isinstance(error, TimeoutError):
        return UpstreamTimeout(
            f"the answer took longer than the route's stream_timeout of {run.policy.stream_timeout:g} s",
            provider=model.provider,
            code=STREAM_TIMEOUT,
        )
    if not isinstance(error, UpstreamTimeout) or not current.progress.started or run.stall is None:
        return error
    return UpstreamTimeout(
        f"provider '{model.provider}' ({model.name}) stalled: nothing for {run.stall:.1f} s (the route's "
        "stall limit)",
        provider=model.provider,
    )
