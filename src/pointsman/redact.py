"""Keep secrets out of anything a person or a log may read."""

from __future__ import annotations

import re
from collections.abc import Iterable

# key-shaped tokens, including the masked forms providers echo back ("sk-abc***xyz")
_KEY_SHAPED = re.compile(
    r"\b(?:sk|pk|rk|gsk|xai|sk-ant|AIza)[-_][A-Za-z0-9*_\-]{6,}|\bAIza[A-Za-z0-9_\-]{20,}|(?i:bearer)\s+\S+"
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return _KEY_SHAPED.sub("[redacted]", text)
