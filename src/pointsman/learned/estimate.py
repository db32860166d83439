"""Estimates for one prompt: how likely each candidate is to answer it well. Pure given its inputs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from pointsman.learned.artifact import Artifact, Encoded, Matrix
from pointsman.learned.featurize import Featurizer
from pointsman.learned.priors import prior
from pointsman.learned.skills import SKILLS


@dataclass(frozen=True, slots=True)
class Ability:
    """What a model is, for the router: an ability per skill (logit scale) and where it came from."""

    model: str
    theta: Matrix
    vector: Matrix | None
    source: str
    """trained, catalog, tier, calibrated, feedback."""

    def logit(self, e: Encoded) -> float:
        value = float(self.theta @ e.skills) - e.difficulty
        if self.vector is not None and len(self.vector) == len(e.factors):
            value += float(self.vector @ e.factors)
        return value

    def estimate(self, e: Encoded) -> float:
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, self.logit(e)))))


class Estimator:
    def __init__(self, artifact: Artifact, encoding: Any) -> None:
        self.artifact = artifact
        self.featurizer = Featurizer(encoding, artifact.window)

    def encode(self, text: str, prompt_tokens: int = 0) -> Encoded:
        """`prompt_tokens`: the whole prompt's length when known (the text may be its last turn)."""
        idx, val, tokens = self.featurizer.features(text)
        return self.artifact.encode(idx, val, tokens, prior(text, prompt_tokens or len(text) // 4))

    def trained(self, model: str) -> Ability | None:
        theta = self.artifact.abilities.get(model)
        if theta is None:
            return None
        return Ability(model, theta, self.artifact.vectors.get(model), "trained")

    def from_scores(self, model: str, scores: dict[str, float], source: str) -> Ability:
        """A model known only by its expected score per skill (0..1, on a prompt of typical
        difficulty for that skill): placed on the trained scale by the skill's mean difficulty."""
        theta = np.array(
            [_logit(scores[k]) + float(o) for k, o in zip(SKILLS, self.artifact.offsets, strict=True)],
            np.float32,
        )
        return Ability(model, theta, None, source)


def _logit(p: float) -> float:
    p = min(max(p, 1e-3), 1 - 1e-3)
    return math.log(p / (1 - p))
