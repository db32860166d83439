"""The shadow monitor from the config: each shadowed route's strong model and judge resolved now,
so a name that is not a priced model fails at start with the file, line and key."""

from __future__ import annotations

from collections.abc import Mapping

from pointsman.catalog.catalog import Catalog
from pointsman.catalog.model import CatalogModel
from pointsman.config.schema import Config, ShadowConfig
from pointsman.config.yamlsource import Fail, Path
from pointsman.engine.call import Parts
from pointsman.errors import ModelNotFound
from pointsman.routing.learned import unit_cost
from pointsman.routing.router import CompiledRoute
from pointsman.shadow.exchange import Asker
from pointsman.shadow.judges import ExactJudge, JsonJudge, Judge, ModelJudge
from pointsman.shadow.monitor import DailyBudget, RouteShadow, ShadowMonitor
from pointsman.shadow.store import VerdictStore


def build_monitor(
    config: Config,
    routes: Mapping[str, CompiledRoute],
    catalog: Catalog,
    parts: Parts,
    fail: Fail,
) -> ShadowMonitor:
    asker = Asker(parts)
    shadows: dict[str, RouteShadow] = {}
    for name, route in config.routes.items():
        shadow = route.shadow
        if shadow is None:
            continue
        path: Path = ("routes", name, "shadow")
        against = _against(shadow, routes[name], catalog, path, fail)
        judge = _judge(shadow, catalog, asker, path, fail)
        shadows[name] = RouteShadow(
            name, shadow.sample, against, judge, DailyBudget(shadow.budget_usd_per_day)
        )
    store = VerdictStore(config.ledger.path) if shadows else None
    return ShadowMonitor(shadows, asker, store, parts.rng)


def _against(
    shadow: ShadowConfig, route: CompiledRoute, catalog: Catalog, path: Path, fail: Fail
) -> CatalogModel:
    """`against`, or the route's dearest candidate: what it would send every request to if cost
    did not matter."""
    if shadow.against:
        return _priced(shadow.against, catalog, (*path, "against"), fail, "the shadow calls' cost")
    if route.learned is not None:
        models = list(route.learned.models)
    else:
        tiers = [route.default, *route.fallbacks[: route.config.max_fallbacks]]
        models = [member.model for tier in tiers for member in tier.members]
    strongest = max(models, key=unit_cost)
    if strongest.price is None:
        raise fail(
            path, f"'{strongest.name}' has no price, so the shadow budget cannot be kept: name `against`"
        )
    return strongest


def _judge(shadow: ShadowConfig, catalog: Catalog, asker: Asker, path: Path, fail: Fail) -> Judge:
    if shadow.judge == "exact":
        return ExactJudge()
    if shadow.judge == "json":
        return JsonJudge()
    model = _priced(shadow.judge_model, catalog, (*path, "judge_model"), fail, "the judge's cost")
    return ModelJudge(model, asker)


def _priced(name: str, catalog: Catalog, path: Path, fail: Fail, what: str) -> CatalogModel:
    try:
        model = catalog.resolve(name)
    except ModelNotFound as exc:
        raise fail(path, f"'{name}' is not a model: {exc.message}") from None
    if model.price is None:
        raise fail(path, f"'{name}' has no price, so {what} cannot be counted against the budget")
    return model
