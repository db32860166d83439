"""Cost of sending each row to each model: recorded where the data has it, estimated otherwise.

An estimate counts the prompt's tokens and assumes a fixed answer length (the router's own
assumption, engine.trace.ASSUMED_OUTPUT_TOKENS), priced from a `prices.json` next to the data
(`{model: {"input_per_mtok", "output_per_mtok"}}`) or else from the built-in catalog.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import orjson

from pointsman.catalog.pricelist import builtin_rows
from pointsman.engine.trace import ASSUMED_OUTPUT_TOKENS
from pointsman.errors import ConfigError
from pointsman.evaluation.data import Row
from pointsman.tokens import TokenCounter

PerMillion = tuple[float, float]  # USD per million input tokens, per million output tokens


def prices_next_to(path: str, given: str = "") -> tuple[dict[str, PerMillion], str] | None:
    """The `given` price file, else a `prices.json` beside the data, else None."""
    file = Path(given) if given else Path(path).parent / "prices.json"
    if not given and not file.is_file():
        return None
    try:
        text = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read price file: {exc.strerror}") from None
    try:
        data = orjson.loads(text)
        prices = {m: (float(p["input_per_mtok"]), float(p["output_per_mtok"])) for m, p in data.items()}
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"{file}: not a price file of model: {{input_per_mtok, output_per_mtok}} ({exc})"
        ) from None
    return prices, f"estimated: prompt tokens + {ASSUMED_OUTPUT_TOKENS} output tokens at {file.name} prices"


def catalog_prices(models: Sequence[str]) -> dict[str, PerMillion]:
    """Catalog prices by bare model name (`mistralai/x` matches a listed `x` too)."""
    listed = builtin_rows()
    found = {}
    for model in models:
        row = listed.get(model) or listed.get(model.rsplit("/", 1)[-1])
        if row is not None:
            found[model] = (float(row.input), float(row.output))
    return found


def cost_table(
    rows: Sequence[Row], models: Sequence[str], data_path: str, prices_file: str = ""
) -> tuple[list[dict[str, float]], str]:
    """Per row, USD per model, and a sentence saying where the numbers came from."""
    if all(r.costs is not None and all(m in r.costs for m in models) for r in rows):
        return [{m: r.costs[m] for m in models} for r in rows if r.costs is not None], "recorded per prompt"
    found = prices_next_to(data_path, prices_file)
    prices, source = found or (
        catalog_prices(models),
        f"estimated: prompt tokens + {ASSUMED_OUTPUT_TOKENS} output tokens at catalog prices",
    )
    missing = [m for m in models if m not in prices]
    if missing:
        raise ConfigError(f"{data_path}: no recorded costs and no price for {', '.join(missing)}")
    counter = TokenCounter()
    table = []
    for row in rows:
        tokens = counter.count(row.prompt, "gpt-4o")
        table.append({m: _estimate(prices[m], tokens, row.costs, m) for m in models})
    return table, source


def _estimate(price: PerMillion, tokens: int, recorded: Mapping[str, float] | None, model: str) -> float:
    if recorded is not None and model in recorded:
        return recorded[model]
    return (tokens * price[0] + ASSUMED_OUTPUT_TOKENS * price[1]) / 1_000_000
