"""The skills a prompt can call on, and which benchmark tasks exercise which skill.

A model's ability is one number per skill; a prompt is a mixture over skills. Task names in the
training data are mapped here (by prefix, case-insensitive) so the mixture learns a readable meaning;
rows whose task is unknown still train the model, only without this guidance.
"""

from __future__ import annotations

SKILLS = ("code", "maths", "reasoning", "knowledge", "chat", "multilingual", "long_context")

_TASK_PREFIXES = (
    (("mbpp", "humaneval", "human_eval", "javascript", "code", "ds1000", "apps", "livecode"), "code"),
    (("gsm8k", "math", "aime", "svamp", "asdiv", "aqua"), "maths"),
    (
        (
            "arc",
            "winogrande",
            "winograde",
            "hellaswag",
            "commonsense",
            "openbook",
            "agentverse",
            "logic",
            "gpqa",
            "bbh",
            "piqa",
            "siqa",
        ),
        "reasoning",
    ),
    (("mmlu", "trivia", "natural_qa", "nq", "truthful", "knowledge", "sciq"), "knowledge"),
    (("cmmlu", "ceval", "c-eval", "mgsm", "xnli", "flores", "translation", "multilingual"), "multilingual"),
    (("commongen", "mt_bench", "mt-bench", "alpaca", "chat", "arena", "summar", "writing"), "chat"),
    (("longbench", "needle", "long", "scrolls", "ruler"), "long_context"),
)

TIERS = {"frontier": 0.9, "strong": 0.8, "mid": 0.68, "small": 0.55, "tiny": 0.4}
"""A tier's expected score on a prompt of typical difficulty, for every skill not given its own."""


def skill_of(task: str) -> str:
    """The skill a task exercises, or "" when the name says nothing known. `cmmlu` is checked before
    `mmlu`: the multilingual list comes first where a name could match both."""
    name = task.lower()
    for prefixes, skill in (_TASK_PREFIXES[4], *_TASK_PREFIXES[:4], *_TASK_PREFIXES[5:]):
        if name.startswith(prefixes):
            return skill
    return ""
