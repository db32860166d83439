"""pointsman: a self-hosted model-routing gateway; `Router` is its routing decision as a library."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pointsman.library import Plan, Router

__all__ = ["Plan", "Router"]


def __getattr__(name: str) -> Any:
    # imported on first use: `python -m pointsman` and every submodule import stay as light as before
    if name in __all__:
        from pointsman import library

        return getattr(library, name)
    raise AttributeError(f"module 'pointsman' has no attribute {name!r}")
