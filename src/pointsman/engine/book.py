"""What a run did: every attempt recorded once, with its one outcome, and what each one cost.

A `Live` is one attempt in flight. It holds the model's health claim, which ends exactly once
whatever raises (succeeded, failed, or released when the attempt says nothing about the model), and
it is recorded in the trace exactly once, when its fate is known.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from pointsman.catalog.model import CatalogModel
from pointsman.engine import failover
from pointsman.engine.budget import Budget
from pointsman.engine.costs import add
from pointsman.engine.trace import AttemptRecord, Trace
from pointsman.errors import UpstreamError, UpstreamTimeout
from pointsman.routing.plan import Attempt
from pointsman.state.health import Health
from pointsman.usage import Usage


@dataclass(slots=True)  # made per request: a frozen one costs a setattr per field
class Candidate:
    """A plan entry the walk has let through."""

    index: int
    """Its place in the plan; the walk goes on after it."""
    attempt: Attempt
    probe: bool = False
    """Admitted as its circuit's half-open probe: one attempt, no retries."""
    note: str = ""
    """Said in its trace record before anything else (a hedge says when it started)."""


class Live:
    """One attempt in flight."""

    __slots__ = (
        "_health",
        "_open",
        "attempt",
        "began",
        "budget",
        "index",
        "lost",
        "note",
        "probe",
        "recorded",
    )

    def __init__(self, candidate: Candidate, budget: Budget, began: float, health: Health) -> None:
        self.attempt = candidate.attempt
        self.index = candidate.index
        self.probe = candidate.probe
        self.note = candidate.note
        self.budget = budget
        self.began = began
        self.lost = False
        """Cancelled because a hedge partner won (not because the client left)."""
        self.recorded = False
        self._health = health
        self._open = True
        health.started(self.attempt.model.name)

    @property
    def model(self) -> CatalogModel:
        return self.attempt.model

    def succeeded(self, latency_ms: float, ttft_ms: float | None = None) -> None:
        if self._open:
            self._open = False
            self._health.succeeded(self.model.name, latency_ms, ttft_ms)

    def failed(self, error: UpstreamError, *, blame: bool | None = None) -> None:
        """A failure counts against the model when it is the model's (a 4xx is the request's; a
        timeout only when the attempt had a fair share of the deadline, or the stream stalled once it
        flowed: `blame`)."""
        fair = self.budget.fair if blame is None else blame
        blamed = failover.blames_model(error) and (fair or not isinstance(error, UpstreamTimeout))
        if self._open:
            self._open = False
            if blamed:
                self._health.failed(self.model.name)
            else:
                self._health.released(self.model.name)

    def released(self) -> None:
        if self._open:
            self._open = False
            self._health.released(self.model.name)


class HasLive(Protocol):
    """What an attempt hands back (a whole answer, a primed stream) carries its `Live`."""

    @property
    def live(self) -> Live: ...


R = TypeVar("R", bound=HasLive)
Once = Callable[[Candidate, Budget], Coroutine[Any, Any, R]]


class Failed(Exception):
    """An attempt failed with an upstream error; the run decides what that attempt's outcome is."""

    def __init__(self, live: Live, error: UpstreamError) -> None:
        super().__init__(error.message)
        self.live = live
        self.error = error


@dataclass(slots=True)
class Part:
    """A piece of the answer the client received, and what the provider bills for it."""

    live: Live
    usage: Usage
    cost: Decimal | None


class Book:
    def __init__(self, trace: Trace, now: Callable[[], float], started: float) -> None:
        self.trace = trace
        self._now = now
        self._started = started
        self.made = 0
        self.escalations = 0
        self.parts: list[Part] = []
        self.discarded = Decimal(0)
        self.lives: list[Live] = []
        self.last: Live | None = None
        """The latest attempt started: a failure the client hears about is booked to its model."""

    def begin(self, candidate: Candidate, budget: Budget, health: Health) -> Live:
        live = Live(candidate, budget, self._now(), health)
        self.made += 1
        self.lives.append(live)
        self.last = live
        return live

    def end(
        self,
        live: Live,
        outcome: str,
        detail: str = "",
        *,
        status: int | None = None,
        cost: Decimal | None = None,
    ) -> AttemptRecord | None:
        """Record `live`'s outcome; a second call for the same attempt records nothing."""
        if live.recorded:
            return None
        live.recorded = True
        live.released()  # whatever the health claim did not learn from, it learns nothing from
        now = self._now()
        attempt = live.attempt
        if live.note:
            detail = f"{live.note}; {detail}" if detail else live.note
        return self.trace.add(
            attempt.model,
            attempt.tier,
            attempt.reason,
            outcome,
            detail,
            at_ms=round((live.began - self._started) * 1000, 3),
            ms=round((now - live.began) * 1000, 3),
            status=status,
            cost_usd=cost,
        )

    def skip(self, attempt: Attempt, why: str) -> None:
        self.trace.add(attempt.model, attempt.tier, attempt.reason, "skipped", why)

    def deliver(self, live: Live, usage: Usage, cost: Decimal | None) -> None:
        """`live` produced (part of) the answer the client received."""
        self.parts.append(Part(live, usage, cost))

    def discard(self, cost: Decimal | None) -> None:
        """Work the provider bills that the client never saw."""
        if cost is not None:
            self.discarded += cost

    def usage(self) -> Usage:
        if len(self.parts) == 1:
            return self.parts[0].usage
        total = Usage()
        for part in self.parts:
            total = add(total, part.usage)
        return total

    def cost(self) -> Decimal | None:
        total: Decimal | None = Decimal(0)
        for part in self.parts:
            total = None if total is None or part.cost is None else total + part.cost
        return total

    def close(self, why: str) -> None:
        """The run is over: an attempt that was never recorded (the gateway itself failed during
        it) gets its one outcome now, and its health claim ends."""
        for live in self.lives:
            if not live.recorded:
                self.end(live, "failed", why)
