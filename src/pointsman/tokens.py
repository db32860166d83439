"""Offline token counting, for estimates when a provider reports no usage.

The tables ship inside the `quicktok-v1` wheel, so nothing is downloaded at run time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from concurrent.futures import Executor
from typing import Any

import quicktok

from pointsman.providers.base import call_texts

# model-name prefixes → encoding, per provider family. OpenAI, Llama and Qwen counts are exact.
# Anthropic and Google publish no offline tokenizer: Claude and Gemini are counted with o200k, a
# close estimate; rows counted this way are marked `estimated` in the ledger either way.
_FAMILIES = (
    (
        ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "gpt-6", "o1", "o3", "o4", "chatgpt", "gpt-oss"),
        "o200k_base",
    ),
    (("gpt-4", "gpt-3.5", "text-embedding"), "cl100k_base"),
    (("llama", "meta-llama", "smollm"), "llama3"),
    (("qwen",), "qwen3"),
    (("claude", "gemini", "gemma"), "o200k_base"),
)


ASIDE_BYTES = 32 * 1024
"""Prompts at least this large are counted in the executor: counting costs about 0.1 µs a byte, so
an 8 MB prompt would hold the event loop, and every other request, for most of a second."""


class TokenCounter:
    """Holds loaded encodings; create once per process and pass it where needed. With an executor,
    large counts (`count_messages_aside`) run there, off the event loop."""

    def __init__(self, executor: Executor | None = None) -> None:
        self._encodings: dict[str, Any] = {}
        self._executor = executor
        self._counted: dict[tuple[int, str], tuple[Any, int]] = {}
        """The last large prompts counted aside (the list itself is held, so its id stays its own):
        when the request ends without usage, its estimate reuses the count instead of counting a
        megabyte prompt again on the event loop."""

    def warm(self, *names: str) -> None:
        """Load tables now: about half a second and 30-65 MB each."""
        for name in names:
            self._encoding(name)

    def loaded(self, model: str, tokenizer: str = "") -> bool:
        return self.encoding_name(model, tokenizer) in self._encodings

    async def ready(self, model: str, tokenizer: str = "") -> None:
        """Load the model's table in a thread the first time, so the event loop never stalls on it."""
        if not self.loaded(model, tokenizer):
            await asyncio.to_thread(self.warm, self.encoding_name(model, tokenizer))

    def encoding_name(self, model: str, override: str = "") -> str:
        if override:
            return override
        name = model.rsplit("/", 1)[-1].lower()
        for prefixes, encoding in _FAMILIES:
            if name.startswith(prefixes):
                return encoding
        return "o200k_base"

    def _encoding(self, name: str) -> Any:
        encoding = self._encodings.get(name)
        if encoding is None:
            encoding = self._encodings[name] = quicktok.get_encoding(name)
        return encoding

    def count(self, text: str, model: str, tokenizer: str = "") -> int:
        if not text:
            return 0
        encoding = self._encodings.get(self.encoding_name(model, tokenizer))
        if encoding is None:
            return (len(text.encode()) + 3) // 4  # table not loaded (callers await ready() first)
        return int(encoding.count(text))

    def count_texts(self, texts: Iterable[str], model: str, tokenizer: str = "") -> int:
        return self.count("".join(texts), model, tokenizer)

    async def count_messages_aside(self, messages: Any, model: str, tokenizer: str, size: int) -> int:
        """`count_messages` of a prompt of about `size` bytes, in the executor when it is large."""
        if size < ASIDE_BYTES or self._executor is None:
            return self.count_messages(messages, model, tokenizer)
        loop = asyncio.get_running_loop()
        count = await loop.run_in_executor(self._executor, self.count_messages, messages, model, tokenizer)
        if len(self._counted) >= 16:
            del self._counted[next(iter(self._counted))]
        self._counted[(id(messages), self.encoding_name(model, tokenizer))] = (messages, count)
        return count

    def count_messages(self, messages: Any, model: str, tokenizer: str = "") -> int:
        """Chat framing as OpenAI documents it: 3 tokens a message, 3 to prime the reply."""
        if not isinstance(messages, list):
            return 0
        if self._counted:
            known = self._counted.get((id(messages), self.encoding_name(model, tokenizer)))
            if known is not None and known[0] is messages:
                return int(known[1])
        parts: list[str] = []
        total = 3
        for message in messages:
            if not isinstance(message, dict):
                continue
            total += 3
            for key, value in message.items():
                if isinstance(value, str):
                    parts.append(value)
                    total += key == "name"
                elif key == "content" and isinstance(value, list):
                    parts.extend(
                        p["text"] for p in value if isinstance(p, dict) and isinstance(p.get("text"), str)
                    )
                elif key == "tool_calls" and isinstance(value, list):
                    for call in value:
                        parts.extend(call_texts(call))
        return total + sum(self.count(part, model, tokenizer) for part in parts)
