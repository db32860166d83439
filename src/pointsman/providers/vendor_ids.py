"""Each vendor's own model id for an OpenRouter id, or none when the vendor serves no such model.

OpenRouter spells some ids its own way (`anthropic/claude-sonnet-4.5` is Anthropic's
`claude-sonnet-4-5`) and lists variants of its own that no vendor serves (`openai/o4-mini-high`, a
reasoning setting; `:free`, `:thinking`; open-weight models that others host). A price row filed under
a vendor must carry an id that vendor accepts, or the catalog offers a model every call to which
fails, while the vendor's real id stays unpriced. Formats checked against each vendor's model docs.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pointsman.providers.registry import OPENROUTER_VENDORS

_DOTTED_VERSION = re.compile(r"(?<=\d)\.(?=\d)")

# Anthropic: undated Claude 3.x and 4 ids are aliases of their own spelling; Claude 3 Haiku has none
_CLAUDE_ALIASES = {
    "claude-3-haiku": "claude-3-haiku-20240307",
    "claude-3-opus": "claude-3-opus-latest",
    "claude-3-5-haiku": "claude-3-5-haiku-latest",
    "claude-3-5-sonnet": "claude-3-5-sonnet-latest",
    "claude-3-7-sonnet": "claude-3-7-sonnet-latest",
    "claude-opus-4": "claude-opus-4-0",
    "claude-sonnet-4": "claude-sonnet-4-0",
}
_CLAUDE_3_UNDATED = re.compile(r"claude-3(-\d)?-[a-z]+")

# OpenAI: names OpenRouter gives to what OpenAI's API calls otherwise, or does not serve
_OPENAI_RENAMED = {"gpt-5-chat": "gpt-5-chat-latest", "codex-mini": "codex-mini-latest"}
_OPENAI_NOT_SERVED = re.compile(
    r"o\d+(-mini)?-high"  # OpenRouter's o-series at reasoning effort high
    r"|gpt-oss-.*"  # open weights, hosted by others
    r"|gpt-\d+(\.\d+)?-image(-mini)?"  # OpenRouter's chat model with image output
)

# Gemini API: OpenRouter's ids are Google's (`gemini-2.5-pro`, `gemma-3-27b-it`: dots kept), but for
# its early spelling with the tier first (`gemini-pro-1.5`, `gemini-flash-1.5-8b`, `gemini-pro`):
# Google's `gemini-1.5-pro` and 1.0, all retired
_GEMINI_RETIRED = re.compile(r"gemini-(pro|flash)(-.*)?")

# Mistral: families with a `-latest` alias and dated (`-2411`) versions; OpenRouter's versioned names
# (`mistral-medium-3.1`, `mistral-small-3.2-24b-instruct`) map to dates no rule derives
_MISTRAL_FAMILIES = {
    "mistral-large",
    "mistral-medium",
    "mistral-small",
    "codestral",
    "devstral",
    "devstral-medium",
    "devstral-small",
    "magistral-medium",
    "magistral-small",
    "ministral-3b",
    "ministral-8b",
    "pixtral-large",
    "mistral-saba",
}

# DeepSeek's API serves these ids; OpenRouter's (`deepseek-chat-v3.1`, `deepseek-r1-0528`) are
# model versions, served there by other hosts at their own prices
_DEEPSEEK_IDS = {"deepseek-chat", "deepseek-reasoner", "deepseek-v4-flash", "deepseek-v4-pro"}


def _anthropic(model: str) -> str | None:
    if not model.startswith("claude-") or model.startswith(("claude-2", "claude-instant")):
        return None  # Claude 1 and 2 are retired
    dashed = _DOTTED_VERSION.sub("-", model)
    if dashed in _CLAUDE_ALIASES:
        return _CLAUDE_ALIASES[dashed]
    return None if _CLAUDE_3_UNDATED.fullmatch(dashed) else dashed


def _openai(model: str) -> str | None:
    if _OPENAI_NOT_SERVED.fullmatch(model):
        return None
    return _OPENAI_RENAMED.get(model, model)


def _gemini(model: str) -> str | None:
    ours = model.startswith(("gemini-", "gemma-")) and not _GEMINI_RETIRED.fullmatch(model)
    return model if ours else None


def _mistral(model: str) -> str | None:
    if model in _MISTRAL_FAMILIES:
        return f"{model}-latest"
    family, _, date = model.rpartition("-")
    if family in _MISTRAL_FAMILIES and len(date) == 4 and date.isdigit():
        return model
    return model if model == "mistral-embed" else None


def _deepseek(model: str) -> str | None:
    return model if model in _DEEPSEEK_IDS else None


def _same(model: str) -> str | None:
    return model


_NAMING: dict[str, Callable[[str], str | None]] = {
    "anthropic": _anthropic,
    "openai": _openai,
    "gemini": _gemini,
    "mistral": _mistral,
    "deepseek": _deepseek,
    # xai and qwen: OpenRouter uses the vendor's own ids
}


def vendor_model(openrouter_id: str) -> tuple[str, str] | None:
    """(preset, the vendor's own model id) for an OpenRouter model id, or None."""
    vendor, _, model = openrouter_id.partition("/")
    preset = OPENROUTER_VENDORS.get(vendor)
    if preset is None or not model or ":" in model:  # `:free`, `:thinking`: OpenRouter's variants
        return None
    own = _NAMING.get(preset, _same)(model)
    return (preset, own) if own else None
