"""The gateway's configuration as frozen, typed objects.

Strict on purpose: an unknown key is an error (a typo must not be silently ignored), and every
object is immutable once read, so nothing changes behind a running request.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

import msgspec

from pointsman.errors import ConfigError

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
        "custom_tools",
        "web_search",
        "verbosity",
    }
)
"""`custom_tools`: takes chat's freeform custom tools (else they go as a function with one string
parameter); `web_search`: searches the web through chat (`web_search_options`; Anthropic's server
tool); `verbosity`: takes chat's `verbosity` (the GPT-5 family)."""

POOL_STRATEGIES = ("weighted", "latency", "least_busy", "cheapest")


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
    proxy: str | None = None
    """An HTTP proxy for this provider's calls (`http://user:pass@host:port`), or `none` to connect
    directly. Default: HTTPS_PROXY / HTTP_PROXY unless NO_PROXY covers the provider's host. Once
    loaded: the proxy URL to use, "" for none."""


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
    tier: str = ""
    """For the learned router, when it was never trained on this model: frontier, strong, mid, small
    or tiny (its expected score on a prompt of typical difficulty, per skill not given below)."""
    skills: dict[str, float] = {}
    """Expected score 0..1 per skill (code, maths, reasoning, knowledge, chat, multilingual,
    long_context), overriding the tier's: "DeepSeek for maths and code"."""


class GatewayKey(_Strict, frozen=True):
    id: str
    key: str
    team: str = ""


ACCESS_LOG_FORMATS = ("text", "json")


class AccessLog(_Strict, frozen=True):
    """One line per request (id, route, model, status, attempts, latency, tokens, cost; never a
    prompt or a secret) on the `pointsman.access` logger."""

    enabled: bool = True
    format: str = "text"
    """text (key=value pairs) or json (one object per line)."""


class ServerConfig(_Strict, frozen=True):
    host: str = "127.0.0.1"
    port: int = 4000
    keys: tuple[GatewayKey, ...] = ()
    admin_key: str = ""
    max_body_bytes: int = 8 * 1024 * 1024
    allow_unlisted_models: bool = True
    """Let `provider/model` reach a model the catalog does not list (its cost is then unknown)."""
    allow_open: bool = False
    """Serve /v1 with no gateway keys on an address other than loopback (say behind a proxy that
    authenticates); without it, such a start is refused."""
    header_timeout: float = 10.0
    """Seconds a request's headers may take: from the connection opening, or from the first byte of
    the next request on a kept-alive one. A silent connection is then closed; a slow one gets 408."""
    body_timeout: float = 60.0
    """Seconds a request's whole body may take to arrive once its headers are in (then 408)."""
    keepalive_timeout: float = 5.0
    """Seconds an idle connection is kept open after an answer (keep it above a load balancer's)."""
    max_connections: int | None = None
    """Client connections open at once. At the cap the oldest idle one is closed to make room, and
    when none is idle a new one gets 503. Default: three quarters of the open-file limit."""
    max_header_bytes: int = 64 * 1024
    """The request line and headers together, in bytes (then 431)."""
    max_headers: int = 100
    shutdown_timeout: float = 30.0
    """Seconds in-flight requests may take to finish at shutdown; those still running then get 503."""
    access_log: AccessLog = AccessLog()


class LedgerConfig(_Strict, frozen=True):
    path: str = "pointsman-ledger.db"
    batch_size: int = 512
    """Rows per write (one transaction each); a batch this big is written at once."""
    flush_interval: float = 0.25
    journal: bool = True
    """Append each row to a local journal as its request ends, so rows survive kill -9 and a store
    that is down (see README, "What the ledger keeps")."""
    journal_dir: str = ""
    """Default: the ledger's path with `.journal` appended (a folder)."""
    max_held_rows: int = 20_000
    """Rows waiting for the store that memory holds; beyond it they wait in the journal only."""

    def journal_folder(self) -> str | None:
        if not self.journal:
            return None
        return self.journal_dir or f"{self.path}.journal"  # not "-journal": SQLite's own file name


class CatalogConfig(_Strict, frozen=True):
    builtin: bool = True
    """Offer the built-in price list's models of every configured provider."""
    prices_file: str = ""
    """A refreshed price list (`pointsman prices refresh`), read over the built-in one."""


class TokenBounds(_Strict, frozen=True):
    gt: int | None = None
    lt: int | None = None


class Match(_Strict, frozen=True):
    """What a rule looks at; every condition given must hold (an empty `when` always matches)."""

    task: tuple[str, ...] = ()
    """Any of these tasks: request `metadata.task`, header `x-pointsman-task`, or the route's task."""
    prompt_tokens: TokenBounds | None = None
    regex: str = ""
    """Searched in the last user message."""
    keywords: tuple[str, ...] = ()
    """Any of these words or phrases in the last user message (case-insensitive)."""
    tools: bool | None = None
    images: bool | None = None
    json: bool | None = None
    """The request asks for JSON (response_format json_object or json_schema)."""
    language: tuple[str, ...] = ()
    """ISO 639-1 codes of the last user message's detected language."""
    key: tuple[str, ...] = ()
    """Gateway key ids."""
    team: tuple[str, ...] = ()
    metadata: dict[str, str] = {}
    """Request metadata fields that must equal these values."""


class Rule(_Strict, frozen=True):
    to: str
    """A model, an alias or a pool."""
    name: str = ""
    when: Match = Match()
    pin: bool = False
    """Use exactly this model: no fallbacks, no latency swap (manual override for sensitive intents)."""


class Checks(_Strict, frozen=True):
    """Answer checks; a failing answer escalates to the next tier."""

    empty: bool = True
    refusal: bool = True
    refusal_patterns: tuple[str, ...] = ()
    """Regular expressions searched in the first 300 characters of the answer."""
    json: bool = True
    tools: bool = True
    logprob_floor: float | None = None
    """Mean token log-probability an answer must reach (asks the provider for logprobs)."""
    max_escalations: int = 1


class LatencyGuard(_Strict, frozen=True):
    """Skip the chosen model while its recent latency is over a threshold, for `alternative`."""

    alternative: str
    p99_ms: float | None = None
    ttft_p95_ms: float | None = None
    min_samples: int = 20


class Hedge(_Strict, frozen=True):
    """Send a second request when the first is slow to start; the first to answer wins."""

    after: float | None = None
    """Seconds; default: the model's recent p95 time to first token (total latency when not streaming)."""
    min_samples: int = 20
    """Without `after`, hedge only once the model has this many recent samples."""


QUALITY_PRESETS = {"frugal": 0.80, "balanced": 0.90, "premium": 0.97}
"""Quality targets: the cheapest candidate whose estimate reaches this share of the best one's."""


class LearnedClassifier(_Strict, frozen=True):
    """A catalog model that rates each prompt's skill and difficulty instead of the learned estimate."""

    model: str
    cache: int = 10_000
    """Ratings kept (least recently used dropped), keyed by a hash of the prompt; 0: none."""
    timeout: float = 2.0
    """Seconds the rating may take; after that the learned estimate decides (the request never fails)."""


class LearnedRoute(_Strict, frozen=True):
    """The learned strategy: each prompt to the cheapest candidate expected to answer it well."""

    candidates: tuple[str, ...]
    preset: str = "balanced"
    quality: float | None = None
    """A quality target 0..1 (the share of the best candidate's estimate to reach); overrides preset."""
    strong_share: float | None = None
    """Or: the share of traffic allowed on the strongest candidate (the target is set at start)."""
    lean: float = 0.5
    """How far an unfamiliar prompt moves the target toward the best candidate (0: not at all)."""
    classifier: LearnedClassifier | None = None
    """Ask a cheap model to rate the prompt (its cost and time are the request's); else the estimate."""


class LearnedConfig(_Strict, frozen=True):
    artifact: str = ""
    """A router trained by `pointsman train`; "" is the one shipped in the package."""
    abilities: str = ""
    """A file written by `pointsman calibrate`: measured abilities, trusted over the catalog's."""


SHADOW_JUDGES = ("exact", "json", "model")


class ShadowConfig(_Strict, frozen=True):
    """Routing-accuracy monitoring: a sample of the requests this route sent to a cheaper model is
    sent again to its strongest candidate once the client has its answer, and a judge says whether
    the cheap answer was as good (`pointsman shadow report`)."""

    sample: float
    """Share of those requests shadowed, 0..1 (0: none)."""
    budget_usd_per_day: Decimal
    """What shadow calls and judging may cost per UTC day; shadowing stops once it is spent."""
    judge: str = "exact"
    """exact (the same text, whitespace and case aside), json (equal parsed JSON, key order free) or
    model (`judge_model` is asked whether the two answers are equivalent)."""
    judge_model: str = ""
    against: str = ""
    """The model to compare with; default: the route's dearest candidate (its learned candidates,
    else its default and fallbacks)."""


class RouteConfig(_Strict, frozen=True):
    """A virtual model name clients ask for, and how it turns into a plan."""

    default: str = ""
    """The model or pool when no rule matches; with `learned`, the candidates decide and this is
    optional."""
    learned: LearnedRoute | None = None
    """The target when no rule matches: a model, an alias or a pool."""
    rules: tuple[Rule, ...] = ()
    fallbacks: tuple[str, ...] = ()
    """Tiers to escalate to, in order (models, aliases or pools)."""
    max_fallbacks: int = 2
    task: str = ""
    deadline: float = 10.0
    """Seconds until the answer starts: a stream's first token, a whole answer's arrival. Each
    attempt but the last may use at most half of what is left, so a fallback always has time."""
    attempt_timeout: float | None = None
    """Seconds one whole-answer attempt may take (default: its share of the deadline)."""
    ttft_timeout: float | None = None
    """Seconds a stream's first token may take (default: its share of the deadline)."""
    stall_timeout: float | None = None
    """Seconds a flowing stream may go silent (default: a quarter of the deadline, at least 1 s)."""
    stream_timeout: float | None = None
    """Seconds a stream may flow in all, once started (default: no limit while it keeps flowing)."""
    retries: int = 1
    """Retries on the same model after a 5xx, 529 or a fitting Retry-After."""
    backoff: float = 0.2
    """Base seconds of the jittered backoff between retries."""
    on_content_filter: str = "stop"
    """stop: the provider's reason goes to the client; fallback: try the next tier."""
    checks: Checks = Checks()
    latency: LatencyGuard | None = None
    hedge: Hedge | None = None
    shadow: ShadowConfig | None = None


class PoolMember(_Strict, frozen=True):
    model: str
    weight: float = 1.0


class PoolConfig(_Strict, frozen=True):
    """Deployments of one capability (say the same model at two providers)."""

    members: tuple[PoolMember, ...]
    strategy: str = "weighted"
    """One of POOL_STRATEGIES: weighted, latency (lowest recent p50), least_busy (fewest in flight)
    or cheapest."""


class HealthConfig(_Strict, frozen=True):
    window: float = 60.0
    """Seconds of history behind latency percentiles and error rates."""
    samples: int = 512
    """At most this many recent samples per model."""
    failures: int = 5
    """Consecutive failures that open a model's circuit."""
    error_rate: float = 0.5
    min_requests: int = 20
    """The circuit also opens when the window's error rate reaches `error_rate` over this many requests."""
    cooldown: float = 10.0
    """Seconds an open circuit waits before letting one probe request through."""


class TranslationConfig(_Strict, frozen=True):
    strict: bool = False
    """Refuse instead of adapt: a request field the chosen model cannot carry and the answer would
    lack (a hosted tool, reasoning effort, a request key pointsman does not know) is a 400 naming
    the field and the model, not a note in the trace. Hints that change no answer stay notes."""
    count_tokens: Literal["local", "provider"] = "local"
    """`POST /v1/messages/count_tokens`: counted by the gateway (free, no provider call), or, for a
    model on an Anthropic-wire provider, asked of the provider for its exact count."""


class Config(_Strict, frozen=True):
    server: ServerConfig = ServerConfig()
    ledger: LedgerConfig = LedgerConfig()
    catalog: CatalogConfig = CatalogConfig()
    providers: dict[str, ProviderConfig] = {}
    models: dict[str, ModelConfig] = {}
    aliases: dict[str, str] = {}
    routes: dict[str, RouteConfig] = {}
    pools: dict[str, PoolConfig] = {}
    health: HealthConfig = HealthConfig()
    translation: TranslationConfig = TranslationConfig()
    learned: LearnedConfig = LearnedConfig()
    source: str = ""
    """The file this config came from (set by the loader, for messages)."""
    lines: dict[Any, int] = {}
    """The line of each key path in `source` (set by the loader, for messages)."""

    def locate(self, path: tuple[str | int, ...], problem: str) -> ConfigError:
        """An error naming the file, the line and the key: `gw.yaml:12: routes.auto.default: ...`."""
        from pointsman.config.yamlsource import where

        return ConfigError(f"{where(self.source, self.lines, path)}: {problem}")
