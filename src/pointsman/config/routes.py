"""Checks of routes and pools that need nothing but the config: numbers, patterns, strategies, names.

Whether each target names a known model or pool is checked where routes are compiled (the router,
built by the composition root at start), with the same file:line messages.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from pointsman.config.schema import POOL_STRATEGIES, QUALITY_PRESETS, Config, LearnedRoute, RouteConfig
from pointsman.config.shadow import check_shadow
from pointsman.config.yamlsource import Fail, Path


def check_routes(config: Config, models: Collection[str], fail: Fail) -> None:
    for name, pool in config.pools.items():
        path: Path = ("pools", name)
        if pool.strategy not in POOL_STRATEGIES:
            raise fail(
                (*path, "strategy"),
                f"unknown strategy '{pool.strategy}'; one of: {', '.join(POOL_STRATEGIES)}",
            )
        if not pool.members:
            raise fail((*path, "members"), "a pool needs at least one member")
        for i, member in enumerate(pool.members):
            if not member.weight > 0:
                raise fail((*path, "members", i, "weight"), f"must be a positive number, got {member.weight}")
    for name, route in config.routes.items():
        if name in config.pools or name in models:
            kind = "pool" if name in config.pools else "model"
            raise fail(("routes", name), f"'{name}' is already a {kind}; a route needs a name of its own")
        _check_route(route, ("routes", name), fail)


def _check_route(route: RouteConfig, path: Path, fail: Fail) -> None:
    seconds = {
        "deadline": route.deadline,
        "attempt_timeout": route.attempt_timeout,
        "ttft_timeout": route.ttft_timeout,
        "stall_timeout": route.stall_timeout,
        "stream_timeout": route.stream_timeout,
    }
    for key, value in seconds.items():
        if value is not None and not value > 0:
            raise fail((*path, key), f"must be a positive number of seconds, got {value}")
    for key, count in (("retries", route.retries), ("max_fallbacks", route.max_fallbacks)):
        if count < 0:
            raise fail((*path, key), f"cannot be negative, got {count}")
    if len(route.fallbacks) > route.max_fallbacks:
        raise fail(
            (*path, "fallbacks"),
            f"lists {len(route.fallbacks)} tiers but max_fallbacks is {route.max_fallbacks}: the tiers "
            "past it would never be tried; raise max_fallbacks or drop tiers",
        )
    if not route.default and route.learned is None:
        raise fail(path, "a route needs `default` (a model or pool) or `learned` (candidates to choose from)")
    if route.learned is not None:
        _check_learned(route.learned, (*path, "learned"), fail)
    if route.shadow is not None:
        check_shadow(route.shadow, (*path, "shadow"), fail)
    if route.on_content_filter not in ("stop", "fallback"):
        raise fail((*path, "on_content_filter"), "must be 'stop' or 'fallback'")
    patterns: list[tuple[Path, str]] = [
        ((*path, "rules", i, "when", "regex"), r.when.regex)
        for i, r in enumerate(route.rules)
        if r.when.regex
    ]
    patterns += [
        ((*path, "checks", "refusal_patterns", i), p) for i, p in enumerate(route.checks.refusal_patterns)
    ]
    for where, pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise fail(where, f"bad regular expression: {exc}") from None


def _check_learned(learned: LearnedRoute, path: Path, fail: Fail) -> None:
    if not learned.candidates:
        raise fail((*path, "candidates"), "the learned strategy needs at least one candidate model")
    if learned.preset not in QUALITY_PRESETS:
        raise fail(
            (*path, "preset"), f"unknown preset '{learned.preset}'; one of: {', '.join(QUALITY_PRESETS)}"
        )
    if learned.quality is not None and learned.strong_share is not None:
        raise fail(
            (*path, "strong_share"), "give `quality` or `strong_share`, not both: they set the same knob"
        )
    bounds = {
        "quality": (learned.quality, 0.0),
        "strong_share": (learned.strong_share, -1e-12),
        "lean": (learned.lean, -1e-12),
    }
    for key, (value, low) in bounds.items():
        if value is not None and not low < value <= 1:
            raise fail((*path, key), f"must be a number in {'(0' if low == 0 else '[0'}, 1], got {value}")
    rater = learned.classifier
    if rater is not None:
        if rater.cache < 0:
            raise fail((*path, "classifier", "cache"), f"must be 0 or more ratings, got {rater.cache}")
        if not 0 < rater.timeout <= 60:
            raise fail((*path, "classifier", "timeout"), f"must be seconds in (0, 60], got {rater.timeout}")
