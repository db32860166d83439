"""Responses `input` items → canonical (OpenAI chat) messages. Pure.

Every value read is type-checked, so a wrong one is a 400 naming its place (`input[0].content[1]`).
An item kind a chat model cannot take is a 400 naming it and why; items that only record what
happened inside OpenAI's service (a reasoning item, a web search call) are left out with a note.
"""

from __future__ import annotations

from typing import Any

from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json
from pointsman.shape import need_array, need_object, need_string, optional_string, wrong_type
from pointsman.surfaces.responses.tools import called_name

_ROLES = ("user", "assistant", "system", "developer")
_TEXT_PARTS = ("input_text", "output_text", "text")
_ITEM = "input[{}]"
_PART = "input[{}].content[{}]"
_HOSTED_ITEM = "it records a hosted tool run inside OpenAI's service, which no model behind pointsman has"
_REFUSED_ITEMS = {
    "local_shell_call": "the local_shell tool exists for codex-mini-latest only",
    "local_shell_call_output": "the local_shell tool exists for codex-mini-latest only",
    "compaction": "its content is encrypted for OpenAI's models only",
    "compaction_summary": "its content is encrypted for OpenAI's models only",
}
LEFT_OUT = {
    "reasoning": "input: reasoning items are left out (no chat completions target takes them back)",
    "web_search_call": "input: web_search_call items are left out (the search's answer follows them)",
}


def _image(part: Json, where: str, i: int, j: int) -> Json:
    url = part.get("image_url")
    optional_string(url, where + ".image_url", i, j)
    if not url:
        raise InvalidRequest(
            f"{where.format(i, j)}: only an image_url (a URL or a data URL) can be sent on; a file_id "
            "names a file stored at OpenAI",
            param=f"{where.format(i, j)}.image_url",
        )
    return {"type": "image_url", "image_url": {"url": url, "detail": part.get("detail", "auto")}}


def _file(part: Json, where: str, i: int, j: int) -> Json:
    file: Json = {}
    for key in ("file_data", "file_id", "filename"):
        value = part.get(key)
        optional_string(value, where + "." + key, i, j)
        if value:
            file[key] = value
    if "file_data" not in file and "file_id" not in file:
        raise InvalidRequest(
            f"{where.format(i, j)}: send the file itself as file_data (a base64 data URL); a file_url "
            "is not fetched by chat completions models",
            param=where.format(i, j),
        )
    return {"type": "file", "file": file}


def part(value: Any, where: str, i: int, j: int) -> Json:
    """One content part → chat's text, image_url or file part."""
    kind = need_object(value, where, i, j).get("type")
    if kind in _TEXT_PARTS:
        return {"type": "text", "text": need_string(value.get("text"), where + ".text", i, j)}
    if kind == "input_image":
        return _image(value, where, i, j)
    if kind == "input_file":
        return _file(value, where, i, j)
    if kind == "refusal":
        return {"type": "text", "text": need_string(value.get("refusal"), where + ".refusal", i, j)}
    if type(kind) is not str:
        raise wrong_type(where + ".type", "a string", kind, i, j)
    raise InvalidRequest(
        f"{where.format(i, j)}: content part type {kind!r} is not supported", param=where.format(i, j)
    )


def _parts(content: Any, i: int) -> Any:
    if type(content) is str:
        return content
    return [part(p, _PART, i, j) for j, p in enumerate(need_array(content, "input[{}].content", i))]


def _output(output: Any, i: int) -> Any:
    """A tool's output: text stays a string; with images or files, chat's list of parts."""
    if type(output) is str:
        return output
    parts = [
        part(p, "input[{}].output[{}]", i, j) for j, p in enumerate(need_array(output, "input[{}].output", i))
    ]
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts)
    return parts


def _call(item: Json, i: int) -> Json:
    call_id = need_string(item.get("call_id"), "input[{}].call_id", i)
    name = called_name(need_string(item.get("name"), "input[{}].name", i), item.get("namespace"))
    if item.get("type") == "custom_tool_call":
        text = need_string(item.get("input"), "input[{}].input", i)
        return {"id": call_id, "type": "custom", "custom": {"name": name, "input": text}}
    arguments = need_string(item.get("arguments", ""), "input[{}].arguments", i)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _add_call(call: Json, messages: list[Json]) -> None:
    last = messages[-1] if messages else None
    if last is not None and last["role"] == "assistant":
        last.setdefault("tool_calls", []).append(call)
    else:
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})


def _referenced(item: Json, i: int, by_id: dict[str, Json]) -> Json:
    ref = need_string(item.get("id"), "input[{}].id", i)
    found = by_id.get(ref)
    if found is None:
        raise InvalidRequest(
            f"input[{i}] refers to item '{ref}', which is not in this request: pointsman keeps no response "
            "state, so it cannot look items up. Send the item itself in `input` (with store: false, "
            "OpenAI's SDKs and agents send items instead of references).",
            param=f"input[{i}]",
            code="item_not_found",
        )
    return found


def add_item(item: Json, i: int, messages: list[Json], notes: list[str], by_id: dict[str, Json]) -> None:
    """One input item onto the canonical messages."""
    kind = item.get("type", "message")
    if kind == "item_reference":
        item = _referenced(item, i, by_id)
        kind = item.get("type", "message")
    if type(kind) is not str:
        raise wrong_type(_ITEM + ".type", "a string", kind, i)
    if kind == "message":
        role = item.get("role", "user")
        if type(role) is not str or role not in _ROLES:
            raise wrong_type(_ITEM + ".role", "one of " + ", ".join(_ROLES), role, i)
        messages.append({"role": role, "content": _parts(item.get("content"), i)})
    elif kind in ("function_call", "custom_tool_call"):
        _add_call(_call(item, i), messages)
    elif kind in ("function_call_output", "custom_tool_call_output"):
        call_id = need_string(item.get("call_id"), "input[{}].call_id", i)
        messages.append({"role": "tool", "tool_call_id": call_id, "content": _output(item.get("output"), i)})
    elif kind in LEFT_OUT:
        if LEFT_OUT[kind] not in notes:
            notes.append(LEFT_OUT[kind])
    else:
        why = _REFUSED_ITEMS.get(kind, _HOSTED_ITEM)
        raise InvalidRequest(
            f"input[{i}]: an item of type {kind!r} cannot be sent to the models behind pointsman: {why}. "
            "Leave it out of `input`.",
            param=f"input[{i}].type",
        )


def messages_of(body: Json, notes: list[str]) -> list[Json]:
    messages: list[Json] = []
    instructions = body.get("instructions")
    optional_string(instructions, "instructions")
    if instructions:
        messages.append({"role": "system", "content": instructions})
    items = body.get("input")
    if isinstance(items, str):
        return [*messages, {"role": "user", "content": items}]
    if not isinstance(items, list):
        raise InvalidRequest("'input' must be a string or an array of items", param="input")
    by_id = {
        item["id"]: item
        for item in items
        if isinstance(item, dict) and isinstance(item.get("id"), str) and item.get("type") != "item_reference"
    }
    for i, item in enumerate(items):
        add_item(need_object(item, _ITEM, i), i, messages, notes, by_id)
    return messages
