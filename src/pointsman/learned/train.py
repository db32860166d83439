"""Training the router on recorded outcomes (`prompt`, `scores` per model, optional `task`). numpy only.

One pass per prompt: every model scored on it contributes a logistic loss on its soft score, the
prompt's task (when known) teaches the skill mixture what it means, and Adagrad steps only the
feature rows the prompt touches, so an epoch over 10k prompts takes seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from pointsman.evaluation.data import Row
from pointsman.learned.artifact import Artifact, Matrix
from pointsman.learned.featurize import Featurizer, Ids, Values
from pointsman.learned.priors import prior
from pointsman.learned.skills import SKILLS, skill_of

K = len(SKILLS)


@dataclass(frozen=True, slots=True)
class Settings:
    # chosen by 5-fold cross-validation on the RouterBench train split (and a fifth of routerdc7's
    # train split held out): free factors and weaker L2 fitted noise, within-task text says little
    epochs: int = 6
    rate: float = 0.05
    factors: int = 0
    """Free per-model factors beside the skills (0: a model is its abilities alone)."""
    skill_weight: float = 1.0
    """How much a known task pulls the mixture toward its skill, next to the outcome loss."""
    l2: float = 1e-3
    sample: int = 2000
    seed: int = 0


@dataclass(slots=True)
class _Prompt:
    idx: Ids
    val: Values
    tokens: int
    models: np.ndarray
    scores: Matrix
    skill: int
    prior: Matrix


class _Params:
    def __init__(self, buckets: int, models: int, s: Settings) -> None:
        rng = np.random.default_rng(s.seed)
        self.skill_w = np.zeros((buckets, K), np.float32)
        self.skill_b = np.zeros(K, np.float32)
        self.diff_w = np.zeros(buckets, np.float32)
        self.factor_w = (rng.standard_normal((buckets, s.factors)) * 0.01).astype(np.float32)
        self.theta = np.zeros((models, K), np.float32)
        self.vectors = (rng.standard_normal((models, s.factors)) * 0.1).astype(np.float32)
        self.diff_b = np.zeros(1, np.float32)
        # Adagrad accumulators, one per parameter
        self.acc = {name: np.full_like(getattr(self, name), 1e-8) for name in self.names}

    names = ("skill_w", "skill_b", "diff_w", "factor_w", "theta", "vectors", "diff_b")

    def step(self, name: str, rows: Ids | slice, grad: Matrix, rate: float) -> None:
        acc = self.acc[name]
        value = getattr(self, name)
        if isinstance(rows, slice):
            acc[rows] += grad * grad
            value[rows] -= rate * grad / np.sqrt(acc[rows])
        else:
            np.add.at(acc, rows, grad * grad)
            np.add.at(value, rows, -rate * grad / np.sqrt(acc[rows]))


def _encode(p: _Params, x: _Prompt) -> tuple[Matrix, float, Matrix, Matrix]:
    w = x.val @ p.skill_w[x.idx] + p.skill_b
    soft = np.exp(w - w.max())
    soft /= soft.sum()
    mix = soft * (1.0 - x.prior.sum()) + x.prior
    difficulty = float(x.val @ p.diff_w[x.idx]) + float(p.diff_b[0])
    factors = x.val @ p.factor_w[x.idx]
    return mix, difficulty, factors, soft


def _step(p: _Params, x: _Prompt, s: Settings) -> float:
    mix, difficulty, factors, soft = _encode(p, x)
    theta, vec = p.theta[x.models], p.vectors[x.models]
    logit = theta @ mix + vec @ factors - difficulty
    prob = 1 / (1 + np.exp(-logit))
    g = (prob - x.scores).astype(np.float32)
    loss = float(-(x.scores * np.log(prob + 1e-9) + (1 - x.scores) * np.log(1 - prob + 1e-9)).sum())
    g_mix = g @ theta  # d loss / d mix
    # through the prior's blend, then the softmax
    g_logits = (1.0 - float(x.prior.sum())) * soft * (g_mix - float(g_mix @ soft))
    if x.skill >= 0:
        target = np.zeros(K, np.float32)
        target[x.skill] = 1.0
        g_logits = g_logits + s.skill_weight * len(x.models) * (soft - target)
    g_factors = g @ vec
    p.step("theta", x.models, np.outer(g, mix).astype(np.float32), s.rate)
    p.step("vectors", x.models, np.outer(g, factors).astype(np.float32), s.rate)
    p.step("skill_w", x.idx, np.outer(x.val, g_logits) + s.l2 * p.skill_w[x.idx], s.rate)
    p.step("skill_b", slice(None), g_logits.astype(np.float32), s.rate)
    p.step("diff_w", x.idx, (-float(g.sum()) * x.val).astype(np.float32), s.rate)
    p.step("diff_b", slice(None), np.array([-g.sum()], np.float32), s.rate)
    p.step("factor_w", x.idx, np.outer(x.val, g_factors) + s.l2 * p.factor_w[x.idx], s.rate)
    return loss


def prepare(rows: Sequence[Row], featurizer: Featurizer, models: Sequence[str]) -> list[_Prompt]:
    index = {m: i for i, m in enumerate(models)}
    out = []
    for row in rows:
        scored = [(index[m], v) for m, v in row.scores.items() if m in index]
        if not scored:
            continue
        idx, val, tokens = featurizer.features(row.prompt)
        skill = skill_of(row.task)
        out.append(
            _Prompt(
                idx,
                val,
                tokens,
                np.array([i for i, _ in scored], np.int64),
                np.clip(np.array([v for _, v in scored], np.float32), 0.0, 1.0),
                SKILLS.index(skill) if skill else -1,
                prior(row.prompt, len(row.prompt) // 4),
            )
        )
    return out


def fit(
    rows: Sequence[Row],
    featurizer: Featurizer,
    settings: Settings = Settings(),
    progress: Callable[[int, float], None] | None = None,
) -> Artifact:
    models = sorted({m for r in rows for m in r.scores})
    prompts = prepare(rows, featurizer, models)
    buckets = featurizer.window.buckets
    p = _Params(buckets, len(models), settings)
    rng = np.random.default_rng(settings.seed)
    order = np.arange(len(prompts))
    for epoch in range(settings.epochs):
        rng.shuffle(order)
        loss = sum(_step(p, prompts[i], settings) for i in order)
        if progress is not None:
            progress(epoch + 1, loss / max(1, sum(len(x.models) for x in prompts)))
    return _artifact(p, prompts, models, featurizer, settings)


def _artifact(
    p: _Params, prompts: Sequence[_Prompt], models: Sequence[str], featurizer: Featurizer, s: Settings
) -> Artifact:
    seen = np.zeros(featurizer.window.buckets, bool)
    encoded = []
    for x in prompts:
        seen[x.idx] = True
        mix, level, factors, _ = _encode(p, x)
        encoded.append(np.concatenate([mix, [level], factors]).astype(np.float32))
    table = np.stack(encoded)
    mixes, levels = table[:, :K], table[:, K]
    # where a catalog score s for skill k sits: logit(s) + the mean difficulty of skill-k prompts
    mass = mixes.sum(0)
    offsets = (mixes * levels[:, None]).sum(0) / np.maximum(mass, 1e-6)
    offsets[mass < 0.02 * mass.sum()] = levels.mean()  # an unlearned skill: a typical prompt's
    theta = _fill_untrained(p.theta, mass)
    pick = np.random.default_rng(s.seed).permutation(len(table))[: s.sample]
    return Artifact(
        window=featurizer.window,
        skill_w=p.skill_w,
        skill_b=p.skill_b,
        diff_w=p.diff_w,
        diff_b=float(p.diff_b[0]),
        factor_w=p.factor_w,
        seen=np.packbits(seen, bitorder="little"),
        abilities={m: theta[i].copy() for i, m in enumerate(models)},
        vectors={m: p.vectors[i].copy() for i, m in enumerate(models)},
        offsets=offsets.astype(np.float32),
        sample=table[pick],
        meta={"prompts": len(prompts), "epochs": s.epochs, "factors": s.factors},
    )


def _fill_untrained(theta: Matrix, mass: Matrix, floor: float = 0.02) -> Matrix:
    """A skill the data hardly touched (under `floor` of the prompts' mixture mass) learned nothing
    about any model: give it each model's mean ability over the skills that were learned, so a
    trained model meets a catalog model on such a skill with its general strength, not a zero."""
    learned = mass >= floor * mass.sum()
    if learned.all() or not learned.any():
        return theta
    out = theta.copy()
    weights = mass[learned] / mass[learned].sum()
    out[:, ~learned] = (theta[:, learned] @ weights)[:, None]
    return out
