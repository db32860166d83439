"""The OpenAI surface's paths (the canonical wire: its requests need no translation)."""

from __future__ import annotations

from pointsman.api.routes import Routes
from pointsman.surfaces.openai.chat import chat_completions
from pointsman.surfaces.openai.embeddings import embeddings

ROUTES = Routes(
    paths={
        "/v1/chat/completions": ("POST", chat_completions),
        "/v1/embeddings": ("POST", embeddings),
    }
)
