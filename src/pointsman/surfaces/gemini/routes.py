"""The Gemini surface's paths: the model list under /v1beta, and a model's methods under /v1beta
and /v1 (`GET /v1/models` and `/v1/models/{model}` stay OpenAI's, in api/meta.py)."""

from __future__ import annotations

from pointsman.api.routes import Routes
from pointsman.surfaces.gemini.endpoints import ACTIONS
from pointsman.surfaces.gemini.models import get_model, list_models
from pointsman.surfaces.gemini.paths import MODEL_PREFIXES

ROUTES = Routes(
    paths={"/v1beta/models": ("GET", list_models)},
    prefixes=(("/v1beta/models/", "GET", get_model),),
    actions=tuple((prefix, ACTIONS) for prefix in MODEL_PREFIXES),
)
