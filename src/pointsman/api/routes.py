"""What a surface serves: its paths, each with the HTTP method it takes and its handler. Each
surface folder has a `routes.py` holding one `Routes`; api/app.py joins them into its route tables,
so a new surface is one folder and one entry there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pointsman.api.request import Request

if TYPE_CHECKING:
    from pointsman.compose import Gateway

Handler = Callable[["Gateway", Request], Awaitable[None]]
Route = tuple[str, Handler]
"""The HTTP method a path takes, and its handler."""


@dataclass(frozen=True)
class Routes:
    paths: dict[str, Route] = field(default_factory=dict)
    """Exact paths."""
    prefixes: tuple[tuple[str, str, Handler], ...] = ()
    """`{prefix}{name}`: a thing named after the prefix (a model), with the method and handler."""
    actions: tuple[tuple[str, dict[str, Route]], ...] = ()
    """`{prefix}{model}:{action}`: Gemini's REST style, the model in the path and the method after its
    last colon (a model name may hold colons and slashes itself)."""
