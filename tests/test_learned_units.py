"""The learned policy's rules, on numbers: the cheapest candidate that clears a relative target, the
lean toward quality on unfamiliar text, the strong-share knob, and the featuriser's bounds."""

from __future__ import annotations

import numpy as np
import quicktok

from pointsman.evaluation.data import parse_row, read_rows
from pointsman.learned.artifact import load
from pointsman.learned.estimate import Estimator
from pointsman.learned.featurize import Featurizer, Window
from pointsman.learned.policy import choose, target_for_share

COSTS = [1.0, 5.0, 20.0]  # cheap, mid, dear


def test_the_cheapest_candidate_whose_estimate_reaches_the_target_share_of_the_best_is_chosen() -> None:
    order, threshold = choose([0.70, 0.85, 0.90], COSTS, target=0.9, coverage=1.0, lean=0.5)
    assert threshold == 0.9 * 0.90
    assert order == (1, 2, 0)  # mid clears 0.81; dear clears too, then the rest by estimate
    order, _ = choose([0.70, 0.85, 0.90], COSTS, target=0.75, coverage=1.0, lean=0.5)
    assert order[0] == 0


def test_when_no_candidate_can_do_it_the_cheapest_is_enough() -> None:
    order, _ = choose([0.05, 0.06, 0.055], COSTS, target=0.8, coverage=1.0, lean=0.5)
    assert order[0] == 0


def test_an_unfamiliar_prompt_leans_toward_quality() -> None:
    estimates = [0.80, 0.85, 0.90]
    assert choose(estimates, COSTS, target=0.88, coverage=1.0, lean=0.5)[0][0] == 0
    familiar_none, threshold = choose(estimates, COSTS, target=0.88, coverage=0.0, lean=1.0)
    assert threshold == 0.90 and familiar_none[0] == 2
    assert choose(estimates, COSTS, target=0.88, coverage=0.0, lean=0.0)[0][0] == 0


def test_strong_share_sets_a_target_that_sends_about_that_share_to_the_strongest() -> None:
    estimator = Estimator(load(), quicktok.get_encoding("o200k_base"))
    cheap = estimator.trained("mistralai/mixtral-8x7b-chat")
    strong = estimator.trained("gpt-4-1106-preview")
    assert cheap is not None and strong is not None
    targets = [target_for_share(estimator, [cheap, strong], [1.0, 20.0], s, 0.0) for s in (0.1, 0.5, 0.9)]
    assert targets == sorted(targets) and targets[0] < targets[-1]
    sample = estimator.artifact.sample
    k = 7
    probs = [
        1 / (1 + np.exp(-(sample[:, :k] @ a.theta - sample[:, k] + sample[:, k + 1 :] @ a.vector)))
        for a in (cheap, strong)
    ]
    for share, target in zip((0.1, 0.5, 0.9), targets, strict=True):
        picks = [choose([c, s], [1.0, 20.0], target, 1.0, 0.0)[0][0] for c, s in zip(*probs, strict=True)]
        taken = np.mean([p == 1 for p in picks])
        assert abs(taken - share) < 0.05


def test_the_window_bounds_what_a_huge_prompt_costs() -> None:
    featurizer = Featurizer(quicktok.get_encoding("o200k_base"), Window(buckets=1 << 12, head=8, tail=16))
    idx, val, tokens = featurizer.features("word " * 100_000)
    assert tokens == 24 and len(idx) == len(val) <= 48
    assert abs(float(val @ val) - 1.0) < 1e-5
    empty_idx, empty_val, none = featurizer.features("")
    assert none == 0 and len(empty_idx) == len(empty_val) == 1


def test_a_prompt_holding_a_unicode_line_separator_is_one_row(tmp_path) -> None:  # type: ignore[no-untyped-def]
    line = '{"prompt": "a\u2028b\u0085c", "scores": {"m": 1}}'
    path = tmp_path / "d.jsonl"
    path.write_text(line + "\n" + line + "\n", "utf-8")
    rows = read_rows([str(path)])
    assert len(rows) == 2 and rows[0].prompt == parse_row(line).prompt == "a\u2028b\u0085c"


def test_a_huge_prompt_is_decided_without_encoding_all_of_it() -> None:
    """The long-context prior reads lengths (`len` is free); the request's own token estimate
    encodes every byte (milliseconds for megabytes) and stays for when the trace is rendered."""
    from pointsman.compose import catalog_of, router_of
    from pointsman.config.loader import parse_config
    from pointsman.routing.plan import RouteRequest
    from pointsman.state.health import LocalHealth

    text = """
providers: {openai: {api_key: sk-test}}
routes: {auto: {learned: {candidates: [gpt-4o-mini, gpt-4o]}}}
"""
    config = parse_config(text, "gw.yaml", {})
    router = router_of(config, catalog_of(config), LocalHealth(config.health))
    request = RouteRequest("auto", {"messages": [{"role": "user", "content": "lorem ipsum " * 200_000}]})
    plan = router.decide(request)
    assert plan.decision is not None and plan.decision.learned is not None
    assert plan.decision.learned["skills"]["long_context"] >= 0.5
    assert "tokens" not in request._cache
