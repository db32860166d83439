"""A streamed answer. Each attempt's first token must come within its budget; its chunks are held
back until the answer is visible, so a failure before that is retried or failed over unseen. Once
the answer flows, silence is bounded by the stall limit, and a break is continued on a fallback at
a verified seam (`continuation.py`) or ends with a clear error, never a silent truncation. Every
part is billed, and the client's final usage is the sum of the parts, as the ledger's is.
"""

from __future__ import annotations

import asyncio

from pointsman.engine.assemble import assemble
from pointsman.engine.call import ChunkSink
from pointsman.engine.checks import CheckFailure, check_answer, needs_whole_answer
from pointsman.engine.continuation import continue_stream
from pointsman.engine.costs import partial, priced
from pointsman.engine.progress import Progress
from pointsman.engine.run import Run
from pointsman.engine.streamed import STREAM_TIMEOUT, StreamedAttempt, StreamOnce, spent, stalled
from pointsman.errors import UpstreamError, UpstreamProtocolError

REFUSAL_WINDOW = 300
"""Characters a stream holds back when refusal patterns must see the answer's opening."""


def _to_the_end(progress: Progress) -> bool:
    return False


async def stream_answer(run: Run, sink: ChunkSink) -> None:
    """Raises only while nothing has reached the client."""
    checks = run.policy.checks
    whole = checks is not None and needs_whole_answer(run.call.body, checks)
    min_chars = REFUSAL_WINDOW if checks is not None and checks.refusal_patterns else 1

    def visible(p: Progress) -> bool:
        return p.chars >= min_chars or p.tools or p.refusal

    def judge(current: StreamedAttempt) -> CheckFailure | None:
        if checks is None or not (whole or current.complete or current.progress.refusal):
            return None
        return check_answer(run.call.body, assemble(current.seen), checks)

    async def drop(current: StreamedAttempt, failure: CheckFailure) -> None:
        await current.close(abort=True)
        cost = spent(run, current)
        run.book.discard(cost)
        detail = f"{failure.check}: {failure.detail}"
        run.book.end(current.live, "check_failed", detail, status=200, cost=cost)

    once = StreamOnce(run, _to_the_end if whole else visible)
    current, failure = await run.first_acceptable(once, judge, drop)
    if failure is not None:
        current.how = f"kept, no tier did better: {failure.check}: {failure.detail}"
    await deliver(run, current, sink)


async def deliver(run: Run, current: StreamedAttempt, sink: ChunkSink) -> None:
    parts = [current]
    run.first_token = current.first_token
    meta = run.meta(current.live)
    meta.usage = current.translator.usage
    await sink.start(meta)
    since = current.flowing_since  # stream_timeout bounds the whole answer, continuations included
    while True:
        error = await _pipe(run, current, sink, since)
        if error is None:
            _answered(run, current)
            await sink.finish(run.book.usage(), run.book.cost())
            run.status = 200
            if not any(p.progress.tools for p in parts):  # a stream's tool calls are not kept as text
                run.text = "".join(p.delivered_text for p in parts)
            return
        shown = "".join(p.delivered_text for p in parts)
        _interrupted(run, current, error, len(shown))
        following = None
        if not any(p.progress.tools for p in parts) and error.code != STREAM_TIMEOUT:
            following = await continue_stream(run, shown, current.live.index + 1)
        if following is None:
            cut = _cut(error, shown)
            await sink.fail(cut)
            run.status, run.error, run.named = 502, cut, current.live
            run.error_type = "stream_interrupted"
            return
        current = following
        parts.append(current)


async def _pipe(
    run: Run, current: StreamedAttempt, sink: ChunkSink, since: float | None
) -> UpstreamError | None:
    """Pipe `current` to the client; the error that broke it, or None when it finished."""
    try:
        async with current.flow_limit(run.policy.stream_timeout, since):
            held = current.take_held()
            if held:
                await sink.chunks(held)
            current.set_stall(run.stall)
            async for batch in current.rest():
                await sink.chunks(batch)
        if not current.complete:
            provider = current.live.model.provider
            return UpstreamProtocolError(
                f"provider '{provider}' ended the stream before the answer was complete", provider=provider
            )
        return None
    except (UpstreamError, TimeoutError) as error:
        return stalled(run, current, error)
    except asyncio.CancelledError:
        translator = current.translator
        run.cancelled(current.live, translator.text, translator.usage)
        raise
    finally:
        await current.close(abort=not current.complete)


def _answered(run: Run, current: StreamedAttempt) -> None:
    live = current.live
    model = live.model
    translator = current.translator
    usage = translator.usage or partial(run.parts.tokens, run.call.body, model, translator.text, None)
    cost = priced(model, usage)
    now = run.parts.clock.now()
    ttft = (current.first_token - live.began) * 1000 if current.first_token is not None else None
    live.succeeded((now - live.began) * 1000, ttft)
    run.book.deliver(live, usage, cost)
    run.book.end(live, "answered", current.how, status=200, cost=cost)


def _interrupted(run: Run, current: StreamedAttempt, error: UpstreamError, shown: int) -> None:
    """Part of the answer reached the client, then the stream broke: that part is billed."""
    live = current.live
    live.failed(error, blame=True)  # it had started answering: a stall or a break is the model's
    cost = spent(run, current)
    usage = partial(
        run.parts.tokens, run.call.body, live.model, current.translator.text, current.translator.usage
    )
    run.book.deliver(live, usage, cost)
    detail = f"after {shown} characters reached the client: {error.type}: {error.message}"
    if current.how:
        detail = f"{current.how}; {detail}"
    run.book.end(live, "interrupted", detail, status=error.status, cost=cost)
    run.walk.last_error = error


def _cut(error: UpstreamError, shown: str) -> UpstreamError:
    """The clean end of an answer that could not be finished: said so, never a silent truncation."""
    cut = UpstreamError(
        f"The answer was interrupted after {len(shown)} characters and no fallback could continue it: "
        f"{error.message}",
        provider=error.provider,
        code="stream_interrupted",
    )
    cut.type = error.type
    return cut
