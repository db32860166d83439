"""Gemini stream chunks (each a partial GenerateContentResponse) → canonical OpenAI chunks.

Usage arrives in every chunk, cumulative: the last one wins. The stream ends when the connection
does (no [DONE]); a function call arrives whole in one chunk.
"""

from __future__ import annotations

import time

import orjson

from pointsman.errors import UpstreamProtocolError
from pointsman.providers.base import Endpoint, Json, StreamOut, UpstreamResponse
from pointsman.providers.gemini.errors import classify
from pointsman.providers.gemini.response import finish_reason, split_parts, usage_of
from pointsman.providers.openai.usage import usage_json
from pointsman.upstream.sse import SSEEvent
from pointsman.usage import Usage


class GeminiStreamTranslator:
    def __init__(self, endpoint: Endpoint, model: str) -> None:
        self._endpoint = endpoint
        self.usage: Usage | None = None
        self.text: list[str] = []
        self._calls = 0
        self._started = False
        self._base: Json = {
            "id": "",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }

    def _chunk(self, delta: Json, finish: str | None = None) -> tuple[Json, bytes | None]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**self._base, "choices": [choice]}, None

    def feed(self, event: SSEEvent) -> StreamOut:
        try:
            data = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            raise UpstreamProtocolError(
                f"provider '{self._endpoint.name}' sent a malformed stream chunk",
                provider=self._endpoint.name,
            ) from None
        if not isinstance(data, dict):
            raise UpstreamProtocolError(
                f"provider '{self._endpoint.name}' sent a stream chunk that is not an object",
                provider=self._endpoint.name,
            )
        if "error" in data:
            code = (data.get("error") or {}).get("code")
            raise classify(
                self._endpoint, UpstreamResponse(code if isinstance(code, int) else 500, {}, event.data)
            )
        self._base["id"] = self._base["id"] or f"chatcmpl-{data.get('responseId', '')}"
        usage = usage_of(data.get("usageMetadata"))
        if usage is not None:
            self.usage = usage
        chunks: list[tuple[Json, bytes | None]] = []
        if not self._started:
            self._started = True
            chunks.append(self._chunk({"role": "assistant", "content": ""}))
        candidate = (data.get("candidates") or [{}])[0]
        text, calls = split_parts((candidate.get("content") or {}).get("parts"), self._calls)
        if text:
            self.text.append(text)
            chunks.append(self._chunk({"content": text}))
        if calls:
            self._calls += len(calls)
            self.text += [c["function"]["name"] + c["function"]["arguments"] for c in calls]
            chunks.append(self._chunk({"tool_calls": calls}))
        reason = candidate.get("finishReason") or (data.get("promptFeedback") or {}).get("blockReason")
        if reason:
            chunks.append(self._chunk({}, finish_reason(reason, self._calls > 0)))
            if self.usage is not None:
                chunks.append(({**self._base, "choices": [], "usage": usage_json(self.usage)}, None))
        return StreamOut(chunks)
