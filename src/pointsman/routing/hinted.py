"""A request's hints applied to the plan its route decided: a router wrapping the router. Pure.

    plan = router.decide(request)           the route (or the named model) decides as always
    + models                                each listed name routed in turn, one tier after another
    - max price                             candidates above a limit are not tried (none left: 400)
    sort                                    each tier reordered: price, latency or throughput

The quality target needs no step here: a learned route reads `request.quality` itself. `sort`
orders the candidates within each tier and never the tiers, as OpenRouter's sort orders the
providers of each model and keeps `models` in order: a fallback stays a fallback. A learned
route's candidates are one tier: there `sort` orders those that clear the quality target first,
then the rest, so it chooses among good-enough models without trading the target away.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pointsman.catalog.model import CatalogModel
from pointsman.errors import InvalidRequest, ModelNotFound
from pointsman.routing.hints import Hints, PriceLimit
from pointsman.routing.learned import unit_cost
from pointsman.routing.plan import Attempt, Decision, RoutePlan, Router, RouteRequest
from pointsman.state.health import Stats

if TYPE_CHECKING:
    from pointsman.learned.classifier import Rater

Considered = tuple[CatalogModel, int, str]


class HintedRouter:
    def __init__(self, inner: Router, stats: Callable[[str], Stats], learned: Callable[[str], bool]) -> None:
        self._inner = inner
        self._stats = stats
        self._learned = learned
        """Whether a name is a learned route (where a quality hint applies)."""

    def rater(self, request: RouteRequest) -> Rater | None:
        return self._inner.rater(request)  # the route's classifier rates as without hints

    def decide(self, request: RouteRequest) -> RoutePlan:
        hints = request.hints
        if not hints:
            return self._inner.decide(request)
        plan = self._inner.decide(request)
        decision = self._decision_of(plan, request)
        attempts = list(plan.attempts)
        considered = list(decision.considered)
        seen = list(decision.seen)
        notes = list(decision.notes)
        tags: list[str] = []
        if hints.quality_from:
            tags.append(f"quality={hints.quality_from.rsplit(' (', 1)[0]}")
            if not self._learned(request.model):
                notes.append(f"quality hint {hints.quality_from}: '{request.model}' is not a learned route")
        if hints.models:
            tags.append(f"models={len(hints.models)}")
            for added in self._listed(request, attempts):
                considered.append((added.model, added.tier, ""))
                seen.append(self._stats(added.model.name))
        if hints.limits:
            tags.append("max_price")
            attempts = self._within(attempts, hints.limits, considered, seen, notes)
        if hints.sort:
            tags.append(f"sort={hints.sort}")
            attempts = self._sorted(attempts, hints.sort, notes, _qualified(decision.learned))
        if hints.forward is not None and hints.ignored:
            notes.append(f"{', '.join(hints.ignored)}: applied only by a provider that takes `provider`")
        hinted = Decision(
            decision.route,
            f"{decision.decided_by} +hints:{','.join(tags)}" if tags else decision.decided_by,
            request,
            tuple(considered),
            tuple(seen),
            tuple(notes),
            decision.learned,
            hints.json(),
        )
        return RoutePlan(tuple(attempts), plan.policy, hinted)

    def _decision_of(self, plan: RoutePlan, request: RouteRequest) -> Decision:
        """The plan's decision; a named model's plan has none, so one is made for the hints to join."""
        if plan.decision is not None:
            return plan.decision
        considered = tuple((a.model, a.tier, "") for a in plan.attempts)
        seen = tuple(self._stats(a.model.name) for a in plan.attempts)
        return Decision(request.model, plan.primary.reason, request, considered, seen)

    def _listed(self, request: RouteRequest, attempts: list[Attempt]) -> list[Attempt]:
        """Each `models` entry's own plan, appended as the next tiers; returns what was added."""
        added: list[Attempt] = []
        names = {a.model.name for a in attempts}
        for i, name in enumerate(request.hints.models):
            if name == request.model:
                continue  # OpenRouter's lists often repeat `model` first
            sub = replace(request, model=name, hints=Hints(), rated=None, _cache=request._cache)
            try:
                listed = self._inner.decide(sub)
            except ModelNotFound as exc:
                raise InvalidRequest(f"models[{i}]: {exc.message}", param=f"models[{i}]") from None
            base = max((a.tier for a in attempts), default=-1) + 1
            for attempt in listed.attempts:
                if attempt.model.name in names:
                    continue  # already in the plan: trying it twice gains nothing
                names.add(attempt.model.name)
                tier = base + attempt.tier
                moved = Attempt(attempt.model, f"models[{i}]:{attempt.reason}", tier)
                attempts.append(moved)
                added.append(moved)
        return added

    def _within(
        self,
        attempts: list[Attempt],
        limits: tuple[PriceLimit, ...],
        considered: list[Considered],
        seen: list[Stats],
        notes: list[str],
    ) -> list[Attempt]:
        kept, dropped = [], []
        for attempt in attempts:
            over = next((why for limit in limits if (why := above(attempt.model, limit))), "")
            if not over:
                kept.append(attempt)
                continue
            dropped.append(f"{attempt.model.name} {over}")
            notes.append(f"{attempt.model.name} not tried: {over}")
            for i, (model, tier, skipped) in enumerate(considered):
                if model.name == attempt.model.name and not skipped:
                    considered[i] = (model, tier, f"max price: {over}")
                    break
            else:
                considered.append((attempt.model, attempt.tier, f"max price: {over}"))
                seen.append(self._stats(attempt.model.name))
        if not kept:
            asked = "; ".join(x.describe() for x in limits)
            raise InvalidRequest(
                f"No model for this request is within the maximum price {asked}: {'; '.join(dropped)}. "
                "Raise the limit or name a cheaper model.",
                param=", ".join(dict.fromkeys(x.source for x in limits)),
                code="max_price_exceeded",
            )
        return kept

    def _sorted(
        self, attempts: list[Attempt], sort: str, notes: list[str], qualified: set[str] | None
    ) -> list[Attempt]:
        """Within each tier; on a learned route, the candidates expected to answer well first (the
        sort chooses among them, it does not trade the quality target away)."""
        key = _SORT_KEYS[sort]

        def place(a: Attempt) -> tuple[int, bool, Any]:
            below = qualified is not None and a.model.name not in qualified
            return (a.tier, below, key(a.model, self._stats(a.model.name)))

        ordered = sorted(attempts, key=place)
        if ordered == attempts:
            return attempts
        notes.append(f"sort {sort}: " + ", ".join(a.model.name for a in ordered))
        for i, moved in enumerate(ordered):  # a place keeps its reason (primary, alternate), marked
            if moved is not attempts[i]:
                ordered[i] = Attempt(moved.model, f"{attempts[i].reason}+sort:{sort}", moved.tier)
        return ordered


def _qualified(learned: dict[str, Any] | None) -> set[str] | None:
    """The learned candidates whose estimate cleared the threshold, or None off a learned route."""
    if learned is None:
        return None
    return {m for m, e in learned["estimates"].items() if e >= learned["threshold"]}


def blended(model: CatalogModel) -> float | None:
    """USD per million tokens of a typical turn, three read for each written (routing's 3:1)."""
    return None if model.price is None else float(model.price.blended)


def above(model: CatalogModel, limit: PriceLimit) -> str:
    """Why `model` is over `limit`, or "" when it is within it. A model without a price is over:
    a limit is a promise to the client, and an unknown price cannot keep it."""
    price = model.price
    if price is None:
        return f"its price is unknown ({limit.source})"
    checks = (
        ("blended", limit.blended, float(price.blended)),
        ("prompt", limit.prompt, float(price.input)),
        ("completion", limit.completion, float(price.output)),
    )
    for name, most, actual in checks:
        if most is not None and actual > most:
            return f"{name} {actual:g} USD/M > {most:g} ({limit.source})"
    return ""


def _price_key(model: CatalogModel, stats: Stats) -> float:
    return unit_cost(model)


def _latency_key(model: CatalogModel, stats: Stats) -> float:
    # unmeasured last: the client asked for the fastest known, not for a measurement
    return stats.p50_ms if stats.p50_ms is not None else float("inf")


def _throughput_key(model: CatalogModel, stats: Stats) -> float:
    return float(stats.in_flight)  # the health view has no tokens/s: the least busy goes first


_SORT_KEYS: dict[str, Callable[[CatalogModel, Stats], float]] = {
    "price": _price_key,
    "latency": _latency_key,
    "throughput": _throughput_key,
}
