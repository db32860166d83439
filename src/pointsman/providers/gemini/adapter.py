"""Canonical request ⇄ Gemini (`POST {base_url}/models/{model}:generateContent`, streamed with alt=sse)."""

from __future__ import annotations

import time

import orjson

from pointsman.errors import InvalidRequest, UpstreamError, UpstreamProtocolError
from pointsman.providers.base import Completion, Endpoint, Json, UpstreamRequest, UpstreamResponse
from pointsman.providers.gemini.errors import classify
from pointsman.providers.gemini.request import responses_extras, to_gemini
from pointsman.providers.gemini.response import finish_reason, split_parts, usage_of
from pointsman.providers.gemini.stream import GeminiStreamTranslator
from pointsman.providers.openai.usage import usage_json


class GeminiProvider:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._base = endpoint.base_url.rstrip("/")
        headers = {"content-type": "application/json", **endpoint.headers}
        if endpoint.api_key:
            headers[endpoint.auth_header or "x-goog-api-key"] = endpoint.api_key
        self._headers = headers
        self._model = ""

    def chat_request(self, body: Json, upstream_model: str, *, want_stream_usage: bool) -> UpstreamRequest:
        stream = bool(body.get("stream"))
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        url = f"{self._base}/models/{upstream_model}:{method}"
        out = to_gemini(body)
        notes = tuple(responses_extras(body, out))
        return UpstreamRequest(url, self._headers, orjson.dumps(out), stream=stream, adapted=notes)

    def parse_chat(self, response: UpstreamResponse) -> Completion:
        try:
            data = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict) or ("candidates" not in data and "promptFeedback" not in data):
            raise UpstreamProtocolError(
                f"provider '{self.endpoint.name}' answered with a body that is not a Gemini response",
                provider=self.endpoint.name,
            )
        choices = []
        for i, candidate in enumerate(data.get("candidates") or ()):
            text, calls = split_parts((candidate.get("content") or {}).get("parts"), 0)
            message: Json = {"role": "assistant", "content": text or None, "refusal": None}
            if calls:
                message["tool_calls"] = [{k: v for k, v in c.items() if k != "index"} for c in calls]
            reason = finish_reason(candidate.get("finishReason"), bool(calls))
            choices.append(
                {
                    "index": candidate.get("index", i),
                    "message": message,
                    "logprobs": None,
                    "finish_reason": reason,
                }
            )
        if not choices:  # the prompt itself was blocked
            choices = [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": None},
                    "logprobs": None,
                    "finish_reason": "content_filter",
                }
            ]
        usage = usage_of(data.get("usageMetadata"))
        out: Json = {
            "id": f"chatcmpl-{data.get('responseId', '')}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": data.get("modelVersion", ""),
            "choices": choices,
        }
        if usage is not None:
            out["usage"] = usage_json(usage)
        return Completion(data=out, usage=usage)

    def stream_translator(self) -> GeminiStreamTranslator:
        return GeminiStreamTranslator(self.endpoint, "")

    def embeddings_request(self, body: Json, upstream_model: str) -> UpstreamRequest:
        raise InvalidRequest(
            f"provider '{self.endpoint.name}' (Gemini) embeddings are not wired yet", param="model"
        )

    def parse_embeddings(self, response: UpstreamResponse) -> Completion:
        raise InvalidRequest(
            f"provider '{self.endpoint.name}' (Gemini) embeddings are not wired yet", param="model"
        )

    def classify_error(self, response: UpstreamResponse) -> UpstreamError:
        return classify(self.endpoint, response)
