"""Spend summaries over ledger rows: by model, key, day or tag. Sums in Decimal, so they are exact."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

GROUPINGS = ("model", "key", "day", "tag", "provider", "status")


@dataclass(slots=True)
class SpendLine:
    group: str
    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: Decimal = field(default_factory=Decimal)
    unpriced: int = 0
    estimated: int = 0


def _groups(row: dict[str, Any], by: str) -> list[str]:
    if by == "model":
        return [row["model"] or f"({row['requested_model']})"]
    if by == "key":
        return [row["key_id"] or "(no key)"]
    if by == "day":
        return [time.strftime("%Y-%m-%d", time.gmtime(row["ts"]))]
    if by == "provider":
        return [row["provider"] or "(none)"]
    if by == "status":
        return [str(row["status"])]
    tags = row["tags"]
    return [f"{k}={v}" for k, v in sorted(tags.items())] or ["(untagged)"]


def summarize(rows: Iterable[dict[str, Any]], by: str) -> list[SpendLine]:
    if by not in GROUPINGS:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(GROUPINGS)}")
    lines: dict[str, SpendLine] = {}
    for row in rows:
        for group in _groups(row, by):
            line = lines.get(group)
            if line is None:
                line = lines[group] = SpendLine(group)
            line.requests += 1
            line.errors += row["status"] >= 400
            line.prompt_tokens += row["prompt_tokens"]
            line.completion_tokens += row["completion_tokens"]
            line.cached_tokens += row["cached_tokens"]
            line.estimated += bool(row["estimated"])
            if row["cost_usd"] is None:
                line.unpriced += 1
            else:
                line.cost_usd += Decimal(row["cost_usd"])
    return sorted(lines.values(), key=lambda line: (-line.cost_usd, line.group))
