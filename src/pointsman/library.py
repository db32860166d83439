"""Library mode: the gateway's routing decision in-process, with no server, provider or ledger.

    router = Router.from_config("gw.yaml")            # or Router.from_dict({...})
    plan = router.plan(messages=[...], model="auto", quality="premium", max_price=2)
    plan.models                                       # ("small", "big"): the order they would be tried
    print(router.explain(messages=[...], model="auto"))

Built by the composition root (`compose.planner`) and asked through the engine's own step
(`route_request`), so it decides exactly as a request to a gateway with the same config would,
hints included (routing/hints.py): nothing here decides anything itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pointsman.api.auth import Auth
from pointsman.compose import planner
from pointsman.config.loader import dict_config, load_config
from pointsman.config.schema import Config
from pointsman.engine import Call
from pointsman.engine.core import route_request
from pointsman.explain import plan_json, plan_text, planned_call, preflight
from pointsman.routing.plan import RoutePlan
from pointsman.state.health import Health
from pointsman.tokens import TokenCounter


@dataclass(frozen=True, slots=True)
class Plan:
    """What routing decided for one request."""

    models: tuple[str, ...]
    """The models in the order they would be tried (failover, then the fallback tiers)."""
    route: str
    """The route that decided, or the model's own name when the request named a model."""
    decided_by: str
    """Why: `default`, `rule:<name>`, `learned:<target>`, ... and `+hints:...` when hints applied."""
    notes: tuple[str, ...]
    learned: dict[str, Any] | None
    """A learned route's estimates per candidate, its target, threshold, pick and runner-up."""
    route_plan: RoutePlan
    """The plan the engine would run (attempts with their tiers and reasons, and the policy)."""

    @property
    def trace(self) -> dict[str, Any]:
        """Everything, as `pointsman route --explain --format json` prints it: rendered when read
        (it counts the whole prompt and prices every candidate, which a caller of `.models` skips)."""
        return plan_json(self.route_plan, [""] * len(self.route_plan.attempts))

    @property
    def model(self) -> str:
        """The model that would be tried first."""
        return self.models[0]


class Router:
    def __init__(self, config: Config, *, health: Health | None = None) -> None:
        self.config = config
        self.catalog, self._router = planner(config, health)
        self._auth = Auth(config.server)
        self._tokens = TokenCounter()

    @classmethod
    def from_config(cls, path: str, *, health: Health | None = None) -> Router:
        """From a config file, as `pointsman serve --config` reads it."""
        return cls(load_config(path), health=health)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, health: Health | None = None) -> Router:
        """From the config's sections as a mapping (what the YAML file would hold)."""
        return cls(dict_config(data), health=health)

    def plan(
        self,
        messages: Sequence[Mapping[str, Any]] = (),
        model: str = "",
        *,
        quality: float | str | None = None,
        max_price: float | Mapping[str, float] | None = None,
        models: Sequence[str] | None = None,
        sort: str | None = None,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        key: str = "",
        task: str = "",
    ) -> Plan:
        """The decision for a chat request. `model` is a route or a model ("": the config's first
        route); `quality`, `max_price`, `models` and `sort` are the request's hints (README:
        "Per-request hints"); `body` adds request fields (tools, response_format, metadata, ...) and
        `headers` the request's headers; `key` is the id of the gateway key it would come with.
        A bad hint raises `InvalidRequest` saying which; an unknown model, `ModelNotFound`."""
        call = self._call(messages, model, quality, max_price, models, sort, body, headers, key, task)
        return self._decided(call)

    def explain(self, messages: Sequence[Mapping[str, Any]] = (), model: str = "", **hints: Any) -> str:
        """The decision as `pointsman route --explain` prints it: the route, why, the estimates, each
        candidate with its expected cost, and what would skip one before it is called. Takes the
        same arguments as `plan`."""
        plan = self.plan(messages, model, **hints).route_plan
        body = plan.decision.request.body if plan.decision else {"messages": list(messages)}
        return plan_text(plan, [preflight(body, a.model, self._tokens) for a in plan.attempts])

    def _decided(self, call: Call) -> Plan:
        plan = self._router.decide(route_request(call))
        decision = plan.decision
        return Plan(
            models=tuple(a.model.name for a in plan.attempts),
            route=decision.route if decision else call.requested_model,
            decided_by=decision.decided_by if decision else plan.primary.reason,
            notes=decision.notes if decision else (),
            learned=decision.learned if decision else None,
            route_plan=plan,
        )

    def _call(
        self,
        messages: Sequence[Mapping[str, Any]],
        model: str,
        quality: float | str | None,
        max_price: float | Mapping[str, float] | None,
        models: Sequence[str] | None,
        sort: str | None,
        body: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        key: str,
        task: str,
    ) -> Call:
        request: dict[str, Any] = {**(body or {}), "messages": [dict(m) for m in messages]}
        request["model"] = model or request.get("model") or next(iter(self.config.routes), "")
        own = {k: v for k, v in (("quality", quality), ("max_price", max_price)) if v is not None}
        if own:
            request["pointsman"] = {**request.get("pointsman", {}), **own}
        if models is not None:
            request["models"] = list(models)
        if sort is not None:
            request["provider"] = {**request.get("provider", {}), "sort": sort}
        sent = dict(headers or {})
        return planned_call(request, sent, key_id=key, team=self._auth.team(key), task=task)
