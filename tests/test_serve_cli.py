"""`pointsman serve` as a user starts it: refusing an open gateway on the network, a busy port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx

from test_cli import run


def write_config(tmp_path: Path, server: str) -> str:
    path = tmp_path / "gw.yaml"
    path.write_text(f"server:\n{server}\nledger:\n  path: {tmp_path / 'ledger.db'}\n")
    return str(path)


def test_no_keys_on_every_interface_refuses_to_start_and_says_what_to_do(tmp_path: Path) -> None:
    result = run("serve", "--host", "0.0.0.0", "--port", "0", "-c", write_config(tmp_path, "  port: 0"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for words in ("0.0.0.0", "no gateway keys", "server.keys", "127.0.0.1", "server.allow_open: true"):
        assert words in lines[0]


def test_config_check_warns_about_an_open_gateway_and_not_about_a_keyed_one(tmp_path: Path) -> None:
    opened = run("config", "check", write_config(tmp_path, "  host: 0.0.0.0"))
    assert opened.returncode == 0 and "WARNING" in opened.stdout and "server.keys" in opened.stdout
    keyed = write_config(tmp_path, "  host: 0.0.0.0\n  keys: [{id: a, key: k}]")
    assert "WARNING" not in run("config", "check", keyed).stdout
    allowed = write_config(tmp_path, "  host: 0.0.0.0\n  allow_open: true")
    assert "WARNING" not in run("config", "check", allowed).stdout


def test_allow_open_starts_on_every_interface(tmp_path: Path) -> None:
    config = write_config(tmp_path, "  host: 0.0.0.0\n  port: 0\n  allow_open: true")
    process = subprocess.Popen(
        [sys.executable, "-m", "pointsman", "serve", "-c", config],
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        port = 0
        while not port and time.monotonic() < deadline:
            line = process.stderr.readline()
            if "listening on http://0.0.0.0:" in line:
                port = int(line.rsplit(":", 1)[1])
            assert line or process.poll() is None, "the server exited"
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    assert process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has drained


def test_a_busy_port_is_one_line_naming_host_and_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), "-c", write_config(tmp_path, "  port: 4000"))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "address already in use" in lines[0].lower()


def test_a_limit_that_makes_no_sense_names_its_line_and_key(tmp_path: Path) -> None:
    result = run("config", "check", write_config(tmp_path, "  port: 4000\n  header_timeout: 0"))
    assert result.returncode == 2
    assert "gw.yaml:3: server.header_timeout: must be a positive number of seconds" in result.stderr
