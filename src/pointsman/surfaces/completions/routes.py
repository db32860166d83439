"""The legacy completions surface's path."""

from __future__ import annotations

from pointsman.api.routes import Routes
from pointsman.surfaces.completions.handler import completions

ROUTES = Routes(paths={"/v1/completions": ("POST", completions)})
