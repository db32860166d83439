"""The model catalog: every name a client may send, resolved to a provider, an upstream id and a price."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

from pointsman.catalog.model import CatalogModel
from pointsman.catalog.price import Price
from pointsman.catalog.pricelist import PriceList, PriceRow, builtin_price_list, read_price_list
from pointsman.config.schema import Config, ModelConfig
from pointsman.errors import ConfigError, ModelNotFound

ALL_CHAT = frozenset({"chat", "tools", "vision", "json_schema", "json_object", "streaming", "reasoning"})
"""What a model whose abilities nobody listed is assumed to take. Reasoning effort is passed to it
(a model that does not reason says so); freeform custom tools, web search and verbosity are not,
since a function tool and an answer without search work everywhere."""


class Catalog:
    def __init__(
        self,
        models: Iterable[CatalogModel],
        aliases: dict[str, str],
        providers: Iterable[str],
        *,
        allow_unlisted: bool,
    ) -> None:
        self.models: dict[str, CatalogModel] = {}
        self._by_upstream: dict[tuple[str, str], CatalogModel] = {}
        for model in models:
            self.models.setdefault(model.name, model)
            self._by_upstream.setdefault((model.provider, model.upstream), model)
        self.aliases = dict(aliases)
        self.providers = frozenset(providers)
        self.allow_unlisted = allow_unlisted

    def resolve(self, name: str) -> CatalogModel:
        model = self.models.get(name)
        if model is not None:
            return model
        target = self.aliases.get(name)
        if target is not None:
            return self.models[target]
        provider, sep, upstream = name.partition("/")
        if sep and provider in self.providers and upstream:
            model = self._by_upstream.get((provider, upstream))
            if model is not None:
                return model
            if self.allow_unlisted:
                return CatalogModel(name, provider, upstream, None, capabilities=ALL_CHAT, origin="unlisted")
        raise self._not_found(name)

    def _not_found(self, name: str) -> ModelNotFound:
        close = difflib.get_close_matches(name, [*self.models, *self.aliases], n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return ModelNotFound(
            f"The model '{name}' does not exist on this gateway.{hint} "
            "GET /v1/models (or `pointsman models`) lists the available models.",
            param="model",
        )

    def names(self) -> list[str]:
        return [*self.models, *self.aliases]


def _from_config(
    name: str, entry: ModelConfig, rows: dict[tuple[str, str], PriceRow], vendor: str
) -> CatalogModel:
    upstream = entry.upstream or name
    row = rows.get((vendor, upstream))
    price: Price | None = row.price if row else None
    if entry.input is not None or entry.output is not None:
        base = price or Price(entry.input or 0, entry.output or 0)  # type: ignore[arg-type]
        price = Price(
            input=entry.input if entry.input is not None else base.input,
            output=entry.output if entry.output is not None else base.output,
            cached_input=entry.cached_input if entry.cached_input is not None else base.cached_input,
            cache_write=entry.cache_write if entry.cache_write is not None else base.cache_write,
        )
    caps = entry.capabilities if entry.capabilities is not None else (row.capabilities if row else ALL_CHAT)
    return CatalogModel(
        name=name,
        provider=entry.provider,
        upstream=upstream,
        price=price,
        context_window=entry.context_window or (row.context_window if row else None),
        max_output_tokens=entry.max_output_tokens or (row.max_output_tokens if row else None),
        capabilities=frozenset(caps) | {"chat"} if "embeddings" not in caps else frozenset(caps),
        tokenizer=entry.tokenizer,
        tier=entry.tier or (row.tier if row else ""),
        skills=tuple({**(row.skills if row else {}), **entry.skills}.items()),
        origin="config",
    )


def _from_row(provider: str, row: PriceRow, origin: str) -> CatalogModel:
    caps = row.capabilities or ALL_CHAT
    return CatalogModel(
        name=row.model,
        provider=provider,
        upstream=row.model,
        price=row.price,
        context_window=row.context_window,
        max_output_tokens=row.max_output_tokens,
        capabilities=caps if "embeddings" in caps else caps | {"chat"},
        tier=row.tier,
        skills=tuple(row.skills.items()),
        origin=origin,
    )


def price_lists(config: Config) -> list[tuple[PriceList, str]]:
    """The price lists in force, later ones overriding earlier rows."""
    lists: list[tuple[PriceList, str]] = []
    if config.catalog.builtin:
        lists.append((builtin_price_list(), "builtin"))
    if config.catalog.prices_file:
        lists.append((read_price_list(config.catalog.prices_file), "prices-file"))
    return lists


def _plain_fail(path: tuple[str | int, ...], problem: str) -> ConfigError:
    return ConfigError(f"{'.'.join(map(str, path))}: {problem}")


def build_catalog(
    config: Config,
    vendors: dict[str, str],
    lists: list[tuple[PriceList, str]],
    fail: Callable[[tuple[str | int, ...], str], ConfigError] = _plain_fail,
) -> Catalog:
    """`vendors` maps each configured provider to its vendor (preset) name, which price rows use."""
    rows: dict[tuple[str, str], PriceRow] = {}
    origins: dict[tuple[str, str], str] = {}
    for price_list, origin in lists:
        for row in price_list.models:
            rows[(row.provider, row.model)] = row
            origins[(row.provider, row.model)] = origin
    models = [_from_config(name, e, rows, vendors.get(e.provider, "")) for name, e in config.models.items()]
    for provider, vendor in vendors.items():
        for (row_vendor, _), row in rows.items():
            if row_vendor == vendor:
                models.append(_from_row(provider, row, origins[(row_vendor, row.model)]))
    catalog = Catalog(models, {}, vendors, allow_unlisted=config.server.allow_unlisted_models)
    for alias, target in config.aliases.items():
        if alias in catalog.models:
            raise fail(("aliases", alias), f"'{alias}' is already a model name; pick another alias")
        if target not in catalog.models:
            close = difflib.get_close_matches(target, list(catalog.models), n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise fail(("aliases", alias), f"target '{target}' is not a model in the catalog{hint}")
        catalog.aliases[alias] = target
    return catalog
