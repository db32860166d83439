"""The embedded ledger store: one SQLite file in WAL mode."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from pointsman.errors import ConfigError
from pointsman.ledger import feedback
from pointsman.ledger.journal import Values
from pointsman.ledger.row import COLUMNS
from pointsman.ledger.sink import LedgerStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY, ts REAL NOT NULL, endpoint TEXT NOT NULL, key_id TEXT NOT NULL,
    requested_model TEXT NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL, upstream_model TEXT NOT NULL,
    attempts INTEGER NOT NULL, status INTEGER NOT NULL, error_type TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL,
    cost_usd TEXT, estimated INTEGER NOT NULL, latency_ms REAL NOT NULL, ttft_ms REAL,
    stream INTEGER NOT NULL, tags TEXT NOT NULL, route TEXT NOT NULL,
    escalations INTEGER NOT NULL DEFAULT 0, discarded_cost_usd TEXT NOT NULL DEFAULT '0',
    trace TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS requests_ts ON requests (ts);
"""
_ROW = f"({', '.join('?' * len(COLUMNS))})"
# chunk sizes are powers of two, so at most seven statements are ever compiled and cached: a new
# size per batch filled sqlite3's statement cache with large programs (RSS grew without bound)
_CHUNKS = (64, 32, 16, 8, 4, 2, 1)
_INSERTS = {
    n: f"INSERT OR REPLACE INTO requests ({', '.join(COLUMNS)}) VALUES {', '.join([_ROW] * n)}"
    for n in _CHUNKS
}


def _chunks(rows: Sequence[Values]) -> list[Sequence[Values]]:
    out: list[Sequence[Values]] = []
    start = 0
    for size in _CHUNKS:
        while len(rows) - start >= size:
            out.append(rows[start : start + size])
            start += size
    return out


def connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_SCHEMA + feedback.SCHEMA)
    _migrate(db)
    return db


_ADDED = {
    "escalations": "INTEGER NOT NULL DEFAULT 0",
    "discarded_cost_usd": "TEXT NOT NULL DEFAULT '0'",
    "trace": "TEXT NOT NULL DEFAULT '{}'",
}
"""Columns added after the first release: a ledger written by an older gateway gains them."""


def _migrate(db: sqlite3.Connection) -> None:
    have = {row[1] for row in db.execute("PRAGMA table_info(requests)")}
    for name, kind in _ADDED.items():
        if name not in have:
            db.execute(f"ALTER TABLE requests ADD COLUMN {name} {kind}")


class SQLiteStore(LedgerStore):
    def __init__(self, path: str) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None

    def open(self) -> None:
        """Connect and take the write lock once, so a missing folder, a read-only file system or a
        file that is not a database fails at start, not at the first request."""
        if self._db is not None:
            return
        try:
            db = connect(self.path)
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
        except (sqlite3.Error, OSError) as exc:
            raise ConfigError(f"ledger.path: cannot write the ledger {self.path!r}: {exc}") from None
        self._db = db

    def write(self, rows: Sequence[Values]) -> None:
        assert self._db is not None, "the ledger opens its store before the first write"
        # one multi-row INSERT per chunk, not executemany: executemany gives up and retakes the
        # GIL for every row, and each retake interrupts the event loop serving requests
        with self._db:
            self._db.execute("BEGIN")
            for chunk in _chunks(rows):
                self._db.execute(_INSERTS[len(chunk)], [v for row in chunk for v in row])

    def feedback(self, item: feedback.Feedback, owner: str | None) -> feedback.Stored | None:
        """Store feedback against its row (see `ledger.feedback.put`); on the ledger's thread."""
        assert self._db is not None, "the ledger opens its store before feedback arrives"
        return feedback.put(self._db, item, owner)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def read_rows(path: str, since: float | None = None) -> Iterator[dict[str, Any]]:
    """Every row as a dict (tags and trace decoded), oldest first: for `pointsman spend` and the tests."""
    db = connect(path)
    try:
        db.row_factory = sqlite3.Row
        query, args = "SELECT * FROM requests", tuple[float, ...]()
        if since is not None:
            query, args = query + " WHERE ts >= ?", (since,)
        for row in db.execute(query + " ORDER BY ts", args):
            out = dict(row)
            out["tags"] = orjson.loads(out["tags"])
            out["trace"] = orjson.loads(out["trace"])
            yield out
    finally:
        db.close()


def read_feedback(path: str) -> list[dict[str, Any]]:
    """Every feedback with its request's model, route and `learned` trace section, oldest first."""
    db = connect(path)
    try:
        return feedback.read(db)
    finally:
        db.close()
