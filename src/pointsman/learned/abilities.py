"""Where each candidate's ability comes from, in rising order of trust: its tier, the catalog's or
the config's per-skill scores, the trained artifact, a calibration (`pointsman calibrate`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from pointsman.catalog.model import CatalogModel
from pointsman.errors import ConfigError
from pointsman.learned.artifact import artifact_id
from pointsman.learned.estimate import Ability, Estimator
from pointsman.learned.skills import SKILLS, TIERS

log = logging.getLogger("pointsman")

TRAINED_FACTORS = "+factors:trained"
"""Set (1.0) in a model's calibrated abilities when its file entry says `"factors": "trained"`: the
abilities are the trained ones moved by feedback, so the trained model's free factors still apply."""


def read_calibrated(path: str, artifact: str | None = None) -> dict[str, dict[str, float]]:
    """model → {skill: logit ability} as `pointsman calibrate` (or `pointsman feedback
    --export-abilities`) writes it. Given the artifact path in use ("" for the shipped one), models
    calibrated against another artifact are logged: their abilities are on that artifact's scale,
    still the best guess but due for a recalibration."""
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text("utf-8"))
        models = data["models"]
        out = {m: _calibrated(entry) for m, entry in models.items()}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read calibrated abilities: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{path}: not a calibration file from `pointsman calibrate` ({exc!r})") from None
    if artifact is not None:
        _warn_stale(path, models, artifact)
    return out


def _warn_stale(path: str, models: Mapping[str, Any], artifact: str) -> None:
    current = artifact_id(artifact)
    stale = sorted(m for m, entry in models.items() if entry.get("artifact", current) not in (current, None))
    if stale:
        log.warning(
            "%s: %s calibrated against another router artifact than %s: run `pointsman calibrate` again",
            path,
            ", ".join(stale),
            artifact or "the shipped one",
        )


def _calibrated(entry: dict[str, object]) -> dict[str, float]:
    abilities = entry["abilities"]
    if not isinstance(abilities, dict):
        raise TypeError(f"abilities is {type(abilities).__name__}, not an object")
    out = {k: float(v) for k, v in abilities.items()}
    if entry.get("factors") == "trained":
        out[TRAINED_FACTORS] = 1.0
    return out


def trained_name(estimator: Estimator, model: CatalogModel) -> str:
    """The artifact's name for this model: its own name, its upstream id, or either without a
    vendor prefix (`mistralai/mixtral-8x7b-chat` trains what `mixtral-8x7b-chat` is)."""
    known = estimator.artifact.abilities
    for name in (model.name, model.upstream):
        if name in known:
            return name
    tails = {k.rsplit("/", 1)[-1]: k for k in known}
    for name in (model.name, model.upstream):
        if name.rsplit("/", 1)[-1] in tails:
            return tails[name.rsplit("/", 1)[-1]]
    return ""


def ability_of(
    estimator: Estimator, model: CatalogModel, calibrated: Mapping[str, Mapping[str, float]]
) -> Ability | None:
    """The most trusted ability known for the model, or None when nothing is known of it."""
    measured = calibrated.get(model.name)
    name = trained_name(estimator, model)
    if measured is not None:
        theta = np.array([measured.get(k, 0.0) for k in SKILLS], np.float32)
        # feedback folded onto a trained ability: its free factors still hold (~0.5 logit typically)
        keep = name and measured.get(TRAINED_FACTORS)
        vector = estimator.artifact.vectors.get(name) if keep else None
        return Ability(model.name, theta, vector, "calibrated")
    if name:
        trained = estimator.trained(name)
        if trained is not None:
            return Ability(model.name, trained.theta, trained.vector, f"trained:{name}")
    skills = dict(model.skills)
    if not model.tier and not skills:
        return None
    base = TIERS.get(model.tier, TIERS["mid"])
    scores = {k: skills.get(k, base) for k in SKILLS}
    return estimator.from_scores(model.name, scores, "catalog" if skills else f"tier:{model.tier}")
