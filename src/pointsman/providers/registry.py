"""The one place that names vendors: wire types and vendor presets.

A preset is data, not code: an OpenAI-shaped vendor is a base URL, the header its key rides in and
the quirks it has. Adding one is adding a row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pointsman.providers.anthropic import AnthropicProvider
from pointsman.providers.base import Endpoint, Provider
from pointsman.providers.gemini import GeminiProvider
from pointsman.providers.openai import OpenAIProvider


@dataclass(frozen=True, slots=True)
class Preset:
    type: str
    base_url: str
    key_env: str = ""
    """Environment variable the vendor's docs use for the key (used when the config names none)."""
    auth_header: str = "authorization"
    stream_usage: bool = True
    strip_fields: tuple[str, ...] = ()
    features: frozenset[str] = frozenset()
    """What an OpenAI-shaped vendor takes beyond plain chat: `top_k`, `file` parts (PDFs),
    `max_completion_tokens` (its reasoning models refuse `max_tokens`), `provider_routing` (takes
    OpenRouter's `provider` preferences object as the client sent it)."""
    local: bool = False
    """A server on this machine (no key needed)."""


_OPENAI = frozenset({"file", "max_completion_tokens"})
_TOP_K = frozenset({"top_k"})

PRESETS: dict[str, Preset] = {
    "openai": Preset("openai", "https://api.openai.com/v1", "OPENAI_API_KEY", features=_OPENAI),
    "anthropic": Preset("anthropic", "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY", "x-api-key"),
    "gemini": Preset(
        "gemini", "https://generativelanguage.googleapis.com/v1beta", "GEMINI_API_KEY", "x-goog-api-key"
    ),
    # Azure's v1 API is OpenAI-shaped; put your resource name into base_url
    "azure": Preset(
        "openai",
        "https://RESOURCE.openai.azure.com/openai/v1",
        "AZURE_OPENAI_API_KEY",
        "api-key",
        features=_OPENAI,
    ),
    "deepseek": Preset("openai", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY"),
    "mistral": Preset("openai", "https://api.mistral.ai/v1", "MISTRAL_API_KEY"),
    "groq": Preset("openai", "https://api.groq.com/openai/v1", "GROQ_API_KEY"),
    "together": Preset("openai", "https://api.together.xyz/v1", "TOGETHER_API_KEY", features=_TOP_K),
    "fireworks": Preset(
        "openai", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY", features=_TOP_K
    ),
    "openrouter": Preset(
        "openai",
        "https://openrouter.ai/api/v1",
        "OPENROUTER_API_KEY",
        features=_TOP_K | {"file", "provider_routing"},
    ),
    "xai": Preset("openai", "https://api.x.ai/v1", "XAI_API_KEY"),
    "qwen": Preset("openai", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "DASHSCOPE_API_KEY"),
    "vllm": Preset("openai", "http://127.0.0.1:8000/v1", local=True, features=_TOP_K),
    "ollama": Preset("openai", "http://127.0.0.1:11434/v1", local=True),
    "lmstudio": Preset("openai", "http://127.0.0.1:1234/v1", local=True, features=_TOP_K),
    "llamacpp": Preset("openai", "http://127.0.0.1:8080/v1", local=True, features=_TOP_K),
}

WIRE_TYPES: dict[str, Callable[[Endpoint], Provider]] = {
    "openai": OpenAIProvider,
    "anthropic": AnthropicProvider,
    "gemini": GeminiProvider,
}


def build_provider(endpoint: Endpoint) -> Provider:
    return WIRE_TYPES[endpoint.type](endpoint)


# OpenRouter's model ids start with the vendor's name there; these are ours
OPENROUTER_VENDORS: dict[str, str] = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "gemini",
    "deepseek": "deepseek",
    "mistralai": "mistral",
    "x-ai": "xai",
    "qwen": "qwen",
}
