"""What a request needs from a model, checked against the catalog's capability data. Pure.

A request that needs something the target cannot do is refused with a clear 400 before any
provider is called (never silently mangled); routing reuses this to skip unfit candidates.
"""

from __future__ import annotations

from typing import Any

from pointsman.catalog.model import CatalogModel
from pointsman.errors import ContextLengthExceeded, InvalidRequest
from pointsman.providers.base import call_texts

_IMAGE_PARTS = frozenset({"image_url", "input_image", "image"})


def needs(body: dict[str, Any], endpoint: str) -> set[str]:
    """The capabilities a canonical request uses."""
    if endpoint == "embeddings":
        return {"embeddings"}
    wanted = {"chat"}
    if body.get("tools"):
        wanted.add("tools")
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json_object"):
        wanted.add("json_schema" if fmt["type"] == "json_schema" else "json_object")
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list) and any(
            isinstance(p, dict) and p.get("type") in _IMAGE_PARTS for p in content
        ):
            wanted.add("vision")
            break
    return wanted


def missing(body: dict[str, Any], endpoint: str, model: CatalogModel) -> set[str]:
    wanted = needs(body, endpoint)
    have = set(model.capabilities)
    if "json_schema" in have:
        have.add("json_object")  # a model that follows a schema can follow "any JSON object"
    return wanted - have


def check(body: dict[str, Any], endpoint: str, model: CatalogModel) -> None:
    lacking = missing(body, endpoint, model)
    if lacking:
        what = ", ".join(sorted(lacking))
        have = ", ".join(sorted(model.capabilities)) or "none listed"
        raise InvalidRequest(
            f"The model '{model.name}' does not support {what} (its capabilities: {have}). "
            "Choose another model, or list the capability under models."
            f"{model.name}.capabilities if it does support it.",
            param="model",
            code="unsupported_capability",
        )


def prompt_texts(body: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(str(p.get("text", "")) for p in content if isinstance(p, dict))
        for call in (message.get("tool_calls") or ()) if isinstance(message, dict) else ():
            texts.extend(call_texts(call))
    return texts


def prompt_bytes(body: dict[str, Any]) -> int:
    """An upper bound on prompt tokens that costs no tokenizer: no token is shorter than a byte,
    plus the chat framing (OpenAI's method: 3 a message, 3 to prime the reply, 1 for a name)."""
    messages = body.get("messages")
    framing = 4 * len(messages) + 3 if isinstance(messages, list) else 0
    return framing + sum(len(text.encode()) for text in prompt_texts(body))


def check_context(prompt_tokens: int, model: CatalogModel) -> None:
    window = model.context_window
    if window is not None and prompt_tokens > window:
        raise ContextLengthExceeded(
            f"This request has about {prompt_tokens} prompt tokens, more than the {window}-token context "
            f"window of '{model.name}'. Shorten the conversation or choose a model with a larger window.",
            param="messages",
        )
