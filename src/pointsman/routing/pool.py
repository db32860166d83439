"""Pools: deployments of one capability, ordered by the pool's strategy. Pure given a health view.

The first member is the pick; the rest stay in the same tier as alternates for failover.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from pointsman.catalog.model import CatalogModel
from pointsman.config.schema import POOL_STRATEGIES
from pointsman.state.health import Stats

STRATEGIES = POOL_STRATEGIES


@dataclass(frozen=True, slots=True)
class Member:
    model: CatalogModel
    weight: float


def order(
    members: tuple[Member, ...],
    strategy: str,
    stats: Callable[[str], Stats],
    rng: Callable[[], float] = random.random,
) -> list[Member]:
    if strategy == "weighted":
        return _weighted(list(members), rng)
    if strategy == "latency":
        # unmeasured members go first: that is how they get measured
        return sorted(members, key=lambda m: _or_zero(stats(m.model.name).p50_ms))
    if strategy == "least_busy":
        return sorted(members, key=lambda m: stats(m.model.name).in_flight)
    if strategy == "cheapest":
        return sorted(members, key=lambda m: _unit_price(m.model))
    raise ValueError(f"unknown pool strategy {strategy!r}")


def _or_zero(value: float | None) -> float:
    return 0.0 if value is None else value


def _unit_price(model: CatalogModel) -> Decimal:
    return Decimal("Infinity") if model.price is None else model.price.blended


def _weighted(members: list[Member], rng: Callable[[], float]) -> list[Member]:
    """Weighted sampling without replacement: each next member drawn in proportion to its weight."""
    out: list[Member] = []
    while members:
        total = sum(m.weight for m in members)
        point = rng() * total
        for i, member in enumerate(members):
            point -= member.weight
            if point < 0 or i == len(members) - 1:
                out.append(members.pop(i))
                break
    return out
