"""The engine's pure parts: each attempt's share of the deadline, and the seams that join a broken
stream to its continuation."""

from __future__ import annotations

from typing import Any

import pytest

from pointsman.engine.budget import Window, stall_limit
from pointsman.engine.seam import NO_SEAM, AnchorSeam, PrefillSeam, RegenerateSeam, anchor_of, drop_text
from pointsman.routing.plan import Policy


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def window(**policy: Any) -> tuple[Window, Clock]:
    clock = Clock()
    return Window(clock, Policy(**policy), clock.t), clock


# ---- budgets


def test_every_attempt_but_the_last_gets_half_the_time_left() -> None:
    w, clock = window(deadline=10)
    first = w.budget(left=3, stream=True, first=True)
    assert first is not None and first.seconds == 5 and first.fair and "half" in first.describe()
    clock.t += 5  # the primary used its whole share
    second = w.budget(left=2, stream=True, first=False)
    assert second is not None and second.seconds == 2.5 and second.fair  # a quarter of the deadline
    clock.t += 2.5
    last = w.budget(left=1, stream=True, first=False)
    assert last is not None and last.seconds == 2.5 and "left" in last.describe()


def test_no_attempt_starts_without_a_usable_budget_but_the_first_always_does() -> None:
    w, clock = window(deadline=10)
    clock.t += 9.6
    assert w.budget(left=2, stream=False, first=False) is None  # 0.4 s: less than 0.5 s
    first = w.budget(left=2, stream=False, first=True)
    assert first is not None and first.seconds == pytest.approx(0.2)
    small, clock = window(deadline=1)
    clock.t += 0.85
    assert small.usable == 0.1 and small.budget(left=1, stream=True, first=False) is not None


def test_a_leftover_budget_is_not_fair_to_blame() -> None:
    w, clock = window(deadline=10)
    clock.t += 8.5
    budget = w.budget(left=1, stream=True, first=False)
    assert budget is not None and budget.seconds == pytest.approx(1.5) and not budget.fair


def test_configured_limits_override_the_share_and_the_deadline_still_cuts_them() -> None:
    w, clock = window(deadline=10, ttft_timeout=2, attempt_timeout=7)
    stream = w.budget(left=3, stream=True, first=True)
    whole = w.budget(left=3, stream=False, first=True)
    assert stream is not None and stream.seconds == 2 and "ttft_timeout" in stream.describe()
    assert whole is not None and whole.seconds == 7 and "attempt_timeout" in whole.describe()
    clock.t += 6
    cut = w.budget(left=3, stream=False, first=False)
    assert cut is not None and cut.seconds == 4 and "deadline" in cut.describe()


def test_manual_routing_has_no_deadline() -> None:
    w, _ = window()
    budget = w.budget(left=1, stream=True, first=True)
    assert budget is not None and budget.seconds is None and w.fits(3600)
    assert stall_limit(Policy()) is None


def test_waits_must_leave_a_usable_attempt_and_continuations_get_a_fresh_deadline() -> None:
    w, clock = window(deadline=10)
    assert w.fits(9.5) and not w.fits(9.6)
    clock.t += 20
    assert w.budget(left=1, stream=True, first=False) is None
    w.restart()
    fresh = w.budget(left=2, stream=True, first=False)
    assert fresh is not None and fresh.seconds == 5


def test_stall_limit_is_a_quarter_of_the_deadline_at_least_a_second() -> None:
    assert stall_limit(Policy(deadline=10)) == 2.5
    assert stall_limit(Policy(deadline=2)) == 1.0
    assert stall_limit(Policy(deadline=10, stall_timeout=7)) == 7


# ---- seams


def test_anchor_is_the_last_words_within_bounds() -> None:
    assert anchor_of("one two ") == "one two"
    assert anchor_of(" ".join(f"w{i}" for i in range(20))) == "w12 w13 w14 w15 w16 w17 w18 w19"
    long = "supercalifragilistic " * 10
    assert len(anchor_of(long)) <= 80 and anchor_of(long).endswith("supercalifragilistic")
    assert anchor_of("   ") == ""


def test_prefill_seam_drops_only_the_whitespace_the_prefill_trimmed() -> None:
    seam = PrefillSeam("one two ")
    assert seam.judge("", False) is None
    assert seam.judge(" three", False) == 1
    assert seam.judge("three", False) == 0
    assert PrefillSeam("one two").judge(" three", False) == 0


@pytest.mark.parametrize(
    ("text", "complete", "verdict"),
    [
        ("one t", False, None),  # agrees so far: read more
        ("one two three", False, 8),
        ("one two ", False, 8),
        ("Sure! one", False, NO_SEAM),  # diverged at once: abandoned
        ("one", True, NO_SEAM),  # ended before reaching what the client has
        ("one two, three", False, NO_SEAM),
    ],
)
def test_regenerate_seam_needs_exactly_the_text_already_sent(text: str, complete: bool, verdict: Any) -> None:
    assert RegenerateSeam("one two ").judge(text, complete) == verdict


@pytest.mark.parametrize(
    ("shown", "text", "verdict"),
    [
        ("w0 w1 w2 w3 ", "w0 w1 w2 w3 w4", len("w0 w1 w2 w3 ")),  # the space the client has is dropped
        ("w0 w1 w2 w3 ", "  «w0 w1 w2 w3» w4", len("  «w0 w1 w2 w3» ")),  # quoted, as models do
        ("Hello wor", "Hello world", len("Hello wor")),  # a cut inside a word goes on inside it
        ("Hello wor", "Hello wor ld", len("Hello wor")),  # a space inserted at the seam cannot be told
        ("w0 w1 w2 w3 ", "Sure! w0 w1", NO_SEAM),  # did not repeat the words first
        ("w0 w1 w2 w3 ", "w0 w1 w9", NO_SEAM),
    ],
)
def test_anchor_seam_needs_the_last_words_repeated_first(shown: str, text: str, verdict: int) -> None:
    assert AnchorSeam(shown).judge(text, False) == verdict


def test_anchor_seam_waits_for_enough_text() -> None:
    seam = AnchorSeam("w0 w1 w2 w3 ")
    assert seam.judge("w0 w1", False) is None
    assert seam.judge("w0 w1", True) == NO_SEAM


def test_drop_text_removes_characters_across_chunks_and_rerenders_them() -> None:
    def chunk(text: str) -> tuple[dict[str, Any], bytes | None]:
        return {"choices": [{"index": 0, "delta": {"content": text}}]}, b"raw"

    role = ({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}, b"raw")
    batch = drop_text([role, chunk("one "), chunk("two "), chunk("three")], 6)
    assert [c["choices"][0]["delta"]["content"] for c, _ in batch] == ["", "", "o ", "three"]
    assert [raw for _, raw in batch] == [b"raw", None, None, b"raw"]
