"""What routing decides: an ordered plan of attempts, the policy to run them under, and why.

Deciding is pure: a router reads the request, its config and a health snapshot, and does no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pointsman.catalog.model import CatalogModel
from pointsman.config.schema import Hedge
from pointsman.routing.capabilities import prompt_texts
from pointsman.routing.hints import NO_HINTS, Hints
from pointsman.state.health import Stats

if TYPE_CHECKING:
    from pointsman.learned.classifier import Rated, Rater


@dataclass(frozen=True, slots=True)
class Attempt:
    model: CatalogModel
    reason: str
    """Why this model is here, as `x-pointsman-route` shows it (manual, alias:fast, auto/rule:code, ...)."""
    tier: int = 0
    """0 is the primary tier; a fallback tier escalates to a more capable model."""


@dataclass(frozen=True, slots=True)
class CheckPolicy:
    """Which answer checks run; each one is independent of the others."""

    empty: bool = True
    """An answer with no text, no tool call and no refusal."""
    refusal: bool = True
    """A structured refusal (`message.refusal`, finish_reason content_filter) or a `refusal_patterns` hit."""
    refusal_patterns: tuple[re.Pattern[str], ...] = ()
    """Searched in the first 300 characters of the answer text."""
    json: bool = True
    """The content must be the JSON the request's `response_format` asked for."""
    tools: bool = True
    """Tool calls must name a declared tool, with JSON-object arguments that match its parameters."""
    logprob_floor: float | None = None
    """Minimum mean token logprob; answers without logprobs pass."""

    @property
    def active(self) -> bool:
        return self.empty or self.refusal or self.json or self.tools or self.logprob_floor is not None


@dataclass(frozen=True, slots=True)
class Policy:
    """How a plan is carried out. The default is manual routing's: one model, the provider's own
    timeouts, no retries, no checks."""

    deadline: float | None = None
    """Seconds until the answer starts (a whole answer: until it arrives); None: no deadline."""
    attempt_timeout: float | None = None
    ttft_timeout: float | None = None
    stall_timeout: float | None = None
    stream_timeout: float | None = None
    """The longest a stream may flow, once started; None: as long as it keeps flowing."""
    retries: int = 0
    backoff: float = 0.2
    on_content_filter: str = "stop"
    checks: CheckPolicy | None = None
    max_escalations: int = 0
    hedge: Hedge | None = None
    circuit: bool = False
    """Skip models whose circuit is open. Off for manual routing: a named model is always tried."""


MANUAL = Policy()


@dataclass(frozen=True, slots=True)
class Candidate:
    """A model routing looked at, with what it expected of it (for the trace)."""

    model: CatalogModel
    tier: int
    p50_ms: float | None = None
    ttft_p95_ms: float | None = None
    skipped: str = ""


@dataclass(slots=True)  # made per request: a frozen one costs a setattr per field
class RoutePlan:
    attempts: tuple[Attempt, ...]
    policy: Policy = MANUAL
    decision: Decision | None = None

    @property
    def primary(self) -> Attempt:
        return self.attempts[0]


@dataclass(slots=True)
class RouteRequest:
    """What a router may look at. Pure data: deciding does no I/O."""

    model: str
    body: dict[str, Any]
    key_id: str = ""
    team: str = ""
    task: str = ""
    """The `x-pointsman-task` header, if any."""
    endpoint: str = "chat"
    quality: float | None = None
    """A per-request quality target for a learned route (header or body hint), else the route's."""
    rated: Rated | None = None
    """A classifier's rating, asked by the engine before deciding (the router's `rater` says when)."""
    hints: Hints = NO_HINTS
    """Everything the request asked of routing (routing/hints.py); applied by routing/hinted.py."""
    _cache: dict[str, Any] = field(default_factory=dict)
    """Features computed once per request (last user text, language, token count)."""

    def prompt_tokens(self) -> int:
        """Estimated prompt tokens: a quarter token per ASCII byte, one per other character.

        An estimate on purpose: exact counting costs about 0.1 µs a byte (a millisecond for an 11 kB
        prompt, twenty times a rules decision's budget), and a size threshold needs no exactness.
        The context-window preflight, which must be right, counts exactly."""
        cached = self._cache.get("tokens")
        if cached is None:
            cached = self._cache["tokens"] = _estimate(self.body)
        return int(cached)


@dataclass(slots=True)  # made per request: a frozen one costs a setattr per field
class Decision:
    route: str
    decided_by: str
    """rule:<name>, default, pin:<rule>, manual, alias:<name>."""
    request: RouteRequest
    considered: tuple[tuple[CatalogModel, int, str], ...] = ()
    """Each model routing looked at: (model, tier, why it was passed over or "")."""
    seen: tuple[Stats, ...] = ()
    """Each one's health when it was looked at (the same order)."""
    notes: tuple[str, ...] = ()
    learned: dict[str, Any] | None = None
    """A learned decision: estimates per candidate, target, threshold, the pick and the runner-up."""
    hints: dict[str, Any] | None = None
    """What the request asked of routing (quality, max price, models, sort), as the trace shows it."""

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        """What routing looked at, built only when the trace is rendered."""
        return tuple(
            Candidate(model, tier, stats.p50_ms, stats.ttft_p95_ms, skipped)
            for (model, tier, skipped), stats in zip(self.considered, self.seen, strict=True)
        )

    @property
    def prompt_tokens(self) -> int:
        """Estimated prompt tokens, counted only when the trace is rendered (off the request path)."""
        return self.request.prompt_tokens()


def _estimate(body: dict[str, Any]) -> int:
    total = 0
    for text in prompt_texts(body):
        ascii_bytes = len(text.encode("ascii", "ignore"))
        total += (ascii_bytes + 3) // 4 + (len(text) - ascii_bytes)
    return total


class Router(Protocol):
    def decide(self, request: RouteRequest) -> RoutePlan: ...

    def rater(self, request: RouteRequest) -> Rater | None:
        """The classifier to ask before deciding `request` (the one step of routing that does I/O,
        so the engine does it), or None."""


def compile_patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)
