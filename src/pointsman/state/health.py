"""Per-model health: rolling latency and TTFT windows, error rate, in-flight count, circuit breaker.

Routing reads `stats()` on every request, so percentiles are computed at most every
`_REFRESH` seconds per model, not per read. The circuit breaker is the classic three-state one:
closed → open after repeated failures → half-open after a cooldown, where exactly one real request
is let through as a probe → closed on its success, open again on its failure.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from pointsman.config.schema import HealthConfig
from pointsman.state.circuitlog import CircuitLog

_REFRESH = 0.25
"""Seconds a computed set of percentiles stays fresh."""

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass(frozen=True, slots=True)
class Stats:
    samples: int = 0
    """Successful answers in the window (the latency percentiles' population)."""
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    ttft_samples: int = 0
    ttft_p50_ms: float | None = None
    ttft_p95_ms: float | None = None
    ttft_p99_ms: float | None = None
    requests: int = 0
    """Answers and failures in the window."""
    error_rate: float = 0.0
    in_flight: int = 0
    circuit: str = CLOSED


EMPTY = Stats()


class Admission(enum.IntEnum):
    """Whether a request may go to a model now. False-y when refused."""

    REFUSED = 0
    ADMITTED = 1
    PROBE = 2
    """Admitted as the half-open circuit's one probe: one attempt, no retries."""


class Health(Protocol):
    """What the engine and routing need from health state; one implementation per backend."""

    def admit(self, model: str) -> Admission:
        """May a request go to `model` now? Refused while its circuit is open; in half-open,
        admitted as the probe for exactly one request."""

    def started(self, model: str) -> None: ...

    def succeeded(self, model: str, latency_ms: float, ttft_ms: float | None = None) -> None: ...

    def failed(self, model: str) -> None:
        """A failure the model is responsible for (5xx, timeout, refused connection, bad answer bytes)."""

    def released(self, model: str) -> None:
        """The attempt ended without saying anything about the model (client left, 4xx, hedge lost)."""

    def cool(self, model: str, seconds: float) -> None:
        """Keep requests away from `model` for a while (a long Retry-After)."""

    def stats(self, model: str) -> Stats: ...


def _percentile(ordered: list[float], q: float) -> float:
    # nearest-rank: a real observed value, no interpolation surprises on small windows
    index = max(0, min(len(ordered) - 1, int(q * len(ordered) + 0.999999) - 1))
    return round(ordered[index], 3)


@dataclass(slots=True)
class _Model:
    latencies: deque[tuple[float, float]]
    ttfts: deque[tuple[float, float]]
    outcomes: deque[tuple[float, bool]]
    in_flight: int = 0
    consecutive: int = 0
    circuit: str = CLOSED
    open_until: float = 0.0
    probing: bool = False
    cached: Stats = field(default_factory=Stats)
    cached_at: float = -1e18


class LocalHealth:
    """In-process health state (one gateway process)."""

    def __init__(self, config: HealthConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._models: dict[str, _Model] = {}
        self._log = CircuitLog()

    def _get(self, model: str) -> _Model:
        state = self._models.get(model)
        if state is None:
            size = self._config.samples
            state = _Model(deque(maxlen=size), deque(maxlen=size), deque(maxlen=size))
            self._models[model] = state
        return state

    def admit(self, model: str) -> Admission:
        state = self._models.get(model)
        if state is None or state.circuit == CLOSED:
            return Admission.ADMITTED
        if state.circuit == OPEN:
            if self._clock() < state.open_until:
                return Admission.REFUSED
            state.circuit, state.probing = HALF_OPEN, False
            state.cached_at = -1e18
            self._log.half_open(model)
        if state.probing:
            return Admission.REFUSED
        state.probing = True
        return Admission.PROBE

    def started(self, model: str) -> None:
        self._get(model).in_flight += 1

    def succeeded(self, model: str, latency_ms: float, ttft_ms: float | None = None) -> None:
        state = self._get(model)
        now = self._clock()
        state.in_flight = max(0, state.in_flight - 1)
        state.latencies.append((now, latency_ms))
        if ttft_ms is not None:
            state.ttfts.append((now, ttft_ms))
        state.outcomes.append((now, True))
        state.consecutive = 0
        if state.circuit != CLOSED:
            # the probe answered: close, and forget the failures that opened the circuit
            state.circuit, state.probing = CLOSED, False
            state.outcomes.clear()
            state.outcomes.append((now, True))
            state.cached_at = -1e18
            self._log.closed(model)
        # otherwise the percentiles may lag by up to _REFRESH: recomputing them after every answer
        # was the largest part of a routed request's cost

    def failed(self, model: str) -> None:
        state = self._get(model)
        now = self._clock()
        state.in_flight = max(0, state.in_flight - 1)
        state.outcomes.append((now, False))
        state.consecutive += 1
        state.cached_at = -1e18
        cooldown = self._config.cooldown
        if state.circuit == HALF_OPEN:
            self._open(state, now, cooldown)
            self._log.probe_failed(model, cooldown, now)
        elif state.circuit == CLOSED:
            why = self._why_open(state, now)
            if why:
                self._open(state, now, cooldown)
                self._log.opened(model, why, cooldown, now)

    def released(self, model: str) -> None:
        state = self._get(model)
        state.in_flight = max(0, state.in_flight - 1)
        if state.circuit == HALF_OPEN:
            state.probing = False  # the probe told us nothing: let the next request probe

    def cool(self, model: str, seconds: float) -> None:
        state = self._get(model)
        now = self._clock()
        if state.circuit != OPEN:
            self._log.opened(model, f"the provider asked for a pause of {seconds:g}s", seconds, now)
        if state.circuit != OPEN or state.open_until < now + seconds:
            self._open(state, now, seconds)

    def _why_open(self, state: _Model, now: float) -> str:
        """Why the circuit must open now ("" when it need not)."""
        if state.consecutive >= self._config.failures:
            n = state.consecutive
            return f"{n} failure{'s' if n != 1 else ''} in a row"
        self._expire(state.outcomes, now)
        total = len(state.outcomes)
        if total < self._config.min_requests:
            return ""
        bad = sum(1 for _, ok in state.outcomes if not ok)
        if bad / total >= self._config.error_rate:
            return f"{bad} of the last {total} requests failed"
        return ""

    def _open(self, state: _Model, now: float, seconds: float) -> None:
        state.circuit, state.open_until, state.probing = OPEN, now + seconds, False
        state.consecutive = 0
        state.cached_at = -1e18

    def _expire(self, window: deque[tuple[float, float]] | deque[tuple[float, bool]], now: float) -> None:
        horizon = now - self._config.window
        while window and window[0][0] < horizon:
            window.popleft()

    def stats(self, model: str) -> Stats:
        state = self._models.get(model)
        if state is None:
            return EMPTY
        now = self._clock()
        if now - state.cached_at > _REFRESH:
            state.cached = self._compute(state, now)
            state.cached_at = now
        cached = state.cached
        if cached.in_flight != state.in_flight:
            cached = replace(cached, in_flight=state.in_flight)
        return cached

    def _compute(self, state: _Model, now: float) -> Stats:
        for window in (state.latencies, state.ttfts, state.outcomes):
            self._expire(window, now)
        latencies = sorted(v for _, v in state.latencies)
        ttfts = sorted(v for _, v in state.ttfts)
        requests = len(state.outcomes)
        errors = sum(1 for _, ok in state.outcomes if not ok)
        circuit = state.circuit
        if circuit == OPEN and now >= state.open_until:
            circuit = HALF_OPEN
        return Stats(
            samples=len(latencies),
            p50_ms=_percentile(latencies, 0.5) if latencies else None,
            p95_ms=_percentile(latencies, 0.95) if latencies else None,
            p99_ms=_percentile(latencies, 0.99) if latencies else None,
            ttft_samples=len(ttfts),
            ttft_p50_ms=_percentile(ttfts, 0.5) if ttfts else None,
            ttft_p95_ms=_percentile(ttfts, 0.95) if ttfts else None,
            ttft_p99_ms=_percentile(ttfts, 0.99) if ttfts else None,
            requests=requests,
            error_rate=round(errors / requests, 4) if requests else 0.0,
            in_flight=state.in_flight,
            circuit=circuit,
        )

    def models(self) -> list[str]:
        return sorted(self._models)
