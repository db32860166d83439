"""Money is exact: Decimal prices, cached and cache-write tokens, formatting without exponents."""

from __future__ import annotations

from decimal import Decimal

from pointsman.catalog.price import Price, format_usd
from pointsman.usage import Usage


def test_cost_splits_fresh_cached_and_written_input() -> None:
    price = Price(Decimal("3"), Decimal("15"), cached_input=Decimal("0.30"), cache_write=Decimal("3.75"))
    usage = Usage(input_tokens=10_000, output_tokens=500, cached_tokens=6_000, cache_write_tokens=1_000)
    # 3,000 fresh × 3 + 6,000 × 0.30 + 1,000 × 3.75 + 500 × 15, per million
    assert price.cost(usage) == Decimal("0.02205")


def test_missing_cache_prices_fall_back_to_input_price() -> None:
    price = Price(Decimal("0.15"), Decimal("0.60"))
    assert price.cost(Usage(input_tokens=100, output_tokens=10, cached_tokens=40)) == Decimal("0.000021")


def test_tiny_amounts_are_exact_and_printed_plainly() -> None:
    cost = Price(Decimal("0.02"), Decimal(0)).cost(Usage(input_tokens=3))
    assert cost == Decimal("0.00000006")
    assert format_usd(cost) == "0.00000006"
    assert format_usd(Decimal("1.2300")) == "1.23"
    assert format_usd(Decimal(0)) == "0"


def test_token_families_count_offline() -> None:
    from pointsman.tokens import TokenCounter

    counter = TokenCounter()
    assert counter.encoding_name("gpt-4o-mini") == "o200k_base"
    assert counter.encoding_name("openai/gpt-3.5-turbo") == "cl100k_base"
    assert counter.encoding_name("meta-llama/Llama-3.3-70B") == "llama3"
    assert counter.encoding_name("qwen2.5-7b") == "qwen3"
    assert counter.encoding_name("claude-sonnet-4-5") == "o200k_base"
    assert counter.encoding_name("anything", "llama3") == "llama3"  # a config override wins
    counter.warm("o200k_base", "llama3")
    assert counter.count("hello world", "gpt-4o") == 2
    assert counter.count("hello world", "llama-3.1-8b") == 2
    # OpenAI's documented framing: 3 a message, its values ("user" 1, "hello world" 2), 3 to prime
    assert counter.count_messages([{"role": "user", "content": "hello world"}], "gpt-4o") == 3 + 1 + 2 + 3
