"""One request's run of its route plan: its deadline, its candidates, and what every attempt did.

The two ways a request runs (`whole.py`, `streaming.py`) share what is here: starting an attempt
with its budget, retrying the same model as `failover` decides, hedging a slow start, judging
answers and escalating bad ones, and settling the one `Outcome` the ledger row is written from.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from pointsman.catalog.model import CatalogModel
from pointsman.engine import failover
from pointsman.engine.book import Book, Candidate, Failed, Live, Once, R
from pointsman.engine.budget import Budget, Window, stall_limit
from pointsman.engine.call import CLIENT_CLOSED, AnswerMeta, Call, Outcome, Parts
from pointsman.engine.checks import CheckFailure
from pointsman.engine.costs import partial, priced
from pointsman.engine.hedge import hedged
from pointsman.engine.walk import Walk
from pointsman.errors import ContextLengthExceeded, PointsmanError, UpstreamError, UpstreamTimeout
from pointsman.routing import capabilities
from pointsman.routing.plan import RoutePlan
from pointsman.state.health import OPEN
from pointsman.usage import Usage


class Run:
    def __init__(self, parts: Parts, call: Call, plan: RoutePlan, endpoint: str) -> None:
        self.parts = parts
        self.call = call
        self.plan = plan
        self.policy = plan.policy
        self.endpoint = endpoint
        self.stream = call.stream
        now = parts.clock.now
        self.window = Window(now, plan.policy, call.started)
        self.book = Book(call.trace, now, call.started)
        self.walk = Walk(self)
        self.stall = stall_limit(plan.policy)
        self._unbounded = self.window.budget(left=1, stream=call.stream, first=True)
        self.first_token: float | None = None
        self.status = 200
        """A stream that ended with an error after its answer started says so here."""
        self.error: PointsmanError | None = None
        self.error_type = ""
        """The ledger's name for how it ended, when not the error's own type (stream_interrupted)."""
        self.named: Live | None = None
        self.text: str | None = None
        """The answer's text once the client has all of it (see Outcome.text)."""

    # ---- time

    def budget(self, index: int) -> Budget | None:
        """The budget of an attempt on the plan's candidate `index` (its share of the time left)."""
        if self.window.ends_at is None:
            return self._unbounded
        left = self.walk.left(index)
        return self.window.budget(left=left, stream=self.stream, first=self.book.made == 0)

    def timed_out(self, model: CatalogModel, budget: Budget, what: str) -> UpstreamTimeout:
        return UpstreamTimeout(
            f"provider '{model.provider}' ({model.name}) {what} within {budget.describe()}",
            provider=model.provider,
        )

    async def check_context(self, model: CatalogModel) -> None:
        window = model.context_window
        if window is None or self.endpoint == "embeddings":
            return
        size = capabilities.prompt_bytes(self.call.body)
        if size <= window:
            return  # only a prompt this large can overflow the window (no token is shorter than a byte)
        tokens = self.parts.tokens
        await tokens.ready(model.upstream, model.tokenizer)
        messages = self.call.body.get("messages")
        prompt = await tokens.count_messages_aside(messages, model.upstream, model.tokenizer, size)
        capabilities.check_context(prompt, model)

    # ---- attempts

    def begin(self, candidate: Candidate, budget: Budget) -> Live:
        return self.book.begin(candidate, budget, self.parts.health)

    async def retried(self, candidate: Candidate, budget: Budget, once: Once[R]) -> R | None:
        """`candidate`, retried on the same model as failover decides; None when the run moves on.
        A half-open circuit's probe is one attempt."""
        retries_left = 0 if candidate.probe else self.policy.retries
        while True:
            try:
                return await once(candidate, budget)
            except Failed as failed:
                if self.policy.circuit and self.parts.health.stats(failed.live.model.name).circuit == OPEN:
                    retries_left = 0  # that failure opened the model's circuit: no retry either
                if not await self.after_failure(failed, retries_left):
                    return None
            retries_left -= 1
            next_budget = self.budget(candidate.index)
            if next_budget is None:
                self.walk.out_of_time(candidate.index + 1)
                return None
            budget = next_budget

    async def after_failure(self, failed: Failed, retries_left: int) -> bool:
        """Record a failed attempt and say whether to try the same model again (after waiting)."""
        error, live, policy = failed.error, failed.live, self.policy
        backoff = policy.backoff * (2 ** (policy.retries - retries_left)) * (0.5 + self.parts.rng())
        action = failover.decide(
            error,
            retries_left=retries_left,
            fits=self.window.fits,
            backoff=backoff,
            on_content_filter=policy.on_content_filter,
        )
        self.failed(live, error, "retried" if action.kind == failover.RETRY else "failed")
        if action.cool:
            self.parts.health.cool(live.model.name, action.cool)
        if action.kind == failover.STOP:
            raise error
        if action.kind == failover.LARGER:
            window = live.model.context_window
            known = isinstance(error, ContextLengthExceeded) and window is not None
            self.walk.min_window = max(self.walk.min_window or 0, window if known and window else 0)
        if action.kind == failover.RETRY:
            await self.parts.clock.sleep(action.delay)
            return True
        return False

    def failed(self, live: Live, error: UpstreamError, outcome: str = "failed") -> None:
        self.book.end(live, outcome, f"{error.type}: {error.message}", status=error.status)
        self.walk.last_error = error

    async def attempt(self, candidate: Candidate, budget: Budget, once: Once[R]) -> R | None:
        """The first attempt is hedged when the route says so and a partner can take the request;
        any other runs alone, with its retries."""
        if self.policy.hedge is not None and self.book.made == 0:
            return await hedged(self, candidate, budget, once)
        return await self.retried(candidate, budget, once)

    async def first_acceptable(
        self,
        once: Once[R],
        judge: Callable[[R], CheckFailure | None],
        drop: Callable[[R, CheckFailure], Awaitable[None]],
    ) -> tuple[R, CheckFailure | None]:
        """The first answer that passes the checks; a bad one escalates to a higher tier, up to the
        route's cap. When every tier fails them, or a later tier fails outright, the last answer is
        still the best there is."""
        kept: tuple[R, CheckFailure] | None = None
        start = 0
        try:
            while (found := await self.walk.next(start)) is not None:
                candidate, budget = found
                start = candidate.index + 1
                result = await self.attempt(candidate, budget, once)
                if result is None:
                    continue
                failure = judge(result)
                if kept is not None:
                    await drop(*kept)
                    kept = None
                if failure is None:
                    return result, None
                kept = result, failure
                if not self.escalate(result.live):
                    break
        except PointsmanError:
            if kept is None:
                raise
        except BaseException:
            if kept is not None:
                await drop(*kept)
            raise
        if kept is not None:
            return kept
        raise self.walk.exhausted()

    def escalate(self, live: Live) -> bool:
        if self.book.escalations >= self.policy.max_escalations:
            return False
        self.book.escalations += 1
        self.call.trace.escalations = self.book.escalations
        self.walk.min_tier = live.attempt.tier + 1
        return True

    def cancelled(self, live: Live, texts: list[str], usage: Usage | None, opened: bool = True) -> None:
        """Cancelled mid-attempt: a hedge that lost, or the client leaving. The provider bills what it
        read and generated until then (estimated): work thrown away, or the client's own."""
        usage = partial(self.parts.tokens, self.call.body, live.model, texts, usage) if opened else Usage()
        cost = priced(live.model, usage) if opened else None
        if live.lost:
            self.book.discard(cost)
        else:
            self.book.deliver(live, usage, cost)
        self.book.end(live, "hedge_lost" if live.lost else "abandoned", cost=cost if opened else None)

    def meta(self, live: Live) -> AnswerMeta:
        trace = self.call.trace if self.call.explain else None
        adapted = tuple(self.call.trace.adapted)
        return AnswerMeta(live.model, live.attempt.reason, self.call.id, trace, adapted)

    # ---- the outcome

    def outcome(self, status: int, error: PointsmanError | None = None, live: Live | None = None) -> Outcome:
        """`live`: the attempt the row names (default: the answer's last part, else the attempt that
        failed last, whose failure the client hears about)."""
        book = self.book
        book.close(f"{error.type}: {error.message}" if error is not None else "the run ended before it did")
        if live is None:
            live = book.parts[-1].live if book.parts and status == 200 else book.last
        return Outcome(
            status=status,
            error_type=self.error_type or (error.type if error is not None else ""),
            model=live.model if live is not None else None,
            route=live.attempt.reason if live is not None else self.plan.primary.reason,
            usage=book.usage(),
            cost=book.cost(),
            discarded=book.discarded,
            attempts=book.made,
            escalations=book.escalations,
            finished=self.parts.clock.now(),
            first_token=self.first_token,
            trace=self.call.trace,
            text=self.text,
        )

    def ended_by(self, exc: BaseException) -> Outcome:
        """The outcome of a run that raised: an error the client hears about, the client leaving,
        or the gateway itself failing."""
        if isinstance(exc, asyncio.CancelledError):
            return self.outcome(CLIENT_CLOSED, _ClientClosed())
        if isinstance(exc, PointsmanError):
            return self.outcome(exc.status, exc)
        return self.outcome(500, PointsmanError(f"the gateway failed ({type(exc).__name__})"))


class _ClientClosed(PointsmanError):
    status = CLIENT_CLOSED
    type = "client_closed"

    def __init__(self) -> None:
        super().__init__("the client closed the connection")
