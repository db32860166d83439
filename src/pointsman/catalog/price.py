"""Prices and what a usage costs under them. Money is Decimal, never float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pointsman.usage import Usage

_MILLION = Decimal(1_000_000)


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens. A missing cache price means cache tokens cost the input price."""

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None

    def cost(self, usage: Usage) -> Decimal:
        cached = usage.cached_tokens
        written = usage.cache_write_tokens
        fresh = max(usage.input_tokens - cached - written, 0)
        total = fresh * self.input + usage.output_tokens * self.output
        if cached:
            total += cached * (self.input if self.cached_input is None else self.cached_input)
        if written:
            total += written * (self.input if self.cache_write is None else self.cache_write)
        return total / _MILLION

    @property
    def blended(self) -> Decimal:
        """USD per million tokens of a typical chat turn, which reads about three tokens for each it
        writes: what routing compares models by (pools' `cheapest`, learned candidates, max price)."""
        return (self.input * 3 + self.output) / 4

    def estimate(self, prompt_tokens: int, output_tokens: int) -> Decimal:
        """What a request of this size would cost, none of it cached (a routing estimate)."""
        return (prompt_tokens * self.input + output_tokens * self.output) / _MILLION


def format_usd(amount: Decimal) -> str:
    """Plain decimal notation (never 1E-7), trailing zeros dropped."""
    text = format(amount.normalize(), "f")
    return text if text != "-0" else "0"
