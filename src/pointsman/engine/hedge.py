"""Hedging a slow start: if the first attempt has not answered after a delay, a second goes to the
next candidate; the first success wins and the other is cancelled (its upstream call aborted, its
cost counted as discarded, never as the answer's)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pointsman.engine.book import Candidate, Failed, Once, R
from pointsman.engine.budget import Budget
from pointsman.routing.plan import Attempt
from pointsman.state.health import Admission

if TYPE_CHECKING:
    from pointsman.engine.run import Run


def hedge_delay(run: Run, candidate: Candidate) -> float | None:
    hedge = run.policy.hedge
    if hedge is None:
        return None
    if hedge.after is not None:
        return hedge.after
    stats = run.parts.health.stats(candidate.attempt.model.name)
    samples, p95 = (stats.ttft_samples, stats.ttft_p95_ms) if run.stream else (stats.samples, stats.p95_ms)
    if samples < hedge.min_samples or p95 is None:
        return None
    return p95 / 1000


async def hedged(run: Run, first: Candidate, budget: Budget, once: Once[R]) -> R | None:
    delay = hedge_delay(run, first)
    partner = await run.walk.partner(first.index + 1) if delay is not None else None
    if delay is None or partner is None:
        return await run.retried(first, budget, once)
    tasks: dict[asyncio.Task[R], Candidate] = {asyncio.create_task(once(first, budget)): first}
    failures: list[Failed] = []
    try:
        done, _ = await asyncio.wait(tasks, timeout=delay)
        if not done:
            second = _start_partner(run, partner, delay)
            if second is not None:
                tasks[asyncio.create_task(once(*second))] = second[0]
        while tasks:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                tasks.pop(task)
                error = task.exception()
                if error is None:
                    await _cancel_losers(run, tasks)
                    return task.result()
                if not isinstance(error, Failed):
                    raise error
                failures.append(error)
    finally:
        await _cancel_losers(run, tasks)
    for failed in failures:
        run.failed(failed.live, failed.error)
    return None


def _start_partner(run: Run, partner_attempt: Attempt, delay: float) -> tuple[Candidate, Budget] | None:
    index = run.plan.attempts.index(partner_attempt)
    budget = run.budget(index)
    admission = run.walk.admit(partner_attempt) if budget is not None else Admission.REFUSED
    if budget is None or not admission:
        return None
    run.walk.tried.add(partner_attempt.model.name)
    note = f"hedge started after {delay * 1000:.0f} ms"
    return Candidate(index, partner_attempt, admission == Admission.PROBE, note), budget


async def _cancel_losers(run: Run, tasks: dict[asyncio.Task[R], Candidate]) -> None:
    for task, candidate in tasks.items():
        for live in run.book.lives:
            if live.attempt is candidate.attempt and not live.recorded:
                live.lost = True
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
    tasks.clear()
