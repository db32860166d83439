"""The Gemini surface's pure parts: request → canonical, answer and chunks → Gemini, errors."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from pointsman.errors import InvalidRequest, ModelNotFound, UpstreamRateLimited
from pointsman.surfaces.gemini.errors import to_gemini
from pointsman.surfaces.gemini.parse import to_canonical
from pointsman.surfaces.gemini.render import to_response
from pointsman.surfaces.gemini.stream import GeminiStreamRenderer
from pointsman.usage import Usage

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}}
TOOLS = [
    {
        "functionDeclarations": [
            {"name": "lookup", "parametersJsonSchema": SCHEMA},
            {"name": "book", "parameters": {"type": "OBJECT", "properties": {"day": {"type": "STRING"}}}},
        ]
    }
]


def canonical(**body: Any) -> dict[str, Any]:
    body.setdefault("contents", [{"role": "user", "parts": [{"text": "hi"}]}])
    return to_canonical(body, "m", stream=False)


def refused(**body: Any) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        canonical(**body)
    return info.value


def test_snake_case_and_camel_case_read_alike() -> None:
    """google-genai sends some fields snake_case; protobuf JSON takes both, and so must we."""
    camel = canonical(
        systemInstruction={"parts": [{"text": "a"}, {"text": "b"}]},
        generationConfig={"maxOutputTokens": 5, "topK": 20.0, "thinkingConfig": {"thinkingBudget": 0}},
    )
    snake = canonical(
        system_instruction={"parts": [{"text": "a"}, {"text": "b"}]},
        generation_config={"max_output_tokens": 5, "top_k": 20, "thinking_config": {"thinking_budget": 0}},
    )
    assert camel == snake
    assert camel["messages"][0] == {
        "role": "system",
        "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
    }, "parts stay apart"
    assert (camel["max_completion_tokens"], camel["top_k"], camel["reasoning_effort"]) == (5, 20, "none")


def test_function_responses_answer_their_calls_by_id_or_in_order_by_name() -> None:
    calls = [
        {"functionCall": {"name": "lookup", "args": {"city": "Oslo"}}},
        {"functionCall": {"name": "lookup", "args": {"city": "Rome"}}},
        {"functionCall": {"name": "book", "args": {}, "id": "given"}},
    ]
    answers = [
        {"functionResponse": {"name": "book", "response": {"ok": True}, "id": "given"}},
        {"functionResponse": {"name": "lookup", "response": {"output": "12 C"}}},
        {"functionResponse": {"name": "lookup", "response": {"output": 2, "unit": "C"}}},
        {"text": "and now?"},
    ]
    contents = [
        {"role": "user", "parts": [{"text": "go"}]},
        {"role": "model", "parts": [{"text": "thinking", "thought": True}, *calls]},
        {"role": "user", "parts": answers},
    ]
    messages = canonical(contents=contents)["messages"]
    assert messages[1]["content"] is None, "a thought summary is not replayed"
    ids = [c["id"] for c in messages[1]["tool_calls"]]
    assert ids == ["call_1_1", "call_1_2", "given"]
    assert [(m["role"], m.get("tool_call_id"), m["content"]) for m in messages[2:5]] == [
        ("tool", "given", '{"ok":true}'),
        ("tool", "call_1_1", "12 C"),
        ("tool", "call_1_2", '{"output":2,"unit":"C"}'),
    ]
    assert messages[5] == {"role": "user", "content": [{"type": "text", "text": "and now?"}]}
    orphan = [{"role": "user", "parts": [{"functionResponse": {"name": "lookup", "response": {}}}]}]
    error = refused(contents=orphan)
    assert error.param == "contents[0].parts[0].functionResponse" and "lookup" in error.message


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"cachedContent": "cachedContents/1"}, "cachedContent"),
        ({"generationConfig": {"speechConfig": {}}}, "generationConfig.speechConfig"),
        ({"generationConfig": {"responseLogprobs": True}}, "generationConfig.responseLogprobs"),
        ({"tools": [{"codeExecution": {}}]}, "tools[0].codeExecution"),
        ({"tools": [{"google_search": {}}]}, "tools[0].google_search"),
        (
            {"tools": [{"functionDeclarations": [{"name": "f", "behavior": "NON_BLOCKING"}]}]},
            "tools[0].functionDeclarations[0].behavior",
        ),
        (
            {"contents": [{"parts": [{"executableCode": {"code": "1"}}]}]},
            "contents[0].parts[0].executableCode",
        ),
        ({"contents": [{"parts": [{"inlineData": {"mimeType": "audio/wav", "data": "AA"}}]}]}, None),
        (
            {"contents": [{"parts": [{"fileData": {"fileUri": "files/abc"}}]}]},
            "contents[0].parts[0].fileData",
        ),
        ({"generationConfig": {"responseModalities": ["IMAGE"]}}, "generationConfig.responseModalities"),
        ({"generationConfig": {"responseSchema": SCHEMA}}, "generationConfig.responseMimeType"),
        ({"generationConfig": {"topK": "many"}}, "generationConfig.topK"),
        ({"contents": []}, "contents"),
        ({"contents": [{"role": "system", "parts": [{"text": "x"}]}]}, "contents[0].role"),
    ],
)
def test_fields_without_an_equivalent_are_refused_by_name(body: dict[str, Any], param: str | None) -> None:
    error = refused(**body)
    if param is not None:
        assert error.param == param and param.split(".")[-1].split("[")[0] in error.message
    else:
        assert "audio/wav" in error.message


def test_safety_settings_are_accepted_and_not_passed_on() -> None:
    settings = [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]
    assert canonical(safetySettings=settings) == canonical()


def test_tool_config_maps_to_tool_choice() -> None:
    def choice(config: dict[str, Any]) -> tuple[Any, list[str]]:
        body = canonical(tools=TOOLS, toolConfig={"functionCallingConfig": config})
        return body.get("tool_choice"), [t["function"]["name"] for t in body["tools"]]

    assert choice({"mode": "AUTO"}) == ("auto", ["lookup", "book"])
    assert choice({"mode": "NONE"}) == ("none", ["lookup", "book"])
    assert choice({"mode": "ANY"}) == ("required", ["lookup", "book"])
    named = {"type": "function", "function": {"name": "book"}}
    assert choice({"mode": "ANY", "allowedFunctionNames": ["book"]}) == (named, ["book"])
    assert choice({"mode": "ANY", "allowedFunctionNames": ["book", "lookup"]}) == (
        "required",
        ["book", "lookup"],
    )
    assert choice({"mode": "VALIDATED"}) == ("auto", ["lookup", "book"])
    with pytest.raises(InvalidRequest, match="nothing"):
        choice({"mode": "ANY", "allowedFunctionNames": ["nothing"]})
    with pytest.raises(InvalidRequest, match="needs mode ANY"):
        choice({"mode": "AUTO", "allowedFunctionNames": ["book"]})
    book = canonical(tools=TOOLS)["tools"][1]["function"]
    assert book["parameters"] == {"type": "object", "properties": {"day": {"type": "string"}}}


@pytest.mark.parametrize(
    ("thinking", "effort"),
    [
        ({"thinkingBudget": 0}, "none"),
        ({"thinkingBudget": 512}, "low"),
        ({"thinkingBudget": 4096}, "medium"),
        ({"thinkingBudget": 32768}, "high"),
        ({"thinkingBudget": -1}, None),
        ({"thinkingLevel": "HIGH", "includeThoughts": True}, "high"),
    ],
)
def test_thinking_becomes_a_reasoning_effort(thinking: dict[str, Any], effort: str | None) -> None:
    assert canonical(generationConfig={"thinkingConfig": thinking}).get("reasoning_effort") == effort


def test_a_gemini_schema_becomes_json_schema() -> None:
    schema = {
        "type": "OBJECT",
        "properties": {
            "tags": {"type": "ARRAY", "items": {"type": "STRING", "enum": ["a", "b"]}, "max_items": "3"},
            "when": {"anyOf": [{"type": "STRING", "format": "date-time"}, {"type": "INTEGER"}]},
            "note": {"type": "STRING", "nullable": True, "example": "hi"},
            "{odd}": {"type": "NUMBER", "minimum": 0},
        },
        "propertyOrdering": ["tags", "when"],
        "required": ["tags"],
    }
    config = {"responseMimeType": "application/json", "responseSchema": schema}
    assert canonical(generationConfig=config)["response_format"]["json_schema"]["schema"] == {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "maxItems": 3},
            "when": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "integer"}]},
            "note": {"type": ["string", "null"], "examples": ["hi"]},
            "{odd}": {"type": "number", "minimum": 0},
        },
        "required": ["tags"],
    }
    assert canonical(generationConfig={"responseMimeType": "application/json"})["response_format"] == {
        "type": "json_object"
    }


def test_an_answer_renders_as_a_generate_content_response() -> None:
    call = {
        "id": "call_7",
        "type": "function",
        "function": {"name": "lookup", "arguments": '{"city":"Oslo"}'},
    }
    data = {
        "choices": [
            {
                "index": 0,
                "message": {"content": "Looking.", "tool_calls": [call]},
                "finish_reason": "tool_calls",
            },
            {"index": 1, "message": {"content": "cut"}, "finish_reason": "length"},
        ]
    }
    usage = Usage(input_tokens=10, output_tokens=30, cached_tokens=4, reasoning_tokens=20)
    assert to_response(data, "gpt", usage, "abc") == {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "Looking."},
                        {"functionCall": {"id": "call_7", "name": "lookup", "args": {"city": "Oslo"}}},
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
            },
            {
                "content": {"role": "model", "parts": [{"text": "cut"}]},
                "finishReason": "MAX_TOKENS",
                "index": 1,
            },
        ],
        "usageMetadata": {
            "promptTokenCount": 10,
            "candidatesTokenCount": 10,
            "totalTokenCount": 40,
            "cachedContentTokenCount": 4,
            "thoughtsTokenCount": 20,
        },
        "modelVersion": "gpt",
        "responseId": "abc",
    }


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


STREAM = [
    chunk({"role": "assistant", "content": ""}),
    chunk({"content": "Hel"}),
    chunk({"content": "lo"}),
    chunk({"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "lookup", "arguments": '{"ci'}}]}),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ty":"Oslo"}'}}]}),
    chunk({}, "tool_calls"),
]


def test_a_stream_sends_text_as_it_comes_and_each_call_whole() -> None:
    renderer = GeminiStreamRenderer("gpt", "abc", sse=True)
    body = renderer.start() + b"".join(renderer.chunk(c) for c in STREAM) + renderer.finish(Usage(3, 5))
    events = [orjson.loads(e.removeprefix(b"data: ")) for e in body.split(b"\r\n\r\n") if e]
    assert [e["candidates"][0]["content"]["parts"] for e in events] == [
        [{"text": "Hel"}],
        [{"text": "lo"}],
        [{"functionCall": {"id": "c1", "name": "lookup", "args": {"city": "Oslo"}}}],
    ]
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"
    assert events[-1]["usageMetadata"]["totalTokenCount"] == 8 and events[0]["responseId"] == "abc"


def test_without_sse_a_stream_is_one_json_array_even_when_it_fails() -> None:
    renderer = GeminiStreamRenderer("gpt", "abc", sse=False)
    whole = renderer.start() + b"".join(renderer.chunk(c) for c in STREAM[:3]) + renderer.finish(Usage())
    assert [len(c["candidates"]) for c in orjson.loads(whole)] == [1, 1, 1]
    broken = GeminiStreamRenderer("gpt", "abc", sse=False)
    body = broken.start() + broken.chunk(STREAM[1]) + broken.error(UpstreamRateLimited("slow down"))
    assert orjson.loads(body)[-1]["error"]["status"] == "RESOURCE_EXHAUSTED"
    silent = GeminiStreamRenderer("gpt", "abc", sse=False)
    assert orjson.loads(silent.start() + silent.error(UpstreamRateLimited("x")))[0]["error"]["code"] == 429


def test_errors_take_gemini_shape_with_googles_status_names() -> None:
    error = to_gemini(InvalidRequest("contents is required", param="contents"))["error"]
    assert (error["code"], error["status"], error["message"]) == (
        400,
        "INVALID_ARGUMENT",
        "contents is required",
    )
    violation = {"field": "contents", "description": "contents is required"}
    assert {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]} in error[
        "details"
    ]
    missing = to_gemini(ModelNotFound("no model 'x'"))["error"]
    assert (missing["status"], missing["details"][0]["reason"]) == ("NOT_FOUND", "MODEL_NOT_FOUND")
    limited = to_gemini(UpstreamRateLimited("slow down", retry_after="3"))["error"]
    assert limited["status"] == "RESOURCE_EXHAUSTED"
    assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3s"} in limited["details"]
