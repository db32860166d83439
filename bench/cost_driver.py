"""Run N chat requests through the gateway's ASGI app in process, the upstream an in-memory stub
with a canned answer (whole, or streamed as 24 SSE events in 8 network reads): what runs is the
gateway's own code and nothing else. `bench/cost.py` runs this under callgrind, whose instruction
counts do not depend on how busy the machine is.

    python bench/cost_driver.py MODEL N [stream]
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import tempfile
from collections.abc import AsyncGenerator
from typing import Any

import orjson

from pointsman.api.app import create_app
from pointsman.config.loader import parse_config
from pointsman.providers.base import UpstreamResponse
from pointsman.upstream.sse import SSEDecoder, SSEEvent

ANSWER = orjson.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "small-1",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello! I am well, thank you.", "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 15, "completion_tokens": 9, "total_tokens": 24},
    }
)

CONFIG = """
providers:
  fake: {{type: openai, base_url: 'http://127.0.0.1:9/v1', api_key: sk-bench}}
models:
  small: {{provider: fake, upstream: small-1, input: 0.15, output: 0.6}}
  big: {{provider: fake, upstream: big-1, input: 2.5, output: 10}}
ledger: {{path: '{ledger}', batch_size: 64, flush_interval: 1000 {more}}}  # flushes by count: repeatable
routes:
  chain:
    default: small
    fallbacks: [big]
  bare:
    default: small
    fallbacks: [big]
    checks: {{empty: false, refusal: false, json: false, tools: false}}
  auto:
    default: small
    fallbacks: [big]
    rules:
      - {{when: {{keywords: [refund, chargeback]}}, to: big, pin: true}}
      - {{when: {{regex: '```|def |class '}}, to: big}}
      - {{when: {{language: [ja, zh]}}, to: big}}
      - {{when: {{prompt_tokens: {{gt: 4000}}}}, to: big}}
"""


def _frames() -> list[bytes]:
    words = ("Hello! I am well, thank you. " * 3).split(" ")
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "small-1"}
    deltas = [{"role": "assistant", "content": ""}] + [{"content": w + " "} for w in words if w]
    chunks = [{**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    usage = {"prompt_tokens": 15, "completion_tokens": 18, "total_tokens": 33}
    chunks.append({**base, "choices": [], "usage": usage})
    events = [b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks] + [b"data: [DONE]\n\n"]
    return [b"".join(events[i : i + 3]) for i in range(0, len(events), 3)]


READS = _frames()


class StubStream:
    """An open upstream stream whose network reads are READS."""

    status = 200
    headers = {"content-type": "text/event-stream"}

    async def events(self) -> AsyncGenerator[list[SSEEvent], None]:
        decoder = SSEDecoder()
        for read in READS:
            yield decoder.feed(read)

    def set_read_timeout(self, seconds: float) -> None:
        pass

    def close(self, *, abort: bool = False) -> None:
        pass


class Stub:
    """The upstream transport: every request gets the same answer at once."""

    async def open_stream(self, endpoint: Any, request: Any) -> StubStream:
        return StubStream()

    async def send(self, endpoint: Any, request: Any, *, within: float | None = None) -> UpstreamResponse:
        return UpstreamResponse(200, {"content-type": "application/json"}, ANSWER)

    async def close(self) -> None:
        pass


async def main(model: str, n: int, stream: bool = False) -> None:
    text = CONFIG.format(ledger=tempfile.mktemp(suffix=".db"), more=os.environ.get("BENCH_LEDGER", ""))
    config = parse_config(text, "bench.yaml", {})
    if importlib.util.find_spec("pointsman.compose") is not None:
        app = create_app(config, transport=Stub())
    else:  # revisions before the composition root
        app = create_app(config, http_client=Stub())  # type: ignore[call-arg]
    await app.gateway.startup()
    prompt = [{"role": "user", "content": "Hello there, how are you?"}]
    body = orjson.dumps({"model": model, "messages": prompt, "stream": stream})
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/chat/completions",
        "headers": [(b"content-type", b"application/json")],
        "query_string": b"",
    }
    for _ in range(n):
        sent: list[dict[str, Any]] = []
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive(messages: list[dict[str, Any]] = messages) -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any], sent: list[dict[str, Any]] = sent) -> None:
            sent.append(message)

        await app(scope, receive, send)
        assert sent[0]["status"] == 200, sent
    await app.gateway.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3:] == ["stream"]))
