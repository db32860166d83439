"""Abilities that learn from the team's own feedback while the gateway runs, within bounds.

A score on a request a learned route decided is one logistic-regression step for the model that
answered: its ability moves by `rate` × (score − the estimate made at decision time), spread over the
skills of that prompt's mixture. The total move per skill is capped at `MAX_DRIFT` logits from where
it started, so a burst of feedback (or a hostile client) can shift a model's standing but never
rewrite it. The book lives as long as the gateway; `pointsman feedback --export-abilities` folds the
stored feedback into a file that the next start reads as `learned.abilities`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from pointsman.learned.estimate import Ability
from pointsman.learned.skills import SKILLS

RATE = 0.1
"""Logits a wholly surprising score moves a model's ability on a single-skill prompt."""
MAX_DRIFT = 1.0
"""Logits a skill may move from where it started, in total (about 0.73 → 0.5 or 0.88)."""


@dataclass(slots=True)
class _Drift:
    delta: np.ndarray
    count: int = 0


@dataclass(frozen=True, slots=True)
class Learned:
    """What one score did to one model."""

    model: str
    delta: dict[str, float]
    """The model's total move per skill so far (logits), after this score."""
    count: int


def mixture_of(learned: Mapping[str, Any]) -> np.ndarray | None:
    """The prompt's skill mixture from a stored `learned` trace section (its top skills, which hold
    nearly all the weight), normalised to sum 1; None when the section has none."""
    skills = learned.get("skills")
    if not isinstance(skills, dict):
        return None
    weights = np.array([max(float(skills.get(k, 0.0)), 0.0) for k in SKILLS])
    total = float(weights.sum())
    return weights / total if total > 0 else None


class AbilityBook:
    """Per-model drift learned from feedback; the learned routes read abilities through `current`."""

    def __init__(self) -> None:
        self._drift: dict[str, _Drift] = {}
        self._moved: dict[int, tuple[Ability, Ability]] = {}
        """id(base) → (base, moved): a decision reads the moved ability without rebuilding it
        (~12 µs a candidate); emptied by every score. Holding `base` keeps its id from reuse."""

    def current(self, base: Ability) -> Ability:
        """The ability to decide with: `base` moved by what feedback taught, or `base` itself."""
        drift = self._drift.get(base.model)
        if drift is None:
            return base
        hit = self._moved.get(id(base))
        if hit is not None and hit[0] is base:
            return hit[1]
        theta = (base.theta + drift.delta).astype(base.theta.dtype)
        moved = Ability(base.model, theta, base.vector, f"{base.source}+feedback(n={drift.count})")
        self._moved[id(base)] = (base, moved)
        return moved

    def learn(
        self, model: str, mixture: np.ndarray, estimate: float, score: float, previous: float | None = None
    ) -> Learned:
        """One score for a prompt whose mixture and estimate (for `model`) the decision recorded.
        `previous`: the score this request had before (a correction): only the difference counts,
        and the model's count of scores does not grow."""
        if not (0.0 <= estimate <= 1.0 and math.isfinite(estimate)):
            raise ValueError(f"estimate {estimate!r} is not a probability")
        drift = self._drift.get(model)
        if drift is None:
            drift = self._drift[model] = _Drift(np.zeros(len(SKILLS)))
        surprise = score - (estimate if previous is None else previous)
        step = RATE * surprise * mixture
        drift.delta = np.clip(drift.delta + step, -MAX_DRIFT, MAX_DRIFT)
        self._moved.clear()
        if previous is None:
            drift.count += 1
        return Learned(model, self.delta(model), drift.count)

    def delta(self, model: str) -> dict[str, float]:
        drift = self._drift.get(model)
        if drift is None:
            return {}
        return {k: round(float(d), 4) for k, d in zip(SKILLS, drift.delta, strict=True) if d}

    def count(self, model: str) -> int:
        drift = self._drift.get(model)
        return drift.count if drift is not None else 0

    def models(self) -> list[str]:
        return sorted(self._drift)


def learn_from(
    book: AbilityBook, model: str, learned: Mapping[str, Any] | None, score: float, previous: float | None
) -> Learned | None:
    """Feed one score to `book` when a learned route decided the request and `model` (which answered)
    was among its candidates; None when there is nothing to learn from (the decision recorded no
    estimate for the model, or no learned route decided)."""
    if learned is None or not model:
        return None
    estimates = learned.get("estimates")
    estimate = estimates.get(model) if isinstance(estimates, dict) else None
    mixture = mixture_of(learned)
    if not isinstance(estimate, int | float) or isinstance(estimate, bool) or mixture is None:
        return None
    return book.learn(model, mixture, min(max(float(estimate), 0.0), 1.0), score, previous)
