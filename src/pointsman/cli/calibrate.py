"""`pointsman calibrate`: score one model on the graded anchor set through a running gateway, fit its
ability per skill, and write it where a config's `learned.abilities` reads it."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from pointsman.catalog.model import CatalogModel
from pointsman.config.schema import Config
from pointsman.errors import ConfigError, PointsmanError
from pointsman.learned.anchors import Anchor, generate, grade, read_anchors
from pointsman.learned.artifact import Matrix, artifact_id
from pointsman.learned.calibrate import Fit, entry, fit, merge
from pointsman.learned.estimate import Estimator
from pointsman.learned.skills import SKILLS

CONCURRENCY = 8
BATCH = 20
"""Progress is printed after each this many answers."""


def add(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "calibrate", help="measure a model's ability per skill on graded anchors, through the gateway"
    )
    p.add_argument("--model", "-m", required=True, help="the model to measure, as the gateway names it")
    p.add_argument("--url", default="http://127.0.0.1:4000/v1", help="the gateway's OpenAI base URL")
    p.add_argument("--key", default="", help="a gateway key, when the gateway asks for one")
    p.add_argument("--anchors", metavar="FILE", help="JSON Lines of {prompt, answer, skill[, match]}")
    p.add_argument("--n", type=int, default=200, help="anchors to generate (at most 200)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated anchors")
    p.add_argument("--out", help="abilities file to write or merge into (default: the config's "
                   "learned.abilities, else abilities.json)")  # fmt: skip
    p.add_argument("--config", "-c", help="config giving the artifact and the model's catalog entry")
    p.add_argument("--concurrency", type=int, default=CONCURRENCY, help="requests in flight")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import quicktok

    from pointsman.learned.artifact import load

    if not 1 <= args.n <= 200:
        raise ConfigError(f"--n: between 1 and 200 anchors, got {args.n}")
    config = _config(args.config)
    artifact_path = config.learned.artifact if config is not None else ""
    out = args.out or (config.learned.abilities if config is not None else "") or "abilities.json"
    anchors = read_anchors(args.anchors) if args.anchors else generate(args.n, args.seed)
    estimator = Estimator(load(artifact_path), quicktok.get_encoding("o200k_base"))
    prior, source = _prior(estimator, args.model, config)
    if config is not None and args.model in config.routes:
        print(f"warning: '{args.model}' is a route: its answers come from whichever model it picks, "
              "and the abilities are filed under the route's name", file=sys.stderr)  # fmt: skip
    print(f"calibrating {args.model} via {args.url}: {len(anchors)} anchors; prior from {source}", flush=True)
    grades = asyncio.run(_ask_all(args, anchors))
    result = fit(estimator, anchors, grades, prior)
    merge(
        out, args.model, entry(result, artifact_id(artifact_path), args.anchors or f"generated:{args.seed}")
    )
    print(_summary(result))
    print(f"wrote {args.model} to {out} (accuracy {result.accuracy:.2f} on {result.n})")
    return 0


def _config(path: str | None) -> Config | None:
    from pointsman.config.loader import load_config

    return load_config(path) if path else None


def _prior(estimator: Estimator, name: str, config: Config | None) -> tuple[Matrix, str]:
    """What the router would have believed without a calibration; a model nothing is known of
    starts from the `mid` tier."""
    from pointsman.evaluation.router import catalog_entry
    from pointsman.learned.abilities import ability_of

    model = catalog_entry(name, None)
    if config is not None:
        from pointsman.compose import catalog_of

        try:
            model = catalog_of(config).resolve(name)
        except PointsmanError:
            model = catalog_entry(name, config)
    ability = ability_of(estimator, model, {})
    if ability is None:
        ability = ability_of(estimator, CatalogModel(name, "", name, None, tier="mid"), {})
        assert ability is not None
        return ability.theta, "tier:mid (nothing known of the model)"
    return ability.theta, ability.source


async def _ask_all(args: argparse.Namespace, anchors: Sequence[Anchor]) -> list[bool]:
    import openai

    client = openai.AsyncOpenAI(base_url=args.url, api_key=args.key or "none", max_retries=2, timeout=180)
    gate = asyncio.Semaphore(max(1, args.concurrency))
    grades: list[bool | None] = [None] * len(anchors)
    errors: list[str] = []

    async def one(i: int) -> None:
        async with gate:
            try:
                reply = await client.chat.completions.create(
                    model=args.model, messages=[{"role": "user", "content": anchors[i].prompt}]
                )
                text = (reply.choices[0].message.content or "") if reply.choices else ""
            except openai.APIConnectionError as exc:
                raise ConfigError(f"{args.url}: cannot reach the gateway ({exc})") from None
            except openai.APIStatusError as exc:  # a refusal (e.g. too long for the model) grades wrong
                errors.append(f"{anchors[i].skill}: {exc.message[:160]}")
                text = ""
            grades[i] = grade(anchors[i], text)
            _progress(grades, len(errors))

    async with client:
        await asyncio.gather(*(one(i) for i in range(len(anchors))))
    if errors and len(errors) == len(anchors):
        raise ConfigError(f"every anchor failed at the gateway, e.g. {errors[0]}")
    for line in errors[:5]:
        print(f"  error: {line}", file=sys.stderr)
    return [bool(g) for g in grades]


def _progress(grades: Sequence[bool | None], errors: int) -> None:
    done = [g for g in grades if g is not None]
    if len(done) % BATCH == 0 or len(done) == len(grades):
        note = f", {errors} errors" if errors else ""
        print(f"  {len(done)}/{len(grades)} answered, {sum(done)} right{note}", flush=True)


def _summary(result: Fit) -> str:
    from pointsman.cli.table import render

    rows = []
    for k, before, after in zip(SKILLS, result.prior, result.theta, strict=True):
        right, asked = result.by_skill.get(k, (0, 0))
        delta = float(after - before)
        rows.append([k, f"{right}/{asked}", f"{before:+.2f}", f"{after:+.2f}", f"{delta:+.2f}"])
    return render(["skill", "right", "prior", "fitted", "change"], rows) if rows else ""
