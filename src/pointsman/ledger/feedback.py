"""Feedback on a request, kept beside its ledger row: a score 0..1, and a label and comment if given.

One feedback per request: a later score replaces the earlier one (and says what it replaced, so the
online abilities count the correction, not a second vote). Run against the SQLite ledger, from the
ledger's own thread in a gateway, or from the CLI straight on the file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    request_id TEXT PRIMARY KEY, ts REAL NOT NULL, key_id TEXT NOT NULL, score REAL NOT NULL,
    label TEXT NOT NULL DEFAULT '', comment TEXT NOT NULL DEFAULT ''
);
"""


@dataclass(frozen=True, slots=True)
class Feedback:
    request_id: str
    score: float
    ts: float
    key_id: str = ""
    """The gateway key it came with ('' from the CLI, or a gateway without keys)."""
    label: str = ""
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Stored:
    """The request the feedback is about, as its ledger row has it, and the score it had before."""

    model: str
    route: str
    status: int
    learned: dict[str, Any] | None
    """The `learned` section of the row's trace: set when a learned route decided the request."""
    previous: float | None


def put(db: sqlite3.Connection, item: Feedback, owner: str | None) -> Stored | None:
    """Store `item` against its request's row; None (nothing stored) when there is no such row, or
    `owner` is given and the row was made with another key (a key sees only its own requests)."""
    found = db.execute(
        "SELECT model, route, status, key_id, trace FROM requests WHERE id = ?", (item.request_id,)
    ).fetchone()
    if found is None or (owner is not None and found[3] != owner):
        return None
    with db:
        db.execute("BEGIN")
        before = db.execute("SELECT score FROM feedback WHERE request_id = ?", (item.request_id,)).fetchone()
        db.execute(
            "INSERT OR REPLACE INTO feedback (request_id, ts, key_id, score, label, comment)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (item.request_id, item.ts, item.key_id, item.score, item.label, item.comment),
        )
    learned = _learned(found[4])
    return Stored(found[0], found[1], found[2], learned, before[0] if before is not None else None)


def _learned(trace: str) -> dict[str, Any] | None:
    try:
        section = orjson.loads(trace).get("learned")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return section if isinstance(section, dict) else None


def read(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every feedback with its request's model, route, status and `learned` trace section, oldest
    first."""
    out = []
    for row in db.execute(
        "SELECT f.request_id, f.ts, f.key_id, f.score, f.label, f.comment, r.model, r.route, r.status,"
        " r.trace FROM feedback f JOIN requests r ON r.id = f.request_id ORDER BY f.ts, f.request_id"
    ):
        keys = ("request_id", "ts", "key_id", "score", "label", "comment", "model", "route", "status")
        entry: dict[str, Any] = dict(zip(keys, row[:9], strict=True))
        entry["learned"] = _learned(row[9])
        out.append(entry)
    return out
