"""A whole (not streamed) answer: chat or embeddings. Each attempt must arrive within its budget;
an answer that fails a check escalates; the one returned is recorded as answered."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal

from pointsman.engine.book import Candidate, Failed, Live
from pointsman.engine.budget import Budget
from pointsman.engine.call import Answer
from pointsman.engine.checks import CheckFailure, check_answer
from pointsman.engine.costs import answer_texts, estimate, priced
from pointsman.engine.fit import chat_request
from pointsman.engine.run import Run
from pointsman.errors import UpstreamError, UpstreamTimeout
from pointsman.providers.base import Completion, Json
from pointsman.usage import Usage


@dataclass(slots=True)
class Whole:
    live: Live
    completion: Completion
    usage: Usage
    cost: Decimal | None


async def answer_whole(run: Run) -> Answer:
    checks = run.policy.checks if run.endpoint == "chat" else None

    def judge(result: Whole) -> CheckFailure | None:
        if checks is None:
            return None
        return check_answer(run.call.body, result.completion.data, checks)

    async def drop(result: Whole, failure: CheckFailure) -> None:
        run.book.discard(result.cost)
        detail = f"{failure.check}: {failure.detail}"
        run.book.end(result.live, "check_failed", detail, status=200, cost=result.cost)

    once = _Once(run)
    result, failure = await run.first_acceptable(once, judge, drop)
    answer = Answer(run.meta(result.live), result.completion, result.usage, result.cost)
    _strip_logprobs(run, answer)
    run.book.deliver(result.live, answer.usage, answer.cost)
    kept = f"kept, no tier did better: {failure.check}: {failure.detail}" if failure else ""
    run.book.end(result.live, "answered", kept, status=200, cost=answer.cost)
    if run.endpoint == "chat":
        run.text = "\n".join(answer_texts(answer.completion.data))
    return answer


class _Once:
    """One whole-answer attempt."""

    def __init__(self, run: Run) -> None:
        self._run = run

    async def __call__(self, candidate: Candidate, budget: Budget) -> Whole:
        run = self._run
        live = run.begin(candidate, budget)
        model = candidate.attempt.model
        try:
            try:
                completion = await self._exchange(candidate, budget.seconds)
            except UpstreamTimeout:
                endpoint = run.parts.providers[model.provider].endpoint
                if budget.seconds is None or budget.seconds >= endpoint.read_timeout:
                    raise  # the provider's own read timeout came first
                raise run.timed_out(model, budget, "sent no answer") from None
            if completion.usage is None:
                await run.parts.tokens.ready(model.upstream, model.tokenizer)
            usage = completion.usage or self._estimate(candidate, completion)
            live.succeeded((run.parts.clock.now() - live.began) * 1000)
            return Whole(live, completion, usage, priced(model, usage))
        except UpstreamError as error:
            live.failed(error)
            raise Failed(live, error) from None
        except asyncio.CancelledError:
            run.cancelled(live, [], None)
            raise
        finally:
            live.released()  # nothing above ended it: the gateway itself failed during the attempt

    async def _exchange(self, candidate: Candidate, within: float | None) -> Completion:
        run = self._run
        model = candidate.attempt.model
        provider = run.parts.providers[model.provider]
        if run.endpoint == "chat":
            body = _body_for(run, candidate)
            request = chat_request(provider, body, model, run.call.trace, want_stream_usage=False)
        else:
            request = provider.embeddings_request(run.call.body, model.upstream)
        response = await run.parts.upstream().send(provider.endpoint, request, within=within)
        if response.status >= 400:
            raise provider.classify_error(response)
        parse = provider.parse_chat if run.endpoint == "chat" else provider.parse_embeddings
        return parse(response)

    def _estimate(self, candidate: Candidate, completion: Completion) -> Usage:
        run, model = self._run, candidate.attempt.model
        if run.endpoint == "embeddings":
            text = str(run.call.body.get("input", ""))
            tokens = run.parts.tokens.count(text, model.upstream, model.tokenizer)
            return Usage(input_tokens=tokens, estimated=True)
        return estimate(run.parts.tokens, run.call.body, model, answer_texts(completion.data))


def _body_for(run: Run, candidate: Candidate) -> Json:
    """A confidence floor asks the provider for logprobs the client did not ask for."""
    body = run.call.body
    checks = run.policy.checks
    if (
        checks is not None
        and checks.logprob_floor is not None
        and not body.get("logprobs")
        and "logprobs" in candidate.attempt.model.capabilities
    ):
        return {**body, "logprobs": True}
    return body


def _strip_logprobs(run: Run, answer: Answer) -> None:
    """Logprobs the gateway asked for (a confidence floor) are not the client's to receive."""
    checks = run.policy.checks
    if checks is None or checks.logprob_floor is None or run.call.body.get("logprobs"):
        return
    for choice in answer.completion.data.get("choices") or ():
        if isinstance(choice, dict) and choice.get("logprobs") is not None:
            choice["logprobs"] = None
            answer.completion.raw = None
