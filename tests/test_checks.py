"""Answer checks judge a canonical completion against its request; `assemble` rebuilds one from a stream."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pointsman.engine.assemble import assemble
from pointsman.engine.checks import CheckFailure, check_answer, needs_whole_answer
from pointsman.routing.plan import CheckPolicy

REFUSALS = (re.compile(r"(?i)^\s*(I'm sorry|I cannot|I can't)"),)
ALL_ON = CheckPolicy(refusal_patterns=REFUSALS, logprob_floor=-1.5)
ALL_OFF = CheckPolicy(empty=False, refusal=False, json=False, tools=False)

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    },
}
NOW = {"type": "function", "function": {"name": "now"}}  # no parameters schema
PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


def req(**extra: Any) -> dict[str, Any]:
    return {"model": "small", "messages": [{"role": "user", "content": "hi"}], **extra}


def json_object() -> dict[str, Any]:
    return req(response_format={"type": "json_object"})


def json_schema(schema: Any = PERSON) -> dict[str, Any]:
    return req(response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": schema}})


def with_tools() -> dict[str, Any]:
    return req(tools=[WEATHER, NOW])


def call(name: str, arguments: str) -> dict[str, Any]:
    return {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}


def ans(
    content: Any = "Hello.",
    *,
    refusal: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    finish: str | None = "stop",
    logprobs: list[float] | None = None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    lp = None if logprobs is None else {"content": [{"token": "t", "logprob": v} for v in logprobs]}
    choice = {"index": 0, "message": message, "logprobs": lp, "finish_reason": finish}
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m", "choices": [choice]}


# (case id, request, answer, policy, expected check kind or None, words expected in the detail)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], CheckPolicy, str | None, tuple[str, ...]]] = [
    ("plain text passes", req(), ans(), ALL_ON, None, ()),
    # empty
    ("empty none", req(), ans(None), ALL_ON, "empty", ("no text",)),
    ("empty string", req(), ans(""), ALL_ON, "empty", ("no text",)),
    ("empty whitespace", req(), ans(" \n\t "), ALL_ON, "empty", ("no text",)),
    ("empty at length limit", req(), ans("", finish="length"), ALL_ON, "empty", ("token limit",)),
    ("no choices", req(), {"choices": []}, ALL_ON, "empty", ("no usable choice",)),
    ("not a completion at all", req(), {"error": "x"}, ALL_ON, "empty", ()),
    ("choice is not a dict", req(), {"choices": ["x"]}, ALL_ON, "empty", ()),
    (
        "tool call only is not empty",
        with_tools(),
        ans(None, tool_calls=[call("now", "{}")]),
        ALL_ON,
        None,
        (),
    ),
    ("empty check off", req(), ans(""), CheckPolicy(empty=False), None, ()),
    ("content parts", req(), ans([{"type": "text", "text": "Hi"}]), ALL_ON, None, ()),
    # refusal
    (
        "structured refusal",
        req(),
        ans(None, refusal="I can't help with that."),
        ALL_ON,
        "refusal",
        ("can't",),
    ),
    ("content filter", req(), ans(None, finish="content_filter"), ALL_ON, "refusal", ("content_filter",)),
    ("content filter with text", req(), ans("Par", finish="content_filter"), ALL_ON, "refusal", ()),
    (
        "content filter, refusal off",
        req(),
        ans(None, finish="content_filter"),
        CheckPolicy(refusal=False),
        "empty",
        (),
    ),
    ("pattern sorry", req(), ans("I'm sorry, but no."), ALL_ON, "refusal", ("pattern", "I'm sorry")),
    ("pattern cannot", req(), ans("  i cannot do that"), ALL_ON, "refusal", ("i cannot",)),
    ("pattern not at start", req(), ans("Sure! I can't wait."), ALL_ON, None, ()),
    ("no patterns configured", req(), ans("I'm sorry."), CheckPolicy(), None, ()),
    ("refusal off", req(), ans(None, refusal="No."), CheckPolicy(refusal=False), None, ()),
    (
        "pattern past 300 chars",
        req(),
        ans("x" * 300 + "I cannot"),
        CheckPolicy(refusal_patterns=(re.compile("I cannot"),)),
        None,
        (),
    ),
    # JSON
    ("json_object passes", json_object(), ans('{"a": 1}'), ALL_ON, None, ()),
    ("json_object whitespace", json_object(), ans('\n  {"a": 1}\n '), ALL_ON, None, ()),
    ("json_object array", json_object(), ans("[1, 2]"), ALL_ON, "invalid_json", ("not an object", "array")),
    ("json_object prose", json_object(), ans("Here you go"), ALL_ON, "invalid_json", ("not valid JSON",)),
    (
        "json fenced",
        json_object(),
        ans('```json\n{"a": 1}\n```'),
        ALL_ON,
        "invalid_json",
        ("not valid JSON",),
    ),
    ("json truncated", json_object(), ans('{"a": ', finish="length"), ALL_ON, "invalid_json", ()),
    ("json check off", json_object(), ans("nope"), CheckPolicy(json=False), None, ()),
    ("no response_format", req(), ans("nope"), ALL_ON, None, ()),
    ("text response_format", req(response_format={"type": "text"}), ans("nope"), ALL_ON, None, ()),
    ("json_schema passes", json_schema(), ans('{"name": "Ada", "age": 36}'), ALL_ON, None, ()),
    (
        "json_schema missing key",
        json_schema(),
        ans('{"name": "Ada"}'),
        ALL_ON,
        "schema",
        ("'age' is a required",),
    ),
    (
        "json_schema wrong type",
        json_schema(),
        ans('{"name": "Ada", "age": "x"}'),
        ALL_ON,
        "schema",
        ("$.age",),
    ),
    ("json_schema not JSON", json_schema(), ans("Ada, 36"), ALL_ON, "invalid_json", ()),
    ("json_schema array allowed", json_schema({"type": "array"}), ans("[1]"), ALL_ON, None, ()),
    (
        "json_schema without schema",
        req(response_format={"type": "json_schema"}),
        ans("[1]"),
        ALL_ON,
        None,
        (),
    ),
    ("invalid schema passes", json_schema({"type": "nonsense"}), ans('{"a": 1}'), ALL_ON, None, ()),
    ("invalid schema 2 passes", json_schema({"required": "name"}), ans("{}"), ALL_ON, None, ()),
    ("non-string $schema passes", json_schema({"$schema": 5}), ans("{}"), ALL_ON, None, ()),
    ("unresolvable ref passes", json_schema({"$ref": "#/$defs/missing"}), ans("{}"), ALL_ON, None, ()),
    (
        "json mode, tool call",
        json_object() | with_tools(),
        ans(None, tool_calls=[call("now", "")]),
        ALL_ON,
        None,
        (),
    ),
    (
        "json mode, refusal, refusal off",
        json_schema(),
        ans(None, refusal="No."),
        CheckPolicy(refusal=False),
        None,
        (),
    ),
    # tools
    (
        "tool call passes",
        with_tools(),
        ans(None, tool_calls=[call("get_weather", '{"city": "Oslo"}')]),
        ALL_ON,
        None,
        (),
    ),
    ("tool without schema", with_tools(), ans(None, tool_calls=[call("now", '{"x": 1}')]), ALL_ON, None, ()),
    ("tool empty arguments", with_tools(), ans(None, tool_calls=[call("now", "")]), ALL_ON, None, ()),
    (
        "unknown tool",
        with_tools(),
        ans(None, tool_calls=[call("get_wether", "{}")]),
        ALL_ON,
        "unknown_tool",
        ("'get_wether'", "get_weather, now"),
    ),
    (
        "tool but none declared",
        req(),
        ans(None, tool_calls=[call("now", "{}")]),
        ALL_ON,
        "unknown_tool",
        ("(none)",),
    ),
    ("tool call without name", with_tools(), ans(None, tool_calls=[{"id": "c"}]), ALL_ON, "unknown_tool", ()),
    (
        "second call unknown",
        with_tools(),
        ans(None, tool_calls=[call("now", "{}"), call("rm_rf", "{}")]),
        ALL_ON,
        "unknown_tool",
        ("rm_rf",),
    ),
    (
        "args not JSON",
        with_tools(),
        ans(None, tool_calls=[call("get_weather", "{city: Oslo}")]),
        ALL_ON,
        "tool_arguments",
        ("not valid JSON",),
    ),
    (
        "args not an object",
        with_tools(),
        ans(None, tool_calls=[call("get_weather", '["Oslo"]')]),
        ALL_ON,
        "tool_arguments",
        ("not a JSON object",),
    ),
    (
        "args missing required",
        with_tools(),
        ans(None, tool_calls=[call("get_weather", '{"days": 2}')]),
        ALL_ON,
        "tool_arguments",
        ("'city' is a required property",),
    ),
    (
        "args wrong type",
        with_tools(),
        ans(None, tool_calls=[call("get_weather", '{"city": "Oslo", "days": "two"}')]),
        ALL_ON,
        "tool_arguments",
        ("$.days", "not of type 'integer'"),
    ),
    ("tools check off", req(), ans(None, tool_calls=[call("x", "!")]), CheckPolicy(tools=False), None, ()),
    # logprobs
    ("logprobs above floor", req(), ans(logprobs=[-0.1, -0.5, -1.0]), ALL_ON, None, ()),
    ("logprobs at floor", req(), ans(logprobs=[-1.5, -1.5]), ALL_ON, None, ()),
    (
        "logprobs under floor",
        req(),
        ans(logprobs=[-0.5, -4.12]),
        ALL_ON,
        "low_confidence",
        ("-2.31", "-1.50"),
    ),
    ("no logprobs passes", req(), ans(), ALL_ON, None, ()),
    ("empty logprobs passes", req(), ans(logprobs=[]), ALL_ON, None, ()),
    ("no floor", req(), ans(logprobs=[-9.0]), CheckPolicy(), None, ()),
    # everything off
    ("all off: empty", req(), ans(None), ALL_OFF, None, ()),
    ("all off: no choices", req(), {}, ALL_OFF, None, ()),
    (
        "all off: refusal",
        json_object(),
        ans("I'm sorry", refusal="no", finish="content_filter"),
        ALL_OFF,
        None,
        (),
    ),
    ("all off: bad tool", req(), ans(None, tool_calls=[call("x", "!")]), ALL_OFF, None, ()),
]


@pytest.mark.parametrize(
    ("request_", "answer", "policy", "kind", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_check_answer(
    request_: dict[str, Any],
    answer: dict[str, Any],
    policy: CheckPolicy,
    kind: str | None,
    words: tuple[str, ...],
) -> None:
    failure = check_answer(request_, answer, policy)
    if kind is None:
        assert failure is None
        return
    assert isinstance(failure, CheckFailure)
    assert failure.check == kind, failure
    for word in words:
        assert word in failure.detail, (word, failure.detail)


def test_checks_run_in_order() -> None:
    # Invalid JSON and an unknown tool and low confidence: the JSON failure is reported first.
    answer = ans("oops", tool_calls=[call("nope", "{}")], logprobs=[-9.0])
    failure = check_answer(json_object() | with_tools(), answer, ALL_ON)
    assert failure is not None and failure.check == "invalid_json"


def test_detail_never_carries_the_whole_answer() -> None:
    long = "I'm sorry " + "blah " * 500
    for request, answer in [
        (req(), ans(long)),
        (json_object(), ans("{" + long)),
        (req(), ans(None, refusal=long)),
        (
            json_schema({"type": "object", "properties": {"a": {"type": "integer"}}}),
            ans('{"a": "' + "x" * 500 + '"}'),
        ),
    ]:
        failure = check_answer(request, answer, ALL_ON)
        assert failure is not None
        assert len(failure.detail) < 220, failure.detail


def test_odd_shapes_never_raise() -> None:
    odd: list[Any] = [
        {"choices": None},
        {"choices": [{"message": None}]},
        {"choices": [{"message": {"content": 5, "tool_calls": "x"}}]},
        {"choices": [{"message": {"content": None, "tool_calls": [None, 3]}}]},
        {
            "choices": [
                {"message": {"content": "x", "tool_calls": [{"function": {"name": "now", "arguments": 7}}]}}
            ]
        },
        {"choices": [{"message": {"content": "x"}, "logprobs": {"content": [None, {"logprob": "a"}, {}]}}]},
    ]
    bad_requests: list[Any] = [
        req(tools="x", response_format="json"),
        req(tools=[None, {"function": None}], response_format={"type": "json_schema", "json_schema": 5}),
    ]
    for request in [*bad_requests, with_tools(), json_schema()]:
        for answer in odd:
            check_answer(request, answer, ALL_ON)
            needs_whole_answer(request, ALL_ON)


@pytest.mark.parametrize(
    ("request_", "policy", "expected"),
    [
        (req(), CheckPolicy(), False),
        (req(response_format={"type": "text"}), CheckPolicy(), False),
        (json_object(), CheckPolicy(), True),
        (json_schema(), CheckPolicy(), True),
        (json_schema(), CheckPolicy(json=False), False),
        (with_tools(), CheckPolicy(), True),
        (req(tools=[]), CheckPolicy(), False),
        (with_tools(), CheckPolicy(tools=False), False),
        (req(), CheckPolicy(logprob_floor=-1.0), True),
        (req(), CheckPolicy(refusal_patterns=REFUSALS), False),
    ],
)
def test_needs_whole_answer(request_: dict[str, Any], policy: CheckPolicy, expected: bool) -> None:
    assert needs_whole_answer(request_, policy) is expected


def test_policy_active() -> None:
    assert CheckPolicy().active
    assert not ALL_OFF.active
    assert CheckPolicy(empty=False, refusal=False, json=False, tools=False, logprob_floor=-1.0).active


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choices = (
        [] if delta is None else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
    )
    base = {"id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 1700000000, "model": "small-1"}
    return {**base, "choices": choices, **extra}


def tool_delta(index: int, **fields: Any) -> dict[str, Any]:
    return {"tool_calls": [{"index": index, **fields}]}


USAGE = {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}
STREAM = [
    chunk({"role": "assistant", "content": "", "refusal": None}),
    chunk({"content": "Checking "}),
    chunk({"content": "both."}),
    chunk(tool_delta(0, id="call_a", type="function", function={"name": "get_weather", "arguments": ""})),
    chunk(tool_delta(1, id="call_b", type="function", function={"name": "get_weather", "arguments": '{"ci'})),
    chunk(tool_delta(0, function={"arguments": '{"city": '})),
    chunk(tool_delta(1, function={"arguments": 'ty": "Rome"}'})),
    chunk(tool_delta(0, function={"arguments": '"Oslo"}'})),
    chunk({}, finish="tool_calls"),
    chunk(None, usage=USAGE),
]


def test_assemble_realistic_stream() -> None:
    assert assemble(STREAM) == {
        "id": "chatcmpl-9",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "small-1",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Checking both.",
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": "call_a",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                        },
                        {
                            "id": "call_b",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'},
                        },
                    ],
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": USAGE,
    }
    assert check_answer(with_tools(), assemble(STREAM), ALL_ON) is None


def test_assemble_refusal_logprobs_and_choices() -> None:
    def lp(*tokens: str) -> dict[str, Any]:
        return {"content": [{"token": t, "logprob": -0.5, "top_logprobs": []} for t in tokens]}

    chunks = [
        {"choices": [], "usage": None},  # no id yet: taken from the next chunk that has one
        {"id": "c", "created": 2, "model": "m", "choices": [{"index": 0, "delta": {"role": "assistant"}}]},
        {"choices": [{"index": 1, "delta": {"content": "B"}, "logprobs": lp("B")}]},
        {"choices": [{"index": 0, "delta": {"refusal": "I can't "}, "logprobs": lp("I", " can't")}]},
        {"choices": [{"index": 0, "delta": {"refusal": "help."}, "logprobs": lp(" help.")}]},
        {
            "choices": [
                {"index": 0, "delta": {}, "finish_reason": "stop"},
                {"index": 1, "delta": {}, "finish_reason": "length"},
            ]
        },
        {"choices": [{"index": 0, "delta": {}, "finish_reason": None}]},
    ]
    out = assemble(chunks)
    assert "usage" not in out
    assert (out["id"], out["created"], out["model"], out["object"]) == ("c", 2, "m", "chat.completion")
    first, second = out["choices"]
    assert first["message"] == {"role": "assistant", "content": None, "refusal": "I can't help."}
    assert first["finish_reason"] == "stop"
    assert [t["token"] for t in first["logprobs"]["content"]] == ["I", " can't", " help."]
    assert second == {
        "index": 1,
        "message": {"role": "assistant", "content": "B", "refusal": None},
        "logprobs": lp("B"),
        "finish_reason": "length",
    }
    failure = check_answer(req(), out, ALL_ON)
    assert failure is not None and failure.check == "refusal"


def test_assemble_nothing() -> None:
    assert assemble([]) == {
        "id": None,
        "object": "chat.completion",
        "created": None,
        "model": None,
        "choices": [],
    }
    assert check_answer(req(), assemble([]), ALL_ON) == CheckFailure(
        "empty", "the answer has no usable choice"
    )
