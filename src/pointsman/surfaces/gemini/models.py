"""GET models and models/{model} in Gemini's shape: the catalog, its aliases and the routes, each
a `models/{name}` a Google SDK can generate with."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import orjson

from pointsman.api.http import send_json
from pointsman.api.request import Request
from pointsman.catalog.model import CatalogModel
from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json
from pointsman.routing.router import CompiledRoute
from pointsman.surfaces.gemini.paths import METHODS, MODEL_PREFIXES

if TYPE_CHECKING:
    from pointsman.compose import Gateway

GENERATE = list(METHODS)
PAGE_SIZE, MAX_PAGE_SIZE = 50, 1000
"""Gemini's own default and largest page."""


def _entry(name: str, model: CatalogModel, description: str) -> Json:
    entry: Json = {
        "name": f"models/{name}",
        "baseModelId": name,
        "version": model.upstream,
        "displayName": name,
        "description": description,
        "supportedGenerationMethods": GENERATE if "chat" in model.capabilities else ["countTokens"],
    }
    if model.context_window:
        entry["inputTokenLimit"] = model.context_window
    if model.max_output_tokens:
        entry["outputTokenLimit"] = model.max_output_tokens
    return entry


def _model(name: str, model: CatalogModel) -> Json:
    return _entry(name, model, f"{model.upstream} from provider '{model.provider}', through pointsman")


def _route(name: str, route: CompiledRoute) -> Json:
    """A route's limits are its default model's; the description says where it may send a request."""
    tiers, targets = route.reach()
    description = f"a pointsman route (tiers: {', '.join(tiers)}; models: {', '.join(targets)})"
    return _entry(name, route.default.members[0].model, description)


def _page(request: Request) -> tuple[int, int]:
    query = parse_qs(request.scope.get("query_string", b"").decode("latin-1"))
    size, token = query.get("pageSize", [""])[-1], query.get("pageToken", [""])[-1]
    if not (size or "0").isdigit() or not (token or "0").isdigit():
        raise InvalidRequest("pageSize and pageToken must be whole numbers.", param="pageSize")
    return int(token or 0), min(int(size or 0) or PAGE_SIZE, MAX_PAGE_SIZE)


async def list_models(gateway: Gateway, request: Request) -> None:
    gateway.auth.key_id(request.scope)
    catalog = gateway.catalog
    entries = [_model(name, m) for name, m in catalog.models.items()]
    entries += [_model(alias, catalog.models[target]) for alias, target in catalog.aliases.items()]
    entries += [_route(name, route) for name, route in gateway.router.routes.items()]
    start, size = _page(request)
    listing: Json = {"models": entries[start : start + size]}
    if start + size < len(entries):
        listing["nextPageToken"] = str(start + size)
    await send_json(request.send, 200, orjson.dumps(listing), [request.id_header])


async def get_model(gateway: Gateway, request: Request) -> None:
    gateway.auth.key_id(request.scope)
    path = request.scope["path"]
    prefix = next((p for p in MODEL_PREFIXES if path.startswith(p)), "")
    name = path[len(prefix) :]
    route = gateway.router.routes.get(name)
    entry = _route(name, route) if route is not None else _model(name, gateway.catalog.resolve(name))
    await send_json(request.send, 200, orjson.dumps(entry), [request.id_header])
