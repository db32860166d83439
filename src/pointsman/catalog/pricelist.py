"""Price lists as files: the built-in one shipped in the package, and refreshed ones on disk."""

from __future__ import annotations

from decimal import Decimal
from importlib import resources
from pathlib import Path

import msgspec

from pointsman.catalog.price import Price
from pointsman.config.yamlsource import YamlDocument
from pointsman.errors import ConfigError


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
        return msgspec.convert(doc.data, PriceList)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{source}: not a valid price list: {exc}") from None


def builtin_price_list() -> PriceList:
    text = resources.files("pointsman.catalog").joinpath("builtin_prices.yaml").read_text("utf-8")
    return parse_price_list(text, "built-in price list")


def read_price_list(path: str) -> PriceList:
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read price list: {exc.strerror}") from None
    return parse_price_list(text, path)
