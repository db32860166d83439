"""Manual routing: the request names a catalog model, an alias or `provider/model`."""

from __future__ import annotations

from pointsman.catalog.catalog import Catalog
from pointsman.routing.plan import Attempt, RoutePlan, RouteRequest


class ManualRouter:
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._plans: dict[str, RoutePlan] = {}

    def decide(self, request: RouteRequest) -> RoutePlan:
        plan = self._plans.get(request.model)
        if plan is None:
            model = self._catalog.resolve(request.model)  # raises ModelNotFound
            if request.model in self._catalog.aliases:
                reason = f"alias:{request.model}"
            elif model.origin == "unlisted":
                reason = "manual:unlisted"
            else:
                reason = "manual"
            plan = RoutePlan((Attempt(model, reason),))
            if model.origin != "unlisted":  # bounded: only catalog names are remembered
                self._plans[request.model] = plan
        return plan
