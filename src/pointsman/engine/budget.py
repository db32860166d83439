"""How long each attempt may take, derived from the route's deadline and its chain.

The deadline bounds the time until the answer starts: a stream's first token, a whole answer's
arrival. Unless the route sets a limit, an attempt that is not the last candidate may use at most
half of the time left, so a silent or slow primary always leaves its fallback at least as long as
it had; and an attempt starts only when a usable budget is left (the first always starts).

Once a stream flows the deadline is over for it: silence is bounded by the stall limit (by default
a quarter of the deadline, at least a second), the whole stream optionally by `stream_timeout`, and
a continuation after a break gets a fresh deadline of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pointsman.routing.plan import Policy

USABLE = 0.5
"""Seconds: with less time left than this (or a tenth of the deadline, if smaller), an attempt
after the first is not started: it could not answer, and its failure would blame it unfairly."""

FAIR_SHARE = 0.25
"""A timeout counts against a model's health only when its budget was at least this share of the
deadline: a model given a few leftover tenths of a second has not shown itself to be slow."""

STALL_SHARE = 0.25
MIN_STALL = 1.0


@dataclass(slots=True)  # made per request: a frozen one costs a setattr per field
class Budget:
    """The seconds one attempt may take until its answer starts, and what set them."""

    seconds: float | None
    """None: no limit here but the provider's own timeouts (manual routing)."""
    source: str
    """What set it: a configured key (ttft_timeout, attempt_timeout), HALF or REST of the deadline."""
    deadline: float = 0.0
    fair: bool = True
    """A timeout within it says the model is slow or silent (it had a real share of the deadline)."""

    def describe(self) -> str:
        if self.seconds is None:
            return "its time limit"
        if self.source == HALF:
            why = f"half the time left of the route's {self.deadline:g} s deadline"
        elif self.source == REST:
            why = f"what was left of the route's {self.deadline:g} s deadline"
        else:
            why = f"the route's {self.source}"
        return f"{self.seconds:.1f} s ({why})"


HALF, REST = "half", "rest"


def stall_limit(policy: Policy) -> float | None:
    """Seconds a flowing stream may go silent before it counts as stalled."""
    if policy.stall_timeout is not None:
        return policy.stall_timeout
    if policy.deadline is None:
        return None  # the provider's read timeout
    return max(MIN_STALL, policy.deadline * STALL_SHARE)


class Window:
    """The deadline of one run: when it ends, and each attempt's share of what is left."""

    def __init__(self, now: Callable[[], float], policy: Policy, started: float) -> None:
        self._now = now
        self._policy = policy
        self._deadline = policy.deadline
        self.ends_at = started + policy.deadline if policy.deadline is not None else None

    def remaining(self) -> float | None:
        return None if self.ends_at is None else self.ends_at - self._now()

    def restart(self) -> None:
        """A stream broke after its answer started: the continuation gets a deadline of its own."""
        if self._deadline is not None:
            self.ends_at = self._now() + self._deadline

    @property
    def usable(self) -> float:
        return min(USABLE, self._deadline / 10) if self._deadline is not None else 0.0

    def fits(self, wait: float) -> bool:
        """Whether waiting `wait` seconds (a backoff, a Retry-After) still leaves a usable attempt."""
        left = self.remaining()
        return left is None or wait + self.usable <= left

    def budget(self, *, left: int, stream: bool, first: bool) -> Budget | None:
        """The budget of the next attempt, `left` candidates remaining (itself included); None when
        too little time is left to start one."""
        policy = self._policy
        if stream:
            configured, name = policy.ttft_timeout, "ttft_timeout"
        else:
            configured, name = policy.attempt_timeout, "attempt_timeout"
        remaining = self.remaining()
        if remaining is None:
            return Budget(configured, name)
        if not first and remaining < self.usable:
            return None
        remaining = max(remaining, 0.0)
        deadline = self._deadline or 0.0
        if configured is not None and configured <= remaining:
            return Budget(configured, name, deadline)
        if configured is None and left > 1:
            share, source = remaining / 2, HALF
        else:  # the last candidate, or a configured limit the deadline cuts short: all that is left
            share, source = remaining, REST
        return Budget(share, source, deadline, fair=first or share >= deadline * FAIR_SHARE)
