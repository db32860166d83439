"""The CLI's commands; each takes parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from decimal import Decimal
from typing import Any

import msgspec
import orjson

from pointsman.catalog.catalog import Catalog
from pointsman.catalog.model import CatalogModel
from pointsman.catalog.price import format_usd
from pointsman.catalog.pricelist import builtin_price_list
from pointsman.cli.table import render
from pointsman.compose import build, catalog_of
from pointsman.config.exposure import open_without_keys
from pointsman.config.loader import default_config, load_config
from pointsman.config.schema import Config
from pointsman.errors import ConfigError
from pointsman.redact import safe_url
from pointsman.routing.router import CompiledRoute


def _config(path: str | None) -> Config:
    return load_config(path) if path else default_config()


def serve(args: argparse.Namespace) -> int:
    from pointsman.serving import serve as run_server

    config = _config(args.config)
    server = msgspec.structs.replace(
        config.server,
        host=args.host or config.server.host,
        port=args.port if args.port is not None else config.server.port,
    )
    return run_server(msgspec.structs.replace(config, server=server), log_level=args.log_level)


def demo(args: argparse.Namespace) -> int:
    from pointsman.cli.demo import run_demo

    return run_demo(args.ledger)


def _price_cells(model: CatalogModel) -> list[str]:
    price = model.price
    if price is None:
        return ["?", "?", "?"]
    cached = "-" if price.cached_input is None else format_usd(price.cached_input)
    return [format_usd(price.input), cached, format_usd(price.output)]


def models(args: argparse.Namespace) -> int:
    if args.config:
        config = load_config(args.config)
        catalog: Catalog | None = catalog_of(config)
        rows = [(name, m) for name, m in catalog.models.items()] if catalog else []
        note = f"models reachable through {args.config}"
    else:
        price_list = builtin_price_list()
        rows = [
            (
                f"{r.provider}/{r.model}",
                CatalogModel(
                    r.model,
                    r.provider,
                    r.model,
                    r.price,
                    r.context_window,
                    r.max_output_tokens,
                    r.capabilities,
                    origin="builtin",
                ),
            )
            for r in price_list.models
        ]
        note = f"built-in price list, prices checked {price_list.checked} ({price_list.source})"
    if args.json:
        out = [
            {
                "name": name,
                "provider": m.provider,
                "upstream": m.upstream,
                "input": cells[0],
                "cached_input": cells[1],
                "output": cells[2],
                "context_window": m.context_window,
                "capabilities": sorted(m.capabilities),
                "origin": m.origin,
            }
            for name, m in rows
            for cells in [_price_cells(m)]
        ]
        print(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
        return 0
    table = [
        [name, m.provider, *_price_cells(m), str(m.context_window or "-"), ",".join(sorted(m.capabilities))]
        for name, m in rows
    ]
    print(render(["model", "provider", "in $/M", "cached $/M", "out $/M", "context", "capabilities"], table))
    print(f"\n{len(rows)} {note}")
    return 0


def config_check(args: argparse.Namespace) -> int:
    config = load_config(args.file)
    gateway = build(config)  # building resolves every route's targets, as a start would
    catalog = gateway.catalog
    print(f"{args.file}: OK")
    print(
        f"  server      {config.server.host}:{config.server.port}, "
        f"{len(config.server.keys)} gateway key(s), admin {'on' if config.server.admin_key else 'off'}"
    )
    exposed = open_without_keys(config.server)
    if exposed is not None:
        print(f"  WARNING     pointsman serve will refuse to start: {exposed}")
    for name, provider in config.providers.items():
        key = "key set" if provider.api_key else "no key"
        via = f" through proxy {safe_url(provider.proxy)}" if provider.proxy else ""
        print(f"  provider    {name}: {provider.type} at {safe_url(provider.base_url)}{via} ({key})")
    print(f"  catalog     {len(catalog.models)} models, {len(catalog.aliases)} aliases")
    for name, route in gateway.router.routes.items():
        print(f"  route       {name}: {_route_line(route)}")
    print(f"  ledger      {config.ledger.path}")
    return 0


def _route_line(route: CompiledRoute) -> str:
    """What decides the route, and for a learned one where each candidate's ability comes from."""
    rules = f"{len(route.rules)} rule(s) first, then " if route.rules else ""
    if route.learned is not None:
        learned = route.learned
        models = ", ".join(
            f"{m.name} ({a.source})" for m, a in zip(learned.models, learned.policy.abilities, strict=True)
        )
        decides = f"{learned.label} over {models}"
    else:
        decides = f"default {route.default.name}"
    tiers = [t.name for t in route.fallbacks[: route.config.max_fallbacks]]
    return f"{rules}{decides}" + (f"; fallbacks {', '.join(tiers)}" if tiers else "")


def existing_ledger(path: str, given: str | None) -> str:
    """`path` when a ledger is there: reading would otherwise create an empty one and report $0."""
    where = "--ledger" if given else "ledger.path of the config"
    relative = "" if os.path.isabs(path) else f", relative to {os.getcwd()}"
    if not os.path.isfile(path):
        raise ConfigError(f"no ledger at {path!r} ({where}{relative}); point --ledger at the gateway's file")
    with open(path, "rb") as file:
        if file.read(16) not in (b"SQLite format 3\x00", b""):
            raise ConfigError(f"{path!r} ({where}) is not a pointsman ledger (not an SQLite file)")
    return path


def spend(args: argparse.Namespace) -> int:
    from pointsman.ledger.spend import summarize
    from pointsman.ledger.sqlite import read_rows

    path = args.ledger or _config(args.config).ledger.path
    since = time.time() - args.days * 86400 if args.days else None
    lines = summarize(read_rows(existing_ledger(path, args.ledger), since), args.by)
    if args.json:
        out = [
            {**{k: getattr(line, k) for k in line.__slots__}, "cost_usd": format_usd(line.cost_usd)}
            for line in lines
        ]
        print(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())
        return 0
    table = [
        [
            line.group,
            str(line.requests),
            str(line.errors),
            str(line.prompt_tokens),
            str(line.completion_tokens),
            str(line.cached_tokens),
            format_usd(line.cost_usd)
            + ("*" if line.estimated else "")
            + (f" (+{line.unpriced} unpriced)" if line.unpriced else ""),
        ]
        for line in lines
    ]
    total = sum((line.cost_usd for line in lines), start=Decimal(0))
    print(
        render([args.by, "requests", "errors", "prompt tok", "completion tok", "cached tok", "cost $"], table)
    )
    print(
        f"\ntotal ${format_usd(total)} over {sum(x.requests for x in lines)} rows"
        + (" (* includes locally counted tokens)" if any(x.estimated for x in lines) else "")
    )
    return 0


def prices_refresh(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pointsman.catalog.pricelist import read_price_list
    from pointsman.catalog.refresh import fetch, known_abilities, openrouter_to_price_list

    raw = fetch(args.source)
    try:
        data: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"{args.source}: not JSON: {exc}") from None
    # tiers and skills: the built-in list's, then those of the list being replaced (a user's edits win)
    lists = [builtin_price_list(), *([read_price_list(args.out)] if Path(args.out).is_file() else [])]
    text, count = openrouter_to_price_list(data, source=args.source, known=known_abilities(lists))
    with open(args.out, "w", encoding="utf-8") as out:
        out.write(text)
    print(f"wrote {count} price rows to {args.out}; set catalog.prices_file: {args.out} to use them")
    return 0


def fake(args: argparse.Namespace) -> int:
    from pointsman.fakes.anthropic_server import FakeAnthropic
    from pointsman.fakes.base import FakeModel
    from pointsman.fakes.gemini_server import FakeGemini
    from pointsman.fakes.openai_server import FakeOpenAI

    spec = FakeModel(reply=args.reply, latency=args.latency, ttft=args.ttft, tokens_per_second=args.tps)
    kinds = {"openai": FakeOpenAI, "anthropic": FakeAnthropic, "gemini": FakeGemini}
    server = kinds[args.wire](default=spec)

    async def run() -> None:
        await server.start(args.port, args.host)
        print(f"fake {args.wire} provider on {server.url}", file=sys.stderr, flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.stop()

    try:
        import uvloop

        uvloop.run(run())
    except ImportError:  # pragma: no cover
        asyncio.run(run())
    return 0


def local_model(args: argparse.Namespace) -> int:
    from pointsman.localmodel import serve as serve_local

    serve_local(args.port, args.host, args.threads)
    return 0
