"""One entry of the model catalog: the name clients use and everything needed to call and price it."""

from __future__ import annotations

from dataclasses import dataclass

from pointsman.catalog.price import Price


@dataclass(frozen=True, slots=True)
class CatalogModel:
    name: str
    provider: str
    """The configured provider's name (not the vendor)."""
    upstream: str
    price: Price | None
    """None when the gateway does not know the price (an unlisted `provider/model`)."""
    context_window: int | None = None
    max_output_tokens: int | None = None
    capabilities: frozenset[str] = frozenset()
    tokenizer: str = ""
    tier: str = ""
    """For the learned router: frontier, strong, mid, small or tiny (see learned/skills.py)."""
    skills: tuple[tuple[str, float], ...] = ()
    """Expected score per skill, where the catalog or config knows better than the tier."""
    origin: str = "config"
    """config, builtin, prices-file or unlisted."""
