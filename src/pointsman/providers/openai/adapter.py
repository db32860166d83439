"""Canonical (OpenAI) request ⇄ OpenAI-shaped upstream: nearly the identity, so bytes pass untouched."""

from __future__ import annotations

from typing import Any

import orjson

from pointsman.errors import InvalidRequest, UpstreamError, UpstreamProtocolError
from pointsman.providers.anthropic.carry import refusal as carried
from pointsman.providers.base import (
    Completion,
    Endpoint,
    Json,
    StreamOut,
    UpstreamRequest,
    UpstreamResponse,
)
from pointsman.providers.openai.errors import classify_error
from pointsman.providers.openai.foreign import from_anthropic
from pointsman.providers.openai.usage import parse_usage
from pointsman.upstream.sse import SSEEvent
from pointsman.usage import Usage


def auth_headers(endpoint: Endpoint) -> dict[str, str]:
    headers = {"content-type": "application/json", **endpoint.headers}
    if endpoint.api_key:
        if endpoint.auth_header.lower() in ("", "authorization"):
            headers["authorization"] = f"Bearer {endpoint.api_key}"
        else:
            headers[endpoint.auth_header] = endpoint.api_key
    return headers


def responses_extras(out: Json) -> tuple[str, ...]:
    """Takes out the canonical `responses` key (what only OpenAI's Responses service can use) and says
    what of it chat's `web_search_options` cannot hold."""
    extras = out.pop("responses", None)
    if not isinstance(extras, dict) or "web_search_options" not in out:
        return ()
    search = extras.get("web_search")
    notes = [f"web_search {key}: chat's web search has no such setting" for key in sorted(search or ())]
    if extras.get("max_tool_calls") is not None:
        notes.append("max_tool_calls: chat's web search takes no limit")
    return tuple(notes)


class OpenAIStreamTranslator:
    """Upstream chunks are already canonical: keep their bytes, note usage and generated text."""

    __slots__ = ("_endpoint", "text", "usage")

    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        self.usage: Usage | None = None
        self.text: list[str] = []

    def feed(self, event: SSEEvent) -> StreamOut:
        data = event.data
        if data == b"[DONE]":
            return StreamOut(done=True)
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise UpstreamProtocolError(
                f"provider '{self._endpoint.name}' sent a malformed stream chunk",
                provider=self._endpoint.name,
            ) from None
        if not isinstance(chunk, dict):
            raise UpstreamProtocolError(
                f"provider '{self._endpoint.name}' sent a stream chunk that is not an object",
                provider=self._endpoint.name,
            )
        if "error" in chunk and "choices" not in chunk:
            raise self._stream_error(data)
        usage = chunk.get("usage")
        if usage:
            self.usage = parse_usage(usage)
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if isinstance(delta, dict):
                self._collect(delta)
        return StreamOut(chunks=[(chunk, data)])

    def _collect(self, delta: dict[str, Any]) -> None:
        content = delta.get("content")
        if isinstance(content, str) and content:
            self.text.append(content)
        for call in delta.get("tool_calls") or ():
            if not isinstance(call, dict):
                continue
            function = call.get("function") or call.get("custom")  # a custom tool's call has `input`
            if isinstance(function, dict):
                for part in (function.get("name"), function.get("arguments"), function.get("input")):
                    if isinstance(part, str) and part:
                        self.text.append(part)

    def _stream_error(self, data: bytes) -> UpstreamError:
        # an error event mid-stream carries the same structured body as an HTTP error
        return classify_error(self._endpoint, UpstreamResponse(500, {}, data))


class OpenAIProvider:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        base = endpoint.base_url.rstrip("/")
        self._chat_url = f"{base}/chat/completions"
        self._embeddings_url = f"{base}/embeddings"
        self._headers = auth_headers(endpoint)

    def _prepare(self, body: Json, upstream_model: str) -> Json:
        out = dict(body)
        out["model"] = upstream_model
        for name in self.endpoint.strip_fields:
            out.pop(name, None)
        if "provider_routing" not in self.endpoint.features:
            out.pop("provider", None)  # OpenRouter's routing preferences (routing/hints.py)
        return out

    def chat_request(self, body: Json, upstream_model: str, *, want_stream_usage: bool) -> UpstreamRequest:
        out = self._prepare(body, upstream_model)
        vendor = out.pop("anthropic", None)  # another wire's surface: its vendor-only parts go, noted
        notes = tuple(from_anthropic(out, vendor, self.endpoint.name)) if vendor is not None else ()
        if "metadata" in out and out.get("store") is not True:
            # OpenAI refuses `metadata` unless the completion is stored; without `store` it serves the
            # gateway only (routing rules, ledger tags), so it stays here (README: adaptations)
            del out["metadata"]
        notes = (*notes, *responses_extras(out))
        stream = bool(out.get("stream"))
        if stream and want_stream_usage and self.endpoint.stream_usage:
            options = out.get("stream_options")
            out["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
        return UpstreamRequest(self._chat_url, self._headers, orjson.dumps(out), stream=stream, adapted=notes)

    def refusal(self, body: Json, model: str) -> InvalidRequest | None:
        if "anthropic" not in body:
            return None  # an OpenAI client's request: its fields (top_k too) pass as they are
        if "top_k" in body and "top_k" not in self.endpoint.features:
            return InvalidRequest(
                f"The model '{model}' cannot take top_k: its provider '{self.endpoint.name}' (OpenAI's API "
                "or one shaped like it) has no such parameter. Leave top_k out, or send it to an Anthropic, "
                "Gemini or llama.cpp/vLLM model.",
                param="top_k",
            )
        return carried(body, model, files="file" in self.endpoint.features)

    def parse_chat(self, response: UpstreamResponse) -> Completion:
        return self._completion(response, "choices")

    def stream_translator(self) -> OpenAIStreamTranslator:
        return OpenAIStreamTranslator(self.endpoint)

    def embeddings_request(self, body: Json, upstream_model: str) -> UpstreamRequest:
        return UpstreamRequest(
            self._embeddings_url, self._headers, orjson.dumps(self._prepare(body, upstream_model))
        )

    def parse_embeddings(self, response: UpstreamResponse) -> Completion:
        return self._completion(response, "data")

    def classify_error(self, response: UpstreamResponse) -> UpstreamError:
        return classify_error(self.endpoint, response)

    def _completion(self, response: UpstreamResponse, listing: str) -> Completion:
        """The body must be an object holding a `listing` array (choices, or embeddings' data)."""
        try:
            data = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict) or not isinstance(data.get(listing), list):
            raise UpstreamProtocolError(
                f"provider '{self.endpoint.name}' answered with a body that has no `{listing}` array",
                provider=self.endpoint.name,
            )
        return Completion(data=data, usage=parse_usage(data.get("usage")), raw=response.body)
