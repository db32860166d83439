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

CHARS_PER_TOKEN = 6
"""Characters sliced from an end per token kept there: o200k averages about 4 on prose and code."""
MARGIN = 16
_A = np.uint64(0x9E3779B1)
_B = np.uint64(0x85EBCA77)


@dataclass(frozen=True, slots=True)
class Window:
    buckets: int = 1 << 18
    head: int = 256
    """Tokens kept from the start of a long text."""
    tail: int = 512
    """Tokens kept from its end."""
    chars: int = 16_384
    """Characters read from each end before tokenising: the tokenizer never sees a megabyte."""

    def json(self) -> dict[str, int]:
        return {"buckets": self.buckets, "head": self.head, "tail": self.tail, "chars": self.chars}


class Featurizer:
    def __init__(self, encoding: Any, window: Window) -> None:
        self._encode = encoding.encode_ordinary
        self.window = window

    def tokens(self, text: str) -> Ids:
        w = self.window
        ends = self._ends(text)
        if ends is not None:
            return ends
        if len(text) > 2 * w.chars:
            text = f"{text[: w.chars]}\n{text[-w.chars :]}"
        ids = self._encode(text)
        if len(ids) > w.head + w.tail:
            ids = ids[: w.head] + ids[-w.tail :]
        return np.asarray(ids, dtype=np.int64)

    def _ends(self, text: str) -> Ids | None:
        """The same window from tokenizing only the text's two ends (a 2,000-token prompt costs a
        third less). Tokens are pieces split by a regex, so only those at a cut can differ from the
        whole text's: each end must give MARGIN tokens more than it keeps, else None (tokenize all)."""
        w = self.window
        head_chars, tail_chars = w.head * CHARS_PER_TOKEN, w.tail * CHARS_PER_TOKEN
        if len(text) <= head_chars + tail_chars or head_chars > w.chars or tail_chars > w.chars:
            return None
        head = self._encode(text[:head_chars])
        tail = self._encode(text[-tail_chars:])
        if len(head) < w.head + MARGIN or len(tail) < w.tail + MARGIN:
            return None  # long tokens (runs of spaces, say): the slices were too short
        kept = head[: w.head] + tail[-w.tail :]
        return np.fromiter(kept, np.int64, len(kept))

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
