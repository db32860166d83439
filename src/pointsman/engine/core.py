"""Run a route plan: pick the attempt, translate, call the provider, price the answer, fill the ledger row.

The engine knows no wire format and no inbound surface: providers translate, the API layer renders,
and a `ChunkSink` receives streamed chunks in canonical form.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from pointsman.catalog.model import CatalogModel
from pointsman.errors import PointsmanError, UpstreamError, UpstreamProtocolError
from pointsman.ledger.row import LedgerRow
from pointsman.providers.base import Completion, Json, Provider
from pointsman.routing import capabilities
from pointsman.routing.plan import Attempt, Router, RouteRequest
from pointsman.tokens import TokenCounter
from pointsman.upstream.client import UpstreamClient
from pointsman.usage import Usage

CLIENT_CLOSED = 499
"""Status recorded when the client went away before the answer was complete (nginx's convention)."""


@dataclass(slots=True)
class Call:
    """One inbound request on its way through the gateway, and the ledger row it will leave."""

    id: str
    body: Json
    row: LedgerRow
    started: float
    """perf_counter() when the request arrived."""
    stream: bool = False

    @property
    def requested_model(self) -> str:
        return self.row.requested_model


@dataclass(frozen=True, slots=True)
class AnswerMeta:
    model: CatalogModel
    route: str
    request_id: str


@dataclass(slots=True)
class Answer:
    meta: AnswerMeta
    completion: Completion
    usage: Usage
    cost: Decimal | None


class ChunkSink(Protocol):
    """Where streamed chunks go; the inbound surface renders them in its own wire format."""

    @property
    def started(self) -> bool: ...

    async def start(self, meta: AnswerMeta) -> None: ...

    async def chunks(self, chunks: list[tuple[Json, bytes | None]]) -> None:
        """Canonical chunks, each a dict and (when the upstream's bytes were canonical) those bytes."""

    async def finish(self, usage: Usage, cost: Decimal | None) -> None: ...

    async def fail(self, error: PointsmanError) -> None: ...


@dataclass(slots=True)
class _Timing:
    clock: Callable[[], float]
    started: float
    first_token: float | None = field(default=None)

    def elapsed_ms(self, until: float | None = None) -> float:
        return round(((until if until is not None else self.clock()) - self.started) * 1000, 3)


class Engine:
    def __init__(
        self,
        router: Router,
        providers: dict[str, Provider],
        upstream: Callable[[], UpstreamClient],
        tokens: TokenCounter,
        perf: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._router = router
        self._providers = providers
        self._upstream = upstream
        self._tokens = tokens
        self._perf = perf

    async def _plan(self, call: Call) -> tuple[Attempt, Provider]:
        plan = self._router.decide(RouteRequest(call.requested_model, call.body, call.row.key_id))
        attempt = plan.primary
        model = attempt.model
        row = call.row
        row.model, row.provider, row.upstream_model, row.route = (
            model.name,
            model.provider,
            model.upstream,
            attempt.reason,
        )
        capabilities.check(call.body, row.endpoint, model)
        window = model.context_window
        if (
            window is not None
            and row.endpoint != "embeddings"
            and capabilities.prompt_bytes(call.body) > window
        ):
            # only a prompt this large can overflow the window (no token is shorter than a byte)
            await self._tokens.ready(model.upstream, model.tokenizer)
            prompt = self._tokens.count_messages(call.body.get("messages"), model.upstream, model.tokenizer)
            capabilities.check_context(prompt, model)
        return attempt, self._providers[model.provider]

    def _settle(self, call: Call, model: CatalogModel, usage: Usage, timing: _Timing) -> Decimal | None:
        row = call.row
        row.status = 200
        row.prompt_tokens, row.completion_tokens = usage.input_tokens, usage.output_tokens
        row.cached_tokens, row.cache_write_tokens = usage.cached_tokens, usage.cache_write_tokens
        row.reasoning_tokens, row.estimated = usage.reasoning_tokens, usage.estimated
        row.cost_usd = model.price.cost(usage) if model.price is not None else None
        row.latency_ms = timing.elapsed_ms()
        if timing.first_token is not None:
            row.ttft_ms = timing.elapsed_ms(timing.first_token)
        return row.cost_usd

    def _failed(self, call: Call, error: PointsmanError, timing: _Timing) -> None:
        row = call.row
        row.status, row.error_type = error.status, error.type
        row.cost_usd = Decimal(0)  # a failed attempt is never billed as a completion
        row.latency_ms = timing.elapsed_ms()

    async def complete(self, call: Call) -> Answer:
        def estimate(model: CatalogModel, completion: Completion) -> Usage:
            return self._estimate(call, model, _answer_texts(completion.data))

        return await self._whole(call, "chat", estimate)

    async def embed(self, call: Call) -> Answer:
        def estimate(model: CatalogModel, completion: Completion) -> Usage:
            text = str(call.body.get("input", ""))
            return Usage(
                input_tokens=self._tokens.count(text, model.upstream, model.tokenizer), estimated=True
            )

        return await self._whole(call, "embeddings", estimate)

    async def _whole(
        self, call: Call, kind: str, estimate: Callable[[CatalogModel, Completion], Usage]
    ) -> Answer:
        """One request, one whole (non-streamed) answer: chat or embeddings."""
        timing = _Timing(self._perf, call.started)
        attempt, provider = await self._plan(call)
        model = attempt.model
        call.row.attempts = 1
        try:
            if kind == "chat":
                request = provider.chat_request(call.body, model.upstream, want_stream_usage=False)
            else:
                request = provider.embeddings_request(call.body, model.upstream)
            response = await self._upstream().send(provider.endpoint, request)
            if response.status >= 400:
                raise provider.classify_error(response)
            parse = provider.parse_chat if kind == "chat" else provider.parse_embeddings
            completion = parse(response)
        except UpstreamError as error:
            self._failed(call, error, timing)
            raise
        except asyncio.CancelledError:
            self._abandoned(call, model, timing, [])
            raise
        if completion.usage is None:
            await self._tokens.ready(model.upstream, model.tokenizer)
        usage = completion.usage or estimate(model, completion)
        cost = self._settle(call, model, usage, timing)
        return Answer(AnswerMeta(model, attempt.reason, call.id), completion, usage, cost)

    async def stream(self, call: Call, sink: ChunkSink) -> None:
        """Stream the answer into `sink`. Raises only while nothing has reached the client."""
        timing = _Timing(self._perf, call.started)
        attempt, provider = await self._plan(call)
        model = attempt.model
        meta = AnswerMeta(model, attempt.reason, call.id)
        call.row.attempts = 1
        translator = provider.stream_translator()
        try:
            request = provider.chat_request(call.body, model.upstream, want_stream_usage=True)
            async with await self._upstream().open_stream(provider.endpoint, request) as upstream:
                if upstream.status >= 400:
                    raise provider.classify_error(await upstream.read_all())
                done = False
                async for events in upstream.events():
                    batch: list[tuple[Json, bytes | None]] = []
                    try:
                        for event in events:
                            out = translator.feed(event)
                            batch.extend(out.chunks)
                            if out.done:
                                done = True
                                break
                    finally:  # what arrived before a bad event still goes out, as it would have alone
                        if batch:
                            if not sink.started:
                                await sink.start(meta)
                            if timing.first_token is None and translator.text:
                                timing.first_token = self._perf()
                            await sink.chunks(batch)
                    if done:
                        break
                if not sink.started:
                    raise UpstreamProtocolError(
                        f"provider '{model.provider}' ended the stream without an answer",
                        provider=model.provider,
                    )
        except UpstreamError as error:
            self._failed(call, error, timing)
            if not sink.started:
                raise
            await sink.fail(error)
            return
        except asyncio.CancelledError:
            self._abandoned(call, model, timing, translator.text, translator.usage)
            raise
        if translator.usage is None:
            await self._tokens.ready(model.upstream, model.tokenizer)
        usage = translator.usage or self._estimate(call, model, translator.text)
        cost = self._settle(call, model, usage, timing)
        await sink.finish(usage, cost)

    def _abandoned(
        self, call: Call, model: CatalogModel, timing: _Timing, texts: list[str], usage: Usage | None = None
    ) -> None:
        """The client left. The provider still bills the prompt and whatever it generated, so the
        row prices that (estimated: no usage came back) under the status 499."""
        self._settle(call, model, usage or self._estimate(call, model, texts), timing)
        call.row.status, call.row.error_type = CLIENT_CLOSED, "client_closed"

    def _estimate(self, call: Call, model: CatalogModel, texts: list[str]) -> Usage:
        return Usage(
            input_tokens=self._tokens.count_messages(
                call.body.get("messages"), model.upstream, model.tokenizer
            ),
            output_tokens=self._tokens.count_texts(texts, model.upstream, model.tokenizer),
            estimated=True,
        )


def _answer_texts(data: dict[str, Any]) -> list[str]:
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
