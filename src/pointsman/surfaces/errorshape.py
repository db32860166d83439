"""Which surface's shape an error body takes: the client hears errors in the format it speaks."""

from __future__ import annotations

from pointsman.api.http import ErrorShape, Scope
from pointsman.errors import PointsmanError
from pointsman.surfaces.anthropic.errors import speaks_anthropic, to_anthropic
from pointsman.surfaces.gemini.errors import to_gemini
from pointsman.surfaces.gemini.paths import speaks_gemini


def error_shape(path: str, scope: Scope | None = None) -> ErrorShape:
    """Anthropic's under /v1/messages, Gemini's on the Gemini surface (and to Google's SDKs),
    OpenAI's everywhere else. Without `scope` (a head that could not be read) only the path counts."""
    if speaks_anthropic(path):
        return to_anthropic
    if speaks_gemini(path, scope):
        return to_gemini
    return PointsmanError.to_openai
