"""How requests end without an answer. A client leaving is routine: one INFO line naming the request
(its access line), no ERROR and no traceback, and a 499 row. A request the server cuts short at
shutdown gets a 503 in its surface's shape, and its row says why."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2 as httpx
import orjson
import pytest

from conftest import Gateway, seen, user
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.ledger.sqlite import read_rows
from rawhttp import connect

WORDS = " ".join(f"w{i}" for i in range(60))


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self) -> list[str]:
        return [self.format(r) for r in self.records if r.levelno >= logging.ERROR]

    def left(self) -> list[str]:
        return [
            r.getMessage()
            for r in self.records
            if r.levelno >= logging.INFO and "status=499" in r.getMessage()
        ]


@pytest.fixture
def leaving(make_gateway: Callable[..., Gateway]) -> Gateway:
    return make_gateway()


@pytest.fixture
def logs(leaving: Gateway) -> Iterator[Records]:
    """What the gateway and its server log (attached after the server configured its logging)."""
    records = Records()
    loggers = [logging.getLogger("pointsman"), logging.getLogger("uvicorn.error")]
    levels = [logger.level for logger in loggers]
    loggers[0].setLevel(logging.INFO)
    for logger in loggers:
        logger.addHandler(records)
    yield records
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(records)
        logger.setLevel(level)


def leave_mid_request(gateway: Gateway) -> None:
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{gateway.url}/v1/chat/completions",
            json={"model": "slow", "messages": user("x")},
            timeout=httpx.Timeout(10, read=0.3),
        )


def leave_mid_stream(gateway: Gateway, path: str = "/v1/chat/completions") -> None:
    body: dict[str, Any] = {"model": "trickle", "messages": user(f"say: {WORDS}"), "stream": True}
    if path == "/v1/messages":
        body["max_tokens"] = 200
    with httpx.stream("POST", f"{gateway.url}{path}", json=body, timeout=10) as response:
        assert response.status_code == 200
        for count, _ in enumerate(response.iter_lines()):
            if count >= 4:
                break


def leave_mid_body(gateway: Gateway) -> None:
    with connect(gateway.url) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: g\r\nContent-Length: 900\r\n\r\n{")


def wait(predicate: Callable[[], bool], what: str, limit: float = 15.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_clients_leaving_log_one_info_line_each_and_no_error(leaving: Gateway, logs: Records) -> None:
    ways = [
        leave_mid_request,
        leave_mid_stream,
        lambda g: leave_mid_stream(g, "/v1/messages"),
        leave_mid_body,
    ]
    for _ in range(2):
        for way in ways:
            way(leaving)
    left = 2 * len(ways)

    def rows() -> list[dict[str, Any]]:
        return [r for r in leaving.rows() if r["status"] == 499]

    wait(lambda: len(rows()) == left and len(logs.left()) == left, f"{left} rows and log lines")
    assert logs.errors() == []
    lines = logs.left()
    for row in rows():
        assert row["error_type"] == "client_closed"
        line = [line for line in lines if row["id"] in line]
        assert len(line) == 1, f"one line names {row['id']}"
        assert "/v1/" in line[0]
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in logs.records if "=499" in r.msg)
    assert all(r.levelno < logging.INFO for r in logs.records if "client closed the connection" in r.msg)


# ---- shutdown


@pytest.fixture
def brief(make_gateway: Callable[..., Gateway]) -> Gateway:
    return make_gateway("\nserver:\n  shutdown_timeout: 0.5\n")


def in_background(work: Callable[[], httpx.Response]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(work())
        except Exception as exc:  # handed to the test, which asserts on it
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def rows_after_stop(gateway: Gateway) -> list[dict[str, Any]]:
    return list(read_rows(gateway.ledger))


def test_a_request_cut_short_by_shutdown_gets_a_json_503_and_its_row_says_so(
    brief: Gateway, fake: FakeOpenAI
) -> None:
    body = {"model": "slow", "messages": user("x")}
    thread, out = in_background(lambda: httpx.post(f"{brief.url}/v1/chat/completions", json=body, timeout=30))
    wait(lambda: seen(fake, "slow-1") == 1, "the provider to have the request")
    brief.servers.stop_gateway(brief.app)
    thread.join(30)
    response = out[0]
    assert isinstance(response, httpx.Response), response
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "shutting_down" and "shutting down" in error["message"]
    rows = rows_after_stop(brief)
    assert [(r["status"], r["error_type"]) for r in rows] == [(503, "shutting_down")]
    assert rows[0]["id"] == response.headers["x-pointsman-request-id"]


def test_a_stream_cut_short_by_shutdown_ends_with_an_error_event(brief: Gateway) -> None:
    body = {"model": "trickle", "messages": user(f"say: {WORDS}"), "stream": True}
    with httpx.stream("POST", f"{brief.url}/v1/chat/completions", json=body, timeout=30) as response:
        lines = response.iter_lines()
        assert next(lines).startswith("data: ")
        stopping = threading.Thread(target=brief.servers.stop_gateway, args=(brief.app,))
        stopping.start()
        rest = list(lines)
    stopping.join(30)
    events = [orjson.loads(line[6:]) for line in rest if line.startswith("data: {")]
    assert events[-1]["error"]["code"] == "shutting_down"
    assert events[-2]["choices"][0]["finish_reason"] == "error"
    rows = rows_after_stop(brief)
    assert [(r["status"], r["error_type"]) for r in rows] == [(503, "shutting_down")]
    assert rows[0]["completion_tokens"] > 0, "what was generated before the cut is still accounted"
