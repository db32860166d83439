"""Routing policies and the curves they trace over a data set.

A policy is a Scorer: prompt row -> expected score per model. A learned router plugs in as one more
Scorer. With two models the curve sweeps a threshold on (strong - weak); with many it sweeps a price
on cost, choosing argmax(score - price * cost) per prompt (ties to the cheaper model).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pointsman.evaluation.data import Row
from pointsman.evaluation.metrics import Point

Scorer = Callable[[Row], Mapping[str, float]]
# USD-per-point prices swept for many-model curves: 0 (best quality) up to "only cost matters"
PRICES = (0.0, *(10 ** (k / 8) for k in range(-8, 57)), float("inf"))


@dataclass(frozen=True, slots=True)
class Table:
    """The evaluated rows with their per-model costs, models fixed."""

    rows: Sequence[Row]
    costs: Sequence[Mapping[str, float]]
    models: Sequence[str]

    def point(self, picks: Sequence[str], strong: str = "") -> Point:
        n = len(picks)
        quality = sum(r.scores[m] for r, m in zip(self.rows, picks, strict=True)) / n
        cost = sum(c[m] for c, m in zip(self.costs, picks, strict=True)) / n
        return Point(sum(m == strong for m in picks) / n if strong else 0.0, quality, cost)

    def single(self, model: str) -> Point:
        return self.point([model] * len(self.rows))


def oracle(row: Row) -> Mapping[str, float]:
    """Sees the labels: the upper bound on what any router can do."""
    return row.scores


def per_task(table: Table) -> Scorer:
    """Each task's mean score per model, measured on the same rows (sees labels: oracle-ish)."""
    sums: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(table.models, 0.0))
    counts: dict[str, int] = defaultdict(int)
    for row in table.rows:
        counts[row.task] += 1
        for m in table.models:
            sums[row.task][m] += row.scores[m]
    means = {t: {m: s / counts[t] for m, s in by.items()} for t, by in sums.items()}
    return lambda row: means[row.task]


def pair_curve(table: Table, score: Callable[[Row], float], strong: str, weak: str) -> list[Point]:
    """Strong model for the highest-scoring prompts first; points only between tied groups, so the
    straight line between two points is the expectation over breaking ties at random."""
    values = [score(row) for row in table.rows]  # once a row: a learned scorer encodes the prompt
    order = sorted(range(len(values)), key=lambda i: -values[i])
    picks = [weak] * len(order)
    curve = [table.point(picks, strong)]
    for k, i in enumerate(order):
        picks[i] = strong
        last = k + 1 == len(order)
        if last or values[order[k + 1]] != values[i]:
            curve.append(table.point(picks, strong))
    return curve


def choose(
    scores: Mapping[str, float], costs: Mapping[str, float], models: Sequence[str], price: float
) -> str:
    if price == float("inf"):
        return min(models, key=lambda m: (costs[m], -scores[m]))
    return max(models, key=lambda m: (scores[m] - price * costs[m], -costs[m]))


def price_curve(table: Table, scorer: Scorer) -> list[Point]:
    predicted = [scorer(r) for r in table.rows]
    points = []
    for price in PRICES:
        picks = [choose(p, c, table.models, price) for p, c in zip(predicted, table.costs, strict=True)]
        points.append(table.point(picks))
    return sorted(set(points), key=lambda p: (p.cost, p.quality))


def length_curve(table: Table, cheap: str, strong: str, steps: int = 10) -> list[Point]:
    """Prompts shorter than a threshold go to the cheap model; the threshold sweeps length deciles."""
    lengths = sorted(len(r.prompt) for r in table.rows)
    cuts = sorted({lengths[min(len(lengths) - 1, k * len(lengths) // steps)] for k in range(steps)})
    points = []
    for cut in [*cuts, lengths[-1] + 1]:
        picks = [cheap if len(r.prompt) < cut else strong for r in table.rows]
        points.append(table.point(picks, strong))
    return sorted(set(points), key=lambda p: (p.cost, p.quality))
