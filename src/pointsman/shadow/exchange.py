"""One whole chat answer from one model, outside any route: the shadow call and the model judge.

No retries, no fallbacks and no health claims: a shadow call must not move the live routing numbers
it is there to check, and a failed one is simply recorded as a failed verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pointsman.catalog.model import CatalogModel
from pointsman.engine.ask import ask_whole
from pointsman.engine.call import Parts
from pointsman.engine.trace import Trace
from pointsman.providers.base import Json
from pointsman.usage import Usage

_STREAM_ONLY = ("stream", "stream_options")
"""Shadow calls are whole answers: the judge reads the final text, as the client's stream ended."""


@dataclass(frozen=True, slots=True)
class Asked:
    text: str
    usage: Usage
    cost: Decimal | None


class Asker:
    """Sends a canonical chat body to one model and returns its whole answer's text and cost."""

    def __init__(self, parts: Parts) -> None:
        self._parts = parts

    async def ask(self, model: CatalogModel, body: Json) -> Asked:
        """Raises the provider's PointsmanError when it fails."""
        whole = {k: v for k, v in body.items() if k not in _STREAM_ONLY}
        answer = await ask_whole(self._parts, model, whole, Trace(), None)
        return Asked("\n".join(answer.texts), answer.usage, answer.cost)
