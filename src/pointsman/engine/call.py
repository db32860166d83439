"""What a request is on its way through the engine (`Call`), what comes back (`Answer`), where a
stream goes (`ChunkSink`) and what a run needs from the gateway (`Parts`)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from pointsman.catalog.model import CatalogModel
from pointsman.engine.trace import Trace
from pointsman.errors import PointsmanError
from pointsman.ledger.row import LedgerRow
from pointsman.providers.base import Completion, Json, Provider
from pointsman.state.health import Health
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
    team: str = ""
    task: str = ""
    """The `x-pointsman-task` header."""
    explain: bool = False
    """The client asked for the trace (`x-pointsman-explain: 1`)."""
    trace: Trace = field(default_factory=Trace)

    @property
    def requested_model(self) -> str:
        return self.row.requested_model


@dataclass(frozen=True, slots=True)
class AnswerMeta:
    model: CatalogModel
    route: str
    request_id: str
    trace: Trace | None = None
    """Set when the client asked for the trace."""


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


@dataclass(frozen=True, slots=True)
class Parts:
    """What a run needs from the gateway; injectable clock, sleep and randomness for tests."""

    providers: dict[str, Provider]
    upstream: Callable[[], UpstreamClient]
    tokens: TokenCounter
    health: Health
    perf: Callable[[], float] = time.perf_counter
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: Callable[[], float] = random.random
