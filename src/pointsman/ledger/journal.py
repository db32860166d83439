"""The ledger's write-ahead journal: every row is appended to a local file as its request ends.

A row is therefore on disk before the store has it, so kill -9, a full disk under the store or a store
that is down lose nothing: the rows wait in journal segments, and a segment is deleted only once the
store holds every row in it. At start, segments another run left behind are adopted and written.
One write() per row and no fsync: a row survives the process dying, not the machine losing power.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pointsman.errors import ConfigError

log = logging.getLogger("pointsman.ledger")

SUFFIX = ".jsonl"
Values = tuple[Any, ...] | list[Any]
"""One row's column values, in `COLUMNS` order (a list once read back from a journal)."""


@dataclass(slots=True)
class Segment:
    """A run of rows that are written to the store together, and the journal file that holds them."""

    path: Path | None
    rows: list[Values] | None = field(default_factory=list)
    """The rows in memory; None once shed to bound memory (then they are read back from `path`)."""
    count: int = 0
    on_disk: bool = True
    """Every row reached the file (False after a failed append, or with no journal)."""
    written: int = 0
    """Rows already in the store: a retry resumes after them."""


class Journal:
    """Segments in one folder; the open one is locked, so two gateways never adopt each other's."""

    def __init__(self, directory: str | None) -> None:
        self.directory = Path(directory) if directory else None
        self._fd = -1
        self._seq = 0
        self.failing = ""
        """Why the last append failed (empty while appends work)."""

    def open(self) -> list[Segment]:
        """Create the folder and return the segments earlier runs left behind (`start()` the first
        segment of this run after).

        Raises ConfigError when the folder cannot be created or written."""
        if self.directory is None:
            return []
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            probe = self.directory / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
            return [s for s in (self._adopt(p) for p in sorted(self.directory.glob(f"*{SUFFIX}"))) if s]
        except OSError as exc:
            raise ConfigError(
                f"ledger.journal_dir: cannot write the ledger's journal in {str(self.directory)!r}: {exc}"
            ) from None

    def _adopt(self, path: Path) -> Segment | None:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while a live gateway appends to it
            with os.fdopen(fd, "rb", closefd=False) as file:
                count = sum(block.count(b"\n") for block in iter(lambda: file.read(1 << 20), b""))
        except BlockingIOError:
            return None
        finally:
            os.close(fd)
        return Segment(path, rows=None, count=count)

    def start(self) -> Segment:
        """A new open segment; appends go to it until the next `start()`."""
        if self.directory is None:
            return Segment(None, on_disk=False)
        self._seq += 1
        path = self.directory / f"{time.time_ns():020d}-{os.getpid()}-{self._seq}{SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if self._fd >= 0:
            os.close(self._fd)  # the sealed segment's lock goes with it: it is this run's until removed
        self._fd = fd
        return Segment(path)

    def append(self, segment: Segment, values: Values) -> None:
        segment.count += 1
        if not segment.on_disk:
            return
        try:
            os.write(self._fd, orjson.dumps(values) + b"\n")
        except OSError as exc:
            segment.on_disk = False
            if not self.failing:
                log.error("ledger journal %s: append failed (%s); rows are held in memory", segment.path, exc)
            self.failing = str(exc)
        else:
            self.failing = ""

    def read(self, segment: Segment) -> list[Values]:
        """The rows of a segment whose rows are not in memory; a torn last line (the process died
        mid-write) is skipped."""
        assert segment.path is not None
        rows: list[Values] = []
        with segment.path.open("rb") as file:
            for line in file:
                try:
                    rows.append(orjson.loads(line))
                except orjson.JSONDecodeError:
                    log.warning("ledger journal %s: skipped a torn line", segment.path)
        segment.count = len(rows)
        return rows

    def save(self, segment: Segment) -> bool:
        """Put the unwritten rows of a segment held in memory (after a failed append) in a file of
        their own: at shutdown, when memory is about to go."""
        if self.directory is None or segment.rows is None:
            return False
        path = self.directory / f"{time.time_ns():020d}-{os.getpid()}-saved{SUFFIX}"
        try:
            path.write_bytes(b"".join(orjson.dumps(v) + b"\n" for v in segment.rows[segment.written :]))
        except OSError:
            path.unlink(missing_ok=True)
            return False
        self.remove(segment)  # its file held a part of these rows; the new one holds them all
        return True

    def remove(self, segment: Segment) -> None:
        if segment.path is not None:
            segment.path.unlink(missing_ok=True)

    def close(self, segment: Segment) -> None:
        """Stop appending; the open segment is removed if it holds nothing."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if segment.count == 0:
            self.remove(segment)
