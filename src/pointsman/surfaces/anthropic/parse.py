"""The Anthropic Messages format as an inbound surface: its request → the canonical request. Pure.

What has a canonical form is mapped (text, images, tool calls and results, documents as file parts,
`thinking`/`output_config.effort` as `reasoning_effort`, `top_k`). What only Anthropic's API knows
stays with the canonical request in Anthropic's own form, under the key `anthropic`, so an Anthropic
target gets the client's values intact and every other target can say what it adapts or refuses:

- the request's `anthropic`: every top-level field with no canonical form, as sent (`thinking`,
  `output_config`, `metadata`, `context_management`, `service_tier`, `container`, `mcp_servers`,
  the original `tools` and `tool_choice`, fields this gateway does not know), plus `betas` (the
  `anthropic-beta` header) and `server_tools` (tools without an `input_schema`);
- a message's `anthropic`: an assistant turn's blocks, or a tool_result block, when the canonical
  form would lose something (thinking and its signature, server-tool blocks, citations, is_error,
  cache_control);
- a content part's `anthropic`: the block it came from, when it has more than the part says
  (a document's title); a block with no canonical form at all is a part of type `anthropic`.
"""

from __future__ import annotations

from typing import Any

import orjson

from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json
from pointsman.providers.dataurl import data_url
from pointsman.shape import need_array, need_object, need_string, optional_object, wrong_type
from pointsman.surfaces.anthropic.fields import canonical_fields

_TURN = "messages[{}].content"
_BLOCK = "messages[{}].content[{}]"
"""Where a content block is (with its turn's index and its own), named in errors."""
_RESULT_CONTENT = _BLOCK + ".content"
_USE_INPUT, _USE_ID, _USE_NAME = _BLOCK + ".input", _BLOCK + ".id", _BLOCK + ".name"
_PLAIN = {
    "text": frozenset({"type", "text", "cache_control"}),
    "image": frozenset({"type", "source", "cache_control"}),
}
"""The keys a block may have for its canonical part to say all of it."""
_PLAIN_TEXT = frozenset({"type", "text"})
_PLAIN_USE = frozenset({"type", "id", "name", "input"})
_PLAIN_RESULT = frozenset({"type", "tool_use_id", "content"})


def _part(block: Json, where: str, *at: int) -> Json:
    """One user (or tool result) content block → its canonical part."""
    kind = block.get("type")
    if kind == "text":
        text = block.get("text")
        if type(text) is not str:
            raise wrong_type(where + ".text", "a string", text, *at)
        part: Json = {"type": "text", "text": text}
    elif kind == "image" and (url := _image_url(block.get("source"), where, *at)) is not None:
        part = {"type": "image_url", "image_url": {"url": url}}
    elif kind == "document":
        part = _document(block, where, *at)
    elif type(kind) is not str:
        raise wrong_type(where + ".type", "a string", kind, *at)
    else:  # search results, Files API images, container uploads, ...: only Anthropic knows them
        return {"type": "anthropic", "anthropic": block}
    if "cache_control" in block:
        part["cache_control"] = block["cache_control"]
    if kind == "document" or not _PLAIN[kind].issuperset(block):
        part["anthropic"] = block
    return part


def _image_url(source: Any, where: str, *at: int) -> str | None:
    """A base64 or URL image source as a URL; None for a source only Anthropic knows (a file id)."""
    where += ".source"
    kind = need_object(source, where, *at).get("type")
    if kind == "base64":
        media = need_string(source.get("media_type", "image/png"), where + ".media_type", *at)
        return data_url(media, need_string(source.get("data"), where + ".data", *at))
    if kind == "url" or (kind is None and "url" in source):
        return need_string(source.get("url"), where + ".url", *at)
    return None


def _document(block: Json, where: str, *at: int) -> Json:
    """A base64 document → a file part; a text one → its text; other sources (a URL, a file id)
    have no canonical form."""
    source = need_object(block.get("source"), where + ".source", *at)
    kind = source.get("type")
    if kind == "base64":
        media = need_string(source.get("media_type", "application/pdf"), where + ".source.media_type", *at)
        data = need_string(source.get("data"), where + ".source.data", *at)
        name = block.get("title") if type(block.get("title")) is str else "document.pdf"
        return {"type": "file", "file": {"file_data": data_url(media, data), "filename": name}}
    if kind == "text":
        return {"type": "text", "text": need_string(source.get("data"), where + ".source.data", *at)}
    if kind == "content" and type(source.get("content")) is list:
        blocks = source["content"]
        if all(type(b) is dict and b.get("type") == "text" and type(b.get("text")) is str for b in blocks):
            return {"type": "text", "text": "\n\n".join(b["text"] for b in blocks)}
    return {"type": "anthropic"}


def system_text(content: Any, where: str, *at: int) -> str:
    """A system prompt's text: a string, or its text blocks joined by a blank line."""
    if content is None or type(content) is str:
        return content or ""
    return "\n\n".join(p["text"] for p in system_parts(content, where, *at))


def system_parts(content: Any, where: str, *at: int) -> list[Json]:
    """A system prompt's text blocks as canonical text parts (each keeps its cache_control)."""
    if type(content) is not list:
        raise wrong_type(where, "a string or an array of content blocks", content, *at)
    parts = []
    for k, block in enumerate(content):
        if type(block) is not dict:
            raise wrong_type(where + "[{}]", "an object", block, *at, k)
        if block.get("type") == "text":
            parts.append(_part(block, where + "[{}]", *at, k))
    return parts


def _tool_result(block: Json, i: int, j: int) -> Json:
    call_id = block.get("tool_use_id")
    if type(call_id) is not str:
        raise wrong_type(_BLOCK + ".tool_use_id", "a string", call_id, i, j)
    content = block.get("content")
    parts: list[Json] = []
    if type(content) is list:
        for k, inner in enumerate(content):
            if type(inner) is not dict:
                raise wrong_type(_RESULT_CONTENT + "[{}]", "an object", inner, i, j, k)
            parts.append(_part(inner, _RESULT_CONTENT + "[{}]", i, j, k))
    elif content is not None and type(content) is not str:
        raise wrong_type(_RESULT_CONTENT, "a string or an array of content blocks", content, i, j)
    body: str | list[Json]
    if all(p["type"] == "text" for p in parts):
        body = content if type(content) is str else "\n\n".join(p["text"] for p in parts)
        body = f"[error] {body}" if block.get("is_error") else body
    else:  # images (and documents) stay parts; an OpenAI target moves them after the results
        body = [{"type": "text", "text": "[error]"}, *parts] if block.get("is_error") else parts
    message: Json = {"role": "tool", "tool_call_id": call_id, "content": body}
    if type(content) is not str or not _PLAIN_RESULT.issuperset(block):
        message["anthropic"] = block
    return message


def _user(content: Any, i: int) -> list[Json]:
    """One Anthropic user turn → tool messages first (its tool_results), then the user's own parts."""
    if type(content) is str:
        return [{"role": "user", "content": content}]
    if type(content) is not list:
        raise wrong_type(_TURN, "a string or an array of content blocks", content, i)
    out: list[Json] = []
    parts: list[Json] = []
    for j, block in enumerate(content):
        if type(block) is not dict:
            raise wrong_type(_BLOCK, "an object", block, i, j)
        if block.get("type") == "tool_result":
            out.append(_tool_result(block, i, j))
        else:
            parts.append(_part(block, _BLOCK, i, j))
    if parts:
        out.append({"role": "user", "content": parts})
    return out


def _assistant(content: Any, i: int) -> Json:
    if type(content) is str:
        return {"role": "assistant", "content": content}
    if type(content) is not list:
        raise wrong_type(_TURN, "a string or an array of content blocks", content, i)
    texts: list[str] = []
    calls: list[Json] = []
    plain = True  # the canonical message says all of it (one plain text, plain tool calls)
    for j, block in enumerate(content):
        if type(block) is not dict:
            raise wrong_type(_BLOCK, "an object", block, i, j)
        kind = block.get("type")
        if kind == "text":
            text = block.get("text")
            if type(text) is not str:
                raise wrong_type(_BLOCK + ".text", "a string", text, i, j)
            texts.append(text)
            plain = plain and _PLAIN_TEXT.issuperset(block)
        elif kind == "tool_use":
            calls.append(_tool_use(block, i, j))
            plain = plain and _PLAIN_USE.issuperset(block)
        elif type(kind) is not str:
            raise wrong_type(_BLOCK + ".type", "a string", kind, i, j)
        else:  # thinking, redacted_thinking, server-tool use and results
            plain = False
    message: Json = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        message["tool_calls"] = calls
    if not plain or len(texts) > 1:
        message["anthropic"] = content
    return message


def _tool_use(block: Json, i: int, j: int) -> Json:
    arguments, call_id, name = block.get("input"), block.get("id"), block.get("name")
    if type(call_id) is not str or type(name) is not str or type(arguments) not in (dict, type(None)):
        optional_object(arguments, _USE_INPUT, i, j)
        need_string(call_id, _USE_ID, i, j)
        need_string(name, _USE_NAME, i, j)
    arguments_json = orjson.dumps(arguments or {}).decode()
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments_json}}


def _messages(body: Json) -> list[Json]:
    messages: list[Json] = []
    system = body.get("system")
    if type(system) is list:
        parts = system_parts(system, "system")
        if parts:
            messages.append({"role": "system", "content": parts})
    elif system_text(system, "system"):
        messages.append({"role": "system", "content": system})
    if body.get("messages") is None:
        raise InvalidRequest("messages: Field required", param="messages")
    for i, message in enumerate(need_array(body["messages"], "messages")):
        role = need_object(message, "messages[{}]", i).get("role")
        if role == "user":
            messages += _user(message.get("content"), i)
        elif role == "assistant":
            messages.append(_assistant(message.get("content"), i))
        elif role == "system":  # Claude Code sends these beside the top-level `system`; kept in place
            text = system_text(message.get("content"), "messages[{}].content", i)
            messages.append({"role": "system", "content": text})
        else:
            raise InvalidRequest(
                f"messages[{i}].role must be 'user', 'assistant' or 'system'", param=f"messages[{i}].role"
            )
    return messages


def to_canonical(body: Json, betas: tuple[str, ...] = ()) -> Json:
    """`betas`: the `anthropic-beta` header's values, for an Anthropic target."""
    max_tokens = body.get("max_tokens")
    if type(max_tokens) is not int:
        raise InvalidRequest("max_tokens: Field required (an integer)", param="max_tokens")
    stream = body.get("stream")
    if stream is not None and type(stream) is not bool:
        raise wrong_type("stream", "a boolean", stream)
    out: Json = {"model": body.get("model"), "messages": _messages(body), "max_tokens": max_tokens}
    canonical_fields(body, out, betas)
    if stream:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out
