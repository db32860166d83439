"""Gemini `contents` and `systemInstruction` → canonical messages. Pure.

A model turn becomes an assistant message (its functionCalls its tool_calls); a user turn's
functionResponses become tool messages, answering the calls before them by id, else by name in
order (a response `{"output": text}` as that text, any other as its JSON), then its other parts
a user message. Thought summaries a client replays are left out (a
model reads none back). Inline images become image parts, inline PDFs file parts.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterator
from typing import Any

import orjson

from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json
from pointsman.providers.dataurl import data_url
from pointsman.shape import need_array, need_object, need_string, type_name
from pointsman.surfaces.gemini.fields import fields

_CONTENT = frozenset({"role", "parts"})
_PART = frozenset(
    {"text", "inlineData", "fileData", "functionCall", "functionResponse", "thought", "thoughtSignature"}
)
_BLOB = frozenset({"mimeType", "data", "displayName"})
_FILE = frozenset({"mimeType", "fileUri", "displayName"})
_CALL = frozenset({"id", "name", "args"})
_RESPONSE = frozenset({"id", "name", "response"})

_TURN = "contents[{}]"
_PARTS = "contents[{}].parts"
_AT = "contents[{}].parts[{}]"


class _Calls:
    """The function calls not yet answered: a functionResponse may carry the call's id (echoed
    from our answer) or only its name."""

    def __init__(self) -> None:
        self._by_name: defaultdict[str, deque[str]] = defaultdict(deque)
        self._names: dict[str, str] = {}

    def add(self, call_id: str, name: str) -> None:
        self._by_name[name].append(call_id)
        self._names[call_id] = name

    def answer(self, call_id: Any, name: str, i: int, j: int) -> str:
        if isinstance(call_id, str) and self._names.get(call_id) == name:
            self._by_name[name].remove(call_id)
            del self._names[call_id]
            return call_id
        waiting = self._by_name.get(name)
        if not waiting:
            where = _AT.format(i, j) + ".functionResponse"
            raise InvalidRequest(
                f"{where} answers no functionCall named {name!r} in an earlier model turn: send the "
                "model turn with that functionCall before its response.",
                param=where,
            )
        found = waiting.popleft()
        del self._names[found]
        return found


def _data_url(blob: Json, where: str, *at: int) -> tuple[str, str]:
    mime = need_string(blob.get("mimeType"), where + ".mimeType", *at)
    return mime, data_url(mime, need_string(blob.get("data"), where + ".data", *at))


def _media(part: Json, i: int, j: int) -> Json:
    """An inline or linked image (or an inline PDF) as a canonical content part."""
    if "inlineData" in part:
        where = _AT + ".inlineData"
        mime, url = _data_url(fields(part["inlineData"], where, _BLOB, i, j), where, i, j)
        if mime.startswith("image/"):
            return {"type": "image_url", "image_url": {"url": url}}
        if mime == "application/pdf":
            return {"type": "file", "file": {"file_data": url, "filename": "document.pdf"}}
        raise InvalidRequest(
            f"{where.format(i, j)}.mimeType {mime!r} is not supported by this gateway: send images or PDFs.",
            param=where.format(i, j),
        )
    where = _AT + ".fileData"
    linked = fields(part["fileData"], where, _FILE, i, j)
    uri = need_string(linked.get("fileUri"), where + ".fileUri", i, j)
    mime = str(linked.get("mimeType") or "")
    if uri.startswith(("http://", "https://")) and (mime.startswith("image/") or not mime):
        return {"type": "image_url", "image_url": {"url": uri}}
    raise InvalidRequest(
        f"{where.format(i, j)} refers to a file pointsman cannot pass on (Google's Files API, or not "
        "an image URL): send the content inline (inlineData).",
        param=where.format(i, j),
    )


def _function(part: Json, kind: str, payload: str, i: int, j: int) -> tuple[Json, str, Json]:
    """A functionCall's or functionResponse's fields, its name, and its object (args, response)."""
    where = f"{_AT}.{kind}"
    record = fields(part[kind], where, _CALL if kind == "functionCall" else _RESPONSE, i, j)
    name = need_string(record.get("name"), where + ".name", i, j)
    value = record.get(payload)
    if value is not None:
        need_object(value, f"{where}.{payload}", i, j)
    return record, name, value or {}


def _tool_message(part: Json, calls: _Calls, i: int, j: int) -> Json:
    result, name, response = _function(part, "functionResponse", "response", i, j)
    call_id = calls.answer(result.get("id"), name, i, j)
    return {"role": "tool", "tool_call_id": call_id, "content": _result_text(response)}


def _result_text(response: Json) -> str:
    """A tool result is text in the canonical request: Gemini's own convention, `{"output": text}`
    (or `{"content": text}`, as pointsman sends a text result to Gemini), is that text; any other
    response its JSON."""
    if len(response) == 1:
        (key, value), *_ = response.items()
        if key in ("output", "content") and isinstance(value, str):
            return value
    return orjson.dumps(response).decode()


def _parts(parts: list[Any], i: int) -> Iterator[tuple[int, Json]]:
    """A turn's parts with their indexes, thought summaries left out (no model reads them back)."""
    for j, raw in enumerate(parts):
        part = fields(raw, _AT, _PART, i, j)
        if part.get("thought") is not True:
            yield j, part


def _user(parts: list[Any], calls: _Calls, i: int) -> list[Json]:
    results: list[Json] = []
    content: list[Json] = []
    for j, part in _parts(parts, i):
        if "functionResponse" in part:
            results.append(_tool_message(part, calls, i, j))
        elif "functionCall" in part:
            where = _AT.format(i, j) + ".functionCall"
            raise InvalidRequest(f"{where} belongs in a turn with role 'model'.", param=where)
        elif "text" in part:
            content.append({"type": "text", "text": need_string(part["text"], _AT + ".text", i, j)})
        elif "inlineData" in part or "fileData" in part:
            content.append(_media(part, i, j))
    return [*results, {"role": "user", "content": content}] if content else results


def _tool_call(part: Json, calls: _Calls, i: int, j: int) -> Json:
    call, name, args = _function(part, "functionCall", "args", i, j)
    given = call.get("id")
    call_id = given if isinstance(given, str) and given else f"call_{i}_{j}"
    calls.add(call_id, name)
    function = {"name": name, "arguments": orjson.dumps(args).decode()}
    return {"id": call_id, "type": "function", "function": function}


def _model(parts: list[Any], calls: _Calls, i: int) -> Json | None:
    texts: list[str] = []
    tool_calls: list[Json] = []
    for j, part in _parts(parts, i):
        if "functionCall" in part:
            tool_calls.append(_tool_call(part, calls, i, j))
        elif "text" in part:
            texts.append(need_string(part["text"], _AT + ".text", i, j))
        elif "inlineData" in part or "fileData" in part or "functionResponse" in part:
            where = _AT.format(i, j)
            raise InvalidRequest(
                f"{where}: a model turn carries only text and functionCall parts.", param=where
            )
    if not texts and not tool_calls:
        return None  # only thoughts: nothing a model reads back
    message: Json = {"role": "assistant", "content": "".join(texts) or None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return message


def _merge(into: Json, message: Json) -> None:
    """Model turns in a row are one answer: google-genai's chats keep each streamed chunk's
    content as a turn of its own."""
    into["content"] = (into["content"] or "") + (message["content"] or "") or None
    if message.get("tool_calls"):
        into["tool_calls"] = [*into.get("tool_calls", ()), *message["tool_calls"]]


def messages(contents: Any) -> list[Json]:
    if contents is None:
        raise InvalidRequest("contents is required: an array of turns, each {role, parts}.", param="contents")
    out: list[Json] = []
    calls = _Calls()
    for i, raw in enumerate(need_array(contents, "contents")):
        turn = fields(raw, _TURN, _CONTENT, i)
        role = turn.get("role")
        role = "user" if role in (None, "") else role  # Gemini's default for a turn without one
        parts = need_array(turn.get("parts"), _PARTS, i)
        if role == "model":
            message = _model(parts, calls, i)
            if message is not None and out and out[-1]["role"] == "assistant":
                _merge(out[-1], message)
            elif message is not None:
                out.append(message)
        elif role in ("user", "function"):
            out += _user(parts, calls, i)
        else:
            shown = repr(role[:40]) if isinstance(role, str) else type_name(role)
            where = f"contents[{i}].role"
            raise InvalidRequest(f"{where} must be 'user' or 'model', got {shown}.", param=where)
    if not out:
        raise InvalidRequest("contents must hold at least one turn with a part.", param="contents")
    return out


def system_message(value: Any) -> Json | None:
    """systemInstruction (a Content, or a plain string) → one system message; separate parts stay
    separate text parts."""
    if value is None:
        return None
    if type(value) is str:
        return {"role": "system", "content": value}
    instruction = fields(value, "systemInstruction", _CONTENT)
    texts: list[Json] = []
    for j, raw in enumerate(need_array(instruction.get("parts"), "systemInstruction.parts")):
        part = fields(raw, "systemInstruction.parts[{}]", _PART, j)
        if "text" not in part:
            where = f"systemInstruction.parts[{j}]"
            raise InvalidRequest(f"{where} needs text: a system instruction is text only.", param=where)
        texts.append(
            {"type": "text", "text": need_string(part["text"], "systemInstruction.parts[{}].text", j)}
        )
    if not texts:
        return None
    return {"role": "system", "content": texts[0]["text"] if len(texts) == 1 else texts}
