"""One ledger row: what a request asked for, what answered, what it cost. Never a secret."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import orjson


class Traced(Protocol):
    """The request's routing trace; rendered once, when the row is recorded after the answer was sent."""

    def dumps(self) -> bytes: ...


COLUMNS = (
    "id",
    "ts",
    "endpoint",
    "key_id",
    "requested_model",
    "model",
    "provider",
    "upstream_model",
    "attempts",
    "status",
    "error_type",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "cost_usd",
    "estimated",
    "latency_ms",
    "ttft_ms",
    "stream",
    "tags",
    "route",
    "escalations",
    "discarded_cost_usd",
    "trace",
)


@dataclass(slots=True)
class LedgerRow:
    id: str
    ts: float
    endpoint: str
    requested_model: str
    key_id: str = ""
    model: str = ""
    provider: str = ""
    upstream_model: str = ""
    attempts: int = 0
    status: int = 0
    error_type: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: Decimal | None = None
    """None when the price is unknown; Decimal(0) for a failure nobody pays for."""
    estimated: bool = False
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    stream: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    route: str = ""
    escalations: int = 0
    """Answers that failed a check and were escalated to a more capable model."""
    discarded_cost_usd: Decimal = Decimal(0)
    """What discarded work cost (the provider billed it; the client never saw it): answers that
    failed a check, lost hedges, a learned route's classifier call."""
    trace: Traced | None = None


def row_values(row: LedgerRow) -> tuple[Any, ...]:
    """The row as plain column values in `COLUMNS` order: what the journal and every store take."""
    return (
        row.id,
        row.ts,
        row.endpoint,
        row.key_id,
        row.requested_model,
        row.model,
        row.provider,
        row.upstream_model,
        row.attempts,
        row.status,
        row.error_type,
        row.prompt_tokens,
        row.completion_tokens,
        row.cached_tokens,
        row.cache_write_tokens,
        row.reasoning_tokens,
        None if row.cost_usd is None else str(row.cost_usd),
        int(row.estimated),
        row.latency_ms,
        row.ttft_ms,
        int(row.stream),
        orjson.dumps(row.tags).decode(),
        row.route,
        row.escalations,
        str(row.discarded_cost_usd),
        row.trace.dumps().decode() if row.trace is not None else "{}",
    )
