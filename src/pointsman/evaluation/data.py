"""Rows of a routing data set: one prompt, the score each model earned on it, and what it cost.

The shape (JSON Lines, one prompt a line) is `{"id", "task", "prompt", "scores": {model: 0..1},
"costs": {model: USD}}`; `costs` is optional and estimated from token counts when absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from pointsman.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    task: str
    prompt: str
    scores: Mapping[str, float]
    costs: Mapping[str, float] | None


def _number_map(value: Any, field: str) -> dict[str, float]:
    if not isinstance(value, dict) or not value:
        raise ValueError(f'"{field}" must be a non-empty object of model: number')
    out: dict[str, float] = {}
    for model, number in value.items():
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError(f'"{field}.{model}" is not a number')
        out[model] = float(number)
    return out


def parse_row(line: str) -> Row:
    """One JSON line; raises ValueError naming the problem."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    prompt = data.get("prompt")
    if not isinstance(prompt, str):
        raise ValueError('"prompt" is missing or not a string')
    scores = _number_map(data.get("scores"), "scores")
    costs = _number_map(data["costs"], "costs") if data.get("costs") is not None else None
    return Row(str(data.get("id", "")), str(data.get("task") or ""), prompt, scores, costs)


def read_rows(paths: Sequence[str]) -> list[Row]:
    """All rows of the files; a bad line is a ConfigError naming file, line and problem."""
    rows: list[Row] = []
    for path in paths:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
        for number, line in enumerate(text.split("\n"), start=1):  # JSON strings may hold U+2028, U+0085
            if not line.strip():
                continue
            try:
                rows.append(parse_row(line))
            except ValueError as exc:
                raise ConfigError(f"{path}:{number}: {exc}") from None
    if not rows:
        raise ConfigError(f"{', '.join(paths)}: no rows")
    return rows


def common_models(rows: Sequence[Row], share: float = 0.9) -> list[str]:
    """Models scored on at least `share` of the rows (a few rows missing a model then drop out,
    rather than the model: a router can only be compared where all its candidates answered)."""
    seen: dict[str, int] = {}
    for row in rows:
        for model in row.scores:
            seen[model] = seen.get(model, 0) + 1
    return sorted(m for m, n in seen.items() if n >= share * len(rows))


def keep_complete(rows: Sequence[Row], models: Sequence[str]) -> list[Row]:
    return [r for r in rows if all(m in r.scores for m in models)]
