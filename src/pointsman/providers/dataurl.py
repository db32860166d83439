"""Inline media in the canonical request: an OpenAI-style base64 data URL, which the inbound surfaces
write (Anthropic's base64 sources, Gemini's inlineData) and the outbound providers read back."""

from __future__ import annotations

import re

DATA_URL = re.compile(r"^data:(?P<type>[\w/+.-]+);base64,(?P<data>.*)$", re.S)
"""Groups: `type` (the media type) and `data` (the base64 payload)."""


def data_url(media_type: str, data: str) -> str:
    return f"data:{media_type};base64,{data}"
