"""A Gemini generateContent request → the canonical request. Pure.

Fields with no equivalent are refused with a 400 that names them; `safetySettings` is the one
accepted and not passed on (a filter preference: the answering provider's own policy applies;
README: translation).
"""

from __future__ import annotations

from pointsman.providers.base import Json
from pointsman.shape import need_array
from pointsman.surfaces.gemini.contents import messages, system_message
from pointsman.surfaces.gemini.fields import fields
from pointsman.surfaces.gemini.options import generation, tool_choice, tools

_REQUEST = frozenset(
    {"contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings", "model"}
)
"""`model` is allowed (countTokens' generateContentRequest has it) and ignored: the path names it."""


def to_canonical(body: Json, model: str, *, stream: bool) -> Json:
    request = fields(body, "", _REQUEST)
    system = system_message(request.get("systemInstruction"))
    out: Json = {
        "model": model,
        "messages": [*([system] if system else []), *messages(request.get("contents"))],
    }
    declared = tools(request["tools"]) if request.get("tools") is not None else []
    if request.get("toolConfig") is not None:
        choice, declared = tool_choice(request["toolConfig"], declared)
        if declared:
            out["tool_choice"] = choice
    if declared:
        out["tools"] = declared
    if request.get("safetySettings") is not None:
        need_array(request["safetySettings"], "safetySettings")  # checked, then left here
    if request.get("generationConfig") is not None:
        generation(request["generationConfig"], out)
    if stream:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    return out
