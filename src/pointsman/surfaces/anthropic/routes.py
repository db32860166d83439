"""The Anthropic Messages surface's paths."""

from __future__ import annotations

from pointsman.api.routes import Routes
from pointsman.surfaces.anthropic.endpoints import count_tokens, messages

ROUTES = Routes(
    paths={
        "/v1/messages": ("POST", messages),
        "/v1/messages/count_tokens": ("POST", count_tokens),
    }
)
