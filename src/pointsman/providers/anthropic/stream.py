"""Anthropic SSE events → canonical OpenAI chunks: one translator object per stream.

Anthropic numbers every content block; OpenAI numbers only tool calls. Usage arrives in
`message_start` (input and cache) and cumulatively in `message_delta` (output): last value wins.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from pointsman.errors import UpstreamProtocolError
from pointsman.providers.anthropic.errors import classify
from pointsman.providers.anthropic.response import FINISH, usage_of
from pointsman.providers.base import Endpoint, Json, StreamOut, UpstreamResponse
from pointsman.providers.openai.usage import usage_json
from pointsman.upstream.sse import SSEEvent
from pointsman.usage import Usage


class AnthropicStreamTranslator:
    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        self.usage: Usage | None = None
        self.text: list[str] = []
        self._raw_usage: dict[str, Any] = {}
        self._tool_index: dict[int, int] = {}  # Anthropic block index → OpenAI tool_calls index
        self._base: Json = {
            "id": "",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": "",
        }

    def _chunk(self, delta: Json, finish: str | None = None) -> tuple[Json, bytes | None]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {**self._base, "choices": [choice]}, None

    def _merge_usage(self, raw: Any) -> None:
        if isinstance(raw, dict):
            self._raw_usage.update({k: v for k, v in raw.items() if v is not None})
            self.usage = usage_of(self._raw_usage)

    def feed(self, event: SSEEvent) -> StreamOut:
        try:
            data = orjson.loads(event.data)
        except orjson.JSONDecodeError:
            raise UpstreamProtocolError(
                f"provider '{self._endpoint.name}' sent a malformed stream event",
                provider=self._endpoint.name,
            ) from None
        kind = data.get("type") if isinstance(data, dict) else None
        handler = getattr(self, f"_on_{kind}", None)
        if handler is None:
            return StreamOut()  # ping, and event types added after this was written
        out: StreamOut = handler(data)
        return out

    def _on_message_start(self, data: Json) -> StreamOut:
        message = data.get("message") or {}
        self._base["id"], self._base["model"] = message.get("id", ""), message.get("model", "")
        self._merge_usage(message.get("usage"))
        return StreamOut([self._chunk({"role": "assistant", "content": ""})])

    def _on_content_block_start(self, data: Json) -> StreamOut:
        block = data.get("content_block") or {}
        if block.get("type") != "tool_use":
            return StreamOut()
        index = self._tool_index[data.get("index", 0)] = len(self._tool_index)
        name = block.get("name", "")
        self.text.append(name)
        call = {
            "index": index,
            "id": block.get("id", ""),
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        return StreamOut([self._chunk({"tool_calls": [call]})])

    def _on_content_block_delta(self, data: Json) -> StreamOut:
        delta = data.get("delta") or {}
        kind = delta.get("type")
        if kind == "text_delta":
            text = delta.get("text", "")
            self.text.append(text)
            return StreamOut([self._chunk({"content": text})])
        if kind == "input_json_delta":  # by type, not by truthiness: the first fragment is often ""
            part = delta.get("partial_json", "")
            self.text.append(part)
            index = self._tool_index.get(data.get("index", 0))
            if index is None:  # a server tool's input (web search): Anthropic runs it, the client does not
                return StreamOut()
            return StreamOut(
                [self._chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})]
            )
        if kind == "thinking_delta":
            return self._thought(delta.get("thinking", ""))
        return StreamOut()

    def _thought(self, thought: str) -> StreamOut:
        """Thinking is billed as output and is not part of the answer: it goes as chat's
        `reasoning_content` (DeepSeek's field), which surfaces may show as reasoning."""
        self.text.append(thought)
        return StreamOut([self._chunk({"reasoning_content": thought})]) if thought else StreamOut()

    def _on_message_delta(self, data: Json) -> StreamOut:
        self._merge_usage(data.get("usage"))
        reason = (data.get("delta") or {}).get("stop_reason")
        chunks = [self._chunk({}, FINISH.get(str(reason), "stop"))]
        if self.usage is not None:
            chunks.append(({**self._base, "choices": [], "usage": usage_json(self.usage)}, None))
        return StreamOut(chunks)

    def _on_message_stop(self, data: Json) -> StreamOut:
        return StreamOut(done=True)

    def _on_error(self, data: Json) -> StreamOut:
        raise classify(self._endpoint, UpstreamResponse(_status_of(data), {}, orjson.dumps(data)))


def _status_of(data: Json) -> int:
    kind = (data.get("error") or {}).get("type")
    return {"overloaded_error": 529, "rate_limit_error": 429, "api_error": 500}.get(str(kind), 500)
