"""The demo's learned route: each prompt to the cheapest candidate expected to answer it well, with
the pick, its estimate and its cost next to what the strongest candidate would have cost.

The candidates carry the names the shipped router was trained on (RouterBench's models, at the
prices that benchmark used), so their abilities are the trained ones; their tiers stand in should a
retrained artifact not know them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import openai
import orjson

from pointsman.catalog.catalog import Catalog
from pointsman.catalog.price import format_usd
from pointsman.cli.table import render
from pointsman.usage import Usage

MODELS = """  mixtral: {provider: cloud-a, upstream: mixtral-8x7b-chat, input: 0.6, output: 0.6, tier: mid}
  gpt35:   {provider: cloud-a, upstream: gpt-3.5-turbo-1106, input: 1, output: 2, tier: strong}
  gpt4:    {provider: cloud-b, upstream: gpt-4-1106-preview, input: 10, output: 30, tier: frontier}
"""
ROUTE = """routes:
  auto:               # the learned router: no rules, three candidates, one knob
    learned: {candidates: [mixtral, gpt35, gpt4], preset: frugal}
"""
STRONGEST = "gpt4"
PROMPTS = (
    "What is the capital of France?",
    "Give me three names for a cat.",
    "Summarise our refund policy in one line.",
    "Fix the typo: 'recieve'",
    "Write a Python function that merges overlapping intervals and explain its complexity.",
    "Prove that the square root of 2 is irrational, step by step.",
    "A train leaves at 3pm at 80 km/h, another at 4pm at 100 km/h from the same station. "
    "When does the second catch up?",
    "Design a lock-free concurrent hash map in C++ and prove its linearizability.",
)


@dataclass(slots=True)
class Routed:
    prompt: str
    chosen: str
    estimate: float
    cost: Decimal
    strongest: Decimal


def ask(client: openai.OpenAI, catalog: Catalog, prompt: str) -> Routed:
    raw = client.chat.completions.with_raw_response.create(
        model="auto",
        messages=[{"role": "user", "content": prompt}],
        extra_headers={"x-pointsman-explain": "1"},
    )
    answer = raw.parse()
    learned: Any = orjson.loads(raw.headers["x-pointsman-trace"])["learned"]
    chosen = learned["chosen"]
    usage = answer.usage
    same = Usage(
        input_tokens=usage.prompt_tokens if usage else 0,
        output_tokens=usage.completion_tokens if usage else 0,
    )
    price = catalog.resolve(STRONGEST).price
    strongest = price.cost(same) if price is not None else Decimal(0)
    cost = Decimal(raw.headers["x-pointsman-cost-usd"])
    return Routed(prompt, chosen, learned["estimates"][chosen], cost, strongest)


def report(routed: list[Routed]) -> str:
    """The per-request table and the savings line."""
    rows = [
        [
            r.prompt if len(r.prompt) <= 44 else r.prompt[:43] + "…",
            r.chosen,
            f"{r.estimate:.2f}",
            format_usd(r.cost),
            format_usd(r.strongest),
        ]
        for r in routed
    ]
    table = render(["prompt", "chosen", "estimate", "cost $", f"on {STRONGEST} $"], rows)
    total = sum((r.cost for r in routed), Decimal(0))
    strongest = sum((r.strongest for r in routed), Decimal(0))
    saved = (1 - total / strongest) * 100 if strongest else Decimal(0)
    picks = ", ".join(f"{n}× {m}" for m, n in _counts(routed))
    line = (
        f"learned route: ${format_usd(total)} for {len(routed)} requests ({picks}); "
        f"all on {STRONGEST}: ${format_usd(strongest)}; saved {saved:.0f}%"
    )
    return f"{table}\n{line}"


def _counts(routed: list[Routed]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for r in routed:
        counts[r.chosen] = counts.get(r.chosen, 0) + 1
    return sorted(counts.items(), key=lambda c: -c[1])
