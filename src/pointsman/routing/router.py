"""Routes: a virtual model name → rules, pools and fallback tiers → a `RoutePlan`. Pure per call.

Everything that can be worked out once (targets, compiled rules, the policy) is, at start, so a
decision costs a few dict lookups and the conditions the request reaches.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pointsman.catalog.catalog import Catalog
from pointsman.catalog.model import CatalogModel
from pointsman.config.schema import Config, LatencyGuard, RouteConfig
from pointsman.config.yamlsource import Fail, Path
from pointsman.errors import ConfigError, ModelNotFound
from pointsman.learned.abilities import read_calibrated
from pointsman.learned.artifact import load
from pointsman.learned.classifier import Rater
from pointsman.learned.estimate import Estimator
from pointsman.learned.online import AbilityBook
from pointsman.routing.learned import CompiledLearned, compile_learned, unit_cost
from pointsman.routing.manual import ManualRouter
from pointsman.routing.plan import (
    Attempt,
    CheckPolicy,
    Decision,
    Policy,
    RoutePlan,
    RouteRequest,
    compile_patterns,
)
from pointsman.routing.pool import Member, order
from pointsman.routing.rules import CompiledRule, compile_rule, first_match
from pointsman.state.health import Health, Stats

Planned = tuple[tuple[Attempt, ...], tuple[tuple[CatalogModel, int, str], ...], tuple[str, ...], str]


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    members: tuple[Member, ...]
    strategy: str = ""
    """A pool's strategy; "" for a single model."""


@dataclass(frozen=True, slots=True)
class CompiledRoute:
    name: str
    config: RouteConfig
    rules: tuple[CompiledRule, ...]
    targets: dict[str, Target]
    default: Target
    fallbacks: tuple[Target, ...]
    alternative: Target | None
    policy: Policy
    learned: CompiledLearned | None
    static: bool
    """No pool to order and no latency guard: a primary's plan is the same every time."""

    def reach(self) -> tuple[list[str], list[str]]:
        """The tiers a request may pass through, and every model it may be sent to (sorted)."""
        tiers = [self.default, *self.fallbacks[: self.config.max_fallbacks]]
        models = {m.model.name for t in [*tiers, *self.targets.values()] for m in t.members}
        return [t.name for t in tiers], sorted(models)


def _policy(route: RouteConfig) -> Policy:
    c = route.checks
    checks = CheckPolicy(
        empty=c.empty,
        refusal=c.refusal,
        refusal_patterns=compile_patterns(c.refusal_patterns),
        json=c.json,
        tools=c.tools,
        logprob_floor=c.logprob_floor,
    )
    return Policy(
        deadline=route.deadline,
        attempt_timeout=route.attempt_timeout,
        ttft_timeout=route.ttft_timeout,
        stall_timeout=route.stall_timeout,
        stream_timeout=route.stream_timeout,
        retries=route.retries,
        backoff=route.backoff,
        on_content_filter=route.on_content_filter,
        checks=checks if checks.active else None,
        max_escalations=c.max_escalations,
        hedge=route.hedge,
        circuit=True,
    )


class _Builder:
    """Resolves target names against pools and the catalog, failing with the config key."""

    def __init__(self, config: Config, catalog: Catalog, fail: Fail, book: AbilityBook) -> None:
        self._config = config
        self._catalog = catalog
        self._fail = fail
        self._book = book
        self._estimator: tuple[Estimator, dict[str, dict[str, float]]] | None = None

    def _learned(self, route: RouteConfig, path: Path) -> CompiledLearned | None:
        if route.learned is None:
            return None
        if self._estimator is None:  # loaded once, and only when a route learns
            self._estimator = learned_parts(self._config)
        estimator, calibrated = self._estimator
        where = (*path, "learned")
        models = tuple(
            self._model(c, (*where, "candidates", i)) for i, c in enumerate(route.learned.candidates)
        )
        rater = route.learned.classifier
        classifier = self._model(rater.model, (*where, "classifier", "model")) if rater else None
        book = self._book
        return compile_learned(
            route.learned, models, estimator, calibrated, where, self._fail, book, classifier
        )

    def target(self, name: str, path: Path) -> Target:
        pool = self._config.pools.get(name)
        if pool is not None:
            members = tuple(
                Member(self._model(m.model, ("pools", name, "members", i, "model")), m.weight)
                for i, m in enumerate(pool.members)
            )
            return Target(name, members, pool.strategy)
        return Target(name, (Member(self._model(name, path), 1.0),))

    def _model(self, name: str, path: Path) -> CatalogModel:
        try:
            return self._catalog.resolve(name)
        except ModelNotFound as exc:
            raise self._fail(path, f"'{name}' is neither a pool nor a model: {exc.message}") from None

    def route(self, name: str, route: RouteConfig) -> CompiledRoute:
        path: Path = ("routes", name)
        rules = tuple(compile_rule(rule, i) for i, rule in enumerate(route.rules))
        targets = {r.to: self.target(r.to, (*path, "rules", i, "to")) for i, r in enumerate(route.rules)}
        learned = self._learned(route, path)
        if route.default:
            default = self.target(route.default, (*path, "default"))
        else:  # learned only: the dearest candidate stands for the route where one target must
            assert learned is not None
            top = max(learned.models, key=unit_cost)
            default = Target(top.name, (Member(top, 1.0),))
        fallbacks = tuple(self.target(f, (*path, "fallbacks", i)) for i, f in enumerate(route.fallbacks))
        alternative = None
        if route.latency is not None:
            alternative = self.target(route.latency.alternative, (*path, "latency", "alternative"))
        return CompiledRoute(
            name=name,
            config=route,
            rules=rules,
            targets=targets,
            default=default,
            fallbacks=fallbacks,
            alternative=alternative,
            policy=_policy(route),
            learned=learned,
            static=alternative is None
            and learned is None
            and not any(t.strategy for t in (default, *targets.values(), *fallbacks)),
        )


class RouteRouter:
    """Routes by name; any other name is manual routing (a catalog model, an alias, provider/model)."""

    def __init__(
        self,
        config: Config,
        catalog: Catalog,
        health: Health,
        *,
        fail: Fail | None = None,
        rng: Callable[[], float] = random.random,
        book: AbilityBook | None = None,
    ) -> None:
        """`book`: the abilities feedback moves, read by every learned route (a fresh one if none)."""
        builder = _Builder(config, catalog, fail or _raise, book or AbilityBook())
        self._routes = {name: builder.route(name, route) for name, route in config.routes.items()}
        self._manual = ManualRouter(catalog)
        self._health = health
        self._rng = rng
        self._static: dict[tuple[str, str], Planned] = {}

    @property
    def routes(self) -> dict[str, CompiledRoute]:
        return self._routes

    def rater(self, request: RouteRequest) -> Rater | None:
        """The route's classifier when `request` is one the learned strategy will decide."""
        route = self._routes.get(request.model)
        if route is None or route.learned is None or route.learned.rater is None:
            return None
        if first_match(route.rules, request, route.config.task) is not None:
            return None  # a rule decides: nothing to rate
        return route.learned.rater

    def decide(self, request: RouteRequest) -> RoutePlan:
        route = self._routes.get(request.model)
        if route is None:
            return self._manual.decide(request)
        rule = first_match(route.rules, request, route.config.task)
        if rule is not None and rule.pin:
            member = route.targets[rule.to].members[0]
            reason = f"{route.name}/pin:{rule.name}"
            decision = self._decision(route, f"pin:{rule.name}", request, ((member.model, 0, ""),), ())
            return RoutePlan((Attempt(member.model, reason, 0),), route.policy, decision)
        if rule is None and route.learned is not None:
            return self._learned(route, request, route.learned)
        primary = route.targets[rule.to] if rule is not None else route.default
        decided_by = f"rule:{rule.name}" if rule is not None else "default"
        planned = self._static.get((route.name, decided_by))
        if planned is None:
            planned = self._plan(route, primary, decided_by)
            if route.static:  # bounded: one entry per route and rule
                self._static[(route.name, decided_by)] = planned
        attempts, considered, notes, decided_by = planned
        decision = self._decision(route, decided_by, request, considered, notes)
        return RoutePlan(attempts, route.policy, decision)

    def _learned(self, route: CompiledRoute, request: RouteRequest, learned: CompiledLearned) -> RoutePlan:
        order, trace = learned.decide(request)
        primary = Target("learned", tuple(Member(m, 1.0) for m in order))
        attempts, considered, notes, decided_by = self._plan(route, primary, trace["strategy"])
        decision = self._decision(route, decided_by, request, considered, notes)
        decision.learned = trace
        return RoutePlan(attempts, route.policy, decision)

    def _plan(self, route: CompiledRoute, primary: Target, decided_by: str) -> Planned:
        """The attempts in order, what was considered, and notes on what decided."""
        stats = self._health.stats
        attempts: list[Attempt] = []
        considered: list[tuple[CatalogModel, int, str]] = []
        notes: list[str] = []
        seen: set[str] = set()
        first = self._tier(primary, stats)
        guard = route.config.latency
        alternative = route.alternative
        if guard is not None and alternative is not None and first:
            slow = _over(guard, stats(first[0].model.name))
            if slow and all(m.model.name == first[0].model.name for m in alternative.members):
                slow = ""  # the alternative is this very model: nothing better to go to
            if slow:
                considered.append((first[0].model, 0, f"latency: {slow}"))
                seen.add(first[0].model.name)
                notes.append(f"{first[0].model.name} skipped for {alternative.name} ({slow})")
                first = self._tier(alternative, stats) + first[1:]
                decided_by += f" latency:{alternative.name}"
        for i, member in enumerate(first):
            self._add(
                attempts,
                considered,
                seen,
                member,
                0,
                f"{route.name}/{decided_by}" if i == 0 else f"{route.name}/{primary.name}:alternate",
            )
        for tier, target in enumerate(route.fallbacks[: route.config.max_fallbacks], start=1):
            for member in self._tier(target, stats):
                self._add(attempts, considered, seen, member, tier, f"{route.name}/fallback:{tier}")
        return tuple(attempts), tuple(considered), tuple(notes), decided_by

    def _tier(self, target: Target, stats: Callable[[str], Stats]) -> list[Member]:
        if not target.strategy:
            return list(target.members)
        return order(target.members, target.strategy, stats, self._rng)

    @staticmethod
    def _add(
        attempts: list[Attempt],
        considered: list[tuple[CatalogModel, int, str]],
        seen: set[str],
        member: Member,
        tier: int,
        reason: str,
    ) -> None:
        if member.model.name in seen:
            return  # already in the plan at an earlier tier: trying it twice gains nothing
        seen.add(member.model.name)
        attempts.append(Attempt(member.model, reason, tier))
        considered.append((member.model, tier, ""))

    def _decision(
        self,
        route: CompiledRoute,
        decided_by: str,
        request: RouteRequest,
        considered: Sequence[tuple[CatalogModel, int, str]],
        notes: tuple[str, ...],
    ) -> Decision:
        stats = self._health.stats
        seen = tuple(stats(model.name) for model, _, _ in considered)
        return Decision(route.name, decided_by, request, tuple(considered), seen, notes)


def learned_parts(config: Config) -> tuple[Estimator, dict[str, dict[str, float]]]:
    """The router artifact with the tokenizer it reads prompts with, and calibrated abilities."""
    import quicktok  # the table loads in about half a second: only when a route learns

    estimator = Estimator(load(config.learned.artifact), quicktok.get_encoding("o200k_base"))
    return estimator, read_calibrated(config.learned.abilities, config.learned.artifact)


def _over(guard: LatencyGuard, stats: Stats) -> str:
    """Why the model is too slow for the guard right now, or "" when it is not."""
    if (
        guard.p99_ms is not None
        and stats.samples >= guard.min_samples
        and stats.p99_ms is not None
        and stats.p99_ms > guard.p99_ms
    ):
        return f"p99 {stats.p99_ms:.0f} ms > {guard.p99_ms:.0f} ms"
    if (
        guard.ttft_p95_ms is not None
        and stats.ttft_samples >= guard.min_samples
        and stats.ttft_p95_ms is not None
        and stats.ttft_p95_ms > guard.ttft_p95_ms
    ):
        return f"ttft p95 {stats.ttft_p95_ms:.0f} ms > {guard.ttft_p95_ms:.0f} ms"
    return ""


def _raise(path: Path, message: str) -> ConfigError:
    return ConfigError(f"{'.'.join(str(p) for p in path)}: {message}")
