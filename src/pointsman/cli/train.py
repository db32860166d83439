"""`pointsman train`: a router artifact from files of recorded outcomes (prompt, scores per model)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pointsman.evaluation.data import read_rows
from pointsman.learned.featurize import Featurizer, Window
from pointsman.learned.train import Settings, fit


def run(args: argparse.Namespace) -> int:
    import quicktok

    rows = read_rows(args.data)
    models = sorted({m for r in rows for m in r.scores})
    print(f"{len(rows)} prompts, {len(models)} models, from {len(args.data)} file(s)", flush=True)
    started = time.monotonic()
    featurizer = Featurizer(quicktok.get_encoding("o200k_base"), Window(buckets=1 << args.bits))
    settings = Settings(epochs=args.epochs, factors=args.factors, seed=args.seed)

    def progress(epoch: int, loss: float) -> None:
        print(f"  epoch {epoch}/{args.epochs}  loss {loss:.4f}", file=sys.stderr, flush=True)

    artifact = fit(rows, featurizer, settings, progress)
    artifact.meta["data"] = [Path(p).name for p in args.data]
    artifact.save(args.out)
    size = Path(args.out).stat().st_size
    print(
        f"wrote {args.out}: {size / 1e6:.1f} MB in {time.monotonic() - started:.0f} s;",
        f"models: {', '.join(models)}",
    )
    return 0


def add(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("train", help="train a learned router on recorded outcomes (JSONL)")
    p.add_argument(
        "--data", nargs="+", required=True, metavar="FILE", help="JSON Lines of prompts and scores"
    )
    p.add_argument("--out", required=True, metavar="ARTIFACT", help="where to write the router (.npz)")
    p.add_argument("--epochs", type=int, default=Settings().epochs)
    p.add_argument("--factors", type=int, default=Settings().factors, help="free per-model factors")
    p.add_argument("--bits", type=int, default=18, help="feature buckets = 2**bits")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=run)
