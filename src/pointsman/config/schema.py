"""The gateway's configuration as frozen, typed objects.

Strict on purpose: an unknown key is an error (a typo must not be silently ignored), and every
object is immutable once read, so nothing changes behind a running request.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

CAPABILITIES = frozenset(
    {
        "chat",
        "tools",
        "vision",
        "json_schema",
        "json_object",
        "streaming",
        "reasoning",
        "prefill",
        "embeddings",
        "audio",
        "logprobs",
    }
)


class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class Timeouts(_Strict, frozen=True):
    connect: float = 5.0
    read: float = 120.0
    """Seconds without a byte from the provider before the attempt is abandoned."""


class ProviderConfig(_Strict, frozen=True):
    type: str = ""
    """Wire format: openai (anthropic and gemini arrive with the next providers)."""
    preset: str = ""
    """A known vendor (deepseek, groq, ollama, ...): fills type, base_url and auth when omitted."""
    base_url: str = ""
    api_key: str = ""
    auth_header: str = ""
    """Header that carries the key. Default: the wire's own (`authorization: Bearer` for OpenAI,
    `x-api-key` for Anthropic); `api-key` for Azure."""
    timeouts: Timeouts = Timeouts()
    headers: dict[str, str] = {}
    ca_file: str = ""
    """PEM file of the certificate authorities to trust for this provider (a private CA); default:
    the system's."""
    stream_usage: bool | None = None
    """Whether the vendor honours stream_options.include_usage (presets know; default yes)."""


class ModelConfig(_Strict, frozen=True):
    provider: str
    upstream: str = ""
    """The provider's own model id; defaults to the catalog name."""
    input: Decimal | None = None
    cached_input: Decimal | None = None
    cache_write: Decimal | None = None
    output: Decimal | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    capabilities: frozenset[str] | None = None
    tokenizer: str = ""


class GatewayKey(_Strict, frozen=True):
    id: str
    key: str


class ServerConfig(_Strict, frozen=True):
    host: str = "127.0.0.1"
    port: int = 4000
    keys: tuple[GatewayKey, ...] = ()
    admin_key: str = ""
    max_body_bytes: int = 8 * 1024 * 1024
    allow_unlisted_models: bool = True
    """Let `provider/model` reach a model the catalog does not list (its cost is then unknown)."""


class LedgerConfig(_Strict, frozen=True):
    path: str = "pointsman-ledger.db"
    batch_size: int = 512
    flush_interval: float = 0.25


class CatalogConfig(_Strict, frozen=True):
    builtin: bool = True
    """Offer the built-in price list's models of every configured provider."""
    prices_file: str = ""
    """A refreshed price list (`pointsman prices refresh`), read over the built-in one."""


class Config(_Strict, frozen=True):
    server: ServerConfig = ServerConfig()
    ledger: LedgerConfig = LedgerConfig()
    catalog: CatalogConfig = CatalogConfig()
    providers: dict[str, ProviderConfig] = {}
    models: dict[str, ModelConfig] = {}
    aliases: dict[str, str] = {}
    source: str = ""
    """The file this config came from (set by the loader, for messages)."""
