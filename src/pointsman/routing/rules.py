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


@dataclass(frozen=True, slots=True)
class CompiledRule:
    name: str
    to: str
    pin: bool
    match: Match
    regex: re.Pattern[str] | None
    keywords: tuple[str, ...]
    """Lower-cased; matched as whole words."""
    metadata: tuple[tuple[str, str], ...]


def compile_rule(rule: Rule, index: int) -> CompiledRule:
    match = rule.when
    return CompiledRule(
        name=rule.name or f"#{index + 1}",
        to=rule.to,
        pin=rule.pin,
        match=match,
        regex=re.compile(match.regex) if match.regex else None,
        keywords=tuple(k.lower() for k in match.keywords if k),
        metadata=tuple(match.metadata.items()),
    )


def matches(rule: CompiledRule, request: RouteRequest, route_task: str = "") -> bool:
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
    if m.prompt_tokens is not None and not _tokens_within(m, request):
        return False
    if rule.keywords and not _any_word(rule.keywords, features.lower_user_text(request)):
        return False
    if rule.regex is not None and not rule.regex.search(features.last_user_text(request)):
        return False
    return not (m.language and features.detected_language(request) not in m.language)


def _any_word(words: tuple[str, ...], text: str) -> bool:
    """Whole-word search by str.find: a case-insensitive regex alternation costs 20-30 times more
    on a long message (measured: 350 µs against 15 µs on 11 kB)."""
    for word in words:
        at = text.find(word)
        while at != -1:
            end = at + len(word)
            if (at == 0 or not _wordy(text[at - 1])) and (end == len(text) or not _wordy(text[end])):
                return True
            at = text.find(word, at + 1)
    return False


def _wordy(char: str) -> bool:
    return char.isalnum() or char == "_"


def _tokens_within(m: Match, request: RouteRequest) -> bool:
    bounds = m.prompt_tokens
    assert bounds is not None
    tokens = features.prompt_tokens(request)
    return (bounds.gt is None or tokens > bounds.gt) and (bounds.lt is None or tokens < bounds.lt)


def first_match(
    rules: tuple[CompiledRule, ...], request: RouteRequest, route_task: str = ""
) -> CompiledRule | None:
    for rule in rules:
        if matches(rule, request, route_task):
            return rule
    return None
