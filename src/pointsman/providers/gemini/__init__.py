"""Gemini generateContent wire format (`type: gemini`, API-key auth)."""

from pointsman.providers.gemini.adapter import GeminiProvider

__all__ = ["GeminiProvider"]
