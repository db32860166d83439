"""`pointsman` command line: serve, demo, models, config check, spend, feedback, prices refresh,
eval, train, calibrate, shadow, route, fake."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pointsman.errors import PointsmanError

Command = Callable[[argparse.Namespace], int]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pointsman", description="An OpenAI-compatible model-routing gateway."
    )
    parser.add_argument("--version", action="version", version=f"pointsman {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _gateway_commands(sub)
    _ledger_commands(sub)
    _routing_commands(sub)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pointsman")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


Sub = Any  # argparse's subparsers action (a private type)


def _gateway_commands(sub: Sub) -> None:
    """serve, demo, models, config check"""
    from pointsman.cli import commands

    p = sub.add_parser("serve", help="run the gateway")
    p.add_argument("--config", "-c", help="config file (YAML); without one, only defaults")
    p.add_argument("--host", help="override server.host")
    p.add_argument("--port", type=int, help="override server.port")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(run=commands.serve)

    p = sub.add_parser("demo", help="run fake providers and the gateway, send a mixed workload, show costs")
    p.add_argument("--ledger", default="", help="keep the demo's ledger at this path (default: a temp file)")
    p.set_defaults(run=commands.demo)

    p = sub.add_parser("models", help="list the model catalog with prices")
    p.add_argument("--config", "-c", help="config file; without one, the whole built-in price list")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=commands.models)

    p = sub.add_parser("config", help="configuration tools")
    config_sub = p.add_subparsers(dest="config_command", required=True, metavar="SUBCOMMAND")
    c = config_sub.add_parser("check", help="validate a config file and summarise it")
    c.add_argument("file")
    c.set_defaults(run=commands.config_check)


def _ledger_commands(sub: Sub) -> None:
    """spend, feedback, prices, local-model"""
    from pointsman.cli import commands, feedback

    p = sub.add_parser("spend", help="summarise the ledger by model, key, day or tag")
    p.add_argument("--config", "-c", help="config file (for ledger.path)")
    p.add_argument("--ledger", help="ledger file (default: ledger.path of the config)")
    p.add_argument("--by", default="model", choices=["model", "key", "day", "tag", "provider", "status"])
    p.add_argument("--days", type=float, help="only the last N days")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=commands.spend)
    feedback.add(sub)

    p = sub.add_parser("prices", help="price list tools")
    prices_sub = p.add_subparsers(dest="prices_command", required=True, metavar="SUBCOMMAND")
    r = prices_sub.add_parser("refresh", help="write a price list from a provider's published model list")
    r.add_argument(
        "--from", dest="source", required=True, help="a file or http(s) URL of OpenRouter's model list JSON"
    )
    r.add_argument("--out", required=True, help="price list to write (point catalog.prices_file at it)")
    r.set_defaults(run=commands.prices_refresh)

    p = sub.add_parser("local-model", help="serve the real local model (./scripts/install-local)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(run=commands.local_model)


def _routing_commands(sub: Sub) -> None:
    """eval, train, calibrate, shadow, route, fake"""
    from pointsman.cli import calibrate, commands, evaluate, route, shadow, train

    p = sub.add_parser(
        "eval", help="evaluate routing baselines on recorded outcomes (JSONL), calling no model"
    )
    p.add_argument(
        "--data", nargs="+", required=True, metavar="FILE", help="JSON Lines of prompts and scores"
    )
    p.add_argument(
        "--models",
        help="comma-separated; two (strong,weak) for APGR/CPT; default: all scored on 90%% of rows",
    )
    p.add_argument("--json", metavar="OUT", help="write every number to this JSON file")
    p.add_argument(
        "--plot", metavar="OUT.png", help="draw every policy's curve to a PNG (needs pointsman[plot])"
    )
    p.add_argument(
        "--router", metavar="ARTIFACT", help="also evaluate a learned router ('shipped': the packaged one)"
    )
    p.add_argument("--config", "-c", help="a config whose `models` give tiers/skills to untrained models")
    p.add_argument(
        "--prices",
        metavar="FILE",
        help="prices.json ({model: {input_per_mtok, output_per_mtok}}) for rows without costs",
    )
    p.set_defaults(run=evaluate.run)
    train.add(sub)
    calibrate.add(sub)
    shadow.add(sub)

    route.add(sub)

    p = sub.add_parser("fake", help="run a fake provider (for benchmarks and manual tests)")
    p.add_argument("wire", choices=["openai", "anthropic", "gemini"])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9100)
    p.add_argument("--latency", type=float, default=0.0, help="seconds before a whole answer")
    p.add_argument("--ttft", type=float, default=0.0, help="seconds before the first streamed token")
    p.add_argument("--tps", type=float, default=0.0, help="streamed tokens per second (0: unpaced)")
    p.add_argument("--reply", help="fixed reply text")
    p.set_defaults(run=commands.fake)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpx2", "httpcore", "httpcore2"):  # the SDKs log every request at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)
    run: Command = args.run
    try:
        return run(args)
    except PointsmanError as error:  # a bad config, an unknown model, a port taken: one line, no traceback
        print(f"pointsman: {error.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `pointsman spend | head`: the reader has all it wanted
        # what is still buffered for stdout would fail again at exit, with a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
