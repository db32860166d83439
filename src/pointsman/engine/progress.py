"""What a streamed answer has shown so far, read off canonical chunks: text, tool calls, refusal,
reasoning, finish. Decides when a stream may be committed to the client and whether a failure is
still invisible."""

from __future__ import annotations

from typing import Any


class Progress:
    __slots__ = ("chars", "finish_reason", "refusal", "started", "text", "tools", "visible")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.chars = 0
        self.tools = False
        self.refusal = False
        self.visible = False
        """Something a person would see: text, a tool call or a refusal."""
        self.started = False
        """The model is producing: a visible token, or reasoning it streams before the answer."""
        self.finish_reason: str | None = None

    def feed(self, chunks: list[tuple[dict[str, Any], bytes | None]]) -> None:
        for data, _ in chunks:
            for choice in data.get("choices") or ():
                if not isinstance(choice, dict):
                    continue
                delta = choice.get("delta")
                if isinstance(delta, dict):
                    content = delta.get("content")
                    if isinstance(content, str) and content:
                        self.text.append(content)
                        self.chars += len(content)
                        self.visible = True
                    if delta.get("tool_calls"):
                        self.tools = self.visible = True
                    if delta.get("refusal"):
                        self.refusal = self.visible = True
                    if delta.get("reasoning_content") or delta.get("reasoning"):
                        self.started = True
                finish = choice.get("finish_reason")
                if finish:
                    self.finish_reason = finish
        self.started = self.started or self.visible

    @property
    def answer(self) -> str:
        return "".join(self.text)
