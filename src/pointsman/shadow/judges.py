"""Judges: was the cheap answer as good as the strong one? One small interface, three judges.

- exact: the same text once whitespace runs and case are set aside;
- json: both answers parse as JSON (a fenced ```json block too) and are equal (key order free);
- model: a catalog model is asked a fixed question and answers yes or no (its cost is counted).

A judge that cannot decide (the judge model said neither yes nor no, or failed) says None: the
verdict is stored, and left out of the agreement rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import orjson

from pointsman.catalog.model import CatalogModel
from pointsman.engine.costs import priced
from pointsman.errors import PointsmanError
from pointsman.providers.base import Json
from pointsman.shadow.exchange import Asker
from pointsman.usage import Usage

JUDGE_PROMPT = (
    "Are these two answers equivalent for the request? Answer yes or no.\n\n"
    "Request:\n{request}\n\nAnswer A:\n{cheap}\n\nAnswer B:\n{strong}"
)
JUDGE_TEXT = 16_000
"""Characters of the request and of each answer shown to the judge model (the rest is cut)."""
_FENCE = re.compile(r"^```[\w-]*\s*\n(?P<body>.*?)\n?```\s*$", re.S)
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True, slots=True)
class Judgement:
    agreed: bool | None
    """None: the judge could not decide."""
    cost: Decimal = Decimal(0)
    detail: str = ""


class Judge(Protocol):
    name: str

    async def judge(self, request: str, cheap: str, strong: str) -> Judgement: ...

    def estimate(self, request: str, cheap: str, strong: str) -> Decimal:
        """What judging will cost at most (reserved against the daily budget before the call)."""


class ExactJudge:
    name = "exact"

    async def judge(self, request: str, cheap: str, strong: str) -> Judgement:
        return Judgement(_normal(cheap) == _normal(strong))

    def estimate(self, request: str, cheap: str, strong: str) -> Decimal:
        return Decimal(0)


class JsonJudge:
    name = "json"

    async def judge(self, request: str, cheap: str, strong: str) -> Judgement:
        theirs = _parsed(strong)
        if theirs is _NOT_JSON:
            return Judgement(None, detail="the strong answer is not JSON")
        ours = _parsed(cheap)
        if ours is _NOT_JSON:
            return Judgement(False, detail="the cheap answer is not JSON")
        return Judgement(_canonical(ours) == _canonical(theirs))

    def estimate(self, request: str, cheap: str, strong: str) -> Decimal:
        return Decimal(0)


class ModelJudge:
    name = "model"

    def __init__(self, model: CatalogModel, asker: Asker) -> None:
        self.model = model
        self._asker = asker

    async def judge(self, request: str, cheap: str, strong: str) -> Judgement:
        body: Json = {
            "model": self.model.name,
            "messages": [{"role": "user", "content": _prompt(request, cheap, strong)}],
            "max_tokens": 5,
            "temperature": 0,
        }
        try:
            asked = await self._asker.ask(self.model, body)
        except PointsmanError as error:
            return Judgement(None, detail=f"judge {self.model.name} failed: {error.type}: {error.message}")
        cost = asked.cost if asked.cost is not None else Decimal(0)
        words = _WORD.findall(asked.text.lower())
        first = words[0] if words else ""
        if first in ("yes", "no"):
            return Judgement(first == "yes", cost, f"{self.model.name} said {first}")
        return Judgement(None, cost, f"{self.model.name} said neither yes nor no: {asked.text[:80]!r}")

    def estimate(self, request: str, cheap: str, strong: str) -> Decimal:
        # counted generously (three characters a token where text averages about four): a reserve
        tokens = len(_prompt(request, cheap, strong)) // 3 + 16
        return priced(self.model, Usage(input_tokens=tokens, output_tokens=5)) or Decimal(0)


def _prompt(request: str, cheap: str, strong: str) -> str:
    return JUDGE_PROMPT.format(
        request=request[:JUDGE_TEXT], cheap=cheap[:JUDGE_TEXT], strong=strong[:JUDGE_TEXT]
    )


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


_NOT_JSON: Any = object()


def _parsed(text: str) -> Any:
    text = text.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group("body")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return _NOT_JSON


def _canonical(value: Any) -> bytes:
    """Key order aside, and `true` never equal to `1` (as Python's == would have it)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
