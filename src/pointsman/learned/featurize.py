"""A prompt → sparse features: hashed token unigrams and bigrams of a bounded window. Pure.

The window is the start and the end of the text (a task is stated at one end of a long paste, not
in its middle), so a 200k-token prompt costs what a 1k-token one does. Token ids come from the o200k
table of `quicktok` (already loaded for counting), about 0.1 ms for 2,000 tokens; hashing and the
linear heads after it are a few numpy operations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Ids = npt.NDArray[np.int64]
Values = npt.NDArray[np.float32]

_A = np.uint64(0x9E3779B1)
_B = np.uint64(0x85EBCA77)


@dataclass(frozen=True, slots=True)
class Window:
    buckets: int = 1 << 18
    head: int = 256
    """Tokens kept from the start of a long text."""
    tail: int = 512
    """Tokens kept from its end."""
    chars: int = 6
    """Characters read per token kept, from each end, before tokenising: tokenising costs about
    0.1 µs a character, and an English token is about four, so the window is seldom short."""

    def json(self) -> dict[str, int]:
        return {"buckets": self.buckets, "head": self.head, "tail": self.tail, "chars": self.chars}


class Featurizer:
    def __init__(self, encoding: Any, window: Window) -> None:
        self._encode = encoding.encode_ordinary
        self.window = window

    def tokens(self, text: str) -> Ids:
        w = self.window
        head, tail = w.head * w.chars, w.tail * w.chars
        if len(text) > head + tail:
            text = f"{text[:head]}\n{text[-tail:]}"
        ids = self._encode(text)
        if len(ids) > w.head + w.tail:
            ids = ids[: w.head] + ids[-w.tail :]
        return np.asarray(ids, dtype=np.int64)

    def features(self, text: str) -> tuple[Ids, Values, int]:
        """Bucket indices, their weights (square-root counts, unit length), and the token count read."""
        ids = self.tokens(text).astype(np.uint64)
        n = len(ids)
        if n == 0:
            return np.zeros(1, np.int64), np.ones(1, np.float32), 0
        size = np.uint64(self.window.buckets)
        uni = (ids * _A) % size
        bi = ((ids[:-1] * _A) ^ (ids[1:] * _B)) % size
        keys, counts = np.unique(np.concatenate([uni, bi]), return_counts=True)
        values = np.sqrt(counts.astype(np.float32))
        values /= np.float32(np.sqrt(float(values @ values)))
        return keys.astype(np.int64), values, n
