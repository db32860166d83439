"""The graded anchor set `pointsman calibrate` scores a model on, and its grader.

The routing data sets carry scores but no reference answers, so the anchors are generated here,
seeded and deterministic, with answers computed at generation time (anchor_sets.py). A user's own
set is JSON Lines of {prompt, answer, skill[, match]}.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import orjson

from pointsman.errors import ConfigError
from pointsman.learned.anchor_sets import MAKERS
from pointsman.learned.skills import SKILLS

MATCHES = ("contains", "exact", "verbatim")
LEVELS = 4


@dataclass(frozen=True, slots=True)
class Anchor:
    prompt: str
    answer: str
    skill: str
    level: int = 0
    """0..3, rising difficulty (informative only: the fit uses the artifact's own difficulty)."""
    match: str = "contains"
    """contains: the normalised answer appears as a whole word; exact: the normalised reply is the
    answer; verbatim: the reply, trimmed, is the answer as written (case and punctuation count)."""


def generate(n: int = 200, seed: int = 0) -> list[Anchor]:
    """n anchors spread evenly over the skills, each skill's levels cycling 0..3. A skill's anchors
    depend only on (seed, skill), so a smaller n is a prefix of each skill's list."""
    per = [n // len(SKILLS) + (1 if i < n % len(SKILLS) else 0) for i in range(len(SKILLS))]
    lists = []
    for skill, count in zip(SKILLS, per, strict=True):
        rng = random.Random(f"{seed}:{skill}")
        made = (MAKERS[skill](rng, i % LEVELS) for i in range(count))
        lists.append([Anchor(p, a, skill, i % LEVELS, m) for i, (p, a, m) in enumerate(made)])
    # interleaved, so progress and a cut-short run cover every skill
    return [lst[i] for i in range(max(per, default=0)) for lst in lists if i < len(lst)]


def read_anchors(path: str) -> list[Anchor]:
    try:
        lines = Path(path).read_bytes().splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read anchors: {exc.strerror}") from None
    out = [_anchor(line, f"{path}:{i}") for i, line in enumerate(lines, 1) if line.strip()]
    if not out:
        raise ConfigError(f"{path}: no anchors (JSON Lines of {{prompt, answer, skill}})")
    return out


def _anchor(line: bytes, where: str) -> Anchor:
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"{where}: not JSON ({exc})") from None
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected an object with prompt, answer, skill")
    for key in ("prompt", "answer", "skill"):
        if not isinstance(item.get(key), str) or not item[key]:
            raise ConfigError(f"{where}: `{key}` must be a non-empty string")
    if item["skill"] not in SKILLS:
        raise ConfigError(f"{where}: unknown skill '{item['skill']}'; known: {', '.join(SKILLS)}")
    match = item.get("match", "contains")
    if match not in MATCHES:
        raise ConfigError(f"{where}: `match` is one of {', '.join(MATCHES)}, got {match!r}")
    level = item.get("level", 0)
    return Anchor(
        item["prompt"], item["answer"], item["skill"], level if isinstance(level, int) else 0, match
    )


_FENCE = re.compile(r"^```\w*\s*|\s*```$")
_EDGES = " \t\r\n\"'`*.,;:!?«»“”‘’()[]"


def normalise(text: str) -> str:
    """Case-folded, accents dropped, outer quotes/markup/punctuation trimmed, spaces collapsed,
    thousands separators removed from numbers."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ß", "ss")
    plain = re.sub(r"(?<=\d),(?=\d{3}\b)", "", plain)
    return " ".join(_FENCE.sub("", plain.strip()).split()).strip(_EDGES)


def grade(anchor: Anchor, reply: str) -> bool:
    if anchor.match == "verbatim":
        return _FENCE.sub("", reply.strip()).strip() == anchor.answer
    got, want = normalise(reply), normalise(anchor.answer)
    if anchor.match == "exact" or not want:
        return got == want
    return re.search(rf"(?<![\w-]){re.escape(want)}(?![\w-])", got) is not None
