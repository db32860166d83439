"""`pointsman feedback`: rate a request in the ledger, list the feedback, or fold it into abilities.

The ledger keeps no prompt text, so feedback cannot retrain the prompt part of the router (that
needs prompts: `pointsman train --data` on your own logged prompts and scores). What it can do is
what the gateway does online, replayed over every stored score: move each rated model's per-skill
ability within the same bounds, and write the result where `learned.abilities` reads it, so it
survives a restart.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import orjson

from pointsman.cli.table import render
from pointsman.config.schema import Config
from pointsman.errors import ConfigError, ModelNotFound
from pointsman.learned.calibrate import write_abilities
from pointsman.learned.online import AbilityBook, learn_from
from pointsman.learned.skills import SKILLS
from pointsman.ledger.feedback import Feedback

_TRUE = ("true", "yes", "good")
_FALSE = ("false", "no", "bad")


def parse_score(text: str) -> float:
    word = text.strip().lower()
    if word in _TRUE or word in _FALSE:
        return 1.0 if word in _TRUE else 0.0
    try:
        score = float(word) if word.isascii() else -1.0
    except ValueError:
        score = -1.0
    if not 0.0 <= score <= 1.0:  # NaN fails this too
        raise ConfigError(f"SCORE must be a number from 0 to 1, or true/false; got {text[:40]!r}")
    return score


def _ledger(args: argparse.Namespace) -> str:
    from pointsman.cli.commands import _config, existing_ledger

    path = args.ledger or _config(args.config).ledger.path
    return existing_ledger(path, args.ledger)


def run(args: argparse.Namespace) -> int:
    if args.export_abilities:
        return export(args)
    if args.list:
        return listing(args)
    if args.request_id is None or args.score is None:
        raise ConfigError("give REQUEST_ID and SCORE, or --list, or --export-abilities OUT.json")
    return rate(args)


def rate(args: argparse.Namespace) -> int:
    from pointsman.ledger import feedback
    from pointsman.ledger.sqlite import connect

    item = Feedback(args.request_id, parse_score(args.score), time.time(), "", args.label, args.comment)
    db = connect(_ledger(args))
    try:
        stored = feedback.put(db, item, None)
    finally:
        db.close()
    if stored is None:
        raise ConfigError(
            f"no request {args.request_id!r} in the ledger; a request of the last moments may still "
            "be in the gateway's journal: retry shortly"
        )
    was = "" if stored.previous is None else f" (replacing {stored.previous:g})"
    print(f"{args.request_id}: {item.score:g}{was} for {stored.model or '(no model)'} on {stored.route}")
    if stored.learned is not None:  # the file is written; a running gateway's online book is not
        print(
            "a learned route decided it: `pointsman feedback --export-abilities OUT --config C` folds it in"
        )
    return 0


def listing(args: argparse.Namespace) -> int:
    from pointsman.ledger.sqlite import read_feedback

    rows = read_feedback(_ledger(args))
    if args.json:
        print(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return 0
    table = [
        [
            time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r["ts"])),
            r["request_id"],
            r["model"] or "-",
            r["route"] or "-",
            f"{r['score']:g}",
            "yes" if r["learned"] else "no",
            r["label"] or "-",
            r["comment"][:60] or "-",
        ]
        for r in rows
    ]
    head = ["when (UTC)", "request", "model", "route", "score", "learned", "label", "comment"]
    print(render(head, table))
    print(f"\n{len(rows)} feedback")
    return 0


def export(args: argparse.Namespace) -> int:
    if not args.config:
        raise ConfigError("--export-abilities needs --config: the abilities feedback moves start from it")
    from pointsman.cli.commands import _config
    from pointsman.ledger.sqlite import read_feedback

    config = _config(args.config)
    path = args.ledger or config.ledger.path
    rows = read_feedback(_ledger(args))
    out = fold(config, rows)
    write_abilities(args.export_abilities, out)
    folded = {name: m["feedback"]["count"] for name, m in out["models"].items() if "feedback" in m}
    summary = ", ".join(f"{name} ({n})" for name, n in folded.items()) or "no model"
    print(f"wrote {args.export_abilities}: {len(rows)} feedback from {path} moved {summary}")
    print(f"set learned.abilities: {args.export_abilities} in the config to route with them")
    return 0


def fold(config: Config, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The config's calibrated abilities, with every rated model's ability (as the config knows it)
    moved by the stored scores, oldest first, as the gateway moves it online. A model an earlier
    export moved starts again from where it started then, so no score counts twice."""
    from pointsman.compose import catalog_of
    from pointsman.learned.abilities import TRAINED_FACTORS, ability_of
    from pointsman.learned.artifact import artifact_id
    from pointsman.routing.router import learned_parts

    book = AbilityBook()
    for row in rows:
        learn_from(book, row["model"], row["learned"], row["score"], None)
    earlier = _earlier(config.learned.abilities)
    models: dict[str, Any] = dict(earlier)  # a model folded below gets a new entry
    if not book.models():
        return {"models": models}
    estimator, calibrated = learned_parts(config)
    artifact = artifact_id(config.learned.artifact)
    catalog = catalog_of(config)
    for name in book.models():
        try:
            model = catalog.resolve(name)
        except ModelNotFound:
            continue  # rated under an older config; its ability here is unknown
        before = earlier.get(name, {}).get("feedback", {})
        starting = calibrated
        if "base" in before:
            trained = {TRAINED_FACTORS: 1.0} if earlier[name].get("factors") == "trained" else {}
            starting = {**calibrated, name: {**before["base"], **trained}}
        base = ability_of(estimator, model, starting)
        if base is None:
            continue
        origin = before.get("from", base.source)
        # from the base as written, so an export of an export gives the very same numbers
        start = {k: round(float(t), 4) for k, t in zip(SKILLS, base.theta, strict=True)}
        delta = book.delta(name)
        models[name] = {
            **({"factors": "trained"} if base.vector is not None else {}),
            "abilities": {k: round(start[k] + delta.get(k, 0.0), 4) for k in SKILLS},
            "source": f"{origin}+feedback(n={book.count(name)})",
            "feedback": {"count": book.count(name), "delta": delta, "base": start, "from": origin},
            "artifact": artifact,  # on that router's scale, as `pointsman calibrate` records it
        }
    return {"models": models}


def _earlier(path: str) -> dict[str, Any]:
    """The entries of the config's abilities file as they are (checked by the router's reader)."""
    if not path:
        return {}
    from pointsman.learned.abilities import read_calibrated

    read_calibrated(path)  # a clear error for a file that is not one
    models: dict[str, Any] = json.loads(Path(path).read_text("utf-8"))["models"]
    return models


def add(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "feedback",
        help="rate a request in the ledger (0..1), list feedback, or fold it into abilities",
        description="Rate a request (its x-pointsman-request-id) in the ledger file, list the "
        "feedback stored there, or fold it into per-model abilities for learned.abilities. The "
        "ledger keeps no prompts, so feedback moves abilities; it does not retrain the router.",
    )
    p.add_argument("request_id", nargs="?", metavar="REQUEST_ID", help="the x-pointsman-request-id")
    p.add_argument("score", nargs="?", metavar="SCORE", help="0..1, or true/false")
    p.add_argument("--label", default="", help="a short label (e.g. wrong, slow, great)")
    p.add_argument("--comment", default="", help="free text")
    p.add_argument("--config", "-c", help="config file (for ledger.path and the starting abilities)")
    p.add_argument("--ledger", help="ledger file (default: ledger.path of the config)")
    p.add_argument("--list", action="store_true", help="list the feedback in the ledger")
    p.add_argument("--json", action="store_true", help="with --list: print JSON")
    p.add_argument(
        "--export-abilities",
        metavar="OUT",
        help="write abilities moved by all stored feedback, in the learned.abilities format",
    )
    p.set_defaults(run=run)
