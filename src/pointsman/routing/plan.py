"""What routing decides: an ordered plan of attempts, each with the reason it is there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pointsman.catalog.model import CatalogModel


@dataclass(frozen=True, slots=True)
class Attempt:
    model: CatalogModel
    reason: str


@dataclass(frozen=True, slots=True)
class RoutePlan:
    attempts: tuple[Attempt, ...]

    @property
    def primary(self) -> Attempt:
        return self.attempts[0]


@dataclass(frozen=True, slots=True)
class RouteRequest:
    """What a router may look at. Pure data: deciding does no I/O."""

    model: str
    body: dict[str, object]
    key_id: str = ""


class Router(Protocol):
    def decide(self, request: RouteRequest) -> RoutePlan: ...
