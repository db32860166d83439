"""A model's ability per skill, fitted to its grades on an anchor set (`pointsman calibrate`).

The prompt part of the artifact stays frozen: each anchor is encoded once (skill mixture, difficulty)
and only the model's seven numbers move, by maximum a posteriori under

    P(right) = sigmoid(theta . s(x) - d(x)),   theta ~ Normal(prior, 1 / PRECISION)

with Newton steps (seven unknowns: exact and quick). The prior is what the router knew before (the
trained, catalog or tier ability), so a skill with few anchors, or none, stays near it.

s(x) mixes the anchor's own, known skill (LABEL_WEIGHT, four fifths) with the encoder's guess (a
fifth): the label makes sure each skill's grades reach that skill's number, even where the encoder
was never taught the skill or reads it as another; the encoder's share keeps the fit close to how
the router will read real prompts.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pointsman.errors import ConfigError
from pointsman.learned.anchors import Anchor
from pointsman.learned.artifact import Matrix
from pointsman.learned.estimate import Estimator
from pointsman.learned.skills import SKILLS

LABEL_WEIGHT = 0.8
PRECISION = 1.0
"""Prior weight per skill, in anchors' worth of evidence at p = 0.5 (about four anchors)."""


@dataclass(frozen=True, slots=True)
class Design:
    """The frozen prompt part for each anchor."""

    mix: Matrix  # N x K
    difficulty: Matrix  # N


@dataclass(frozen=True, slots=True)
class Fit:
    theta: Matrix
    prior: Matrix
    n: int
    accuracy: float
    by_skill: dict[str, tuple[int, int]]
    """skill -> (right, asked)."""


def design(estimator: Estimator, anchors: Sequence[Anchor]) -> Design:
    rows, diffs = [], []
    for anchor in anchors:
        e = estimator.encode(anchor.prompt)
        label = np.zeros(len(SKILLS), np.float32)
        label[SKILLS.index(anchor.skill)] = 1.0
        rows.append((1 - LABEL_WEIGHT) * e.skills + LABEL_WEIGHT * label)
        diffs.append(e.difficulty)
    return Design(np.array(rows, np.float32), np.array(diffs, np.float32))


def fit_theta(d: Design, grades: Sequence[bool], prior: Matrix, steps: int = 25) -> Matrix:
    """The posterior mode of theta given the grades (Newton's method on a concave objective)."""
    y = np.asarray(grades, np.float64)
    x = d.mix.astype(np.float64)
    theta = prior.astype(np.float64).copy()
    eye = PRECISION * np.eye(len(theta))
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ theta - d.difficulty)))
        grad = x.T @ (y - p) - PRECISION * (theta - prior)
        hess = (x.T * (p * (1 - p))) @ x + eye
        step = np.linalg.solve(hess, grad)
        theta += step
        if float(np.abs(step).max()) < 1e-6:
            break
    return theta.astype(np.float32)


def fit(estimator: Estimator, anchors: Sequence[Anchor], grades: Sequence[bool], prior: Matrix) -> Fit:
    theta = fit_theta(design(estimator, anchors), grades, prior)
    by_skill = {k: (0, 0) for k in SKILLS}
    for anchor, right in zip(anchors, grades, strict=True):
        r, n = by_skill[anchor.skill]
        by_skill[anchor.skill] = (r + int(right), n + 1)
    accuracy = sum(grades) / len(grades) if grades else 0.0
    return Fit(theta, prior, len(grades), accuracy, {k: v for k, v in by_skill.items() if v[1]})


def entry(result: Fit, artifact: str, anchors: str) -> dict[str, Any]:
    return {
        "abilities": {k: round(float(t), 4) for k, t in zip(SKILLS, result.theta, strict=True)},
        "prior": {k: round(float(t), 4) for k, t in zip(SKILLS, result.prior, strict=True)},
        "n": result.n,
        "accuracy": round(result.accuracy, 4),
        "by_skill": {k: {"right": r, "asked": n} for k, (r, n) in result.by_skill.items()},
        "anchors": anchors,
        "artifact": artifact,
    }


def merge(path: str, model: str, item: dict[str, Any]) -> None:
    """Write the model's entry into the file at `path`, keeping every other model's; atomically."""
    target = Path(path)
    data: dict[str, Any] = {"models": {}}
    if target.exists():
        try:
            data = json.loads(target.read_text("utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
                raise ValueError("no `models` object")
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"{path}: exists and is not a calibration file, not overwriting ({exc})"
            ) from None
    data["models"][model] = item
    write_abilities(path, data)


def write_abilities(path: str, data: dict[str, Any]) -> None:
    """An abilities file written whole or not at all: a gateway may read it at any moment."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent or Path("."), prefix=".abilities-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(tmp, target)
