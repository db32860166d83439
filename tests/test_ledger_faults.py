"""A ledger that cannot be written: checked at start, reported while running, nothing lost silently.

Faults are real where they can be (an unopenable path, a file-size limit on the gateway process,
kill -9) and injected where a test must switch them on and off (a store that fails, then recovers).
"""

from __future__ import annotations

import asyncio
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from conftest import PROVIDER_KEY, FakeOpenAI, Gateway, serve_process, user
from pointsman.config.loader import parse_config
from pointsman.ledger.journal import SUFFIX, Values
from pointsman.ledger.sqlite import SQLiteStore, read_rows
from pointsman.serving import BackgroundServers

ADMIN = "pm-admin-ledger"


class FlakyStore(SQLiteStore):
    """The real SQLite store, with a switch: `broken` fails every write, `capacity` is a disk that
    holds only so many rows."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.broken = ""
        self.capacity: int | None = None
        self.stored = 0

    def write(self, rows: Sequence[Values]) -> None:
        if self.broken:
            raise sqlite3.OperationalError(self.broken)
        if self.capacity is not None and self.stored + len(rows) > self.capacity:
            raise sqlite3.OperationalError("database or disk is full")
        super().write(rows)
        self.stored += len(rows)


def _config(fake: FakeOpenAI, ledger: Path, ledger_extra: str = "") -> str:
    return f"""
server: {{port: 0, admin_key: {ADMIN}}}
providers:
  fake: {{type: openai, base_url: "{fake.url}/v1", api_key: {PROVIDER_KEY}}}
models:
  small: {{provider: fake, upstream: small-1, input: 1, output: 2}}
ledger: {{path: "{ledger}", flush_interval: 0.05, batch_size: 25 {ledger_extra}}}
"""


def _gateway(servers: BackgroundServers, text: str, ledger: Path, **kw: Any) -> Gateway:
    app, url = servers.start_gateway(parse_config(text, "gw.yaml", {}), **kw)
    return Gateway(app, url, str(ledger), servers)


def _flaky(servers: BackgroundServers, text: str, ledger: Path, **fault: Any) -> tuple[Gateway, FlakyStore]:
    store = FlakyStore(str(ledger))
    for name, value in fault.items():
        setattr(store, name, value)
    return _gateway(servers, text, ledger, ledger_store=store), store


async def _load(url: str, count: int) -> list[str]:
    """`count` requests, a third streamed; every one must be answered: the ids they were given."""
    client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)

    async def one(i: int) -> str:
        if i % 3:
            raw = await client.chat.completions.with_raw_response.create(model="small", messages=user(f"{i}"))
        else:
            raw = await client.chat.completions.with_raw_response.create(
                model="small", messages=user(f"{i}"), stream=True
            )
            async for _ in raw.parse():
                pass
        return raw.headers["x-pointsman-request-id"]

    try:
        return list(await asyncio.gather(*(one(i) for i in range(count))))
    finally:
        await client.close()


def _ready(url: str) -> httpx.Response:
    return httpx.get(f"{url}/readyz", timeout=10)


def _spend(url: str) -> httpx.Response:
    return httpx.get(f"{url}/admin/spend", headers={"authorization": f"Bearer {ADMIN}"}, timeout=10)


def _metrics(url: str) -> list[str]:
    return httpx.get(f"{url}/metrics", timeout=10).text.splitlines()


def _wait(check: Callable[[], bool], limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, "the ledger did not catch up"
        time.sleep(0.05)


def _journaled(folder: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in folder.glob(f"*{SUFFIX}"))


@pytest.mark.parametrize("fault", ["missing folder", "not a database", "a folder"])
def test_a_ledger_that_cannot_be_written_stops_the_start_naming_the_setting(
    tmp_path: Path, fake: FakeOpenAI, fault: str
) -> None:
    ledger = tmp_path / "ledger.db"
    if fault == "missing folder":
        ledger = tmp_path / "no-such-folder" / "ledger.db"
    elif fault == "not a database":
        ledger.write_bytes(b"garbage, not SQLite " * 400)
    else:
        ledger.mkdir()
    config = tmp_path / "gw.yaml"
    config.write_text(_config(fake, ledger))
    done = subprocess.run(
        [sys.executable, "-m", "pointsman", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "ledger.path" in done.stderr and str(ledger) in done.stderr
    assert "Traceback" not in done.stderr and "listening" not in done.stderr


async def test_a_failing_store_turns_readiness_red_and_keeps_every_row(
    servers: BackgroundServers, fake: FakeOpenAI, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.db"
    gw, store = _flaky(servers, _config(fake, ledger, ", max_held_rows: 40"), ledger)
    assert _ready(gw.url).json()["ledger"]["ok"] is True
    store.broken = "database or disk is full"

    ids = await _load(gw.url, 120)

    _wait(lambda: _ready(gw.url).status_code == 503)
    ready = _ready(gw.url).json()
    assert ready["status"] == "ledger_failing" and "disk is full" in ready["ledger"]["error"]
    assert ready["ledger"]["unwritten_rows"] == 120 and ready["ledger"]["lost_rows"] == 0
    assert ready["ledger"]["held_rows"] <= 40, "memory holds a bounded number of rows"
    assert _journaled(Path(f"{ledger}.journal")) == 120, "every row is in the journal"
    spend = _spend(gw.url)
    assert spend.status_code == 503 and spend.json()["error"]["type"] == "ledger_unavailable"
    assert "120 rows" in spend.json()["error"]["message"], "not an empty report that looks right"
    metrics = _metrics(gw.url)
    assert "pointsman_ledger_store_up 0" in metrics and "pointsman_ledger_unwritten_rows 120" in metrics

    store.broken = ""
    _wait(lambda: _ready(gw.url).status_code == 200)
    assert sorted(r["id"] for r in gw.rows()) == sorted(ids)
    assert _journaled(Path(f"{ledger}.journal")) == 0
    spend = _spend(gw.url)
    assert spend.status_code == 200 and spend.json()["data"][0]["requests"] == 120
    metrics = _metrics(gw.url)
    assert "pointsman_ledger_store_up 1" in metrics and "pointsman_ledger_rows_written_total 120" in metrics
    servers.stop_gateway(gw.app)


async def test_space_freed_on_a_full_disk_is_used_in_bounded_batches(
    servers: BackgroundServers, fake: FakeOpenAI, tmp_path: Path
) -> None:
    gw, store = _flaky(servers, _config(fake, tmp_path / "ledger.db"), tmp_path / "ledger.db", capacity=0)
    ids = await _load(gw.url, 150)
    _wait(lambda: _ready(gw.url).json()["ledger"]["unwritten_rows"] == 150)

    store.capacity = 60  # room for some of the backlog (batches of at most 25 rows), not all of it
    _wait(lambda: store.stored > 60 - 25 and _ready(gw.url).json()["ledger"]["unwritten_rows"] < 150)
    assert _ready(gw.url).json()["ledger"]["unwritten_rows"] == 150 - store.stored
    assert len(list(read_rows(gw.ledger))) == store.stored

    store.capacity = None
    _wait(lambda: _ready(gw.url).status_code == 200)
    assert sorted(r["id"] for r in gw.rows()) == sorted(ids)
    servers.stop_gateway(gw.app)


async def test_rows_the_store_could_not_take_by_shutdown_are_written_at_the_next_start(
    servers: BackgroundServers, fake: FakeOpenAI, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.db"
    gw, _ = _flaky(servers, _config(fake, ledger), ledger, broken="disk I/O error")
    ids = await _load(gw.url, 60)
    servers.stop_gateway(gw.app)
    state = gw.app.gateway.ledger_state
    assert state is not None and state.unwritten == 60 and state.lost == 0
    assert _journaled(Path(f"{ledger}.journal")) == 60 and not list(read_rows(str(ledger)))

    again = _gateway(servers, _config(fake, ledger), ledger)
    assert sorted(r["id"] for r in again.rows()) == sorted(ids)
    assert _journaled(Path(f"{ledger}.journal")) == 0
    servers.stop_gateway(again.app)


def _limited(limit: int) -> Callable[[], None]:
    """A real full disk for one process: no file it writes may grow past `limit` bytes."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


async def test_a_ledger_file_that_cannot_grow_loses_nothing_across_a_restart(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    ledger = tmp_path / "ledger.db"
    config = tmp_path / "gw.yaml"
    config.write_text(_config(fake, ledger))
    proc, url = serve_process(config, preexec_fn=_limited(64 * 1024))
    ids = await _load(url, 300)
    _wait(lambda: _ready(url).status_code == 503)
    assert _ready(url).json()["ledger"]["error"].startswith("OperationalError")  # SQLite: "disk I/O error"
    proc.terminate()
    assert proc.wait(30) < 0, "stopped by the signal: nothing was lost, so no error status"
    stored = {r["id"] for r in read_rows(str(ledger))}
    assert len(stored) < len(ids)

    proc, url = serve_process(config)  # the disk has room again
    _wait(lambda: _ready(url).status_code == 200 and _ready(url).json()["ledger"]["unwritten_rows"] == 0)
    proc.terminate()
    proc.wait(30)
    assert {r["id"] for r in read_rows(str(ledger))} == set(ids)


async def test_rows_that_must_be_dropped_are_counted_and_fail_the_exit(
    tmp_path: Path, fake: FakeOpenAI
) -> None:
    ledger = tmp_path / "ledger.db"
    config = tmp_path / "gw.yaml"
    config.write_text(_config(fake, ledger, ", journal: false, max_held_rows: 20"))
    proc, url = serve_process(config, preexec_fn=_limited(64 * 1024))
    ids = await _load(url, 300)
    _wait(lambda: _ready(url).json()["ledger"]["lost_rows"] > 0)
    proc.terminate()
    assert proc.wait(30) == 1
    stored = len(list(read_rows(str(ledger))))
    said = proc.said()
    assert f"{len(ids) - stored} ledger rows were lost" in said


async def test_kill_9_under_load_loses_no_answered_row(tmp_path: Path, fake: FakeOpenAI) -> None:
    ledger = tmp_path / "ledger.db"
    config = tmp_path / "gw.yaml"
    # no write to the store before the kill: every row must come back from the journal
    config.write_text(_config(fake, ledger).replace("0.05, batch_size: 25", "30, batch_size: 100000"))
    proc, url = serve_process(config)
    answered: list[str] = []
    enough = asyncio.Event()

    async def client(n: int) -> None:
        async with openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0) as api:
            for i in range(10_000):
                try:
                    stream = (n + i) % 3 == 0
                    raw = await api.chat.completions.with_raw_response.create(
                        model="small", messages=user(f"{n}-{i}"), stream=stream
                    )
                    if stream:
                        async for _ in raw.parse():
                            pass
                except openai.APIConnectionError:
                    return  # the gateway died under this request: it was never answered
                answered.append(raw.headers["x-pointsman-request-id"])
                if len(answered) >= 300:
                    enough.set()

    load = asyncio.gather(*(client(n) for n in range(20)))
    await asyncio.wait_for(enough.wait(), 60)
    proc.kill()
    await load
    proc.wait(30)
    assert not list(read_rows(str(ledger)))

    proc, url = serve_process(config)
    _wait(lambda: _ready(url).json()["ledger"]["unwritten_rows"] == 0)
    proc.terminate()
    proc.wait(30)
    stored = {r["id"] for r in read_rows(str(ledger))}
    assert set(answered) <= stored, f"{len(set(answered) - stored)} answered requests have no row"
    assert len(stored) - len(answered) <= 20, "at most one unanswered request per client has a row"
