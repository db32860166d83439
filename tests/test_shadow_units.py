"""Shadow monitoring's parts alone: config mistakes found at start, and the two judges that need
no model (the model judge, the budget and the store are exercised end to end in test_shadow.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pointsman.compose import build
from pointsman.config.loader import parse_config
from pointsman.errors import ConfigError
from pointsman.shadow.judges import ExactJudge, JsonJudge

CONFIG = """
providers:
  f: {type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k}
models:
  cheap: {provider: f, upstream: cheap-1, input: "0.10", output: "0.40"}
  strong: {provider: f, upstream: strong-1, input: "3", output: "15"}
catalog: {builtin: false}
ledger: {path: unused.db}
routes:
"""


@pytest.mark.parametrize(
    ("shadow", "problem"),
    [
        (
            "{sample: 1.5, budget_usd_per_day: 1}",
            "routes.auto.shadow.sample: must be a share in [0, 1], got 1.5",
        ),
        (
            "{sample: 1, budget_usd_per_day: -1}",
            "routes.auto.shadow.budget_usd_per_day: must be a number of dollars",
        ),
        (
            "{sample: 1, budget_usd_per_day: 1, judge: fuzzy}",
            "routes.auto.shadow.judge: unknown judge 'fuzzy'; one of: exact, json, model",
        ),
        (
            "{sample: 1, budget_usd_per_day: 1, judge: model}",
            "routes.auto.shadow.judge_model: the model judge needs `judge_model`",
        ),
        (
            "{sample: 1, budget_usd_per_day: 1, judge_model: cheap}",
            "routes.auto.shadow.judge_model: only the model judge asks a model",
        ),
        ("{sample: 1}", "routes.auto.shadow: Object missing required field `budget_usd_per_day`"),
        (
            "{sample: 1, budget_usd_per_day: 1, against: strongest}",
            "routes.auto.shadow.against: 'strongest' is not a model",
        ),
        (
            "{sample: 1, budget_usd_per_day: 1, judge: model, judge_model: nope}",
            "routes.auto.shadow.judge_model: 'nope' is not a model",
        ),
    ],
)
def test_shadow_config_mistakes_name_file_line_and_key(shadow: str, problem: str) -> None:
    routes = f"  auto:\n    default: cheap\n    fallbacks: [strong]\n    shadow: {shadow}\n"
    with pytest.raises(ConfigError) as info:
        build(parse_config(CONFIG + routes, "gw.yaml", {}))
    assert info.value.message.startswith(f"gw.yaml:13: {problem}")


def judged(judge: Any, cheap: str, strong: str) -> bool | None:
    verdict: bool | None = asyncio.run(judge.judge("the request", cheap, strong)).agreed
    return verdict


def test_the_exact_judge_sets_whitespace_and_case_aside() -> None:
    assert judged(ExactJudge(), "  Paris is\n the  capital. ", "paris IS the capital.") is True
    assert judged(ExactJudge(), "Paris", "Paris.") is False


def test_the_json_judge_compares_parsed_values() -> None:
    judge = JsonJudge()
    assert judged(judge, '{"a": 1, "b": [true, null]}', '```json\n{"b": [true, null], "a": 1}\n```') is True
    assert judged(judge, '{"a": 1}', '{"a": true}') is False  # never equal as Python's 1 == True
    assert judged(judge, '{"a": 1}', '{"a": 2}') is False
    assert judged(judge, "sure: {a: 1}", '{"a": 1}') is False  # a cheap answer that is not JSON
    assert judged(judge, '{"a": 1}', "not json") is None  # nothing to compare with
