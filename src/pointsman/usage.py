"""Token usage of one answer, normalised across providers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Usage:
    """`input_tokens` counts every prompt token, cached ones included; `cached_tokens` and
    `cache_write_tokens` say how many of them were billed as cache reads / writes.
    `output_tokens` includes `reasoning_tokens`, as OpenAI and Gemini bill them as output."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False
    """Counted locally because the provider reported no usage."""

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens
