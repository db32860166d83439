"""`pointsman shadow report`: how often the cheap answers a route gave matched its strongest model's."""

from __future__ import annotations

import argparse
import time

import orjson

from pointsman.catalog.price import format_usd
from pointsman.cli.commands import existing_ledger
from pointsman.cli.table import render
from pointsman.config.loader import default_config, load_config
from pointsman.shadow.report import GROUPINGS, ReportLine, summarize
from pointsman.shadow.store import read_verdicts


def report(args: argparse.Namespace) -> int:
    path = args.ledger or (load_config(args.config) if args.config else default_config()).ledger.path
    since = time.time() - args.days * 86400 if args.days else None
    lines = summarize(read_verdicts(existing_ledger(path, args.ledger), since), args.by)
    if args.json:
        print(orjson.dumps([_json(line) for line in lines], option=orjson.OPT_INDENT_2).decode())
        return 0
    if not lines:
        print("no shadow verdicts yet (a route's `shadow:` section turns monitoring on)")
        return 0
    head = ["route", *(["day"] if args.by == "day" else []), "n", "agreed", "rate", "no verdict", "cost $"]
    rows = [
        [
            line.route,
            *([line.day] if args.by == "day" else []),
            str(line.judged),
            str(line.agreed),
            "-" if line.rate is None else f"{line.rate:.3f}",
            str(line.failed + line.undecided),
            format_usd(line.cost_usd),
        ]
        for line in lines
    ]
    print(render(head, rows))
    print("\nn: verdicts reached; cost: the shadow calls and the judge (not in `pointsman spend`)")
    return 0


def _json(line: ReportLine) -> dict[str, object]:
    return {
        "route": line.route,
        **({"day": line.day} if line.day else {}),
        "n": line.judged,
        "agreed": line.agreed,
        "rate": line.rate,
        "shadowed": line.shadowed,
        "failed": line.failed,
        "undecided": line.undecided,
        "cost_usd": format_usd(line.cost_usd),
    }


def add(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("shadow", help="routing-accuracy monitoring (shadowed requests and their verdicts)")
    shadow_sub = p.add_subparsers(dest="shadow_command", required=True, metavar="SUBCOMMAND")
    r = shadow_sub.add_parser("report", help="agreement of cheap answers with the strong model's, per route")
    r.add_argument("--config", "-c", help="config file (for ledger.path)")
    r.add_argument("--ledger", help="ledger file (default: ledger.path of the config)")
    r.add_argument("--by", default="route", choices=GROUPINGS, help="per route, or per route and UTC day")
    r.add_argument("--days", type=float, help="only the last N days")
    r.add_argument("--json", action="store_true", help="print JSON")
    r.set_defaults(run=report)
