"""One ledger row: what a request asked for, what answered, what it cost. Never a secret."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol


class Traced(Protocol):
    """The request's routing trace; rendered only when the row is written, off the request path."""

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
    """What discarded answers cost (the provider billed them; the client got a better one)."""
    trace: Traced | None = None
