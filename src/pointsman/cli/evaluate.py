"""`pointsman eval`: routing baselines on a file of recorded outcomes, calling no model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import orjson

from pointsman.cli.table import render
from pointsman.errors import ConfigError
from pointsman.evaluation import plot
from pointsman.evaluation.costs import cost_table
from pointsman.evaluation.data import common_models, keep_complete, read_rows
from pointsman.evaluation.policies import Scorer, Table
from pointsman.evaluation.report import evaluate_many, evaluate_pair
from pointsman.evaluation.router import abilities_for, router_scorer


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _per_1k(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.3f}"


def _pair_table(result: dict[str, Any]) -> str:
    head = ["policy", "APGR", "CPT(50%)", "CPT(80%)", "saving@95%"]
    rows = [
        [name, _num(p["apgr"]), _num(p["cpt50"]), _num(p["cpt80"]), _num(p["saving_at_95"])]
        for name, p in result["policies"].items()
    ]
    return render(head, rows)


def _many_table(result: dict[str, Any]) -> str:
    head = ["policy", "top quality", "$/1k at top", "quality@best $", "$/1k@best quality"]
    rows = [
        [
            name,
            _num(p["top"]["quality"]),
            _per_1k(p["top"]["cost"]),
            _num(p["quality_at_best_cost"]),
            _per_1k(p["cost_at_best_quality"]),
        ]
        for name, p in result["policies"].items()
    ]
    return render(head, rows)


def _models_table(result: dict[str, Any]) -> str:
    rows = [[m, _num(v["quality"]), _per_1k(v["cost"])] for m, v in result["models"].items()]
    return render(["model", "quality", "$/1k prompts"], rows)


def _router(args: argparse.Namespace, models: list[str]) -> Scorer:
    import quicktok

    from pointsman.config.loader import load_config
    from pointsman.learned.abilities import read_calibrated
    from pointsman.learned.artifact import load
    from pointsman.learned.estimate import Estimator

    config = load_config(args.config) if args.config else None
    artifact = "" if args.router == "shipped" else args.router
    estimator = Estimator(load(artifact), quicktok.get_encoding("o200k_base"))
    calibrated = read_calibrated(config.learned.abilities, artifact) if config is not None else {}
    abilities = abilities_for(estimator, models, config, calibrated)
    for name, ability in abilities.items():
        print(f"  {name}: {ability.source}")
    return router_scorer(estimator, abilities)


def run(args: argparse.Namespace) -> int:
    if args.plot:
        plot.require()
    rows = read_rows(args.data)
    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else common_models(rows)
    if len(models) < 2:
        raise ConfigError(f"{args.data[0]}: need at least two models scored on every row, found {models}")
    kept = keep_complete(rows, models)
    if not kept:
        raise ConfigError(f"{args.data[0]}: no row scores all of {', '.join(models)}")
    costs, source = cost_table(kept, models, args.data[0], args.prices or "")
    table = Table(kept, costs, models)
    extra = {"learned": _router(args, models)} if args.router else None
    if len(models) == 2:
        result = evaluate_pair(table, models[0], models[1], extra)
    else:
        result = evaluate_many(table, extra)
    result = {
        "data": args.data,
        "rows": len(kept),
        "skipped": len(rows) - len(kept),
        "costs": source,
        **result,
    }
    print(f"{len(kept)} rows ({result['skipped']} skipped: a model unscored), costs {source}")
    print(_models_table(result) + "\n")
    print(_pair_table(result) if result["mode"] == "pair" else _many_table(result))
    for name, policy in result["policies"].items():
        if policy["note"]:
            print(f"  {name}: {policy['note']}")
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))
    if args.plot:
        plot.plot(result, args.plot)
        print(f"plotted the curves to {args.plot}")
    return 0
