"""Canonical request ⇄ Anthropic Messages (`POST {base_url}/messages`)."""

from __future__ import annotations

import orjson

from pointsman.errors import InvalidRequest, UpstreamError, UpstreamProtocolError
from pointsman.providers.anthropic.carry import BETAS
from pointsman.providers.anthropic.errors import classify
from pointsman.providers.anthropic.request import keep_thinking_valid, responses_extras, to_anthropic
from pointsman.providers.anthropic.response import to_openai
from pointsman.providers.anthropic.stream import AnthropicStreamTranslator
from pointsman.providers.base import Completion, Endpoint, Json, UpstreamRequest, UpstreamResponse

API_VERSION = "2023-06-01"


def with_betas(headers: dict[str, str], betas: list[str]) -> dict[str, str]:
    """The client's `anthropic-beta` values after any the provider's config sets, each once."""
    key = next((k for k in headers if k.lower() == "anthropic-beta"), "anthropic-beta")
    configured = [b.strip() for b in headers.get(key, "").split(",") if b.strip()]
    merged = configured + [b for b in betas if b not in configured]
    return {**{k: v for k, v in headers.items() if k != key}, "anthropic-beta": ",".join(merged)}


class AnthropicProvider:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._url = f"{endpoint.base_url.rstrip('/')}/messages"
        headers = {"content-type": "application/json", "anthropic-version": API_VERSION, **endpoint.headers}
        if endpoint.api_key:
            if endpoint.auth_header.lower() == "authorization":
                headers["authorization"] = f"Bearer {endpoint.api_key}"
            else:
                headers[endpoint.auth_header or "x-api-key"] = endpoint.api_key
        self._headers = headers

    def chat_request(self, body: Json, upstream_model: str, *, want_stream_usage: bool) -> UpstreamRequest:
        notes: list[str] = []
        out = to_anthropic(body, upstream_model, notes)
        notes += (*responses_extras(body, out), *keep_thinking_valid(body, out))
        vendor = body.get("anthropic")
        betas = vendor.get(BETAS) if isinstance(vendor, dict) else None
        headers = with_betas(self._headers, betas) if betas else self._headers
        stream = bool(out.get("stream"))
        return UpstreamRequest(self._url, headers, orjson.dumps(out), stream=stream, adapted=tuple(notes))

    def count_request(self, body: Json, upstream_model: str, betas: list[str]) -> UpstreamRequest:
        """`POST /messages/count_tokens` with the client's body as sent, for the provider's exact count."""
        headers = with_betas(self._headers, betas) if betas else self._headers
        out = orjson.dumps({**body, "model": upstream_model})
        return UpstreamRequest(f"{self._url}/count_tokens", headers, out)

    def refusal(self, body: Json, model: str) -> InvalidRequest | None:
        return None  # the Messages API carries everything the Anthropic surface takes

    def parse_chat(self, response: UpstreamResponse) -> Completion:
        try:
            data = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("content"), list):
            raise UpstreamProtocolError(
                f"provider '{self.endpoint.name}' answered with a body that is not a Messages response",
                provider=self.endpoint.name,
            )
        completion, usage = to_openai(data)
        return Completion(data=completion, usage=usage, native=data)

    def stream_translator(self) -> AnthropicStreamTranslator:
        return AnthropicStreamTranslator(self.endpoint)

    def embeddings_request(self, body: Json, upstream_model: str) -> UpstreamRequest:
        raise InvalidRequest(
            f"provider '{self.endpoint.name}' (Anthropic) offers no embeddings", param="model"
        )

    def parse_embeddings(self, response: UpstreamResponse) -> Completion:
        raise InvalidRequest(
            f"provider '{self.endpoint.name}' (Anthropic) offers no embeddings", param="model"
        )

    def classify_error(self, response: UpstreamResponse) -> UpstreamError:
        return classify(self.endpoint, response)
