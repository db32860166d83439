"""OpenAI chat completions wire format: OpenAI itself and every OpenAI-shaped vendor (by preset)."""

from pointsman.providers.openai.adapter import OpenAIProvider

__all__ = ["OpenAIProvider"]
