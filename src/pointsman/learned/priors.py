"""What a prompt plainly is, added to the learned skill mixture: text in a language other than
English calls on the multilingual skill, a very long prompt on the long-context one.

The public training data is short and English, so the mixture could never learn these two from it;
without them a catalog's `multilingual: 0.9` ("Mistral for European-language summaries") would
never weigh in. Cheap: the language guess reads 2,000 characters with byte operations (~20 µs).
"""

from __future__ import annotations

import math

import numpy as np

from pointsman.learned.artifact import Matrix
from pointsman.learned.skills import SKILLS
from pointsman.routing import language

FOREIGN = 0.5
"""The share of the mixture given to `multilingual` for a prompt not in English: half, not all
(a French maths question still needs maths)."""
LONG = 0.5
"""The share given to `long_context` at LONG_AT tokens and beyond, rising from a quarter of that."""
LONG_AT = 32_000

_MULTI = SKILLS.index("multilingual")
_LONG = SKILLS.index("long_context")


def prior(text: str, tokens: int) -> Matrix:
    """Shares of the mixture to set aside per skill (summing to at most FOREIGN + LONG), the rest
    left to the learned mixture; `tokens` is the whole prompt's (estimated) length."""
    out = np.zeros(len(SKILLS), np.float32)
    found = language.detect(text)
    if found and found != "en":
        out[_MULTI] = FOREIGN
    if tokens > LONG_AT // 4:
        out[_LONG] = LONG * min(1.0, math.log2(tokens / (LONG_AT / 4)) / 2)
    return out
