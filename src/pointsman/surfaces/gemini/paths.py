"""Where the Gemini surface is: its paths (the model rides in the path, the method after its last
colon: `/v1beta/models/{model}:generateContent`) and how its clients make themselves known."""

from __future__ import annotations

from pointsman.api.http import Scope, header
from pointsman.errors import InvalidRequest

MODEL_PREFIXES = ("/v1beta/models/", "/v1/models/")
METHODS = ("generateContent", "streamGenerateContent", "countTokens")
"""A model's methods this surface serves (`endpoints.ACTIONS` holds their handlers)."""
"""google-genai calls `/v1beta` by default when talking to Google and `/v1` with a custom base
URL (as of 3.x); both are served."""


def gemini_client(scope: Scope) -> bool:
    """Google's SDKs send `x-goog-api-client` with every request; its key comes in `x-goog-api-key`."""
    return header(scope, b"x-goog-api-client") is not None or header(scope, b"x-goog-api-key") is not None


def speaks_gemini(path: str, scope: Scope | None = None) -> bool:
    """Whether errors on `path` take Gemini's shape: everything under /v1beta, a model's method
    under /v1, and whatever a Google SDK calls (it says so in its headers)."""
    if path.startswith("/v1beta/") or path == "/v1beta":
        return True
    if path.startswith("/v1/models/") and ":" in path:
        # a model's method; not any colon: `GET /v1/models/llama3:8b` is an OpenAI client's
        method = scope.get("method") if scope is not None else None
        if method == "POST" or path.rpartition(":")[2] in METHODS:
            return True
    return scope is not None and gemini_client(scope)


def path_model(path: str) -> str:
    """The model named in `/v1beta/models/{model}:{method}` (or under /v1), checked for a name."""
    prefix = next((p for p in MODEL_PREFIXES if path.startswith(p)), "")
    name = path[len(prefix) :].rpartition(":")[0]
    if not name:
        raise InvalidRequest(
            "The path names no model: call models/{model}:generateContent with a model pointsman "
            "knows (GET models lists them).",
            param="model",
        )
    return name
