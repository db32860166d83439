"""The gateway's own routes: model list, health, readiness, admin spend."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

import orjson

from pointsman.api.http import header, send_body, send_json
from pointsman.api.request import Request
from pointsman.catalog.model import CatalogModel
from pointsman.catalog.price import format_usd
from pointsman.errors import InvalidRequest, LedgerUnavailable
from pointsman.ledger.spend import GROUPINGS, SpendLine, summarize
from pointsman.ledger.sqlite import read_rows
from pointsman.providers.base import Json
from pointsman.routing.router import CompiledRoute
from pointsman.surfaces.gemini import models as gemini_models
from pointsman.surfaces.gemini.paths import gemini_client
from pointsman.telemetry.metrics import CONTENT_TYPE, ledger_metrics, render

if TYPE_CHECKING:
    from pointsman.compose import Gateway


def _model_json(name: str, model: CatalogModel) -> Json:
    entry: Json = {"id": name, "object": "model", "created": 0, "owned_by": model.provider}
    if model.price is not None:
        entry["pricing"] = {
            "input_per_million": format_usd(model.price.input),
            "output_per_million": format_usd(model.price.output),
        }
    if model.context_window:
        entry["context_window"] = model.context_window
    return entry


async def list_models(gateway: Gateway, request: Request) -> None:
    if gemini_client(request.scope):  # google-genai asks /v1/models too (its default with a base URL)
        return await gemini_models.list_models(gateway, request)
    gateway.auth.key_id(request.scope)
    catalog = gateway.catalog
    data = [_model_json(name, m) for name, m in catalog.models.items()]
    data += [_model_json(alias, catalog.models[target]) for alias, target in catalog.aliases.items()]
    data += [_route_json(name, route) for name, route in gateway.router.routes.items()]
    listing: Json = {"object": "list", "data": data}
    if _anthropic_client(request):
        for entry in data:
            _as_anthropic(entry)
        listing.update(has_more=False, first_id=data[0]["id"] if data else None)
        listing["last_id"] = data[-1]["id"] if data else None
    await send_json(request.send, 200, orjson.dumps(listing), [request.id_header])


def _anthropic_client(request: Request) -> bool:
    """Anthropic's SDKs (Claude Code too) send `anthropic-version` with every request."""
    return header(request.scope, b"anthropic-version") is not None


def _as_anthropic(entry: Json) -> Json:
    """The fields Anthropic's model objects have, beside OpenAI's: both SDKs read the same entry."""
    entry.update(type="model", display_name=entry["id"], created_at="1970-01-01T00:00:00Z")
    return entry


def _route_json(name: str, route: CompiledRoute) -> Json:
    """A route is a model to clients; `pointsman` says what it may send requests to."""
    tiers, targets = route.reach()
    return {
        "id": name,
        "object": "model",
        "created": 0,
        "owned_by": "pointsman",
        "pointsman": {"route": True, "tiers": tiers, "targets": targets},
    }


async def get_model(gateway: Gateway, request: Request) -> None:
    if gemini_client(request.scope):
        return await gemini_models.get_model(gateway, request)
    gateway.auth.key_id(request.scope)
    name = unquote(request.scope["path"][len("/v1/models/") :])
    route = gateway.router.routes.get(name)
    entry = (
        _route_json(name, route) if route is not None else _model_json(name, gateway.catalog.resolve(name))
    )
    if _anthropic_client(request):
        _as_anthropic(entry)
    await send_json(request.send, 200, orjson.dumps(entry), [request.id_header])


async def root(gateway: Gateway, request: Request) -> None:
    """What clients probe first (Claude Code sends `HEAD /`): the gateway's name and where to look."""
    body = b'{"name":"pointsman","api":"/v1","description":"/openapi.json"}'
    await send_json(request.send, 200, body, [request.id_header])


async def healthz(gateway: Gateway, request: Request) -> None:
    await send_json(request.send, 200, b'{"status":"ok"}', [request.id_header])


async def readyz(gateway: Gateway, request: Request) -> None:
    state = gateway.ledger.state()
    ready = gateway.ready and state.ok
    ledger: Json = {
        "ok": state.ok,
        "unwritten_rows": state.unwritten,
        "held_rows": state.held,
        "lost_rows": state.lost,
    }
    if state.error:
        ledger["error"] = state.error
    status = "ready" if ready else "ledger_failing" if gateway.ready else "starting"
    body = orjson.dumps({"status": status, "ledger": ledger})
    request.status = 200 if ready else 503
    await send_json(request.send, request.status, body, [request.id_header])


async def metrics(gateway: Gateway, request: Request) -> None:
    body = render(ledger_metrics(gateway.ledger.state(), gateway.ledger.written))
    await send_body(request.send, 200, body, [(b"content-type", CONTENT_TYPE), request.id_header])


async def _summary(gateway: Gateway, since: float | None, by: str) -> list[SpendLine]:
    """A report from every row recorded so far, or a 503: a report missing rows would look right."""
    path = gateway.config.ledger.path
    if not await gateway.ledger.flush():
        state = gateway.ledger.state()
        raise LedgerUnavailable(
            f"the ledger store is failing ({state.error}); {state.unwritten} rows wait in its journal, "
            "so a report now would be incomplete"
        )
    try:
        return await asyncio.to_thread(lambda: summarize(read_rows(path, since), by))
    except sqlite3.Error as exc:
        raise LedgerUnavailable(f"cannot read the ledger {path!r}: {exc}") from None


def _since(days: str) -> float | None:
    """The start of the last `days` days (a positive number; a fraction is fine), None for all time."""
    if not days:
        return None
    try:
        number = float(days) if days.isascii() else math.nan  # float() would read "٣" too
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise InvalidRequest(f"'days' must be a positive number of days, got {days[:40]!r}", param="days")
    since = time.time() - number * 86400
    return since if since > 0 else None  # further back than 1970 is all of it


async def admin_spend(gateway: Gateway, request: Request) -> None:
    gateway.auth.admin(request.scope)
    query = parse_qs(request.scope.get("query_string", b"").decode())
    by = query.get("by", ["model"])[0]
    if by not in GROUPINGS:
        raise InvalidRequest(f"'by' must be one of {', '.join(GROUPINGS)}", param="by")
    lines = await _summary(gateway, _since(query.get("days", [""])[0]), by)
    data = [
        {
            "group": line.group,
            "requests": line.requests,
            "errors": line.errors,
            "prompt_tokens": line.prompt_tokens,
            "completion_tokens": line.completion_tokens,
            "cached_tokens": line.cached_tokens,
            "cost_usd": format_usd(line.cost_usd),
            "unpriced": line.unpriced,
            "estimated": line.estimated,
        }
        for line in lines
    ]
    await send_json(request.send, 200, orjson.dumps({"by": by, "data": data}), [request.id_header])
