"""The LLM-classifier option: a cheap catalog model rates a prompt's skill and difficulty (1-5), and
the rating stands in for the prompt part of the learned estimate. Pure: the engine makes the call.

A rating is placed on the trained scale as the catalog's scores are: difficulty 3 is a typical
prompt of its skill (the skill's mean difficulty in training), and each step is LEVEL_STEP logits,
chosen so the words of the prompt hold: at 1 a small-tier model is expected to answer 96% of such
prompts well, within the balanced target of a frontier one; from 2 up it no longer clears that
target. The abilities, costs and target are the route's, unchanged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pointsman.catalog.model import CatalogModel
from pointsman.learned.artifact import Artifact, Encoded
from pointsman.learned.skills import SKILLS

LEVELS = range(1, 6)
PROMPT_CHARS = 2000
"""Characters of the prompt shown to the classifier, from each end: a rating needs the task, not
the whole paste, and a long prompt would make the cheap call dear."""
MAX_TOKENS = 40
LEVEL_STEP = 1.5

INSTRUCTION = (
    "You rate prompts for a model router. Read the user's prompt below (do not answer it) and reply "
    'with JSON only, like {"skill": "code", "difficulty": 3}. skill is one of: '
    + ", ".join(SKILLS)
    + ". difficulty is 1 (trivial: any small model answers it well) to 5 (hard: only the strongest "
    "models answer it well)."
)
_ALIASES = {"math": "maths", "mathematics": "maths", "coding": "code", "programming": "code"}
_OBJECT = re.compile(r"\{[^{}]*\}", re.S)
_LEVEL = re.compile(r"difficulty\W{0,4}([1-5])\b", re.I)
_SKILL = re.compile(r"skill\W{0,4}([a-z_ ]+)", re.I)


@dataclass(frozen=True, slots=True)
class Rating:
    skill: str
    """One of SKILLS, or "" when the answer named none (the learned skill mixture is kept)."""
    level: int
    """1 (trivial) .. 5 (hard)."""


@dataclass(frozen=True, slots=True)
class Rated:
    """What the classifier gave one request: a rating, or why the learned estimate decided."""

    model: str
    rating: Rating | None
    how: str
    """asked, cached, or why there is no rating (timed out after 2 s, unusable answer, ...)."""

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"model": self.model, "how": self.how}
        if self.rating is not None:
            out["skill"], out["difficulty"] = self.rating.skill or None, self.rating.level
        return out


class Ratings:
    """An LRU of ratings keyed by a hash of the prompt text; bounded by `size` (0 keeps none)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[bytes, Rating] = OrderedDict()

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def get(self, key: bytes) -> Rating | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def put(self, key: bytes, rating: Rating) -> None:
        if self.size <= 0:
            return
        self._kept[key] = rating
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)


@dataclass(frozen=True, slots=True)
class Rater:
    """A route's classifier: the model asked, how long it may take, and what it already rated."""

    model: CatalogModel
    timeout: float
    ratings: Ratings = field(compare=False)


def classifier_body(text: str) -> dict[str, Any]:
    """The canonical chat request that asks for a rating of `text`."""
    if len(text) > 2 * PROMPT_CHARS:
        text = f"{text[:PROMPT_CHARS]}\n[…]\n{text[-PROMPT_CHARS:]}"
    return {
        "messages": [
            {"role": "system", "content": INSTRUCTION},
            {"role": "user", "content": f"<prompt>\n{text}\n</prompt>"},
        ],
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
    }


def parse_rating(answer: str) -> Rating | None:
    """The rating in a model's answer: a JSON object (in prose or a code fence is fine), else
    `difficulty: N` in words; None when it has no difficulty from 1 to 5."""
    for match in _OBJECT.finditer(answer):
        try:
            data = json.loads(match.group())
        except ValueError:
            continue
        if isinstance(data, dict):
            level = _level(data.get("difficulty"))
            if level is not None:
                return Rating(_skill(data.get("skill")), level)
    found = _LEVEL.search(answer)
    if found is None:
        return None
    skill = _SKILL.search(answer)
    return Rating(_skill(skill.group(1) if skill else None), int(found.group(1)))


def _level(value: Any) -> int | None:
    if isinstance(value, str):
        value = value.strip()
        value = int(value) if value.isdigit() else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    level = round(value)
    return level if level in LEVELS and abs(value - level) < 0.51 else None


def _skill(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    name = value.strip().lower().replace(" ", "_").replace("-", "_")
    name = _ALIASES.get(name, name)
    return name if name in SKILLS else ""


def rated(artifact: Artifact, encoded: Encoded, rating: Rating) -> Encoded:
    """`encoded` with the rating's skill and difficulty in place of the learned ones. The learned
    free factors are dropped (they belong to the learned difficulty) and the prompt counts as
    familiar: the classifier has read it, so there is no unfamiliarity to lean on."""
    skills = encoded.skills
    if rating.skill:
        skills = np.zeros(len(SKILLS), np.float32)
        skills[SKILLS.index(rating.skill)] = 1.0
    typical = float(artifact.offsets @ skills)
    difficulty = typical + (rating.level - 3) * LEVEL_STEP
    factors = np.zeros_like(encoded.factors)
    return Encoded(skills, difficulty, factors, 1.0, encoded.tokens)
