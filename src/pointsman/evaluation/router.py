"""A trained router as an evaluation policy: its estimate per model for each row's prompt.

Models the router was trained on use their trained abilities; any other model needs its catalog
entry (a tier or per-skill scores, from the built-in catalog or a config's `models`), exactly as a
route would place it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pointsman.catalog.model import CatalogModel
from pointsman.catalog.pricelist import PriceRow, builtin_rows
from pointsman.config.schema import Config
from pointsman.errors import ConfigError
from pointsman.evaluation.data import Row
from pointsman.evaluation.policies import Scorer
from pointsman.learned.abilities import ability_of
from pointsman.learned.estimate import Ability, Estimator


def catalog_entry(
    name: str, config: Config | None, listed: Mapping[str, PriceRow] | None = None
) -> CatalogModel:
    """The model as a route would see it: the config's entry, else the built-in row of that id
    (`listed`, from `builtin_rows()` when not given), else nothing but its name."""
    entry = config.models.get(name) if config is not None else None
    if entry is not None:
        return CatalogModel(
            name,
            entry.provider,
            entry.upstream or name,
            None,
            tier=entry.tier,
            skills=tuple(entry.skills.items()),
        )
    listed = builtin_rows() if listed is None else listed
    row = listed.get(name) or listed.get(name.rsplit("/", 1)[-1])
    if row is not None:
        return CatalogModel(
            name, row.provider, row.model, None, tier=row.tier, skills=tuple(row.skills.items())
        )
    return CatalogModel(name, "", name, None)


def abilities_for(
    estimator: Estimator,
    models: Sequence[str],
    config: Config | None,
    calibrated: Mapping[str, Mapping[str, float]],
) -> dict[str, Ability]:
    out = {}
    listed = builtin_rows()
    for name in models:
        ability = ability_of(estimator, catalog_entry(name, config, listed), calibrated)
        if ability is None:
            raise ConfigError(
                f"the router was not trained on '{name}' and no catalog entry gives it a tier or skills: "
                "add it under `models` in a config (--config) with `tier:` or `skills:`"
            )
        out[name] = ability
    return out


def router_scorer(estimator: Estimator, abilities: Mapping[str, Ability]) -> Scorer:
    def score(row: Row) -> Mapping[str, float]:
        encoded = estimator.encode(row.prompt)
        return {m: a.estimate(encoded) for m, a in abilities.items()}

    return score
