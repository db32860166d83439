"""The Responses surface's path."""

from __future__ import annotations

from pointsman.api.routes import Routes
from pointsman.surfaces.responses.endpoints import responses

ROUTES = Routes(paths={"/v1/responses": ("POST", responses)})
