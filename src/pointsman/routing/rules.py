"""Static rules: the first rule whose conditions all hold picks the target. Pure.

Conditions are compiled once at start (regexes, keyword alternations) and checked cheapest
first, so a request pays only for what the rules it reaches look at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pointsman.config.schema import Match, Rule
from pointsman.routing import capabilities, features
from pointsman.routing.plan import RouteRequest
from pointsman.tokens import TokenCounter


@dataclass(frozen=True, slots=True)
class CompiledRule:
    name: str
    to: str
    pin: bool
    match: Match
    regex: re.Pattern[str] | None
    keywords: re.Pattern[str] | None
    metadata: tuple[tuple[str, str], ...]

    @property
    def counts_tokens(self) -> bool:
        return self.match.prompt_tokens is not None


def compile_rule(rule: Rule, index: int) -> CompiledRule:
    match = rule.when
    keywords = None
    if match.keywords:
        # whole words or phrases, case-insensitive; one alternation scans the text once
        words = "|".join(re.escape(k) for k in sorted(match.keywords, key=len, reverse=True))
        keywords = re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)
    return CompiledRule(
        name=rule.name or f"#{index + 1}",
        to=rule.to,
        pin=rule.pin,
        match=match,
        regex=re.compile(match.regex) if match.regex else None,
        keywords=keywords,
        metadata=tuple(match.metadata.items()),
    )


def matches(
    rule: CompiledRule, request: RouteRequest, route_task: str = "", tokens: TokenCounter | None = None
) -> bool:
    m = rule.match
    body = request.body
    if m.key and request.key_id not in m.key:
        return False
    if m.team and request.team not in m.team:
        return False
    if m.task and features.task(request, route_task) not in m.task:
        return False
    if rule.metadata:
        meta = features.metadata(body)
        if any(str(meta.get(k, "")) != v for k, v in rule.metadata):
            return False
    if m.tools is not None and bool(body.get("tools")) != m.tools:
        return False
    if m.json is not None and features.wants_json(body) != m.json:
        return False
    if m.images is not None and ("vision" in capabilities.needs(body, "chat")) != m.images:
        return False
    if m.prompt_tokens is not None and not _tokens_within(m, request, tokens):
        return False
    if rule.keywords is not None and not rule.keywords.search(features.last_user_text(request)):
        return False
    if rule.regex is not None and not rule.regex.search(features.last_user_text(request)):
        return False
    return not (m.language and features.detected_language(request) not in m.language)


def _tokens_within(m: Match, request: RouteRequest, tokens: TokenCounter | None) -> bool:
    bounds = m.prompt_tokens
    assert bounds is not None
    if bounds.gt is not None and features.prompt_tokens(request, tokens, at_least=bounds.gt) <= bounds.gt:
        return False
    return bounds.lt is None or features.prompt_tokens(request, tokens) < bounds.lt


def first_match(
    rules: tuple[CompiledRule, ...],
    request: RouteRequest,
    route_task: str = "",
    tokens: TokenCounter | None = None,
) -> CompiledRule | None:
    for rule in rules:
        if matches(rule, request, route_task, tokens):
            return rule
    return None
