"""The shadow monitor: after a client's answer is complete, maybe send its request again to the
route's strongest model, judge the two answers, store the verdict and tell whoever listens.

`consider()` runs once the response's last byte has gone (the ledger row is written then): it
decides in a few microseconds (route, sample, budget) and leaves the work to a task of its own, so
the client's answer and its latency are never touched. A daily budget per route is reserved before
each shadow call (the strong model's price × the cheap answer's usage, plus the judge's estimate)
and settled with what was billed; once the day's budget is spent, shadowing waits for the next UTC
day. The budget is held per gateway process (several replicas each spend up to it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pointsman.catalog.model import CatalogModel
from pointsman.engine.call import Call, Outcome
from pointsman.engine.costs import priced
from pointsman.errors import PointsmanError
from pointsman.routing.features import last_user_text
from pointsman.routing.plan import RouteRequest
from pointsman.shadow.exchange import Asker
from pointsman.shadow.judges import Judge, Judgement
from pointsman.shadow.store import Verdict, VerdictStore

log = logging.getLogger("pointsman.shadow")

VerdictHook = Callable[[str, Mapping[str, Any], bool], None]
"""on_verdict(model, decision_trace, agreed): the cheap model that answered, the routing decision's
trace (the learned router's estimates when it decided), and whether the judge found it as good."""
MAX_IN_FLIGHT = 8
"""Shadow calls running at once, at most: beyond it a request is not shadowed (`busy`), so a slow
strong model cannot pile up work, or take the providers' rate limits from client traffic."""
SHUTDOWN_GRACE = 5.0
"""Seconds shadow calls still running at shutdown may take to finish before they are cancelled."""


class DailyBudget:
    """Dollars per UTC day: what verdicts cost (settled) plus what calls in flight reserved."""

    def __init__(self, limit: Decimal) -> None:
        self.limit = limit
        self.day = ""
        self.spent = Decimal(0)
        self.reserved = Decimal(0)

    def reserve(self, day: str, amount: Decimal) -> bool:
        if day != self.day:
            self.day, self.spent, self.reserved = day, Decimal(0), Decimal(0)
        if self.spent + self.reserved + amount > self.limit:
            return False
        self.reserved += amount
        return True

    def settle(self, day: str, reserved: Decimal, cost: Decimal) -> None:
        if day == self.day:  # a call that began yesterday is in yesterday's total (the store's)
            self.reserved -= reserved
            self.spent += cost


@dataclass(frozen=True, slots=True)
class RouteShadow:
    route: str
    sample: float
    against: CatalogModel
    judge: Judge
    budget: DailyBudget


class ShadowMonitor:
    def __init__(
        self,
        routes: Mapping[str, RouteShadow],
        asker: Asker,
        store: VerdictStore | None,
        rng: Callable[[], float],
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._routes = routes
        self._asker = asker
        self._store = store
        self._rng = rng
        self._wall = wall
        self._hooks: list[VerdictHook] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.counts: Counter[str] = Counter()
        """Why requests were or were not shadowed: shadowed, sampled_out, busy, over_budget (for
        tests and operators)."""

    def connect(self, hook: VerdictHook) -> None:
        """Call `hook` with every verdict the judge reached (the online ability book listens here)."""
        self._hooks.append(hook)

    def start(self) -> None:
        """Open the verdict table and take up today's spending where an earlier run left it."""
        if self._store is None:
            return
        self._store.open()
        day = self._today()
        spent = self._store.spent(day)
        for name, shadow in self._routes.items():
            shadow.budget.day, shadow.budget.spent = day, spent.get(name, Decimal(0))

    def consider(self, call: Call, outcome: Outcome) -> None:
        """Called once the client has its whole answer; never raises, never waits."""
        shadow = self._routes.get(call.requested_model)
        if shadow is None:
            return
        try:
            self._consider(shadow, call, outcome)
        except Exception:  # monitoring must never break the request it watches
            log.exception("shadowing request %s failed", call.id)

    def _consider(self, shadow: RouteShadow, call: Call, outcome: Outcome) -> None:
        model, text = outcome.model, outcome.text
        if outcome.status != 200 or model is None or text is None or model.name == shadow.against.name:
            return
        decision = outcome.trace.decision if outcome.trace is not None else None
        if decision is not None and decision.decided_by.startswith("pin:"):
            return  # a pinned request goes to exactly that model: never to another, not even here
        if not self._rng() < shadow.sample:
            self.counts["sampled_out"] += 1
            return
        if len(self._tasks) >= MAX_IN_FLIGHT:
            self.counts["busy"] += 1
            return
        request = last_user_text(RouteRequest(call.requested_model, call.body))
        reserve = (priced(shadow.against, outcome.usage) or Decimal(0)) + shadow.judge.estimate(
            request, text, text
        )
        day = self._today()
        if not shadow.budget.reserve(day, reserve):
            self.counts["over_budget"] += 1
            return
        self.counts["shadowed"] += 1
        job = _Job(shadow, call, outcome, model, text, request, day, reserve)
        task = asyncio.get_running_loop().create_task(self._run(job), name=f"shadow {call.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, job: _Job) -> None:
        cost = Decimal(0)
        try:
            verdict = await self._verdict(job)
            cost = verdict.cost
            if self._store is not None:
                await asyncio.get_running_loop().run_in_executor(
                    self._store.thread, self._store.write, verdict
                )
        except Exception:
            log.exception("shadowing request %s failed", job.call.id)
            return
        finally:  # what was billed, or nothing when the call never ended (shutdown)
            job.shadow.budget.settle(job.day, job.reserved, cost)
        if verdict.agreed is not None:
            self._tell(verdict)

    def _tell(self, verdict: Verdict) -> None:
        assert verdict.agreed is not None
        for hook in self._hooks:
            try:
                hook(verdict.model, verdict.decision, verdict.agreed)
            except Exception:  # one listener failing must not silence the others
                log.exception("a shadow verdict listener failed")

    async def _verdict(self, job: _Job) -> Verdict:
        shadow = job.shadow
        error, strong_cost, judgement = "", Decimal(0), Judgement(None)
        try:
            asked = await self._asker.ask(shadow.against, job.call.body)
        except PointsmanError as exc:
            error = f"{exc.type}: {exc.message}"
        else:
            strong_cost = asked.cost or Decimal(0)
            judgement = await shadow.judge.judge(job.request, job.text, asked.text)
        return Verdict(
            id=job.call.id,
            ts=self._wall(),
            day=job.day,
            route=shadow.route,
            model=job.model.name,
            against=shadow.against.name,
            judge=shadow.judge.name,
            agreed=judgement.agreed,
            cheap_cost_usd=job.outcome.cost,
            shadow_cost_usd=strong_cost,
            judge_cost_usd=judgement.cost,
            error=error,
            detail=judgement.detail,
            decision=_decision_trace(job.outcome),
        )

    async def drain(self) -> None:
        """Wait for the shadow calls in flight (tests; shutdown waits at most SHUTDOWN_GRACE)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self, grace: float = SHUTDOWN_GRACE) -> None:
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        if self._store is not None:
            self._store.close()

    def _today(self) -> str:
        return time.strftime("%Y-%m-%d", time.gmtime(self._wall()))


@dataclass(frozen=True, slots=True)
class _Job:
    shadow: RouteShadow
    call: Call
    outcome: Outcome
    model: CatalogModel
    text: str
    request: str
    """The last user message, for a judge model."""
    day: str
    reserved: Decimal


def _decision_trace(outcome: Outcome) -> dict[str, Any]:
    decision = outcome.trace.decision if outcome.trace is not None else None
    if decision is None:
        return {}
    if decision.learned:
        return {"route": decision.route, "decided_by": decision.decided_by, **decision.learned}
    return {"route": decision.route, "decided_by": decision.decided_by}
