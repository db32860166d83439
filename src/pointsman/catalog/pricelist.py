"""Price lists as files: the built-in one shipped in the package, and refreshed ones on disk."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from pathlib import Path

import msgspec

from pointsman.catalog.price import Price
from pointsman.config.yamlsource import YamlDocument
from pointsman.errors import ConfigError
from pointsman.learned.skills import SKILLS, TIERS


class PriceRow(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    provider: str
    """The vendor (a preset name), not a configured provider."""
    model: str
    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    capabilities: frozenset[str] = frozenset()
    tier: str = ""
    skills: dict[str, float] = {}

    @property
    def price(self) -> Price:
        return Price(self.input, self.output, self.cached_input, self.cache_write)


class PriceList(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    checked: str
    source: str = ""
    models: tuple[PriceRow, ...] = ()


def parse_price_list(text: str, source: str) -> PriceList:
    doc = YamlDocument(text, source)
    try:
        prices = msgspec.convert(doc.data, PriceList)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{source}: not a valid price list: {exc}") from None
    for i, row in enumerate(prices.models):
        problem = _ability_problem(row)
        if problem:
            raise doc.fail(("models", i, problem[0]), problem[1])
    return prices


def _ability_problem(row: PriceRow) -> tuple[str, str] | None:
    """(key, problem) when the row's tier or skills are not ones the learned router knows."""
    if row.tier and row.tier not in TIERS:
        return "tier", f"{row.model}: unknown tier '{row.tier}'; one of: {', '.join(TIERS)}"
    for skill, score in row.skills.items():
        if skill not in SKILLS:
            return "skills", f"{row.model}: unknown skill '{skill}'; known: {', '.join(SKILLS)}"
        if not 0.0 <= score <= 1.0:
            return "skills", f"{row.model}: an expected score is 0..1, got {skill}: {score}"
    return None


def builtin_price_list() -> PriceList:
    text = resources.files("pointsman.catalog").joinpath("builtin_prices.yaml").read_text("utf-8")
    return parse_price_list(text, "built-in price list")


def builtin_rows() -> dict[str, PriceRow]:
    """The built-in rows by model id (parsing takes tens of milliseconds: parse once, look up many)."""
    return {row.model: row for row in builtin_price_list().models}


def read_price_list(path: str) -> PriceList:
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read price list: {exc.strerror}") from None
    return parse_price_list(text, path)
