"""A prompt of several megabytes is counted off the event loop, and routing rules read a bounded part
of it, so other requests keep flowing meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx2 as httpx

from conftest import PROVIDER_KEY, Gateway, user
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.routing import features
from pointsman.routing.plan import RouteRequest
from pointsman.tokens import TokenCounter

CONFIG = """
providers:
  fake: {{type: openai, base_url: "{url}/v1", api_key: {key}}}
models:
  small: {{provider: fake, upstream: small-1, input: "1", output: "1"}}
  windowed: {{provider: fake, upstream: small-1, input: "1", output: "1", context_window: 128000}}
  big: {{provider: fake, upstream: big-1, input: "2", output: "2"}}
routes:
  auto:
    default: small
    rules:
      - {{name: translate, when: {{keywords: [translate]}}, to: big}}
      - {{name: middle, when: {{regex: "MIDDLE-MARKER"}}, to: big}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}"}}
"""


class GatedExecutor(ThreadPoolExecutor):
    """Holds each job until the test lets it run, and says when one arrived."""

    def __init__(self) -> None:
        super().__init__(1)
        self.submitted = threading.Event()
        self.release = threading.Event()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted.set()

        def gated() -> Any:
            self.release.wait(60)
            return fn(*args, **kwargs)

        return super().submit(gated)


def gateway_with(make_gateway: Callable[..., Gateway], fake: FakeOpenAI, **parts: Any) -> Gateway:
    return make_gateway(text=CONFIG.format(url=fake.url, key=PROVIDER_KEY), **parts)


def test_a_huge_prompt_is_counted_off_the_loop_while_a_small_request_completes(
    make_gateway: Callable[..., Gateway], fake: FakeOpenAI
) -> None:
    executor = GatedExecutor()
    gateway = gateway_with(make_gateway, fake, token_executor=executor)
    huge = {"model": "windowed", "messages": user("lorem ipsum dolor " * 350_000)}  # 6.3 MB
    out: list[httpx.Response] = []
    sender = threading.Thread(
        target=lambda: out.append(httpx.post(f"{gateway.url}/v1/chat/completions", json=huge, timeout=120))
    )
    sender.start()
    try:
        assert executor.submitted.wait(60), "the count went to the executor, not the event loop"
        small = httpx.post(
            f"{gateway.url}/v1/chat/completions", json={"model": "small", "messages": user("say: hi")}
        )
        assert small.status_code == 200, "answered while the huge prompt was still being counted"
        assert not out, "the huge one is not answered before its count"
    finally:
        executor.release.set()
        sender.join(120)
    assert out[0].status_code == 400
    assert out[0].json()["error"]["code"] == "context_length_exceeded"
    executor.shutdown()


def test_rules_read_the_start_and_the_end_of_a_huge_message(
    make_gateway: Callable[..., Gateway], fake: FakeOpenAI
) -> None:
    gateway = gateway_with(make_gateway, fake)
    filler = "lorem ipsum dolor " * 20_000  # 360 kB on each side
    for text, routed in (
        (f"{filler} now translate it", "big"),
        (f"translate this: {filler}", "big"),
        (f"{filler} MIDDLE-MARKER {filler}", "small"),  # beyond what rules read
    ):
        response = httpx.post(
            f"{gateway.url}/v1/chat/completions", json={"model": "auto", "messages": user(text)}, timeout=60
        )
        assert response.headers["x-pointsman-model"] == routed, response.text[:200]


def test_the_text_rules_read_is_bounded() -> None:
    text = "a" * 10_000_000 + "z"
    read = features.last_user_text(RouteRequest("auto", {"messages": user(text)}))
    assert len(read) <= 2 * features.TEXT_READ + 1 and read.startswith("aaa") and read.endswith("z")
    short = "hello " * 100
    assert features.last_user_text(RouteRequest("auto", {"messages": user(short)})) == short


async def test_a_prompt_counted_aside_is_not_counted_again_when_its_request_ends() -> None:
    """A client leaving (or a stream without usage) prices the prompt by a count: a megabyte prompt
    already counted off the loop is not counted again on it."""

    class Counting(TokenCounter):
        calls = 0

        def count(self, text: str, model: str, tokenizer: str = "") -> int:
            self.calls += 1
            return super().count(text, model, tokenizer)

    with ThreadPoolExecutor(1) as executor:
        tokens = Counting(executor)
        messages = user("lorem ipsum dolor " * 5_000)
        counted = await tokens.count_messages_aside(messages, "gpt-4o", "", 90_000)
        calls = tokens.calls
        assert tokens.count_messages(messages, "gpt-4o") == counted and tokens.calls == calls
        assert tokens.count_messages(user("another prompt"), "gpt-4o") > 0 and tokens.calls > calls
