"""Canonical chunks → Gemini's stream of partial GenerateContentResponses. One object per stream.

With `alt=sse` (what Google's SDKs ask for) each is a `data:` event and nothing closes the
stream but its end; without, they are the elements of one JSON array, as Gemini's REST API sends
them. Text goes out as it comes; a function call is held until it is whole (Gemini sends each in
one piece), and the last chunk carries the finish reason and the usage.
"""

from __future__ import annotations

import orjson

from pointsman.errors import PointsmanError
from pointsman.providers.base import Json
from pointsman.surfaces.gemini.errors import to_gemini
from pointsman.surfaces.gemini.render import EMPTY_TEXT, finish_name, function_call, usage_metadata
from pointsman.usage import Usage


class GeminiStreamRenderer:
    def __init__(self, model: str, response_id: str, *, sse: bool) -> None:
        self._base: Json = {"modelVersion": model, "responseId": response_id}
        self._sse = sse
        self._sent = 0
        self._calls: dict[tuple[int, int], Json] = {}
        """Tool calls being streamed, by (candidate, call index), until they are whole."""
        self._finish: dict[int, str] = {}

    def start(self) -> bytes:
        return b"" if self._sse else b"["

    def _frame(self, data: Json) -> bytes:
        body = orjson.dumps(data)
        self._sent += 1
        if self._sse:
            return b"data: " + body + b"\r\n\r\n"
        return body if self._sent == 1 else b",\r\n" + body

    def chunk(self, data: Json) -> bytes:
        candidates: list[Json] = []
        for choice in data.get("choices") or ():
            index = choice.get("index", 0)
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text:
                candidates.append({"content": {"role": "model", "parts": [{"text": text}]}, "index": index})
            for call in delta.get("tool_calls") or ():
                self._hold(index, call)
            if choice.get("finish_reason"):
                self._finish[index] = choice["finish_reason"]
        return self._frame({"candidates": candidates, **self._base}) if candidates else b""

    def _hold(self, index: int, delta: Json) -> None:
        key = (index, delta.get("index", 0))
        held = self._calls.setdefault(
            key, {"id": f"call_{key[1]}", "function": {"name": "", "arguments": ""}}
        )
        function = delta.get("function") or {}
        held["id"] = delta.get("id") or held["id"]
        held["function"]["name"] = function.get("name") or held["function"]["name"]
        held["function"]["arguments"] += function.get("arguments") or ""

    def finish(self, usage: Usage) -> bytes:
        candidates = []
        for index in sorted({i for i, _ in self._calls} | set(self._finish) | {0}):
            calls = [function_call(call) for (i, _), call in sorted(self._calls.items()) if i == index]
            candidates.append(
                {
                    "content": {"role": "model", "parts": calls or [EMPTY_TEXT]},
                    "finishReason": finish_name(self._finish.get(index)),
                    "index": index,
                }
            )
        last = self._frame({"candidates": candidates, "usageMetadata": usage_metadata(usage), **self._base})
        return last if self._sse else last + b"]"

    def error(self, error: PointsmanError) -> bytes:
        """Google's SDKs raise on a chunk that is an error body."""
        framed = self._frame(to_gemini(error))
        return framed if self._sse else framed + b"]"
