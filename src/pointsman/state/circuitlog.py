"""What the operator reads about circuits: one line when a model's circuit opens, lets a probe
through, or closes; a circuit that keeps failing its probes is reported again only every few minutes
(with how many failed), not once per cooldown."""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger("pointsman.health")

REPEAT_EVERY = 300.0
"""Seconds between reports of a circuit that stays open because its probes keep failing."""


@dataclass(slots=True)
class _Told:
    since: float
    """When this open circuit was last reported."""
    unreported: int = 0
    """Probes that failed since then."""
    failed: int = 0
    """Probes that failed since the circuit opened."""


class CircuitLog:
    def __init__(self) -> None:
        self._told: dict[str, _Told] = {}

    def opened(self, model: str, why: str, seconds: float, now: float) -> None:
        self._told[model] = _Told(now)
        log.warning(
            "circuit for model '%s' opened: %s; its requests go to other models, a probe in %gs",
            model,
            why,
            seconds,
        )

    def half_open(self, model: str) -> None:
        told = self._told.get(model)
        if told is None or not told.failed:  # later probes are told of with their failures
            log.info("circuit for model '%s' half-open: one request goes through as a probe", model)

    def probe_failed(self, model: str, seconds: float, now: float) -> None:
        told = self._told.setdefault(model, _Told(now))
        told.unreported += 1
        told.failed += 1
        if told.failed == 1 or now - told.since >= REPEAT_EVERY:
            log.warning(
                "circuit for model '%s' stays open: %d probe(s) failed%s; the next in %gs",
                model,
                told.unreported,
                "" if told.failed == 1 else f" in the last {now - told.since:.0f}s",
                seconds,
            )
            told.since, told.unreported = now, 0

    def closed(self, model: str) -> None:
        told = self._told.pop(model, None)
        failed = f" after {told.failed} failed probe(s)" if told is not None and told.failed else ""
        log.info("circuit for model '%s' closed: the probe answered%s", model, failed)
