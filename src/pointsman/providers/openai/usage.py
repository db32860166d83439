"""OpenAI-shaped usage objects → `Usage`, including vendors' variants of the cached-token field."""

from __future__ import annotations

from typing import Any

from pointsman.usage import Usage


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def parse_usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    prompt = _int(raw.get("prompt_tokens"))
    details = raw.get("prompt_tokens_details")
    cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else 0
    if not cached:
        cached = _int(raw.get("prompt_cache_hit_tokens"))  # DeepSeek names it so
    out_details = raw.get("completion_tokens_details")
    reasoning = _int(out_details.get("reasoning_tokens")) if isinstance(out_details, dict) else 0
    return Usage(
        input_tokens=prompt,
        output_tokens=_int(raw.get("completion_tokens")),
        cached_tokens=min(cached, prompt),
        reasoning_tokens=reasoning,
    )


def usage_json(usage: Usage) -> dict[str, Any]:
    """`Usage` as an OpenAI usage object (what canonical answers carry)."""
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
    }


def with_usage(original: Any, usage: Usage) -> dict[str, Any]:
    """An upstream usage object carrying `usage`'s counts, its other fields kept (audio tokens,
    prediction tokens, vendor extras): a continued stream's usage is the sum of its parts."""
    out = dict(original) if isinstance(original, dict) else {}
    new = usage_json(usage)
    for key, value in new.items():
        kept = out.get(key)
        out[key] = {**kept, **value} if isinstance(value, dict) and isinstance(kept, dict) else value
    return out
