"""The seam between the engine and a wire format.

A `Provider` only translates: canonical request → `UpstreamRequest`, upstream bytes → canonical
answer plus usage, vendor error → the error tree. It does no I/O, so every translation is a pure
function that golden fixtures can test. The canonical format is OpenAI chat completions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pointsman.errors import InvalidRequest, UpstreamError
from pointsman.redact import PLAIN, Redactor
from pointsman.upstream.sse import SSEEvent
from pointsman.usage import Usage

Json = dict[str, Any]


def content_text(content: Any, sep: str = "") -> str:
    """A canonical message's content as text: a string, or its text parts joined by `sep`."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return sep.join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def call_texts(call: Any) -> list[str]:
    """The texts of a canonical tool call: a function's name and arguments, a custom tool's name and
    input (for counting tokens)."""
    spec = (call.get("function") or call.get("custom")) if isinstance(call, dict) else None
    if not isinstance(spec, dict):
        return []
    return [str(spec.get(k) or "") for k in ("name", "arguments", "input") if k in spec]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how to reach one configured provider (secrets included: never log this)."""

    name: str
    type: str
    base_url: str
    api_key: str
    auth_header: str
    headers: Mapping[str, str]
    connect_timeout: float
    read_timeout: float
    stream_usage: bool
    strip_fields: tuple[str, ...] = ()
    features: frozenset[str] = frozenset()
    """What an OpenAI-shaped endpoint takes beyond plain chat (its preset knows): `top_k`, `file`
    parts, `max_completion_tokens` (its reasoning models refuse `max_tokens`)."""
    ca_file: str = ""
    proxy: str = ""
    """The HTTP proxy its calls go through ("" for none); may hold a password."""
    redactor: Redactor = PLAIN
    """Keeps every secret of the gateway's config (not only this provider's) out of what this
    provider's errors say; built once by the composition root."""


@dataclass(slots=True)  # made per request (per event): a frozen one costs a setattr per field
class UpstreamRequest:
    url: str
    headers: Mapping[str, str]
    body: bytes
    stream: bool = False
    adapted: tuple[str, ...] = ()
    """What the translation changed because the target has no equivalent (recorded in the trace,
    never silent): e.g. a cache hint the provider applies on its own."""


@dataclass(slots=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str = ""
    """What was called (may hold a key: redact before showing), for errors that name it."""


@dataclass(slots=True)
class Completion:
    """A whole answer in canonical form. `raw` is set when the upstream's bytes already are
    canonical, so the gateway can return them untouched instead of serialising again."""

    data: Json
    usage: Usage | None
    raw: bytes | None = None
    native: Json | None = None
    """The provider's own answer when its wire is not the canonical one (an Anthropic message), so a
    surface of that wire can return it losslessly (thinking signatures, server-tool blocks)."""


@dataclass(slots=True)
class StreamOut:
    """What one upstream event became: canonical chunks to forward (each a dict and, when the
    upstream bytes were already canonical, those bytes), and whether the stream has ended."""

    chunks: list[tuple[Json, bytes | None]] = field(default_factory=list)
    done: bool = False


class StreamTranslator(Protocol):
    usage: Usage | None
    text: list[str]
    """Every piece of generated text and tool arguments, for a local count when no usage comes."""

    def feed(self, event: SSEEvent) -> StreamOut: ...


class Provider(Protocol):
    endpoint: Endpoint

    def chat_request(
        self, body: Json, upstream_model: str, *, want_stream_usage: bool
    ) -> UpstreamRequest: ...

    def parse_chat(self, response: UpstreamResponse) -> Completion: ...

    def stream_translator(self) -> StreamTranslator: ...

    def refusal(self, body: Json, model: str) -> InvalidRequest | None:
        """Why this wire cannot carry `body` for the catalog model `model` (a field or block it has no
        equivalent of, e.g. an Anthropic server tool for an OpenAI model), or None. Asked before
        routing tries the model, so a route can skip it for one that can."""

    def embeddings_request(self, body: Json, upstream_model: str) -> UpstreamRequest: ...

    def parse_embeddings(self, response: UpstreamResponse) -> Completion: ...

    def classify_error(self, response: UpstreamResponse) -> UpstreamError: ...
