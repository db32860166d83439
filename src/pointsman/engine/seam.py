"""Where a continuation joins a stream that broke after part of its answer reached the client. Pure.

A seam is verified or there is none, so the client never sees text repeated or skipped:

- prefill: the fallback continues the text as an assistant prefill (only the whitespace the prefill
  had to trim may come again, and is dropped);
- regenerated: the fallback answers afresh, and its answer must begin with exactly the text the
  client has; the rest is streamed;
- instruction: the fallback is asked, in a user turn, to continue its cut-off reply, repeating its
  last words first; its reply must begin with those words, and what follows them is streamed.
"""

from __future__ import annotations

from typing import Any, Protocol

NO_SEAM = -1
ANCHOR_WORDS = 8
ANCHOR_CHARS = 80
REGENERATE_MAX = 2000
"""Characters shown beyond which regenerating them all to find the overlap costs too much."""
_OPEN_QUOTES = "«\"'“‘"
_CLOSE_QUOTES = "»\"'”’"

INSTRUCTION = (
    "Your previous reply was cut off. Continue it exactly where it stopped. Begin your reply by "
    "repeating verbatim its last words, «{anchor}», then go straight on, with no preamble or comment."
)

Batch = list[tuple[dict[str, Any], bytes | None]]


class Seam(Protocol):
    how: str
    """How the seam is made, for the trace."""

    def judge(self, text: str, complete: bool) -> int | None:
        """Characters at the start of `text` the client already has, once that is decided; None:
        read more; NO_SEAM: there is no verified seam."""


def anchor_of(shown: str) -> str:
    """The last words of `shown` (at most 8 words and 80 characters) for the fallback to repeat."""
    words = shown.split()[-ANCHOR_WORDS:]
    while len(words) > 1 and len(" ".join(words)) > ANCHOR_CHARS:
        words = words[1:]
    return " ".join(words)[-ANCHOR_CHARS:]


def _trailing(shown: str) -> str:
    return shown[len(shown.rstrip()) :]


class PrefillSeam:
    def __init__(self, shown: str) -> None:
        self._trailing = _trailing(shown)
        self.how = "continued from an assistant prefill"

    def judge(self, text: str, complete: bool) -> int | None:
        if len(text) < len(self._trailing) and not complete:
            return None
        return len(self._trailing) if text.startswith(self._trailing) else 0


class RegenerateSeam:
    def __init__(self, shown: str) -> None:
        self._shown = shown
        self.how = f"regenerated; its first {len(shown)} characters matched the text already sent"

    def judge(self, text: str, complete: bool) -> int | None:
        shown = self._shown
        if len(text) < len(shown):
            return NO_SEAM if complete or not shown.startswith(text) else None
        return len(shown) if text.startswith(shown) else NO_SEAM


class AnchorSeam:
    def __init__(self, shown: str) -> None:
        self.anchor = anchor_of(shown)
        self._trailing = _trailing(shown)
        self.how = f"continued on instruction; it repeated «{self.anchor}» first"

    def judge(self, text: str, complete: bool) -> int | None:
        body = text.lstrip()
        at = len(text) - len(body)
        if body[:1] and body[0] in _OPEN_QUOTES:
            at, body = at + 1, body[1:]
        anchor = self.anchor
        if len(body) <= len(anchor) and not complete:  # one more character settles a closing quote
            return None if anchor.startswith(body) else NO_SEAM
        if not body.startswith(anchor):
            return NO_SEAM
        end = at + len(anchor)
        if text[end : end + 1] and text[end] in _CLOSE_QUOTES:
            end += 1
        if self._trailing and text[end:].startswith(self._trailing):
            end += len(self._trailing)  # the client has that space already
        return end


def instruction(anchor: str) -> str:
    return INSTRUCTION.format(anchor=anchor)


def drop_text(batch: Batch, count: int) -> Batch:
    """`batch` without the first `count` characters of answer text (the client has them)."""
    if count <= 0:
        return batch
    out: Batch = []
    for data, raw in batch:
        for choice in data.get("choices") or ():
            delta = choice.get("delta") if isinstance(choice, dict) else None
            content = delta.get("content") if isinstance(delta, dict) else None
            if count and isinstance(content, str) and content:
                cut = min(count, len(content))
                delta["content"], raw, count = content[cut:], None, count - cut  # type: ignore[index]
        out.append((data, raw))
    return out
