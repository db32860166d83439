"""The story of one request: what routing considered and decided, and every attempt and how it ended.

It goes into the ledger always, and to the client when it asks (`x-pointsman-explain: 1`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from pointsman.catalog.model import CatalogModel
from pointsman.catalog.price import format_usd
from pointsman.routing.plan import Decision

ASSUMED_OUTPUT_TOKENS = 256
"""Expected cost assumes an answer this long unless the request caps it lower."""
HEADER_LIMIT = 4096
"""Bytes of `x-pointsman-trace` at most: clients and proxies refuse long response headers (nginx's
default buffer for all of them is 4 or 8 KB; httpx gave up on a 200 KB one)."""
DETAIL_IN_HEADER = 200
"""Characters of an attempt's detail (a provider's error message, say) kept when the header is too long."""
SHORTENED = "shortened to fit a header; the ledger row of this request holds the whole trace"


@dataclass(slots=True)
class AttemptRecord:
    model: str
    provider: str
    tier: int
    reason: str
    outcome: str
    """Exactly one per attempt: answered; retried (failed, and the same model was asked again);
    failed; check_failed (a bad answer, escalated); interrupted (a stream that broke after part of
    its answer reached the client); unmatched (a continuation that found no verified seam);
    hedge_lost; abandoned (the client left); skipped (never started: the detail says why); or
    classifier (a learned route's classifier rating the prompt before the decision: not an answer)."""
    detail: str = ""
    at_ms: float = 0.0
    """When the attempt began, from the request's arrival."""
    ms: float = 0.0
    status: int | None = None
    cost_usd: Decimal | None = None

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model,
            "provider": self.provider,
            "tier": self.tier,
            "reason": self.reason,
            "outcome": self.outcome,
        }
        if self.detail:
            out["detail"] = self.detail
        if self.outcome != "skipped":
            out["at_ms"], out["ms"] = self.at_ms, self.ms
        if self.status is not None:
            out["status"] = self.status
        if self.cost_usd is not None:
            out["cost_usd"] = format_usd(self.cost_usd)
        return out


@dataclass(slots=True)
class Trace:
    decision: Decision | None = None
    attempts: list[AttemptRecord] = field(default_factory=list)
    escalations: int = 0
    max_output_tokens: int | None = None
    adapted: list[str] = field(default_factory=list)
    """What translation adapted for the target (a field without an equivalent there), once each."""

    def adapt(self, *notes: str) -> None:
        for note in notes:
            if note not in self.adapted:
                self.adapted.append(note)

    def add(
        self, model: CatalogModel, tier: int, reason: str, outcome: str, detail: str = "", **kw: Any
    ) -> AttemptRecord:
        record = AttemptRecord(model.name, model.provider, tier, reason, outcome, detail, **kw)
        self.attempts.append(record)
        return record

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        decision = self.decision
        if decision is not None:
            out["route"] = decision.route
            out["decided_by"] = decision.decided_by
            out["prompt_tokens"] = prompt = decision.prompt_tokens
            output = min(self.max_output_tokens or ASSUMED_OUTPUT_TOKENS, ASSUMED_OUTPUT_TOKENS)
            out["candidates"] = [
                _candidate(model, tier, stats.p50_ms, stats.ttft_p95_ms, skipped, prompt, output)
                for (model, tier, skipped), stats in zip(decision.considered, decision.seen, strict=True)
            ]
            if decision.notes:
                out["notes"] = list(decision.notes)
            if decision.learned is not None:
                out["learned"] = decision.learned
            if decision.hints:
                out["hints"] = decision.hints
        out["attempts"] = [a.json() for a in self.attempts]
        if self.escalations:
            out["escalations"] = self.escalations
        if self.adapted:
            out["adapted"] = list(self.adapted)
        return out

    def dumps(self) -> bytes:
        return orjson.dumps(self.json())

    def header(self) -> bytes:
        """The trace for `x-pointsman-trace`: whole when it fits in HEADER_LIMIT bytes, otherwise
        with the attempts' details shortened, then without them, then without the candidates."""
        whole = self.dumps()
        if len(whole) <= HEADER_LIMIT:
            return whole
        out = self.json()
        out["truncated"] = SHORTENED
        for keep in (DETAIL_IN_HEADER, 0):
            for attempt in out["attempts"]:
                detail = attempt.get("detail", "")
                if len(detail) > keep:
                    attempt["detail"] = detail[:keep] + "…"
            short = orjson.dumps(out)
            if len(short) <= HEADER_LIMIT:
                return short
        out.pop("candidates", None)
        short = orjson.dumps(out)
        if len(short) <= HEADER_LIMIT:
            return short
        return orjson.dumps(
            {"route": out.get("route", ""), "attempts": len(self.attempts), "truncated": SHORTENED}
        )


def adapted_header(notes: tuple[str, ...]) -> bytes:
    """`x-pointsman-adapted`: a JSON array of what translation adapted, as many notes as fit in
    HEADER_LIMIT bytes (the ledger row's trace keeps them all)."""
    kept = list(notes)
    while kept:
        out = orjson.dumps(kept if len(kept) == len(notes) else [*kept, f"… {len(notes) - len(kept)} more"])
        if len(out) <= HEADER_LIMIT:
            return out
        kept.pop()
    return orjson.dumps([f"{len(notes)} adaptations; the ledger row's trace lists them"])


def _candidate(
    model: CatalogModel,
    tier: int,
    p50: float | None,
    ttft_p95: float | None,
    skipped: str,
    prompt_tokens: int,
    output_tokens: int,
) -> dict[str, Any]:
    price = model.price
    out: dict[str, Any] = (
        {"model": model.name, "tier": tier}
        if price is None
        else {
            "model": model.name,
            "tier": tier,
            "expected_cost_usd": format_usd(price.estimate(prompt_tokens, output_tokens)),
        }
    )
    out["p50_ms"] = p50
    out["ttft_p95_ms"] = ttft_p95
    if skipped:
        out["skipped"] = skipped
    return out
