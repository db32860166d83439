"""Checks of a route's `shadow` section that need nothing but the config. Whether `against` and
`judge_model` name priced models is checked when the monitor is built (it needs the catalog)."""

from __future__ import annotations

from pointsman.config.schema import SHADOW_JUDGES, ShadowConfig
from pointsman.config.yamlsource import Fail, Path


def check_shadow(shadow: ShadowConfig, path: Path, fail: Fail) -> None:
    if not 0 <= shadow.sample <= 1:
        raise fail((*path, "sample"), f"must be a share in [0, 1], got {shadow.sample}")
    if not shadow.budget_usd_per_day.is_finite() or shadow.budget_usd_per_day < 0:
        raise fail(
            (*path, "budget_usd_per_day"),
            f"must be a number of dollars, 0 or more, got {shadow.budget_usd_per_day}",
        )
    if shadow.judge not in SHADOW_JUDGES:
        raise fail((*path, "judge"), f"unknown judge '{shadow.judge}'; one of: {', '.join(SHADOW_JUDGES)}")
    if shadow.judge == "model" and not shadow.judge_model:
        raise fail((*path, "judge_model"), "the model judge needs `judge_model`: a catalog model to ask")
    if shadow.judge != "model" and shadow.judge_model:
        raise fail(
            (*path, "judge_model"),
            f"only the model judge asks a model; this route's judge is '{shadow.judge}'",
        )
