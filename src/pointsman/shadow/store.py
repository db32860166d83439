"""Shadow verdicts, in a table of their own in the ledger's SQLite file.

A table of its own, not rows in `requests`: a shadow call is not client traffic, so `pointsman
spend` (which reads `requests`) never counts it, while its cost and the judge's are kept here, per
verdict, for `pointsman shadow report` and for the daily budget after a restart.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson

from pointsman.errors import ConfigError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS shadow_verdicts (
    id TEXT PRIMARY KEY, ts REAL NOT NULL, day TEXT NOT NULL, route TEXT NOT NULL,
    model TEXT NOT NULL, against TEXT NOT NULL, judge TEXT NOT NULL, agreed INTEGER,
    cheap_cost_usd TEXT, shadow_cost_usd TEXT NOT NULL, judge_cost_usd TEXT NOT NULL,
    error TEXT NOT NULL, detail TEXT NOT NULL, decision TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shadow_verdicts_day ON shadow_verdicts (day, route);
"""
_COLUMNS = (
    "id", "ts", "day", "route", "model", "against", "judge", "agreed", "cheap_cost_usd",
    "shadow_cost_usd", "judge_cost_usd", "error", "detail", "decision",
)  # fmt: skip
_MARKS = ", ".join("?" * len(_COLUMNS))
_INSERT = f"INSERT OR REPLACE INTO shadow_verdicts ({', '.join(_COLUMNS)}) VALUES ({_MARKS})"


@dataclass(frozen=True, slots=True)
class Verdict:
    id: str
    """The client request's id (its row in `requests`)."""
    ts: float
    """Wall-clock time the verdict was reached."""
    day: str
    """The UTC day whose budget paid for it (YYYY-MM-DD)."""
    route: str
    model: str
    """The model that answered the client."""
    against: str
    judge: str
    agreed: bool | None
    """None: no verdict (the shadow call failed, or the judge could not decide)."""
    cheap_cost_usd: Decimal | None
    shadow_cost_usd: Decimal
    judge_cost_usd: Decimal
    error: str = ""
    detail: str = ""
    decision: dict[str, Any] = field(default_factory=dict)
    """The learned router's trace of the decision, when a learned route decided."""

    @property
    def cost(self) -> Decimal:
        return self.shadow_cost_usd + self.judge_cost_usd


def _values(v: Verdict) -> tuple[Any, ...]:
    cheap = str(v.cheap_cost_usd) if v.cheap_cost_usd is not None else None
    agreed = None if v.agreed is None else int(v.agreed)
    decision = orjson.dumps(v.decision, default=str).decode()
    return (
        v.id, v.ts, v.day, v.route, v.model, v.against, v.judge, agreed, cheap,
        str(v.shadow_cost_usd), str(v.judge_cost_usd), v.error, v.detail, decision,
    )  # fmt: skip


def _connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(_SCHEMA)
    return db


class VerdictStore:
    """Blocking writes on a thread of its own: verdicts are few (a budgeted sample)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="pointsman-shadow")

    def open(self) -> None:
        if self._db is not None:
            return
        try:
            self._db = _connect(self.path)
        except (sqlite3.Error, OSError) as exc:
            raise ConfigError(f"ledger.path: cannot keep shadow verdicts in {self.path!r}: {exc}") from None

    def spent(self, day: str) -> dict[str, Decimal]:
        """What each route's shadowing cost on `day` so far (the budget survives a restart)."""
        assert self._db is not None
        query = "SELECT route, shadow_cost_usd, judge_cost_usd FROM shadow_verdicts WHERE day = ?"
        out: dict[str, Decimal] = {}
        for route, shadow, judge in self._db.execute(query, (day,)):
            out[route] = out.get(route, Decimal(0)) + Decimal(shadow) + Decimal(judge)
        return out

    def write(self, verdict: Verdict) -> None:
        assert self._db is not None
        self._db.execute(_INSERT, _values(verdict))

    @property
    def thread(self) -> ThreadPoolExecutor:
        return self._thread

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        if self._db is not None:
            self._db.close()
            self._db = None


def read_verdicts(path: str, since: float | None = None) -> Iterator[Verdict]:
    """Every stored verdict, oldest first (none when the ledger never had a shadowed route)."""
    db = _connect(path)
    try:
        db.row_factory = sqlite3.Row
        query, args = "SELECT * FROM shadow_verdicts", tuple[float, ...]()
        if since is not None:
            query, args = query + " WHERE ts >= ?", (since,)
        for row in db.execute(query + " ORDER BY ts", args):
            yield _verdict(dict(row))
    finally:
        db.close()


def _verdict(row: dict[str, Any]) -> Verdict:
    cheap = row["cheap_cost_usd"]
    return Verdict(
        **{k: row[k] for k in ("id", "ts", "day", "route", "model", "against", "judge", "error", "detail")},
        agreed=None if row["agreed"] is None else bool(row["agreed"]),
        cheap_cost_usd=Decimal(cheap) if cheap is not None else None,
        shadow_cost_usd=Decimal(row["shadow_cost_usd"]),
        judge_cost_usd=Decimal(row["judge_cost_usd"]),
        decision=orjson.loads(row["decision"]),
    )
