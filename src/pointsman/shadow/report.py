"""Agreement per route, and per route and day: is the router still sending only what the cheap
models answer as well as the strong one? Pure: from stored verdicts to lines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from pointsman.shadow.store import Verdict

GROUPINGS = ("route", "day")


@dataclass(slots=True)
class ReportLine:
    route: str
    day: str
    """The UTC day, or "" when grouped by route only."""
    shadowed: int = 0
    judged: int = 0
    """Verdicts the judge reached (the rate's denominator)."""
    agreed: int = 0
    failed: int = 0
    """Shadow calls that failed: no verdict."""
    cost_usd: Decimal = Decimal(0)
    """What the shadow calls and the judge cost (not counted in `pointsman spend`)."""

    @property
    def rate(self) -> float | None:
        return self.agreed / self.judged if self.judged else None

    @property
    def undecided(self) -> int:
        """Judged by no one: the judge could not decide."""
        return self.shadowed - self.judged - self.failed


def summarize(verdicts: Iterable[Verdict], by: str = "route") -> list[ReportLine]:
    """One line per route (by="route") or per route and day (by="day"), sorted."""
    lines: dict[tuple[str, str], ReportLine] = {}
    for v in verdicts:
        key = (v.route, v.day if by == "day" else "")
        line = lines.get(key)
        if line is None:
            line = lines[key] = ReportLine(*key)
        line.shadowed += 1
        line.cost_usd += v.cost
        if v.error:
            line.failed += 1
        elif v.agreed is not None:
            line.judged += 1
            line.agreed += v.agreed
    return [lines[key] for key in sorted(lines)]
