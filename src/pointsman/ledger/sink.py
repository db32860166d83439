"""Ledger writes, batched and off the request path: `record()` only appends to a list."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from pointsman.ledger.row import LedgerRow

log = logging.getLogger("pointsman.ledger")


class LedgerStore(Protocol):
    """Blocking storage; called from the ledger's own thread only."""

    def write(self, rows: list[LedgerRow]) -> None: ...

    def close(self) -> None: ...


class LedgerSink(Protocol):
    def record(self, row: LedgerRow) -> None: ...


class BatchingLedger:
    """Collects rows and hands them to a store in batches, from one dedicated thread.

    A failed write keeps its rows and is retried, so a full disk delays rows instead of losing them;
    `close()` writes whatever is left (the server calls it on SIGTERM).
    """

    def __init__(self, store: LedgerStore, *, batch_size: int = 512, flush_interval: float = 0.25) -> None:
        self._store = store
        self._batch_size = batch_size
        self._interval = flush_interval
        self._pending: list[LedgerRow] = []
        self._wake = asyncio.Event()
        self._writing = asyncio.Lock()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="pointsman-ledger")
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.written = 0

    def record(self, row: LedgerRow) -> None:
        self._pending.append(row)
        if len(self._pending) >= self._batch_size:
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="pointsman-ledger")

    @property
    def healthy(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        while not self._closing:
            try:
                await asyncio.wait_for(self._wake.wait(), self._interval)
            except TimeoutError:
                pass
            self._wake.clear()
            if self._pending and not await self._flush():
                await asyncio.sleep(1.0)  # the store failed; retry later instead of spinning

    async def _flush(self) -> bool:
        async with self._writing:  # one write at a time: flush() waits for one under way
            return await self._write()

    async def _write(self) -> bool:
        batch, self._pending = self._pending, []
        if not batch:
            return True
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._store.write, batch)
        except Exception:
            log.exception("ledger write of %d rows failed; keeping them for the next try", len(batch))
            self._pending[:0] = batch
            return False
        self.written += len(batch)
        return True

    async def flush(self) -> None:
        """Write everything recorded so far, a write already under way included (tests and admin
        reads call this)."""
        await self._flush()

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
        for _ in range(3):
            if not self._pending or await self._flush():
                break
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._store.close)
        self._executor.shutdown(wait=True)
