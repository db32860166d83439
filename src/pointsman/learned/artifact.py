"""The trained router: a prompt part (skill mixture, difficulty, a few free factors) and a part per
model (an ability per skill), saved as one small `.npz`.

    P(model m answers prompt x well) = sigmoid(pi(x) . theta_m + r(x) . v_m - d(x))

pi(x) is a softmax over SKILLS, d(x) a difficulty, r(x) free factors: all linear in the hashed
features. theta_m is what a model *is*; a model never trained on gets its theta from the catalog,
`pointsman calibrate` or feedback, and v_m = 0.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pointsman.errors import ConfigError
from pointsman.learned.featurize import Ids, Values, Window
from pointsman.learned.skills import SKILLS

Matrix = npt.NDArray[np.float32]
FORMAT = 1
SHIPPED = "router.npz"


@dataclass(frozen=True, slots=True)
class Encoded:
    """What the prompt part says about one prompt."""

    skills: Matrix
    """The mixture over SKILLS (sums to 1)."""
    difficulty: float
    factors: Matrix
    coverage: float
    """The share of the prompt's feature weight seen in training: low means unfamiliar text."""
    tokens: int


@dataclass(slots=True)
class Artifact:
    window: Window
    skill_w: Matrix  # buckets x K
    skill_b: Matrix  # K
    diff_w: Matrix  # buckets
    diff_b: float
    factor_w: Matrix  # buckets x R
    seen: npt.NDArray[np.uint8]  # packed bitmap of buckets met in training
    abilities: dict[str, Matrix]  # model -> theta (K)
    vectors: dict[str, Matrix]  # model -> v (R)
    offsets: Matrix  # K: mean difficulty of a prompt of each skill, to place catalog scores
    sample: Matrix  # N x (K + 1 + R): encoded training prompts, for calibrating targets
    meta: dict[str, Any] = field(default_factory=dict)
    table: Matrix = field(init=False, repr=False, compare=False)
    """skill_w | diff_w | factor_w side by side in float32: one gather of one row per feature, not
    three, and no conversion per decision (encode: 80 → 30 µs). The three become views of it, so
    the weights are held once (12 MB, where float16 copies were 6)."""

    def __post_init__(self) -> None:
        k = self.skill_w.shape[1]
        parts = (self.skill_w, self.diff_w[:, None], self.factor_w)
        self.table = np.ascontiguousarray(np.concatenate(parts, axis=1), dtype=np.float32)
        self.skill_w, self.diff_w, self.factor_w = self.table[:, :k], self.table[:, k], self.table[:, k + 1 :]

    def encode(self, idx: Ids, val: Values, tokens: int, prior: Matrix | None = None) -> Encoded:
        k = len(self.skill_b)
        row = val @ self.table.take(idx, axis=0)  # take: a third of what fancy indexing costs
        logits = row[:k] + self.skill_b
        logits -= logits.max()
        mix = np.exp(logits)
        mix /= mix.sum()
        if prior is not None:
            mix = mix * (1.0 - prior.sum()) + prior
        difficulty = float(row[k]) + self.diff_b
        hit = (self.seen[idx >> 3] >> (idx & 7).astype(np.uint8)) & 1
        coverage = float(val @ (val * hit))
        return Encoded(mix.astype(np.float32), difficulty, row[k + 1 :], coverage, tokens)

    def save(self, path: str) -> None:
        names = sorted(self.abilities)
        arrays = {
            "skill_w": self.skill_w.astype(np.float16),
            "skill_b": self.skill_b,
            "diff_w": self.diff_w.astype(np.float16),
            "diff_b": np.float32(self.diff_b),
            "factor_w": self.factor_w.astype(np.float16),
            "seen": self.seen,
            "theta": np.stack([self.abilities[m] for m in names]) if names else np.zeros((0, len(SKILLS))),
            "vectors": np.stack([self.vectors[m] for m in names]) if names else np.zeros((0, 0)),
            "offsets": self.offsets,
            "sample": self.sample.astype(np.float16),
        }
        meta = {**self.meta, "format": FORMAT, "skills": list(SKILLS), "window": self.window.json()}
        meta["models"] = names
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        with open(path, "wb") as out:
            np.savez_compressed(out, **arrays)  # type: ignore[arg-type]


def artifact_id(path: str = "") -> str:
    """Which artifact abilities were fitted against: the file's sha256, or "shipped"."""
    if not path:
        return "shipped"
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the router artifact: {exc.strerror}") from None


def load(path: str = "") -> Artifact:
    """The artifact at `path`, or the one shipped in the package when path is ""."""
    try:
        if path:
            data = Path(path).read_bytes()
        else:
            data = resources.files("pointsman.learned").joinpath(SHIPPED).read_bytes()
        return _parse(np.load(io.BytesIO(data)), path or "the shipped router")
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(
            f"{path or 'the shipped router'}: not a pointsman router artifact ({exc})"
        ) from None


def _parse(z: Any, name: str) -> Artifact:
    meta = json.loads(bytes(z["meta"]).decode())
    if meta.get("format") != FORMAT or tuple(meta.get("skills", ())) != SKILLS:
        raise ValueError(
            f"format {meta.get('format')} with skills {meta.get('skills')} is not this version's"
        )
    names = meta["models"]
    theta = z["theta"].astype(np.float32)
    vectors = z["vectors"].astype(np.float32)
    return Artifact(
        window=Window(**meta["window"]),
        skill_w=z["skill_w"],
        skill_b=z["skill_b"].astype(np.float32),
        diff_w=z["diff_w"],
        diff_b=float(z["diff_b"]),
        factor_w=z["factor_w"],
        seen=z["seen"],
        abilities={m: theta[i] for i, m in enumerate(names)},
        vectors={m: vectors[i] for i, m in enumerate(names)},
        offsets=z["offsets"].astype(np.float32),
        sample=z["sample"].astype(np.float32),
        meta=meta,
    )
