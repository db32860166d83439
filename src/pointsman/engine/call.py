"""What a request is on its way through the engine (`Call`), what comes back (`Answer`, and the
`Outcome` the ledger row is written from), where a stream goes (`ChunkSink`) and what a run needs
from the gateway (`Parts`)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from pointsman.catalog.model import CatalogModel
from pointsman.clock import Clock, SystemClock
from pointsman.engine.trace import Trace
from pointsman.errors import PointsmanError
from pointsman.providers.base import Completion, Json, Provider
from pointsman.routing.hints import NO_HINTS, Hints
from pointsman.state.health import Health
from pointsman.tokens import TokenCounter
from pointsman.upstream.client import UpstreamClient
from pointsman.usage import Usage

CLIENT_CLOSED = 499
"""Status recorded when the client went away before the answer was complete (nginx's convention)."""


@dataclass(slots=True)
class Outcome:
    """How one request ended; the ledger row is written from this and nothing else.

    `cost` is what the providers bill for the answer the client received (every part of a continued
    stream; the part delivered before a break that could not be continued; what was generated for a
    client that left); `discarded` is what they bill for work the client never saw (answers that
    failed a check, streams abandoned before their answer showed, a learned route's classifier
    rating the prompt). A failure costs 0."""

    status: int
    error_type: str = ""
    model: CatalogModel | None = None
    """The model that answered, or the one whose failure the client hears about."""
    route: str = ""
    usage: Usage = field(default_factory=Usage)
    cost: Decimal | None = Decimal(0)
    """None when a billed part has no known price."""
    discarded: Decimal = Decimal(0)
    attempts: int = 0
    escalations: int = 0
    finished: float = 0.0
    """Clock time the request ended."""
    first_token: float | None = None
    """Clock time the first visible token of a stream went out."""
    trace: Trace | None = None
    text: str | None = None
    """The answer's text as the client received it (a whole chat answer with its tool calls, a
    finished stream without any): what a shadow judge compares."""


@dataclass(slots=True)
class Call:
    """One inbound request on its way through the gateway."""

    id: str
    body: Json
    started: float
    """Clock time the request arrived."""
    endpoint: str
    """chat, completions, embeddings, messages, responses or gemini: the surface it came in on."""
    ts: float = field(default_factory=time.time)
    """Wall-clock time of arrival (the ledger's timestamp)."""
    requested_model: str = ""
    key_id: str = ""
    team: str = ""
    task: str = ""
    """The `x-pointsman-task` header."""
    tags: dict[str, str] = field(default_factory=dict)
    stream: bool = False
    explain: bool = False
    """The client asked for the trace (`x-pointsman-explain: 1`)."""
    hints: Hints = NO_HINTS
    """What the client asked of routing (headers and body fields, taken out of the body)."""
    trace: Trace = field(default_factory=Trace)
    outcome: Outcome | None = None
    """Set by the engine when the request has run (answered, failed or abandoned)."""


@dataclass(slots=True)  # made per request: a frozen one costs a setattr per field
class AnswerMeta:
    model: CatalogModel
    route: str
    request_id: str
    trace: Trace | None = None
    """Set when the client asked for the trace."""
    adapted: tuple[str, ...] = ()
    """What translation adapted so far (`x-pointsman-adapted`): always told, never silent."""
    usage: Usage | None = None
    """A stream's usage as the provider reported it before the answer (Anthropic's prompt count)."""


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

    async def finish(self, usage: Usage, cost: Decimal | None) -> None:
        """The answer is complete; `usage` and `cost` are the whole request's (every part of it)."""

    async def fail(self, error: PointsmanError) -> None: ...


@dataclass(frozen=True, slots=True)
class Parts:
    """What a run needs from the gateway; an injectable clock and randomness for tests."""

    providers: dict[str, Provider]
    upstream: Callable[[], UpstreamClient]
    tokens: TokenCounter
    health: Health
    clock: Clock = field(default_factory=SystemClock)
    rng: Callable[[], float] = random.random
    strict: bool = False
    """translation.strict: what a model cannot carry is a 400 (that candidate is skipped), not a note."""
