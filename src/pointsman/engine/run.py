"""Carry out one route plan: try candidates in order, retry or fail over by what went wrong, check
answers and escalate bad ones, hedge a slow start, and keep streams whole — all under one deadline.

Every attempt, skipped candidate and escalation lands in the call's trace; the ledger row ends up
describing the model that answered, with failed attempts never billed as completions.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from decimal import Decimal
from typing import TypeVar

from pointsman.engine import failover
from pointsman.engine.call import CLIENT_CLOSED, Answer, AnswerMeta, Call, ChunkSink, Parts
from pointsman.engine.checks import CheckFailure, assemble, check_answer, needs_whole_answer
from pointsman.engine.streamed import StreamedAttempt
from pointsman.engine.trace import AttemptRecord
from pointsman.errors import (
    ContextLengthExceeded,
    PointsmanError,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from pointsman.providers.base import Completion, Json
from pointsman.routing import capabilities
from pointsman.routing.plan import Attempt, RoutePlan
from pointsman.usage import Usage

T = TypeVar("T")

_REFUSAL_WINDOW = 300
"""Characters a stream holds back when refusal patterns must see the answer's opening."""


class _Failed(Exception):
    """An attempt failed in a way the run moves past (the error is already recorded)."""


class Run:
    def __init__(self, parts: Parts, call: Call, plan: RoutePlan, endpoint: str) -> None:
        self.parts = parts
        self.call = call
        self.plan = plan
        self.policy = plan.policy
        self.endpoint = endpoint
        self.trace = call.trace
        deadline = self.policy.deadline
        self.deadline_at = call.started + deadline if deadline is not None else None
        self.min_window: int | None = None
        """After a context-length error: only models with a larger window."""
        self.min_tier = 0
        self.tried: set[str] = set()
        self.skip_error: PointsmanError | None = None
        self.last_error: UpstreamError | None = None
        self.circuit_skips = 0
        self.made = 0
        self.escalations = 0
        self.discarded = Decimal(0)
        self.losers: set[str] = set()
        self._starts: dict[str, float] = {}
        self._last: Attempt | None = None

    # ---- time

    def remaining(self) -> float | None:
        if self.deadline_at is None:
            return None
        return self.deadline_at - self.parts.perf()

    def _budget(self, first: float | None) -> tuple[float | None, str]:
        """Seconds this attempt may take, and which limit that is (for the error message)."""
        left = self.remaining()
        limit = first if first is not None else self.policy.attempt_timeout
        if limit is not None and (left is None or limit <= left):
            return limit, "attempt timeout" if first is None else "time-to-first-token deadline"
        return (max(left, 0.0), "deadline") if left is not None else (None, "")

    def _since_start_ms(self, at: float | None = None) -> float:
        return round(((at if at is not None else self.parts.perf()) - self.call.started) * 1000, 3)

    # ---- candidates

    async def _eligible(self, attempt: Attempt, *, admit: bool = True) -> str:
        """Why `attempt` cannot be tried now, or "" when it can (preflight, then the circuit)."""
        model = attempt.model
        if attempt.tier < self.min_tier:
            return "escalated past this tier"
        if self.min_window is not None and (model.context_window or 0) <= self.min_window:
            return f"context window {model.context_window or 'unknown'} is not larger than {self.min_window}"
        try:
            capabilities.check(self.call.body, self.endpoint, model)
            await self._check_context(attempt)
        except PointsmanError as error:
            self.skip_error = self.skip_error or error
            return error.message
        if admit and self.policy.circuit and not self.parts.health.admit(model.name):
            self.circuit_skips += 1
            return "circuit open"
        return ""

    async def _check_context(self, attempt: Attempt) -> None:
        model = attempt.model
        window = model.context_window
        if window is None or self.endpoint == "embeddings":
            return
        if capabilities.prompt_bytes(self.call.body) <= window:
            return  # only a prompt this large can overflow the window (no token is shorter than a byte)
        tokens = self.parts.tokens
        await tokens.ready(model.upstream, model.tokenizer)
        prompt = tokens.count_messages(self.call.body.get("messages"), model.upstream, model.tokenizer)
        capabilities.check_context(prompt, model)

    async def _next(self, index: int, *, prefill: bool = False) -> tuple[int, Attempt] | None:
        """The next triable candidate at or after `index`; skipped ones go into the trace.
        Each is judged only when the run reaches it: health changes while earlier ones run."""
        attempts = self.plan.attempts
        while index < len(attempts):
            attempt = attempts[index]
            if attempt.model.name not in self.tried:
                why = (
                    "cannot continue a prefill"
                    if prefill and "prefill" not in attempt.model.capabilities
                    else ""
                )
                why = why or await self._eligible(attempt)
                if not why:
                    self.tried.add(attempt.model.name)
                    return index, attempt
                self.trace.add(attempt.model, attempt.tier, attempt.reason, "skipped", why)
            index += 1
        return None

    async def _walk(self, index: int = 0, *, prefill: bool = False) -> AsyncIterator[tuple[int, Attempt]]:
        """Each triable candidate in turn, with the index to resume from after it."""
        while (found := await self._next(index, prefill=prefill)) is not None:
            index, attempt = found
            index += 1
            yield index, attempt

    async def _peek(self, index: int) -> Attempt | None:
        """A hedge partner: the next candidate that passes preflight (its circuit is asked later)."""
        for attempt in self.plan.attempts[index:]:
            if attempt.model.name not in self.tried and not await self._eligible(attempt, admit=False):
                return attempt
        return None

    def _exhausted(self) -> PointsmanError:
        if self.last_error is not None:
            return self.last_error
        if self.circuit_skips and self.made == 0:
            return UpstreamUnavailable(
                f"Every model for '{self.call.requested_model}' is unavailable right now (circuit open "
                "after repeated failures). Retry shortly.",
                retry_after="5",
                status=503,
            )
        if self.skip_error is not None:
            return self.skip_error
        return UpstreamUnavailable(f"No model could take this request for '{self.call.requested_model}'.")

    # ---- outcomes

    def _record(
        self, attempt: Attempt, outcome: str, began: float, detail: str = "", **kw: object
    ) -> AttemptRecord:
        return self.trace.add(
            attempt.model,
            attempt.tier,
            attempt.reason,
            outcome,
            detail,
            at_ms=self._since_start_ms(began),
            ms=round((self.parts.perf() - began) * 1000, 3),
            **kw,
        )

    def _failed(self, attempt: Attempt, error: UpstreamError, began: float, retrying: bool) -> None:
        health = self.parts.health
        if failover.blames_model(error):
            health.failed(attempt.model.name)
        else:
            health.released(attempt.model.name)
        self._record(
            attempt,
            "retried" if retrying else "failed",
            began,
            f"{error.type}: {error.message}",
            status=error.status,
        )
        self.last_error = error

    async def _after_error(self, attempt: Attempt, error: UpstreamError, retries_left: int) -> bool:
        """Record the failure and say whether to retry the same model (after waiting)."""
        policy = self.policy
        attempt_no = policy.retries - retries_left
        backoff = policy.backoff * (2**attempt_no) * (0.5 + self.parts.rng())
        action = failover.decide(
            error,
            retries_left=retries_left,
            remaining=self.remaining(),
            backoff=backoff,
            on_content_filter=policy.on_content_filter,
        )
        self._failed(attempt, error, self._start(attempt), action.kind == failover.RETRY)
        if action.cool:
            self.parts.health.cool(attempt.model.name, action.cool)
        if action.kind == failover.STOP:
            raise error
        if action.kind == failover.LARGER:
            window = attempt.model.context_window
            if isinstance(error, ContextLengthExceeded) and window is not None:
                self.min_window = max(self.min_window or 0, window)
            else:
                self.min_window = self.min_window or 0
            return False
        if action.kind == failover.RETRY:
            await self.parts.sleep(action.delay)
            return True
        return False

    def _escalate(self, attempt: Attempt, failure: CheckFailure, began: float, cost: Decimal | None) -> bool:
        """A bad answer: move to the next tier if the cap allows (the answer is kept as a last resort)."""
        self._record(attempt, "check_failed", began, f"{failure.check}: {failure.detail}", cost_usd=cost)
        if self.escalations >= self.policy.max_escalations:
            return False
        self.escalations += 1
        self.trace.escalations = self.escalations
        self.min_tier = attempt.tier + 1
        return True

    # ---- whole answers

    async def whole(self) -> Answer:
        try:
            return await self._whole()
        except PointsmanError as error:
            self.fail_row(error)
            raise

    async def _whole(self) -> Answer:
        kept: tuple[Answer, Attempt] | None = None
        async for index, attempt in self._walk():
            try:
                answer, attempt = await self._maybe_hedged(attempt, index, self._whole_once, stream=False)
            except _Failed:
                continue
            checks = self.policy.checks
            failure = None
            if checks is not None and self.endpoint == "chat":
                failure = check_answer(self.call.body, answer.completion.data, checks)
            if failure is None:
                self._strip_logprobs(answer)
                return self._settle(answer, attempt)
            if kept is not None and kept[0].cost is not None:
                self.discarded += kept[0].cost
            kept = answer, attempt
            if not self._escalate(attempt, failure, self._start(attempt), answer.cost):
                break
        if kept is not None:
            # every tier failed the checks: the last answer is still the best one there is
            self._strip_logprobs(kept[0])
            return self._settle(*kept)
        raise self._exhausted()

    async def _maybe_hedged(
        self,
        attempt: Attempt,
        index: int,
        once: Callable[[Attempt], Coroutine[object, object, T]],
        *,
        stream: bool,
    ) -> tuple[T, Attempt]:
        """The first attempt is hedged when the route says so and a partner can take the request;
        any other runs alone, with its retries."""
        if self.policy.hedge is not None and self.made == 0:
            delay = self._hedge_delay(attempt, stream=stream)
            partner = await self._peek(index) if delay is not None else None
            if delay is not None and partner is not None:
                return await self._hedged(attempt, partner, delay, once)
        return await self._with_retries(attempt, once), attempt

    async def _with_retries(
        self, attempt: Attempt, once: Callable[[Attempt], Coroutine[object, object, T]]
    ) -> T:
        retries_left = self.policy.retries
        while True:
            try:
                return await once(attempt)
            except UpstreamError as error:
                if not await self._after_error(attempt, error, retries_left):
                    raise _Failed from None
                retries_left -= 1

    def _body_for(self, attempt: Attempt) -> Json:
        body = self.call.body
        checks = self.policy.checks
        if (
            checks is not None
            and checks.logprob_floor is not None
            and not body.get("logprobs")
            and "logprobs" in attempt.model.capabilities
        ):
            return {**body, "logprobs": True}
        return body

    def _strip_logprobs(self, answer: Answer) -> None:
        """Logprobs the gateway asked for (a confidence floor) are not the client's to receive."""
        checks = self.policy.checks
        if checks is None or checks.logprob_floor is None or self.call.body.get("logprobs"):
            return
        data = answer.completion.data
        for choice in data.get("choices") or ():
            if isinstance(choice, dict) and choice.get("logprobs") is not None:
                choice["logprobs"] = None
                answer.completion.raw = None

    async def _whole_once(self, attempt: Attempt) -> Answer:
        parts = self.parts
        model = attempt.model
        provider = parts.providers[model.provider]
        health = parts.health
        began = parts.perf()
        budget, limit = self._begin(attempt, began, None)
        try:
            try:
                async with asyncio.timeout(budget):
                    if self.endpoint == "chat":
                        request = provider.chat_request(
                            self._body_for(attempt), model.upstream, want_stream_usage=False
                        )
                    else:
                        request = provider.embeddings_request(self.call.body, model.upstream)
                    response = await parts.upstream().send(provider.endpoint, request)
                    if response.status >= 400:
                        raise provider.classify_error(response)
                    parse = provider.parse_chat if self.endpoint == "chat" else provider.parse_embeddings
                    completion = parse(response)
            except TimeoutError:
                raise UpstreamTimeout(
                    f"provider '{model.provider}' did not answer within {budget:.1f} s (the route's {limit})",
                    provider=model.provider,
                ) from None
        except asyncio.CancelledError:
            self._cancelled(attempt, began, [], None)
            raise
        if completion.usage is None:
            await parts.tokens.ready(model.upstream, model.tokenizer)
        usage = completion.usage or self._estimate_whole(attempt, completion)
        cost = model.price.cost(usage) if model.price is not None else None
        elapsed = (parts.perf() - began) * 1000
        health.succeeded(model.name, elapsed)
        return Answer(AnswerMeta(model, attempt.reason, self.call.id), completion, usage, cost)

    def _estimate_whole(self, attempt: Attempt, completion: Completion) -> Usage:
        model = attempt.model
        tokens = self.parts.tokens
        if self.endpoint == "embeddings":
            text = str(self.call.body.get("input", ""))
            return Usage(input_tokens=tokens.count(text, model.upstream, model.tokenizer), estimated=True)
        return self._estimate(attempt, _answer_texts(completion.data))

    def _settle(self, answer: Answer, attempt: Attempt, *, first_token: float | None = None) -> Answer:
        row = self.call.row
        model = attempt.model
        usage = answer.usage
        self._row_model(attempt)
        row.status = 200
        row.error_type = ""
        row.prompt_tokens, row.completion_tokens = usage.input_tokens, usage.output_tokens
        row.cached_tokens, row.cache_write_tokens = usage.cached_tokens, usage.cache_write_tokens
        row.reasoning_tokens, row.estimated = usage.reasoning_tokens, usage.estimated
        row.cost_usd = answer.cost
        row.latency_ms = self._since_start_ms()
        if first_token is not None:
            row.ttft_ms = self._since_start_ms(first_token)
        self._close_row()
        self._record(attempt, "answered", self._start(attempt), cost_usd=answer.cost, status=200)
        answer.meta = AnswerMeta(
            model, attempt.reason, self.call.id, self.trace if self.call.explain else None
        )
        return answer

    def _row_model(self, attempt: Attempt) -> None:
        row, model = self.call.row, attempt.model
        row.model, row.provider, row.upstream_model = model.name, model.provider, model.upstream
        row.route = attempt.reason

    def _close_row(self) -> None:
        row = self.call.row
        row.attempts = self.made
        row.escalations = self.escalations
        row.discarded_cost_usd = self.discarded

    def fail_row(self, error: PointsmanError) -> None:
        row = self.call.row
        if self._last is not None:  # the model that failed last is the one the client hears about
            self._row_model(self._last)
        row.status, row.error_type = error.status, error.type
        row.cost_usd = Decimal(0)  # a failed request is never billed as a completion
        row.latency_ms = self._since_start_ms()
        self._close_row()

    # ---- hedging

    def _hedge_delay(self, attempt: Attempt, *, stream: bool) -> float | None:
        hedge = self.policy.hedge
        if hedge is None:
            return None
        if hedge.after is not None:
            return hedge.after
        stats = self.parts.health.stats(attempt.model.name)
        samples, p95 = (stats.ttft_samples, stats.ttft_p95_ms) if stream else (stats.samples, stats.p95_ms)
        if samples < hedge.min_samples or p95 is None:
            return None
        return p95 / 1000

    async def _hedged(
        self,
        first: Attempt,
        second: Attempt,
        delay: float,
        once: Callable[[Attempt], Coroutine[object, object, T]],
    ) -> tuple[T, Attempt]:
        """Start `first`; if it has not succeeded after `delay`, start `second` too. The first
        success wins and the other is cancelled (its upstream call aborted, never billed)."""
        tasks: dict[asyncio.Task[T], Attempt] = {asyncio.create_task(once(first)): first}
        errors: list[tuple[Attempt, UpstreamError]] = []
        try:
            done, _ = await asyncio.wait(tasks, timeout=delay)
            if not done and (not self.policy.circuit or self.parts.health.admit(second.model.name)):
                self.tried.add(second.model.name)
                self.trace.add(
                    second.model, second.tier, second.reason, "hedged", f"after {delay * 1000:.0f} ms"
                )
                tasks[asyncio.create_task(once(second))] = second
            while tasks:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    attempt = tasks.pop(task)
                    error = task.exception()
                    if error is None:
                        await self._cancel_losers(tasks)
                        return task.result(), attempt
                    if not isinstance(error, UpstreamError):
                        raise error
                    errors.append((attempt, error))
        finally:
            await self._cancel_losers(tasks)
        for attempt, error in errors:
            self._failed(attempt, error, self._start(attempt), False)
        raise _Failed

    async def _cancel_losers(self, tasks: dict[asyncio.Task[T], Attempt]) -> None:
        for task, attempt in tasks.items():
            self.losers.add(attempt.model.name)
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        tasks.clear()

    # ---- streams

    async def stream(self, sink: ChunkSink) -> None:
        try:
            await self._stream(sink)
        except UpstreamError as error:
            self.fail_row(error)
            if not sink.started:
                raise
            await sink.fail(error)

    async def _stream(self, sink: ChunkSink) -> None:
        checks = self.policy.checks
        whole = checks is not None and needs_whole_answer(self.call.body, checks)
        min_chars = _REFUSAL_WINDOW if checks is not None and checks.refusal_patterns else 1
        kept: StreamedAttempt | None = None
        async for index, attempt in self._walk():
            try:
                prime = functools.partial(self._prime_once, whole=whole, min_chars=min_chars)
                current, _ = await self._maybe_hedged(attempt, index, prime, stream=True)
            except _Failed:
                continue
            failure = None
            if checks is not None and (whole or current.complete or current.progress.refusal):
                failure = check_answer(self.call.body, assemble(current.seen), checks)
            if failure is None:
                if kept is not None:
                    await kept.close(abort=True)
                await self._deliver(current, sink, index)
                return
            cost = self._stream_cost(current)
            if kept is not None:
                self.discarded += self._stream_cost(kept) or 0
                await kept.close(abort=True)
            kept = current
            if not self._escalate(current.attempt, failure, current.started, cost):
                break
        if kept is not None:
            await self._deliver(kept, sink, len(self.plan.attempts))
            return
        raise self._exhausted()

    async def _prime_once(
        self, attempt: Attempt, *, whole: bool, min_chars: int, body: Json | None = None
    ) -> StreamedAttempt:
        parts = self.parts
        model = attempt.model
        current = StreamedAttempt(attempt, parts.providers[model.provider], parts.perf)
        current.keep_all = self.policy.checks is not None
        budget, limit = self._begin(attempt, current.started, self.policy.ttft_timeout)
        try:
            try:
                async with asyncio.timeout(budget):
                    await current.open(parts.upstream(), body if body is not None else self.call.body)
                    await current.prime(whole=whole, min_chars=min_chars)
            except TimeoutError:
                raise UpstreamTimeout(
                    f"provider '{model.provider}' sent no answer within {budget:.1f} s (the route's {limit})",
                    provider=model.provider,
                ) from None
            if not current.progress.visible and not current.complete:
                raise UpstreamProtocolError(
                    f"provider '{model.provider}' ended the stream without an answer", provider=model.provider
                )
        except BaseException as exc:
            await current.close(abort=True)
            if isinstance(exc, asyncio.CancelledError):
                self._cancelled(attempt, current.started, current.translator.text, current.translator.usage)
            raise
        return current

    async def _deliver(self, current: StreamedAttempt, sink: ChunkSink, index: int) -> None:
        """Send the held chunks and pipe the rest; after a failure mid-answer, continue elsewhere."""
        parts: list[StreamedAttempt] = [current]
        if not sink.started:
            attempt = current.attempt
            trace = self.trace if self.call.explain else None
            await sink.start(AnswerMeta(attempt.model, attempt.reason, self.call.id, trace))
        while True:
            error = await self._pipe(current, sink)
            if error is None:
                await self._finish_stream(parts, sink)
                return
            self._failed(current.attempt, error, current.started, False)
            shown = "".join(p.progress.answer for p in parts)
            tools = any(p.progress.tools for p in parts)
            following = None if tools else await self._continuation(index, shown)
            if following is None:
                self._settle_parts(parts, complete=False)
                await sink.fail(_cut(error, shown))
                return
            index, current = following
            parts.append(current)

    async def _pipe(self, current: StreamedAttempt, sink: ChunkSink) -> UpstreamError | None:
        try:
            held = current.take_held()
            if held:
                await sink.chunks(held)
            current.set_stall(self.policy.stall_timeout)
            async for batch in current.rest():
                await sink.chunks(batch)
            if not current.complete:
                provider = current.attempt.model.provider
                return UpstreamProtocolError(
                    f"provider '{provider}' ended the stream before the answer was complete",
                    provider=provider,
                )
            return None
        except UpstreamError as error:
            return error
        except asyncio.CancelledError:
            translator = current.translator
            self._cancelled(current.attempt, current.started, translator.text, translator.usage)
            raise
        finally:
            await current.close(abort=not current.complete)

    async def _continuation(self, start: int, shown: str) -> tuple[int, StreamedAttempt] | None:
        """After a mid-stream failure: nothing visible yet → restart cleanly on the next candidate;
        some text shown → continue on one that accepts an assistant prefill; otherwise none."""
        async for index, attempt in self._walk(start, prefill=bool(shown)):
            body = self.call.body
            # a prefill may not end in whitespace (Anthropic refuses it): the model writes it again
            prefill = shown.rstrip()
            if shown:
                body = {
                    **body,
                    "messages": [*body.get("messages", []), {"role": "assistant", "content": prefill}],
                }
            try:
                current = await self._with_retries(
                    attempt, functools.partial(self._prime_once, whole=False, min_chars=1, body=body)
                )
            except _Failed:
                continue
            current.held = _without_leading(current.held, shown[len(prefill) :])
            return index, current
        return None

    async def _finish_stream(self, parts: list[StreamedAttempt], sink: ChunkSink) -> None:
        usage, cost = self._settle_parts(parts, complete=True)
        await sink.finish(usage, cost)

    def _settle_parts(self, parts: list[StreamedAttempt], *, complete: bool) -> tuple[Usage, Decimal | None]:
        """Usage and cost of every part that produced the answer (a continuation is billed too)."""
        usage = Usage()
        cost: Decimal | None = Decimal(0)
        for part in parts:
            part_usage = part.translator.usage or self._estimate(part.attempt, part.translator.text)
            usage = _add(usage, part_usage)
            part_cost = part.attempt.model.price.cost(part_usage) if part.attempt.model.price else None
            cost = None if cost is None or part_cost is None else cost + part_cost
        last = parts[-1]
        if complete:
            latency = (self.parts.perf() - last.started) * 1000
            ttft = (last.first_token - last.started) * 1000 if last.first_token is not None else None
            self.parts.health.succeeded(last.attempt.model.name, latency, ttft)
        answer = Answer(
            AnswerMeta(last.attempt.model, last.attempt.reason, self.call.id),
            Completion({}, usage),
            usage,
            cost,
        )
        self._settle(answer, last.attempt, first_token=parts[0].first_token)
        if not complete:
            self.call.row.status = 502
            self.call.row.error_type = "stream_interrupted"
        return usage, cost

    def _stream_cost(self, current: StreamedAttempt) -> Decimal | None:
        model = current.attempt.model
        usage = current.translator.usage or self._estimate(current.attempt, current.translator.text)
        return model.price.cost(usage) if model.price is not None else None

    def _begin(self, attempt: Attempt, began: float, first: float | None) -> tuple[float | None, str]:
        """An attempt starts: count it, mark the model busy, and say how long it may take."""
        self._starts[attempt.model.name] = began
        self.made += 1
        self._last = attempt
        self.parts.health.started(attempt.model.name)
        return self._budget(first)

    def _cancelled(self, attempt: Attempt, began: float, texts: list[str], usage: Usage | None) -> None:
        """Cancelled mid-attempt: a hedge that lost (never billed) or the client leaving."""
        self.parts.health.released(attempt.model.name)
        lost = attempt.model.name in self.losers
        self._record(attempt, "hedge_lost" if lost else "abandoned", began)
        if not lost:
            self._abandoned(attempt, began, texts, usage)

    # ---- estimates and the client leaving

    def _estimate(self, attempt: Attempt, texts: list[str]) -> Usage:
        model = attempt.model
        tokens = self.parts.tokens
        return Usage(
            input_tokens=tokens.count_messages(
                self.call.body.get("messages"), model.upstream, model.tokenizer
            ),
            output_tokens=tokens.count_texts(texts, model.upstream, model.tokenizer),
            estimated=True,
        )

    def _abandoned(self, attempt: Attempt, began: float, texts: list[str], usage: Usage | None) -> None:
        """The client left. The provider still bills the prompt and whatever it generated, so the
        row prices that (estimated: no usage came back) under the status 499."""
        model = attempt.model
        usage = usage or self._estimate(attempt, texts)
        row = self.call.row
        self._row_model(attempt)
        row.prompt_tokens, row.completion_tokens, row.estimated = (
            usage.input_tokens,
            usage.output_tokens,
            usage.estimated,
        )
        row.cost_usd = model.price.cost(usage) if model.price is not None else None
        row.latency_ms = self._since_start_ms()
        row.status, row.error_type = CLIENT_CLOSED, "client_closed"
        self._close_row()

    def _start(self, attempt: Attempt) -> float:
        return self._starts.get(attempt.model.name, self.call.started)


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


def _without_leading(batch: list[tuple[Json, bytes | None]], text: str) -> list[tuple[Json, bytes | None]]:
    """Drop `text` (whitespace the client already has) from the start of a continuation."""
    if not text:
        return batch
    out = []
    for data, raw in batch:
        for choice in data.get("choices") or ():
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if not isinstance(delta, dict):
                continue
            content = delta.get("content")
            if text and isinstance(content, str) and content:
                if content.startswith(text):
                    delta["content"], raw = content[len(text) :], None
                text = ""
        out.append((data, raw))
    return out


def _add(a: Usage, b: Usage) -> Usage:
    return Usage(
        input_tokens=a.input_tokens + b.input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        cached_tokens=a.cached_tokens + b.cached_tokens,
        cache_write_tokens=a.cache_write_tokens + b.cache_write_tokens,
        reasoning_tokens=a.reasoning_tokens + b.reasoning_tokens,
        estimated=a.estimated or b.estimated,
    )


def _answer_texts(data: Json) -> list[str]:
    texts: list[str] = []
    for choice in data.get("choices") or ():
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            continue
        if isinstance(message.get("content"), str):
            texts.append(message["content"])
        for call in message.get("tool_calls") or ():
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                texts.extend(str(function.get(k) or "") for k in ("name", "arguments"))
    return texts
