"""Every baseline (and any extra policy, e.g. a learned router) on one data set, as plain numbers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pointsman.evaluation.data import Row
from pointsman.evaluation.metrics import Point, apgr, cost_for_quality, cpt, first_reaching, quality_at_cost
from pointsman.evaluation.policies import (
    Scorer,
    Table,
    length_curve,
    oracle,
    pair_curve,
    per_task,
    price_curve,
)

NOTES = {
    "random": "expectation over random mixes (exact, no sampling)",
    "prompt_length": "short prompts to the cheap model, threshold swept over length deciles",
    "best_single": "the one model with the best mean score",
    "per_task_best": "best model per task chosen on these same rows: sees labels, an upper reference",
    "oracle": "sees labels: cheapest model with the top score per prompt",
}


def _points(curve: Sequence[Point]) -> list[dict[str, float]]:
    return [{"strong_share": p.share, "quality": p.quality, "cost": p.cost} for p in curve]


def _pair_summary(curve: Sequence[Point], weak: Point, strong: Point) -> dict[str, Any]:
    reach = first_reaching(curve, 0.95 * strong.quality)
    return {
        "apgr": apgr(curve, weak.quality, strong.quality),
        "cpt50": cpt(curve, weak.quality, strong.quality, 0.5),
        "cpt80": cpt(curve, weak.quality, strong.quality, 0.8),
        "saving_at_95": None if reach is None or not strong.cost else 1 - reach.cost / strong.cost,
        "curve": _points(curve),
    }


def evaluate_pair(
    table: Table, strong: str, weak: str, extra: Mapping[str, Scorer] | None = None
) -> dict[str, Any]:
    """Two models: each policy's curve over the share of strong calls, with APGR, CPT, saving."""
    s, w = table.single(strong), table.single(weak)
    task_means = per_task(table)
    curves: dict[str, list[Point]] = {
        "random": [
            table.point([weak] * len(table.rows), strong),
            table.point([strong] * len(table.rows), strong),
        ],
        "prompt_length": pair_curve(table, lambda r: len(r.prompt), strong, weak),
        "per_task_best": pair_curve(
            table, lambda r: task_means(r)[strong] - task_means(r)[weak], strong, weak
        ),
        "oracle": pair_curve(table, lambda r: r.scores[strong] - r.scores[weak], strong, weak),
    }
    for name, scorer in (extra or {}).items():
        curves[name] = pair_curve(table, _gap(scorer, strong, weak), strong, weak)
    best = strong if (s.quality, -s.cost) >= (w.quality, -w.cost) else weak
    return {
        "mode": "pair",
        "strong": strong,
        "weak": weak,
        "best_single": best,
        "models": {m: {"quality": p.quality, "cost": p.cost} for m, p in ((strong, s), (weak, w))},
        "policies": {n: {**_pair_summary(c, w, s), "note": NOTES.get(n, "")} for n, c in curves.items()},
    }


def _gap(scorer: Scorer, strong: str, weak: str) -> Callable[[Row], float]:
    def gap(row: Row) -> float:
        scores = scorer(row)
        return scores[strong] - scores[weak]

    return gap


def evaluate_many(table: Table, extra: Mapping[str, Scorer] | None = None) -> dict[str, Any]:
    """Many models: each policy's (cost, quality) curve, read at the best single model's cost and quality."""
    singles = {m: table.single(m) for m in table.models}
    best = max(table.models, key=lambda m: (singles[m].quality, -singles[m].cost))
    cheap = min(table.models, key=lambda m: (singles[m].cost, -singles[m].quality))
    n = len(singles)
    curves: dict[str, list[Point]] = {
        "random": [
            Point(
                0.0, sum(p.quality for p in singles.values()) / n, sum(p.cost for p in singles.values()) / n
            )
        ],
        "best_single": [singles[best]],
        "prompt_length": length_curve(table, cheap, best),
        "per_task_best": price_curve(table, per_task(table)),
        "oracle": price_curve(table, oracle),
    }
    for name, scorer in (extra or {}).items():
        curves[name] = price_curve(table, scorer)
    policies = {}
    for name, curve in curves.items():
        top = max(curve, key=lambda p: (p.quality, -p.cost))
        policies[name] = {
            "top": {"quality": top.quality, "cost": top.cost},
            "quality_at_best_cost": quality_at_cost(curve, singles[best].cost),
            "cost_at_best_quality": cost_for_quality(curve, singles[best].quality),
            "curve": _points(curve),
            "note": NOTES.get(name, ""),
        }
    return {
        "mode": "many",
        "best_single": best,
        "cheapest": cheap,
        "models": {m: {"quality": p.quality, "cost": p.cost} for m, p in singles.items()},
        "policies": policies,
    }
