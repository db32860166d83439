"""What a routing decision costs: `Router.decide()` alone, in process, per kind of decision.

    python bench/routing.py            # prints µs per decision (median of 7 runs of N calls)

The issue's budget is ≤ 50 µs for a static or rules decision. Content conditions scan the last user
message, so they grow with it: a user's regex costs what Python's `re` costs on that text. End to
end (the HTTP path through a route versus naming the model): bench/overhead.py's `pointsman-auto`.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from pointsman.compose import build
from pointsman.config.loader import parse_config
from pointsman.routing.plan import RouteRequest

CONFIG = """
providers:
  p: {type: openai, base_url: "http://127.0.0.1:9/v1"}
  q: {type: openai, base_url: "http://127.0.0.1:8/v1"}
models:
  small: {provider: p, upstream: small-1, input: "0.15", output: "0.6"}
  small-q: {provider: q, upstream: small-1, input: "0.20", output: "0.8"}
  mid: {provider: p, upstream: mid-1, input: "1", output: "4"}
  big: {provider: p, upstream: big-1, input: "3", output: "15", context_window: 200000}
pools:
  small-pool: {members: [{model: small, weight: 3}, {model: small-q, weight: 1}]}
catalog: {builtin: false}
routes:
  auto:
    default: small
    fallbacks: [mid, big]
    rules:
      - {name: refunds, when: {keywords: [refund, chargeback, "cancel my account"]}, to: big, pin: true}
      - {name: gold, when: {metadata: {tier: gold}}, to: big}
      - {name: tools, when: {tools: true}, to: mid}
      - {name: code, when: {regex: "```|\\\\bdef |\\\\bclass "}, to: mid}
      - {name: japanese, when: {language: [ja, zh, ko]}, to: mid}
      - {name: long, when: {prompt_tokens: {gt: 2000}}, to: big}
  pooled:
    default: small-pool
    fallbacks: [big]
    latency: {p99_ms: 2000, alternative: mid}
"""

PROMPT = "Hello there, can you summarise the main causes of the French revolution in three bullet points?"


def body(text: str, **extra: object) -> dict[str, object]:
    return {"model": "auto", "messages": [{"role": "user", "content": text}], **extra}


def measure(fn: Callable[[], object], n: int) -> float:
    runs = []
    for _ in range(7):
        start = time.perf_counter_ns()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter_ns() - start) / n / 1000)
    return statistics.median(runs)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    router = build(parse_config(CONFIG, "bench.yaml", {})).router
    long_text = "The quick brown fox jumps over the lazy dog. " * 250  # ~11 kB, over the token rule's bound
    cases: list[tuple[str, str, dict[str, object]]] = [
        ("manual (a model name)", "small", body(PROMPT)),
        ("route, no rule matches (all 6 checked)", "auto", body(PROMPT)),
        ("route, keyword rule → pinned", "auto", body("I need a refund for my order")),
        ("route, metadata rule", "auto", body(PROMPT, metadata={"tier": "gold"})),
        ("route, language rule (Japanese)", "auto", body("東京でおすすめのラーメン屋を教えてください")),
        ("route, 11 kB prompt (the regex rule scans it)", "auto", body(long_text)),
        ("route, weighted pool + latency guard", "pooled", body(PROMPT)),
    ]
    print(f"{'decision':45} {'µs':>8}")
    for label, model, b in cases:
        # a new RouteRequest per call, as the engine makes one per request (its feature cache is per request)
        def decide(model: str = model, b: dict[str, object] = b) -> object:
            return router.decide(RouteRequest(model, b))

        print(f"{label:45} {measure(decide, n):8.2f}")


if __name__ == "__main__":
    main()
