"""The plan's candidates in order, each judged only when the run reaches it (health changes while
earlier candidates run): preflight first, then whether time is left, then the model's circuit.
A candidate that cannot be tried is recorded as skipped, with why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pointsman.engine.book import Candidate
from pointsman.engine.budget import Budget
from pointsman.errors import ContextLengthExceeded, PointsmanError, UpstreamError, UpstreamUnavailable
from pointsman.routing import capabilities, carry
from pointsman.routing.plan import Attempt
from pointsman.state.health import Admission

if TYPE_CHECKING:
    from pointsman.engine.run import Run

NO_TIME = "not started: no time left before the route's deadline"


class Walk:
    def __init__(self, run: Run) -> None:
        self._run = run
        self._attempts = run.plan.attempts
        self.tried: set[str] = set()
        self.min_tier = 0
        """After an escalation: only tiers above the one whose answer failed a check."""
        self.min_window: int | None = None
        """After a context-length error: only models with a larger known window."""
        self.skip_error: PointsmanError | None = None
        self.circuit_skips = 0
        self.last_error: UpstreamError | None = None

    def left(self, index: int) -> int:
        """Candidates from `index` on not tried yet (for each attempt's share of the deadline)."""
        tried = self.tried
        left = 0
        for attempt in self._attempts[index:]:
            if attempt.model.name not in tried:
                left += 1
        return left or 1

    async def next(self, start: int) -> tuple[Candidate, Budget] | None:
        """The first candidate from `start` on that may be tried now, with its budget; None when
        there is none, or no time is left for one."""
        index = start
        while index < len(self._attempts):
            attempt = self._attempts[index]
            index += 1
            if attempt.model.name in self.tried:
                continue
            why = await self.preflight(attempt)
            if why:
                self._run.book.skip(attempt, why)
                continue
            budget = self._run.budget(index - 1)
            if budget is None:
                self.out_of_time(index - 1)
                return None
            admission = self.admit(attempt)
            if not admission:
                self._run.book.skip(attempt, "circuit open")
                continue
            self.tried.add(attempt.model.name)
            return Candidate(index - 1, attempt, admission == Admission.PROBE), budget
        return None

    def out_of_time(self, index: int) -> None:
        for attempt in self._attempts[index:]:
            if attempt.model.name not in self.tried:
                self._run.book.skip(attempt, NO_TIME)

    def admit(self, attempt: Attempt) -> Admission:
        if not self._run.policy.circuit:
            return Admission.ADMITTED
        admission = self._run.parts.health.admit(attempt.model.name)
        if not admission:
            self.circuit_skips += 1
        return admission

    async def partner(self, index: int) -> Attempt | None:
        """A hedge partner: the next candidate that passes preflight (its circuit is asked later)."""
        for attempt in self._attempts[index:]:
            if attempt.model.name not in self.tried and not await self.preflight(attempt, quiet=True):
                return attempt
        return None

    async def preflight(self, attempt: Attempt, *, quiet: bool = False) -> str:
        """Why `attempt` cannot take this request, or "" when it can."""
        model = attempt.model
        if attempt.tier < self.min_tier:
            return "escalated past this tier"
        if self.min_window is not None and (model.context_window or 0) <= self.min_window:
            return f"context window {model.context_window or 'unknown'} is not larger than {self.min_window}"
        run = self._run
        try:
            capabilities.check(run.call.body, run.endpoint, model)
            if run.parts.strict and run.endpoint == "chat":
                carry.fits(run.call.body, model)
            await run.check_context(model)
        except PointsmanError as error:
            if not quiet:
                self.skip_error = self.skip_error or error
                if isinstance(error, ContextLengthExceeded) and model.context_window is not None:
                    self.min_window = max(self.min_window or 0, model.context_window)
            return error.message
        return ""

    def exhausted(self) -> PointsmanError:
        """The error for a run that found no answer: the last real failure, else why none was tried."""
        if self.last_error is not None:
            return self.last_error
        if self.circuit_skips and self._run.book.made == 0:
            return UpstreamUnavailable(
                f"Every model for '{self._run.call.requested_model}' is unavailable right now (circuit "
                "open after repeated failures). Retry shortly.",
                retry_after="5",
                status=503,
            )
        if self.skip_error is not None:
            return self.skip_error
        return UpstreamUnavailable(
            f"No model could take this request for '{self._run.call.requested_model}'."
        )
