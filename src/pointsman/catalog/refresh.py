"""Turn a provider's published model list into a price list, so routing never runs on stale prices.

Today: OpenRouter's `GET /api/v1/models` JSON, whose prices are USD per token as strings.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from pointsman.catalog.pricelist import PriceList
from pointsman.errors import ConfigError
from pointsman.providers.vendor_ids import vendor_model

_MILLION = Decimal(1_000_000)


def fetch(source: str, timeout: float = 30.0) -> bytes:
    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=timeout) as response:
                body: bytes = response.read()
                return body
        except OSError as exc:
            raise ConfigError(f"{source}: cannot download the model list: {exc}") from None
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read the model list: {exc.strerror}") from None


def _per_million(value: Any) -> str | None:
    """'0.0000025' per token → '2.5' per million; '-1' (a router's variable price) → None."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if amount < 0:
        return None
    return format((amount * _MILLION).normalize(), "f")


def _capabilities(entry: dict[str, Any]) -> list[str]:
    params = set(entry.get("supported_parameters") or ())
    inputs = set((entry.get("architecture") or {}).get("input_modalities") or ())
    caps = ["streaming"]
    caps += ["tools"] if "tools" in params else []
    caps += ["vision"] if "image" in inputs else []
    caps += ["json_schema"] if "structured_outputs" in params else []
    caps += ["json_object"] if "response_format" in params else []
    caps += ["reasoning"] if "reasoning" in params or entry.get("reasoning") else []
    return sorted(caps)


def _row(provider: str, model: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    pricing = entry.get("pricing") or {}
    prompt, completion = _per_million(pricing.get("prompt")), _per_million(pricing.get("completion"))
    if prompt is None or completion is None:
        return None
    row: dict[str, Any] = {"provider": provider, "model": model, "input": prompt, "output": completion}
    for key, name in (("input_cache_read", "cached_input"), ("input_cache_write", "cache_write")):
        value = _per_million(pricing.get(key)) if key in pricing else None
        if value is not None:
            row[name] = value
    if isinstance(entry.get("context_length"), int):
        row["context_window"] = entry["context_length"]
    top = entry.get("top_provider") or {}
    if isinstance(top.get("max_completion_tokens"), int):
        row["max_output_tokens"] = top["max_completion_tokens"]
    row["capabilities"] = _capabilities(entry)
    return row


Abilities = dict[tuple[str, str], dict[str, Any]]
"""(provider, model) -> {"tier": ..., "skills": {...}}: what a list already says a model can do."""


def known_abilities(lists: Iterable[PriceList]) -> Abilities:
    """Tiers and skills from price lists, later lists overriding earlier ones. A model list from a
    provider says nothing of ability, so a refresh carries these over for the models it knows."""
    known: Abilities = {}
    for prices in lists:
        for row in prices.models:
            if row.tier or row.skills:
                extra: dict[str, Any] = {"tier": row.tier} if row.tier else {}
                known[(row.provider, row.model)] = {**extra, **({"skills": row.skills} if row.skills else {})}
    return known


def openrouter_to_price_list(
    data: Any, *, source: str, checked: str | None = None, known: Abilities | None = None
) -> tuple[str, int]:
    """Rows for calling each model through OpenRouter, plus a row under its vendor's own name and
    id where the vendor serves it (`anthropic/claude-sonnet-4.5` → anthropic `claude-sonnet-4-5`).
    Both rows keep the tier and skills `known` gives the model (by either name)."""
    known = known or {}
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: expected OpenRouter's model list, an object with a `data` array")
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        ident = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(ident, str):
            continue
        row = _row("openrouter", ident, entry)
        if row is None:
            continue
        own = vendor_model(ident)  # the vendor's own spelling, or none when it serves no such id
        ability = known.get(("openrouter", ident)) or (known.get(own) if own else None) or {}
        rows.append({**row, **ability})
        if own is not None and own not in seen:
            seen.add(own)
            rows.append({**row, "provider": own[0], "model": own[1], **(known.get(own) or ability)})
    import time

    doc = {
        "checked": checked or time.strftime("%Y-%m-%d"),
        "source": f"OpenRouter model list ({source})",
        "models": rows,
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), len(rows)
