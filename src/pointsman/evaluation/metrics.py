"""Numbers that summarise a routing curve.

Two models (as in RouteLLM, lm-sys/RouteLLM routellm/evals/evaluate.py): a router's curve is its
quality against the share of calls sent to the strong model as its threshold sweeps from "all weak"
to "all strong".
- PGR (performance gap recovered) at a point is (quality - weak) / (strong - weak).
- APGR is RouteLLM's `apgr_metric`: (AUC - weak AUC) / (strong AUC - weak AUC), the area under the
  quality curve by the trapezoid rule over the strong-call share, i.e. the mean PGR over shares 0..1.
  Random routing scores exactly 0.5.
- CPT(x%) is RouteLLM's `pct_call_metric`: the share of strong calls at which the curve (linear
  between measured points) first reaches weak + x% of the gap.
Many models: any two deployments can be mixed by sending a share of prompts to each, so what a set
of (cost, quality) points can reach is their upper concave hull; "quality at a cost" and "cost for a
quality" are read off that hull.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Point:
    share: float  # share of calls to the strong model (two models); 0 when not meaningful
    quality: float  # mean score
    cost: float  # mean USD per prompt


def apgr(curve: Sequence[Point], weak: float, strong: float) -> float | None:
    if strong == weak or len(curve) < 2:
        return None
    area = sum((b.share - a.share) * (a.quality + b.quality) / 2 for a, b in itertools.pairwise(curve))
    width = curve[-1].share - curve[0].share
    return (area - weak * width) / ((strong - weak) * width)


def first_reaching(curve: Sequence[Point], target: float) -> Point | None:
    """The first point, linear between measured points, whose quality reaches target."""
    if curve and curve[0].quality >= target:
        return curve[0]
    for a, b in itertools.pairwise(curve):
        if b.quality >= target > a.quality:
            t = (target - a.quality) / (b.quality - a.quality)
            return Point(a.share + t * (b.share - a.share), target, a.cost + t * (b.cost - a.cost))
    return None


def cpt(curve: Sequence[Point], weak: float, strong: float, fraction: float) -> float | None:
    if strong <= weak:
        return None
    point = first_reaching(curve, weak + fraction * (strong - weak))
    return None if point is None else point.share


def hull(points: Sequence[Point]) -> list[Point]:
    """Upper concave hull by cost: the mixes that give the most quality for each cost."""
    best: list[Point] = []
    for p in sorted(points, key=lambda p: (p.cost, -p.quality)):
        if best and p.quality <= best[-1].quality:
            continue  # dearer and no better
        while len(best) >= 2 and _cross(best[-2], best[-1], p) >= 0:
            best.pop()
        best.append(p)
    return best


def _cross(a: Point, b: Point, c: Point) -> float:
    return (b.cost - a.cost) * (c.quality - a.quality) - (b.quality - a.quality) * (c.cost - a.cost)


def quality_at_cost(points: Sequence[Point], budget: float) -> float | None:
    front = hull(points)
    if not front or front[0].cost > budget:
        return None
    for a, b in itertools.pairwise(front):
        if a.cost <= budget <= b.cost:
            t = (budget - a.cost) / (b.cost - a.cost) if b.cost > a.cost else 1.0
            return a.quality + t * (b.quality - a.quality)
    return front[-1].quality


def cost_for_quality(points: Sequence[Point], target: float) -> float | None:
    point = first_reaching(hull(points), target)
    return None if point is None else point.cost
