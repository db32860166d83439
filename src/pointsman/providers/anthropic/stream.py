"""Anthropic SSE events → canonical OpenAI chunks: one translator object per stream.

Anthropic numbers every content block; OpenAI numbers only tool calls. Usage arrives in
`message_start` (input and cache) and cumulatively in `message_delta` (output): last value wins.
Thinking streams as `reasoning_content`; each event with no canonical form (a thinking block's
start, signature and end, redacted thinking, server-tool blocks, citations) travels whole in a chunk
of its own, `{"choices": [], "anthropic": event}`, for the Anthropic surface to replay (the chat
surface leaves such chunks out).
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

_PLAIN_TEXT = frozenset({"type", "text"})


class AnthropicStreamTranslator:
    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint
        self.usage: Usage | None = None
        self.text: list[str] = []
        self._raw_usage: dict[str, Any] = {}
        self._tool_index: dict[int, int] = {}  # Anthropic block index → OpenAI tool_calls index
        self._native: set[int] = set()
        """Blocks whose start and end travel as they came (all but plain text and tool calls)."""
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

    def _as_is(self, data: Json) -> StreamOut:
        return StreamOut([({**self._base, "choices": [], "anthropic": data}, None)])

    def _on_content_block_start(self, data: Json) -> StreamOut:
        block = data.get("content_block") or {}
        kind = block.get("type")
        if kind == "text" and _PLAIN_TEXT.issuperset(block):
            return StreamOut()
        if kind != "tool_use":
            self._native.add(data.get("index", 0))
            return self._as_is(data)
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
        at = data.get("index", 0)
        if kind == "input_json_delta" and at in self._tool_index:  # by type: the first fragment is often ""
            part = delta.get("partial_json", "")
            self.text.append(part)
            index = self._tool_index[at]
            return StreamOut(
                [self._chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})]
            )
        if kind == "thinking_delta":
            thought = delta.get("thinking", "")
            self.text.append(thought)  # billed as output; reasoning, not part of the answer
            return StreamOut([self._chunk({"reasoning_content": thought})])
        return self._as_is(data)  # signatures, citations, a server tool's input

    def _on_content_block_stop(self, data: Json) -> StreamOut:
        if data.get("index", 0) in self._native:
            return self._as_is(data)
        return StreamOut()

    def _on_message_delta(self, data: Json) -> StreamOut:
        self._merge_usage(data.get("usage"))
        delta = data.get("delta") or {}
        reason = delta.get("stop_reason")
        chunk, raw = self._chunk({}, FINISH.get(str(reason), "stop"))
        if reason == "stop_sequence" and isinstance(delta.get("stop_sequence"), str):
            chunk["choices"][0]["stop_reason"] = delta["stop_sequence"]  # which one (vLLM's field)
        chunks = [(chunk, raw)]
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
