"""The learned decision for one route: estimates per candidate → the cheapest that clears the target.

The target is relative: a candidate qualifies when its estimate reaches `quality` × the best
candidate's estimate for this prompt (when no candidate can do it, paying for the strongest buys
nothing). An unfamiliar prompt (little of its text met in training) moves the target toward the
best candidate by `lean` × its unfamiliarity: in doubt, quality.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pointsman.learned.artifact import Encoded
from pointsman.learned.estimate import Ability, Estimator
from pointsman.learned.skills import SKILLS


@dataclass(frozen=True, slots=True)
class Choice:
    order: tuple[int, ...]
    """Candidate indices: the pick, then the others (qualifying ones by cost, then by estimate)."""
    estimates: tuple[float, ...]
    threshold: float
    target: float
    encoded: Encoded

    def trace(self, names: Sequence[str], label: str, sources: Sequence[str]) -> dict[str, Any]:
        skills = sorted(zip(SKILLS, self.encoded.skills.tolist(), strict=True), key=lambda s: -s[1])
        return {
            "strategy": label,
            "target": round(self.target, 3),
            "threshold": round(self.threshold, 4),
            "estimates": {n: round(e, 4) for n, e in zip(names, self.estimates, strict=True)},
            "abilities": dict(zip(names, sources, strict=True)),
            "chosen": names[self.order[0]],
            "runner_up": names[self.order[1]] if len(self.order) > 1 else None,
            "skills": {k: round(v, 3) for k, v in skills[:3]},
            "difficulty": round(self.encoded.difficulty, 3),
            "familiarity": round(self.encoded.coverage, 3),
            "tokens_read": self.encoded.tokens,
        }


def choose(
    estimates: Sequence[float], costs: Sequence[float], target: float, coverage: float, lean: float
) -> tuple[tuple[int, ...], float]:
    """The order of candidates and the threshold used. Ties in cost go to the higher estimate."""
    best = max(estimates)
    effective = target + (1.0 - target) * lean * (1.0 - coverage)
    threshold = effective * best
    n = len(estimates)
    clear = sorted(
        (i for i in range(n) if estimates[i] >= threshold), key=lambda i: (costs[i], -estimates[i])
    )
    rest = sorted((i for i in range(n) if estimates[i] < threshold), key=lambda i: -estimates[i])
    return (*clear, *rest), threshold


class LearnedPolicy:
    def __init__(
        self,
        estimator: Estimator,
        abilities: Sequence[Ability],
        costs: Sequence[float],
        target: float,
        lean: float,
    ) -> None:
        self.estimator = estimator
        self.abilities = tuple(abilities)
        self.costs = tuple(costs)
        self.target = target
        self.lean = lean

    def decide_encoded(
        self, encoded: Encoded, target: float | None = None, abilities: Sequence[Ability] | None = None
    ) -> Choice:
        """The decision for a prompt already encoded (or rated by a classifier: classifier.py).
        `abilities`: the candidates' abilities now (moved by feedback), instead of those at start."""
        estimates = tuple(a.estimate(encoded) for a in abilities or self.abilities)
        goal = self.target if target is None else target
        order, threshold = choose(estimates, self.costs, goal, encoded.coverage, self.lean)
        return Choice(order, estimates, threshold, goal, encoded)


def target_for_share(
    estimator: Estimator, abilities: Sequence[Ability], costs: Sequence[float], share: float, lean: float
) -> float:
    """The quality target under which the strongest candidate takes about `share` of the artifact's
    sample of training prompts: the other way to turn the one knob."""
    sample = estimator.artifact.sample
    k = len(SKILLS)
    mix, difficulty, factors = sample[:, :k], sample[:, k], sample[:, k + 1 :]
    logits = np.stack([_logits(a, mix, difficulty, factors) for a in abilities], axis=1)
    probs = 1 / (1 + np.exp(-np.clip(logits, -30, 30)))
    strongest = int(np.argmax(probs.mean(axis=0)))
    low, high = 0.0, 1.0
    for _ in range(30):
        middle = (low + high) / 2
        taken = sum(choose(row.tolist(), costs, middle, 1.0, lean)[0][0] == strongest for row in probs)
        if taken / len(probs) > share:
            high = middle
        else:
            low = middle
    return low


def _logits(a: Ability, mix: np.ndarray, difficulty: np.ndarray, factors: np.ndarray) -> np.ndarray:
    out = mix @ a.theta - difficulty
    if a.vector is not None and len(a.vector) == factors.shape[1]:
        out = out + factors @ a.vector
    return np.asarray(out)
