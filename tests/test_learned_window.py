"""The featurizer tokenizes only a long prompt's two ends: the ids must be those of the whole text's
window (the artifact was trained on them), whatever the text is made of."""

from __future__ import annotations

import random

import numpy as np
import pytest
import quicktok

from pointsman.learned.featurize import Featurizer, Window

WORDS = [
    "the",
    "router",
    "reads",
    "a",
    "prompt",
    "and",
    "sends",
    "it",
    "to",
    "the",
    "cheapest",
    "model",
    "that",
    "answers",
    "well",
]


def _texts(rng: random.Random) -> list[str]:
    prose = " ".join(rng.choice(WORDS) for _ in range(3000))
    code = "\n".join(f"{' ' * rng.choice((4, 8, 16, 32))}value_{i} = compute({i}, 'x')" for i in range(600))
    return [
        prose,
        code,
        "日本語のテキストを読みます。" * 400,
        "x" * 9000,  # one long run: few tokens per character, the slices run short
        " " * 7000 + prose[:3000],
        prose[:4700],  # just over the two slices
        prose[:300],
    ]


@pytest.mark.parametrize("window", [Window(), Window(head=64, tail=128, chars=2048)])
def test_the_ends_give_the_whole_texts_window(window: Window) -> None:
    encoding = quicktok.get_encoding("o200k_base")
    featurizer = Featurizer(encoding, window)
    used = 0
    for text in _texts(random.Random(5)):
        whole = text
        if len(whole) > 2 * window.chars:
            whole = f"{whole[: window.chars]}\n{whole[-window.chars :]}"
        ids = encoding.encode_ordinary(whole)
        if len(ids) > window.head + window.tail:
            ids = ids[: window.head] + ids[-window.tail :]
        assert np.array_equal(featurizer.tokens(text), np.asarray(ids, np.int64))
        used += featurizer._ends(text) is not None
    assert used >= 2  # the fast path did run, and the slow one where it had to
