"""A route's learned strategy, compiled at start: candidates, their abilities, costs and target.

Deciding reads the last user turn (its bounded ends, see features.py), so a decision costs the same
for a 2k and a 200k-token prompt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pointsman.catalog.model import CatalogModel
from pointsman.config.schema import QUALITY_PRESETS, LearnedRoute
from pointsman.config.yamlsource import Fail, Path
from pointsman.learned.abilities import ability_of
from pointsman.learned.classifier import Rater, Ratings, rated
from pointsman.learned.estimate import Estimator
from pointsman.learned.online import AbilityBook
from pointsman.learned.policy import Choice, LearnedPolicy, target_for_share
from pointsman.routing.capabilities import prompt_texts
from pointsman.routing.features import last_user_text
from pointsman.routing.plan import RouteRequest


@dataclass(frozen=True, slots=True)
class CompiledLearned:
    models: tuple[CatalogModel, ...]
    policy: LearnedPolicy
    label: str
    """learned:balanced, learned:quality=0.92, learned:strong_share=0.2 (as the route reason shows it)."""
    book: AbilityBook
    """What feedback has taught so far: abilities are read through it at every decision."""
    rater: Rater | None = None

    def decide(self, request: RouteRequest) -> tuple[tuple[CatalogModel, ...], dict[str, Any]]:
        policy = self.policy
        abilities = tuple(self.book.current(a) for a in policy.abilities)
        encoded = policy.estimator.encode(last_user_text(request), _rough_tokens(request))
        got = request.rated
        if got is not None and got.rating is not None and self.rater is not None:
            encoded = rated(policy.estimator.artifact, encoded, got.rating)
        choice: Choice = policy.decide_encoded(encoded, request.quality, abilities)
        names = [m.name for m in self.models]
        label = self.label if request.quality is None else f"learned:quality={request.quality:g}"
        trace = choice.trace(names, label, [a.source for a in abilities])
        if got is not None:
            trace["classifier"] = got.json()
        return tuple(self.models[i] for i in choice.order), trace


def _rough_tokens(request: RouteRequest) -> int:
    """The prompt's length for the long-context prior, a quarter token a character: `len` of each
    text costs nothing, where the request's own estimate encodes every byte (5 ms for 8 MB)."""
    return sum(len(text) for text in prompt_texts(request.body)) // 4


def unit_cost(model: CatalogModel) -> float:
    """The blended price of a typical turn (`Price.blended`); infinite when unknown."""
    return float("inf") if model.price is None else float(model.price.blended)


def compile_learned(
    learned: LearnedRoute,
    models: tuple[CatalogModel, ...],
    estimator: Estimator,
    calibrated: Mapping[str, Mapping[str, float]],
    path: Path,
    fail: Fail,
    book: AbilityBook,
    classifier: CatalogModel | None = None,
) -> CompiledLearned:
    abilities = []
    for i, model in enumerate(models):
        ability = ability_of(estimator, model, calibrated)
        if ability is None:
            raise fail(
                (*path, "candidates", i),
                f"nothing is known of what '{model.name}' can do: give it `tier:` (or `skills:`) under "
                f"models.{model.name}, or measure it with `pointsman calibrate --model {model.name}`",
            )
        if model.price is None:
            raise fail(
                (*path, "candidates", i), f"'{model.name}' has no price: the learned router picks by cost"
            )
        abilities.append(ability)
    costs = [unit_cost(m) for m in models]
    if learned.strong_share is not None:
        target = target_for_share(estimator, abilities, costs, learned.strong_share, learned.lean)
        label = f"learned:strong_share={learned.strong_share:g}"
    elif learned.quality is not None:
        target, label = learned.quality, f"learned:quality={learned.quality:g}"
    else:
        target, label = QUALITY_PRESETS[learned.preset], f"learned:{learned.preset}"
    policy = LearnedPolicy(estimator, abilities, costs, target, learned.lean)
    rater = None
    if learned.classifier is not None and classifier is not None:
        spec = learned.classifier
        rater = Rater(classifier, spec.timeout, Ratings(spec.cache))
    return CompiledLearned(models, policy, label, book, rater)
