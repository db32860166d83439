"""`pointsman route`: what routing would decide for a prompt, without calling any provider."""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from pointsman.compose import build
from pointsman.config.loader import load_config
from pointsman.errors import ConfigError
from pointsman.explain import plan_json, plan_text, planned_call, preflight
from pointsman.routing.hints import PRICE_HEADER, QUALITY_HEADER


def _body(args: argparse.Namespace, model: str) -> dict[str, Any]:
    content: Any = args.prompt
    if args.image:
        content = [
            {"type": "text", "text": args.prompt},
            {"type": "image_url", "image_url": {"url": args.image}},
        ]
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": content}]}
    if args.system:
        body["messages"].insert(0, {"role": "system", "content": args.system})
    if args.tools:
        body["tools"] = [
            {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}
            for name in args.tools.split(",")
        ]
    if args.json:
        body["response_format"] = {"type": "json_object"}
    if args.metadata:
        body["metadata"] = dict(part.split("=", 1) for part in args.metadata if "=" in part)
    if args.models:
        body["models"] = args.models.split(",")
    if args.sort:
        body["provider"] = {"sort": args.sort}
    return body


def _headers(args: argparse.Namespace) -> dict[str, str]:
    """The hint flags as the headers a client would send them in."""
    headers = {}
    if args.quality is not None:
        headers[QUALITY_HEADER] = args.quality
    if args.max_price is not None:
        headers[PRICE_HEADER] = args.max_price
    return headers


def route(args: argparse.Namespace) -> int:
    gateway = build(load_config(args.config))
    config, tokens = gateway.config, gateway.tokens
    name = args.model or next(iter(config.routes), "")
    if not name:
        print("pointsman: the config defines no routes; name a model with --model")
        return 2
    ids = [key.id for key in config.server.keys]
    if args.key and args.key not in ids:  # the value is not repeated: it may be the key itself
        known = ", ".join(ids) or "none configured"
        raise ConfigError(f"--key: no gateway key has that id (ids: {known}); give the id, not the key")
    # the Call a request with this key would make, decided by the engine's own step: the key's
    # team comes from the config as the server's authentication finds it
    call = planned_call(
        _body(args, name),
        _headers(args),
        key_id=args.key,
        team=gateway.auth.team(args.key),
        task=args.task or "",
    )
    plan = gateway.engine.plan(call)
    if not args.explain:
        print(f"{name} → {plan.primary.model.name} ({plan.primary.reason})")
        return 0
    skips = [preflight(call.body, a.model, tokens) for a in plan.attempts]
    if args.format == "json":
        print(orjson.dumps(plan_json(plan, skips), option=orjson.OPT_INDENT_2).decode())
    else:
        print(plan_text(plan, skips))
    return 0


def add(sub: Any) -> None:
    """The `route` command's flags (its hints spelled as a client would send them)."""
    p = sub.add_parser("route", help="show what routing decides for a prompt, calling no provider")
    p.add_argument("prompt", help="the user message")
    p.add_argument("--config", "-c", required=True, help="config file (YAML)")
    p.add_argument("--model", "-m", help="route (or model) to ask for; default: the config's first route")
    p.add_argument("--explain", action="store_true", help="print the whole decision: candidates, costs, why")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--system", help="a system message")
    p.add_argument("--tools", help="comma-separated tool names the request offers")
    p.add_argument("--image", help="an image URL the request carries")
    p.add_argument("--json", action="store_true", help="the request asks for JSON")
    p.add_argument(
        "--metadata", action="append", metavar="KEY=VALUE", help="request metadata (repeat the flag for more)"
    )
    p.add_argument("--task", help="the x-pointsman-task header")
    p.add_argument("--key", default="", help="gateway key id the request comes with")
    p.add_argument(
        "--quality", help="a learned route's target: 0..1 or frugal|balanced|premium (x-pointsman-quality)"
    )
    p.add_argument(
        "--max-price", help="USD per million tokens, blended 3 read : 1 written (x-pointsman-max-price)"
    )
    p.add_argument(
        "--models", help="comma-separated models tried after --model, in order (OpenRouter's models)"
    )
    p.add_argument(
        "--sort", help="order each tier by price, latency or throughput (OpenRouter's provider.sort)"
    )
    p.set_defaults(run=route)
