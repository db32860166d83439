"""Anthropic Messages wire format (`type: anthropic`)."""

from pointsman.providers.anthropic.adapter import AnthropicProvider

__all__ = ["AnthropicProvider"]
