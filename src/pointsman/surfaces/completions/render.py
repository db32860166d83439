"""Canonical answers and chunks → legacy `text_completion` objects and their SSE stream. Pure; the
stream renderer is one object per stream."""

from __future__ import annotations

import time
from typing import Any

import orjson

from pointsman.errors import PointsmanError
from pointsman.providers.base import Json
from pointsman.providers.openai.usage import usage_json
from pointsman.surfaces.completions.request import Legacy
from pointsman.usage import Usage

_FINISHES = frozenset({"stop", "length", "content_filter"})
"""The reasons a legacy completion can end with; a chat model's others (a refusal) read as `stop`."""


def _finish(reason: Any) -> str | None:
    if reason is None:
        return None
    return reason if reason in _FINISHES else "stop"


def _logprobs(chat: Any, offset: int) -> tuple[Json | None, int]:
    """Chat's per-token logprobs in the legacy shape (parallel arrays, alternatives as a map), and
    the text offset after them."""
    content = chat.get("content") if isinstance(chat, dict) else None
    if not isinstance(content, list):
        return None, offset
    out: Json = {"tokens": [], "token_logprobs": [], "top_logprobs": [], "text_offset": []}
    for entry in content:
        if not isinstance(entry, dict):
            continue
        token = str(entry.get("token", ""))
        out["tokens"].append(token)
        out["token_logprobs"].append(entry.get("logprob"))
        tops = entry.get("top_logprobs") or ()
        out["top_logprobs"].append({t.get("token"): t.get("logprob") for t in tops if isinstance(t, dict)})
        out["text_offset"].append(offset)
        offset += len(token)
    return out, offset


def to_text_completion(completion: Json, rid: str, model: str, usage: Usage, legacy: Legacy) -> Json:
    prefix = legacy.prompt if legacy.echo else ""
    choices = []
    for i, choice in enumerate(completion.get("choices") or ()):
        message = choice.get("message") or {}
        text = message.get("content")
        logprobs, _ = _logprobs(choice.get("logprobs"), 0)
        choices.append(
            {
                "text": prefix + (text if isinstance(text, str) else ""),
                "index": choice.get("index", i),
                "logprobs": logprobs,
                "finish_reason": _finish(choice.get("finish_reason")) or "stop",
            }
        )
    out: Json = {
        "id": rid,
        "object": "text_completion",
        "created": completion.get("created") or int(time.time()),
        "model": model,
        "choices": choices,
        "usage": usage_json(usage),
    }
    if completion.get("system_fingerprint"):
        out["system_fingerprint"] = completion["system_fingerprint"]
    return out


class CompletionsStreamRenderer:
    """Canonical chunks → `text_completion` chunks; the usage chunk when asked for, then `[DONE]`."""

    def __init__(self, rid: str, model: str, legacy: Legacy, n: int) -> None:
        self._base: Json = {
            "id": rid,
            "object": "text_completion",
            "created": int(time.time()),
            "model": model,
        }
        self._legacy = legacy
        self._n = n
        self._offsets: dict[int, int] = {}

    def _data(self, choices: list[Json], **extra: Any) -> bytes:
        return b"data: " + orjson.dumps({**self._base, "choices": choices, **extra}) + b"\n\n"

    def start(self) -> bytes:
        if not self._legacy.echo:
            return b""
        prompt = self._legacy.prompt  # echoed first, as OpenAI streams it
        return b"".join(
            self._data([{"text": prompt, "index": i, "logprobs": None, "finish_reason": None}])
            for i in range(self._n)
        )

    def chunk(self, data: Json) -> bytes:
        choices = []
        for choice in data.get("choices") or ():
            index = choice.get("index", 0)
            delta = choice.get("delta") or {}
            text = delta.get("content") if isinstance(delta.get("content"), str) else ""
            logprobs, self._offsets[index] = _logprobs(choice.get("logprobs"), self._offsets.get(index, 0))
            finish = _finish(choice.get("finish_reason"))
            if text or finish or logprobs:
                choices.append({"text": text, "index": index, "logprobs": logprobs, "finish_reason": finish})
        return self._data(choices) if choices else b""

    def finish(self, usage: Usage) -> bytes:
        tail = self._data([], usage=usage_json(usage)) if self._legacy.include_usage else b""
        return tail + b"data: [DONE]\n\n"

    def error(self, error: PointsmanError) -> bytes:
        # an `error` event is how OpenAI streams report failure (its SDKs raise on it); the ended
        # chunk before it says so, so a truncated answer never looks finished
        ended = [{"text": "", "index": 0, "logprobs": None, "finish_reason": "error"}]
        return self._data(ended) + b"data: " + orjson.dumps(error.to_openai()) + b"\n\n"
