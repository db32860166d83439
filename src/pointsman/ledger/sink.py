"""Ledger writes off the request path: `record()` journals the row and hands it to a writer task.

The writer moves rows to the store in bounded batches from one dedicated thread. While the store fails,
rows wait in the journal (memory holds at most `max_held` of them; the rest are read back from disk),
`/readyz` says so, and every retry resumes where the last one stopped, so space freed on a full disk
is used at once. At shutdown whatever the store could not take stays in the journal for the next
start; only rows that reached neither the store nor the journal are lost, and they are counted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Protocol, runtime_checkable

from pointsman.errors import LedgerUnavailable
from pointsman.ledger.feedback import Feedback, Stored
from pointsman.ledger.journal import Journal, Segment, Values
from pointsman.ledger.row import LedgerRow, row_values

log = logging.getLogger("pointsman.ledger")


class LedgerStore(Protocol):
    """Blocking storage; called from the ledger's own thread only."""

    def open(self) -> None:
        """Connect and check the store can be written; raise ConfigError naming the setting if not."""

    def write(self, rows: Sequence[Values]) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class FeedbackStore(Protocol):
    """A store that keeps feedback beside its rows (the SQLite one does)."""

    def feedback(self, item: Feedback, owner: str | None) -> Stored | None: ...


class LedgerSink(Protocol):
    def record(self, row: LedgerRow) -> None: ...


@dataclass(frozen=True, slots=True)
class LedgerState:
    ok: bool
    """False while the store is failing."""
    error: str
    unwritten: int
    """Rows recorded but not yet in the store (in memory or in the journal)."""
    held: int
    """Of those, the rows memory holds (at most `ledger.max_held_rows`)."""
    lost: int
    """Rows that reached neither the store nor the journal."""


class BatchingLedger:
    def __init__(
        self,
        store: LedgerStore,
        journal: Journal,
        *,
        batch_size: int = 512,
        flush_interval: float = 0.25,
        max_held: int = 20_000,
        retry_interval: float = 1.0,
    ) -> None:
        self._store = store
        self._journal = journal
        self._batch = batch_size
        self._interval = flush_interval
        self._max_held = max_held
        self._retry = retry_interval
        self._open = Segment(None, on_disk=False)
        self._backlog: list[Segment] = []
        self._held = 0
        self._wake = asyncio.Event()
        self._writing = asyncio.Lock()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="pointsman-ledger")
        self._task: asyncio.Task[None] | None = None
        self._opened = False
        self._closing = False
        self.error = ""
        self.written = 0
        self.lost = 0

    def open(self) -> None:
        """Open the store and the journal (taking over what an earlier run left); raises on failure."""
        if not self._opened:
            self._store.open()
            early = [self._open] if self._open.count else []  # recorded before the ledger opened
            self._backlog = [*self._journal.open(), *early]
            self._open = self._journal.start()
            self._opened = True
            if self._backlog:
                log.info("ledger: %d rows an earlier run left in the journal will be written", self.unwritten)

    def record(self, row: LedgerRow) -> None:
        values = row_values(row)
        segment = self._open
        self._journal.append(segment, values)
        if segment.rows is not None and self._held >= self._max_held:
            self._shed()
        if segment.rows is not None:
            if self._held < self._max_held:
                segment.rows.append(values)
                self._held += 1
            else:  # nothing could be shed: the journal is failing too
                segment.count -= 1
                self._lose(1)
        elif not segment.on_disk:
            segment.count -= 1
            self._lose(1)
        if segment.count >= self._batch:
            if self._backlog:
                self._seal()  # the store is behind: bounded segments are read back in bounded pieces
            self._wake.set()

    def _shed(self) -> None:
        """Free the memory of rows that are safe in the journal, oldest first."""
        for segment in [*self._backlog, self._open]:
            if segment.on_disk and segment.rows is not None:
                self._held -= len(segment.rows)
                segment.rows = None
                if self._held < self._max_held // 2:
                    return

    def _lose(self, count: int) -> None:
        if not self.lost:
            log.error("ledger: rows are being lost: the store and the journal both fail (%s)", self.error)
        self.lost += count

    async def start(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._executor, self.open)
        if self._backlog:
            self._wake.set()  # an earlier run's rows go first, not after a flush interval
        self._task = asyncio.get_running_loop().create_task(self._run(), name="pointsman-ledger")

    @property
    def unwritten(self) -> int:
        return sum(s.count - s.written for s in self._backlog) + self._open.count

    def state(self) -> LedgerState:
        running = self._task is not None and not self._task.done()
        return LedgerState(running and not self.error, self.error, self.unwritten, self._held, self.lost)

    async def _run(self) -> None:
        while not self._closing:
            try:
                await asyncio.wait_for(self._wake.wait(), self._interval)
            except TimeoutError:
                pass
            self._wake.clear()
            if not await self.flush(once=True):
                await asyncio.sleep(self._retry)  # the store failed; retry later instead of spinning

    async def flush(self, *, once: bool = False) -> bool:
        """Move every row recorded so far to the store; False if the store failed. One write at a
        time: a flush waits for one under way."""
        async with self._writing:
            if not self._backlog and self._open.count:
                self._seal()
            while self._backlog:
                if not await self._write(self._backlog[0]):
                    return False
                self._release(self._backlog.pop(0))
                if not self._backlog and self._open.count and not once:
                    self._seal()  # what arrived while the store was failing
            if self.error:
                log.warning("ledger store recovered (it failed with %s)", self.error)
                self.error = ""
            return True

    def _seal(self) -> None:
        self._backlog.append(self._open)
        try:
            self._open = self._journal.start()
        except OSError as exc:
            self._journal.failing = str(exc)
            self._open = Segment(None, on_disk=False)

    def _release(self, segment: Segment) -> None:
        if segment.rows is not None:
            self._held -= len(segment.rows)
        if segment.on_disk:
            self._journal.remove(segment)

    async def _write(self, segment: Segment) -> bool:
        loop = asyncio.get_running_loop()
        try:
            rows = segment.rows
            if rows is None:
                rows = await loop.run_in_executor(self._executor, self._journal.read, segment)
            while segment.written < len(rows):
                batch = rows[segment.written : segment.written + self._batch]
                await loop.run_in_executor(self._executor, self._store.write, batch)
                segment.written += len(batch)
                self.written += len(batch)
        except Exception as exc:
            self._failed(exc)
            return False
        return True

    def _failed(self, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        if error != self.error:
            log.error("ledger write failed (%s); %d rows kept, retrying", error, self.unwritten)
        self.error = error

    async def feedback(self, item: Feedback, owner: str | None) -> Stored | None:
        """Store feedback against its request's row, on the ledger's thread (off the event loop). A
        row not yet in the store is written first. None: no such row (for `owner`'s key)."""
        store = self._store
        if not isinstance(store, FeedbackStore):
            raise LedgerUnavailable("this gateway's ledger store does not keep feedback")
        loop = asyncio.get_running_loop()
        put = partial(store.feedback, item, owner)
        try:
            stored = await loop.run_in_executor(self._executor, put)
            if stored is None and self.unwritten:  # asked about before its row's turn to be written
                if not await self.flush():
                    raise LedgerUnavailable(
                        f"the ledger store is failing ({self.error}); feedback cannot be stored now"
                    )
                stored = await loop.run_in_executor(self._executor, put)
        except LedgerUnavailable:
            raise
        except Exception as exc:  # the store's own error (a full disk, a locked file): the ledger's fault
            raise LedgerUnavailable(f"cannot store feedback in the ledger: {exc}") from None
        return stored

    async def close(self) -> LedgerState:
        """Write what can be written; keep the rest in the journal; report what could not be kept."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        for _ in range(3):
            if await self.flush():
                break
        self._journal.close(self._open)
        for segment in [*self._backlog, self._open]:
            left = segment.count - segment.written
            if left and not segment.on_disk and not self._journal.save(segment):
                self._lose(left)
                segment.count = segment.written
        await asyncio.get_running_loop().run_in_executor(self._executor, self._store.close)
        self._executor.shutdown(wait=True)
        state = self.state()
        if state.unwritten:
            log.warning("ledger: %d rows could not be written now; the journal keeps them", state.unwritten)
        return state
