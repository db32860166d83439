"""After a stream broke with part of its answer already with the client: continue it on the next
candidates, each tried in the ways it can take (see `seam.py`) — a prefill where the model accepts
one, then a fresh answer that must overlap the text sent, then an instruction to continue. Only a
verified seam goes on to the client; the continuation gets a fresh deadline of its own."""

from __future__ import annotations

from dataclasses import dataclass

from pointsman.engine.book import Candidate, Failed
from pointsman.engine.budget import Budget
from pointsman.engine.progress import Progress
from pointsman.engine.run import Run
from pointsman.engine.seam import (
    NO_SEAM,
    REGENERATE_MAX,
    AnchorSeam,
    PrefillSeam,
    RegenerateSeam,
    Seam,
    drop_text,
    instruction,
)
from pointsman.engine.streamed import StreamedAttempt, StreamOnce, spent
from pointsman.errors import UpstreamRejected
from pointsman.providers.base import Json


@dataclass(frozen=True, slots=True)
class Method:
    seam: Seam
    body: Json


def methods(run: Run, candidate: Candidate, shown: str) -> list[Method]:
    body = run.call.body
    messages = list(body.get("messages") or ())
    said = {"role": "assistant", "content": shown.rstrip()}  # a prefill may not end in whitespace
    out: list[Method] = []
    if "prefill" in candidate.attempt.model.capabilities:
        out.append(Method(PrefillSeam(shown), {**body, "messages": [*messages, said]}))
    if len(shown) <= REGENERATE_MAX:
        out.append(Method(RegenerateSeam(shown), body))
    anchored = AnchorSeam(shown)
    if anchored.anchor:
        ask = {"role": "user", "content": instruction(anchored.anchor)}
        out.append(Method(anchored, {**body, "messages": [*messages, said, ask]}))
    return out


async def continue_stream(run: Run, shown: str, start: int) -> StreamedAttempt | None:
    run.window.restart()
    while (found := await run.walk.next(start)) is not None:
        candidate, budget = found
        start = candidate.index + 1
        seamed = await _on(run, candidate, budget, shown)
        if seamed is not None:
            return seamed
    return None


async def _on(run: Run, candidate: Candidate, budget: Budget | None, shown: str) -> StreamedAttempt | None:
    """`candidate` asked each way it can take, until one gives a verified seam."""
    for method in methods(run, candidate, shown):
        if budget is None:
            return None
        try:
            seamed = await _seamed(run, candidate, budget, method)
        except Failed as failed:
            run.failed(failed.live, failed.error)
            if not isinstance(failed.error, UpstreamRejected):
                return None  # the model is failing, not the method: on to the next candidate
            seamed = None
        if seamed is not None or candidate.probe:
            return seamed
        budget = run.budget(candidate.index)
    return None


async def _seamed(run: Run, candidate: Candidate, budget: Budget, method: Method) -> StreamedAttempt | None:
    seam = method.seam

    def decided(progress: Progress) -> bool:
        return seam.judge(progress.answer, False) is not None

    current = await StreamOnce(run, decided, method.body)(candidate, budget)
    text = current.progress.answer
    verdict = seam.judge(text, False)
    if verdict is None:
        verdict = seam.judge(text, True)  # the answer ended before the seam was settled
    if verdict is None or verdict == NO_SEAM:
        await current.close(abort=True)
        cost = spent(run, current)
        run.book.discard(cost)
        detail = f"no verified seam: {seam.how.split(';')[0]} did not match the text already sent"
        run.book.end(current.live, "unmatched", detail, cost=cost)
        return None
    current.held = drop_text(current.held, verdict)
    current.dropped = verdict
    current.how = seam.how
    return current
