"""The Responses surface drops nothing silently (issue 10, item 4): the official `openai` SDK's
`responses.create` and `responses.stream` against the gateway, with the OpenAI fake (gpt-5, gpt-4o)
and the Anthropic fake (claude-sonnet-4-6) behind it. Each test asserts what reached the fake and
what the SDK got back."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import openai
import orjson
import pytest

from conftest import EXPLAIN, Gateway, trace_of
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.base import FakeModel
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.routing.carry import INPUT
from pointsman.serving import BackgroundServers

OPENAI_KEY = "sk-openai-fake-0123456789"
ANTHROPIC_KEY = "sk-ant-fake-0123456789"
CONFIG = """
providers:
  openai: {{base_url: "{openai}/v1", api_key: {okey}}}
  anthropic: {{base_url: "{claude}/v1", api_key: {akey}}}
catalog: {{builtin: true}}
routes:
  coder: {{default: gpt-5, fallbacks: [claude-sonnet-4-6]}}
translation: {{strict: {strict}}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
"""
GRAMMAR = 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\nend_patch: "*** End Patch"'
EXEC: dict[str, Any] = {
    "type": "function",
    "name": "exec_command",
    "description": "Runs a command.",
    "strict": False,
    "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]},
}
APPLY_PATCH: dict[str, Any] = {
    "type": "custom",
    "name": "apply_patch",
    "description": "Edits files with a patch.",
    "format": {"type": "grammar", "syntax": "lark", "definition": GRAMMAR},
}
AGENT = {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]}
MULTI_AGENT: dict[str, Any] = {
    "type": "namespace",
    "name": "multi_agent_v1",
    "description": "Sub-agents.",
    "tools": [
        {"type": "function", "name": "spawn_agent", "description": "Spawns an agent.", "parameters": AGENT},
        {"type": "function", "name": "close_agent", "description": "Closes an agent.", "parameters": AGENT},
    ],
}
MCP: dict[str, Any] = {
    "type": "namespace",
    "name": "mcp__codex_tui__",
    "description": "",
    "tools": [{"type": "function", "name": "_open_file", "parameters": {"type": "object", "properties": {}}}],
}
WEB_SEARCH = {"type": "web_search", "external_web_access": False}


@pytest.fixture(scope="module")
def gpt(servers: BackgroundServers) -> FakeOpenAI:
    models = {"gpt-5": FakeModel(reasoning_tokens=8), "gpt-4o": FakeModel()}
    return servers.start_fake(FakeOpenAI(models, api_key=OPENAI_KEY))  # type: ignore[return-value]


@pytest.fixture(scope="module")
def claude(servers: BackgroundServers) -> FakeAnthropic:
    return servers.start_fake(FakeAnthropic({"claude-sonnet-4-6": FakeModel()}, api_key=ANTHROPIC_KEY))  # type: ignore[return-value]


def _gateway(make_gateway: Any, gpt: FakeOpenAI, claude: FakeAnthropic, strict: bool) -> Gateway:
    text = CONFIG.format(
        openai=gpt.url, claude=claude.url, okey=OPENAI_KEY, akey=ANTHROPIC_KEY, strict=str(strict).lower()
    )
    gateway: Gateway = make_gateway(text=text)
    return gateway


@pytest.fixture(scope="module")
def gw(make_gateway: Any, gpt: FakeOpenAI, claude: FakeAnthropic) -> Gateway:
    return _gateway(make_gateway, gpt, claude, strict=False)


@pytest.fixture(scope="module")
def strict_gw(make_gateway: Any, gpt: FakeOpenAI, claude: FakeAnthropic) -> Gateway:
    return _gateway(make_gateway, gpt, claude, strict=True)


@pytest.fixture(autouse=True)
def _forget(gpt: FakeOpenAI, claude: FakeAnthropic) -> Iterator[None]:
    yield
    gpt.seen.clear()
    claude.seen.clear()


def sent(fake: FakeOpenAI | FakeAnthropic) -> dict[str, Any]:
    assert fake.seen, "the request reached the provider"
    body: dict[str, Any] = fake.seen[-1].body
    return body


def adapted(headers: Any) -> list[str]:
    notes: list[str] = orjson.loads(headers.get("x-pointsman-adapted", "[]"))
    return notes


def codex(model: str, prompt: str, *, stream: bool = True, **changes: Any) -> dict[str, Any]:
    """A request shaped as Codex 0.171 sends it."""
    body = {
        "model": model,
        "instructions": "You are Codex.",
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Sandbox."}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": prompt}]},
        ],
        "tools": copy.deepcopy([EXEC, APPLY_PATCH, MULTI_AGENT, MCP, WEB_SEARCH]),
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "store": False,
        "stream": stream,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "session-019a",
        "text": {"verbosity": "low"},
    }
    body.update(changes)
    return body


def create(gateway: Gateway, body: dict[str, Any], **headers: str) -> Any:
    return gateway.client().responses.with_raw_response.create(**body, extra_headers=headers or None)


def events(gateway: Gateway, body: dict[str, Any]) -> tuple[list[Any], Any]:
    """Every event of a streamed answer, parsed by the SDK, and the response headers."""
    raw = gateway.client().responses.with_raw_response.create(**{**body, "stream": True})
    return list(raw.parse()), raw.headers


OPENAI_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "exec_command",
            "description": "Runs a command.",
            "parameters": EXEC["parameters"],
            "strict": False,
        },
    },
    {
        "type": "custom",
        "custom": {
            "name": "apply_patch",
            "description": "Edits files with a patch.",
            "format": {"type": "grammar", "grammar": {"syntax": "lark", "definition": GRAMMAR}},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "multi_agent_v1__spawn_agent",
            "description": "Sub-agents.\n\nSpawns an agent.",
            "parameters": AGENT,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "multi_agent_v1__close_agent",
            "description": "Sub-agents.\n\nCloses an agent.",
            "parameters": AGENT,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "mcp__codex_tui__open_file",
            "description": "",
            "parameters": {"type": "object", "properties": {}},
        },
    },
]


def test_codex_request_to_gpt5_reaches_openai_whole(gw: Gateway, gpt: FakeOpenAI) -> None:
    chunks, headers = events(gw, codex("gpt-5", "say: patched"))
    assert sent(gpt) == {
        "model": "gpt-5",
        "messages": [
            {"role": "system", "content": "You are Codex."},
            {"role": "developer", "content": [{"type": "text", "text": "Sandbox."}]},
            {"role": "user", "content": [{"type": "text", "text": "say: patched"}]},
        ],
        "tools": OPENAI_TOOLS,
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "reasoning_effort": "medium",
        "verbosity": "low",
        "prompt_cache_key": "session-019a",
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    final = chunks[-1].response
    assert final.output[0].content[0].text == "patched"
    assert final.reasoning.effort == "medium" and final.reasoning.summary == "auto"
    assert final.prompt_cache_key == "session-019a"
    notes = adapted(headers)
    assert (
        "gpt-5: web_search_options: left out, it cannot search the web; it answers without searching" in notes
    )
    assert any(n.startswith("include: reasoning.encrypted_content") for n in notes)


def test_codex_request_to_claude_reaches_anthropic_whole(gw: Gateway, claude: FakeAnthropic) -> None:
    chunks, headers = events(gw, codex("claude-sonnet-4-6", "say: patched"))
    body = sent(claude)
    assert body["system"] == [
        {"type": "text", "text": "You are Codex."},
        {"type": "text", "text": "Sandbox."},
    ]
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "say: patched"}]}]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert [t["name"] for t in body["tools"]] == [
        "exec_command",
        "apply_patch",
        "multi_agent_v1__spawn_agent",
        "multi_agent_v1__close_agent",
        "mcp__codex_tui__open_file",
        "web_search",
    ]
    patch = body["tools"][1]
    assert patch["input_schema"] == INPUT and GRAMMAR in patch["description"]
    assert body["tools"][5] == {"type": "web_search_20250305", "name": "web_search"}
    assert set(body) == {
        "model",
        "system",
        "messages",
        "max_tokens",
        "thinking",
        "tools",
        "tool_choice",
        "stream",
    }
    kinds = [e.type for e in chunks]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert "response.reasoning_text.delta" in kinds and kinds[-1] == "response.completed"
    final = chunks[-1].response
    assert [item.type for item in final.output] == ["reasoning", "message"]
    assert final.output[0].content[0].text == "Let me think about this step by step."
    assert final.output[1].content[0].text == "patched"
    notes = adapted(headers)
    assert (
        "claude-sonnet-4-6: custom tools (apply_patch): sent as function tools taking one string `input`"
        in notes
    )
    assert (
        "claude-sonnet-4-6: prompt_cache_key: Anthropic caches by prompt prefix and cache_control; not sent"
        in notes
    )
    assert "claude-sonnet-4-6: verbosity: left out, the model takes no verbosity setting" in notes


@pytest.mark.parametrize("stream", [False, True])
def test_reasoning_effort_reaches_a_reasoning_model_and_not_one_without(
    gw: Gateway, gpt: FakeOpenAI, stream: bool
) -> None:
    body = {"input": "say: hi", "reasoning": {"effort": "high"}, "stream": stream}
    raw = create(gw, {**body, "model": "gpt-5"}, **EXPLAIN)
    assert sent(gpt)["reasoning_effort"] == "high"
    assert "x-pointsman-adapted" not in raw.headers
    raw = create(gw, {**body, "model": "gpt-4o"}, **EXPLAIN)
    assert "reasoning_effort" not in sent(gpt)
    note = (
        "gpt-4o: reasoning_effort: left out, it is not a reasoning model; it answers without reasoning effort"
    )
    assert adapted(raw.headers) == [note] and trace_of(raw.headers)["adapted"] == [note]
    if not stream:
        assert raw.parse().reasoning.effort == "high"


@pytest.mark.parametrize("stream", [False, True])
def test_a_custom_tool_reaches_gpt5_as_one_and_its_call_comes_back_whole(
    gw: Gateway, gpt: FakeOpenAI, stream: bool
) -> None:
    body = {"model": "gpt-5", "input": "use the tool", "tools": [APPLY_PATCH], "stream": stream}
    if stream:
        chunks, _ = events(gw, body)
        kinds = [e.type for e in chunks]
        assert (
            "response.custom_tool_call_input.delta" in kinds
            and "response.custom_tool_call_input.done" in kinds
        )
        done = next(e for e in chunks if e.type == "response.custom_tool_call_input.done")
        assert done.input == "value example"
        output = chunks[-1].response.output
    else:
        output = gw.client().responses.create(**body).output
    assert sent(gpt)["tools"] == [OPENAI_TOOLS[1]]
    [call] = output
    assert (call.type, call.name, call.input) == ("custom_tool_call", "apply_patch", "value example")
    assert call.call_id.startswith("call_")


@pytest.mark.parametrize("stream", [False, True])
def test_a_custom_tool_goes_to_claude_as_a_function_and_its_call_comes_back_custom(
    gw: Gateway, claude: FakeAnthropic, stream: bool
) -> None:
    body = {"model": "claude-sonnet-4-6", "input": "use the tool", "tools": [APPLY_PATCH], "stream": stream}
    if stream:
        chunks, headers = events(gw, body)
        kinds = [e.type for e in chunks]
        assert "response.function_call_arguments.delta" not in kinds
        done = next(e for e in chunks if e.type == "response.custom_tool_call_input.done")
        assert done.input == "input example"
        output = chunks[-1].response.output
    else:
        raw = create(gw, body)
        headers, output = raw.headers, raw.parse().output
    tool = sent(claude)["tools"][0]
    assert (tool["name"], tool["input_schema"]) == ("apply_patch", INPUT)
    [call] = output
    assert (call.type, call.name, call.input) == ("custom_tool_call", "apply_patch", "input example")
    assert adapted(headers) == [
        "claude-sonnet-4-6: custom tools (apply_patch): sent as function tools taking one string `input`"
    ]


def test_custom_tool_call_items_are_replayed_to_each_target(
    gw: Gateway, gpt: FakeOpenAI, claude: FakeAnthropic
) -> None:
    history = [
        {"type": "message", "role": "user", "content": "patch it"},
        {"type": "custom_tool_call", "call_id": "call_p1", "name": "apply_patch", "input": "*** Begin Patch"},
        {"type": "custom_tool_call_output", "call_id": "call_p1", "output": "Done!"},
    ]
    body = {"input": history, "tools": [APPLY_PATCH]}
    answer = gw.client().responses.create(model="gpt-5", **body)
    assert answer.output_text == "The tool returned: Done!"
    assert sent(gpt)["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_p1",
                    "type": "custom",
                    "custom": {"name": "apply_patch", "input": "*** Begin Patch"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_p1", "content": "Done!"},
    ]
    gw.client().responses.create(model="claude-sonnet-4-6", **body)
    assert sent(claude)["messages"][1:] == [
        {
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "call_p1",
                    "name": "apply_patch",
                    "input": {"input": "*** Begin Patch"},
                }
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_p1", "content": "Done!"}]},
    ]


@pytest.mark.parametrize("model", ["gpt-5", "claude-sonnet-4-6"])
@pytest.mark.parametrize("stream", [False, True])
def test_namespaced_tools_are_offered_flat_and_called_back_with_their_namespace(
    gw: Gateway, gpt: FakeOpenAI, claude: FakeAnthropic, model: str, stream: bool
) -> None:
    body = {"model": model, "input": "use the tool", "tools": [MULTI_AGENT], "stream": stream}
    if stream:
        chunks, _ = events(gw, body)
        output = chunks[-1].response.output
        added = next(e for e in chunks if e.type == "response.output_item.added")
        assert (added.item.name, added.item.namespace) == ("spawn_agent", "multi_agent_v1")
    else:
        output = gw.client().responses.create(**body).output
    fake = gpt if model == "gpt-5" else claude
    names = [t["function"]["name"] if "function" in t else t["name"] for t in sent(fake)["tools"]]
    assert names == ["multi_agent_v1__spawn_agent", "multi_agent_v1__close_agent"]
    [call] = output
    assert (call.type, call.name, call.namespace) == ("function_call", "spawn_agent", "multi_agent_v1")
    assert orjson.loads(call.arguments) == {"message": "message example"}
    replayed = {"type": "function_call", "call_id": call.call_id, "name": "spawn_agent", "arguments": "{}"}
    replay = [
        {"type": "message", "role": "user", "content": "spawn"},
        {**replayed, "namespace": "multi_agent_v1"},
        {"type": "function_call_output", "call_id": call.call_id, "output": "agent 7"},
    ]
    gw.client().responses.create(model=model, input=replay, tools=[MULTI_AGENT])
    history = sent(fake)["messages"][1]
    used = history["tool_calls"][0]["function"]["name"] if model == "gpt-5" else history["content"][0]["name"]
    assert used == "multi_agent_v1__spawn_agent"


def test_web_search_reaches_claude_as_its_server_tool(gw: Gateway, claude: FakeAnthropic) -> None:
    search = {
        "type": "web_search",
        "filters": {"allowed_domains": ["docs.python.org"]},
        "user_location": {"type": "approximate", "city": "Berlin", "country": "DE"},
    }
    raw = create(
        gw, {"model": "claude-sonnet-4-6", "input": "say: found", "tools": [search], "max_tool_calls": 3}
    )
    assert sent(claude)["tools"] == [
        {
            "type": "web_search_20250305",
            "name": "web_search",
            "user_location": {"type": "approximate", "city": "Berlin", "country": "DE"},
            "allowed_domains": ["docs.python.org"],
            "max_uses": 3,
        }
    ]
    assert raw.parse().output_text == "found" and "x-pointsman-adapted" not in raw.headers


def test_strict_translation_refuses_what_a_model_cannot_carry(strict_gw: Gateway, gpt: FakeOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        strict_gw.client().responses.create(model="gpt-5", input="hi", tools=[WEB_SEARCH])
    error = info.value.body
    assert error["param"] == "web_search_options" and "'gpt-5'" in error["message"]
    assert "strict" in error["message"] and not gpt.seen
    with pytest.raises(openai.BadRequestError) as info:
        strict_gw.client().responses.create(model="gpt-5", input="hi", extra_body={"novel_field": 1})
    assert info.value.body["param"] == "novel_field"


def test_strict_translation_moves_on_to_a_candidate_that_can_carry_it(
    strict_gw: Gateway, gpt: FakeOpenAI, claude: FakeAnthropic
) -> None:
    raw = create(strict_gw, {"model": "coder", "input": "say: searched", "tools": [WEB_SEARCH]}, **EXPLAIN)
    assert raw.parse().output_text == "searched" and raw.headers["x-pointsman-model"] == "claude-sonnet-4-6"
    assert not gpt.seen and sent(claude)["tools"][0]["type"] == "web_search_20250305"
    skipped = trace_of(raw.headers)["attempts"][0]
    assert (
        skipped["model"] == "gpt-5" and skipped["outcome"] == "skipped" and "web_search" in skipped["detail"]
    )


@pytest.mark.parametrize(
    "tool",
    ["file_search", "code_interpreter", "image_generation", "computer_use_preview", "local_shell", "mcp"],
)
def test_a_hosted_tool_no_target_runs_is_refused_naming_it(gw: Gateway, gpt: FakeOpenAI, tool: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        gw.client().responses.create(model="gpt-5", input="hi", tools=[{"type": tool}])  # type: ignore[list-item]
    assert info.value.body["param"] == "tools[0].type" and f"'{tool}'" in info.value.body["message"]
    assert not gpt.seen


def test_prompt_cache_key_and_identity_fields_reach_openai_and_are_noted_for_claude(
    gw: Gateway, gpt: FakeOpenAI, claude: FakeAnthropic
) -> None:
    body = {
        "input": "say: cached",
        "prompt_cache_key": "k-1",
        "prompt_cache_retention": "24h",
        "safety_identifier": "user-hash",
        "service_tier": "flex",
        "user": "u-1",
        "metadata": {"team": "search"},
        "top_logprobs": 2,
    }
    raw = create(gw, {**body, "model": "gpt-5"})
    reached = sent(gpt)
    for key in ("prompt_cache_key", "prompt_cache_retention", "safety_identifier", "service_tier", "user"):
        assert reached[key] == body[key]
    assert reached["logprobs"] is True and reached["top_logprobs"] == 2
    assert "metadata" not in reached, (
        "OpenAI takes metadata only with store: true (routing and the ledger keep it)"
    )
    assert raw.parse().prompt_cache_key == "k-1"
    raw = create(gw, {**body, "model": "claude-sonnet-4-6", "top_logprobs": 0})
    reached = sent(claude)
    assert reached["metadata"] == {"user_id": "u-1"}
    assert not {"prompt_cache_key", "service_tier", "safety_identifier"} & set(reached)
    assert {n.split(":")[1].strip() for n in adapted(raw.headers)} == {
        "prompt_cache_key",
        "prompt_cache_retention",
        "service_tier",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("conversation", "conv_1"),
        ("prompt", {"id": "pmpt_1"}),
        ("background", True),
        ("moderation", {"model": "omni-moderation-latest"}),
    ],
)
def test_fields_that_need_openai_state_are_refused_naming_them(gw: Gateway, field: str, value: Any) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        gw.client().responses.create(model="gpt-5", input="hi", extra_body={field: value})
    assert info.value.body["param"] == field


def test_an_item_reference_is_resolved_from_the_same_input_or_refused(gw: Gateway, gpt: FakeOpenAI) -> None:
    said = {"type": "message", "id": "msg_1", "role": "user", "content": "say: again"}
    items = [said, {"type": "item_reference", "id": "msg_1"}]
    gw.client().responses.create(model="gpt-5", input=items)  # type: ignore[arg-type]
    assert [m["content"] for m in sent(gpt)["messages"]] == ["say: again", "say: again"]
    with pytest.raises(openai.BadRequestError) as info:
        gw.client().responses.create(model="gpt-5", input=[{"type": "item_reference", "id": "msg_9"}])
    assert "keeps no response state" in info.value.body["message"] and info.value.body["param"] == "input[0]"


@pytest.mark.parametrize("kind", ["local_shell_call", "file_search_call", "computer_call", "mcp_call"])
def test_items_of_hosted_tools_are_refused_naming_their_type(gw: Gateway, kind: str) -> None:
    item = {"type": kind, "id": "x_1", "call_id": "c_1", "status": "completed"}
    response = httpx.post(f"{gw.url}/v1/responses", json={"model": "gpt-5", "input": [item]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "input[0].type" and repr(kind) in error["message"]


def test_replayed_reasoning_and_web_search_items_are_left_out_with_a_note(
    gw: Gateway, gpt: FakeOpenAI
) -> None:
    items = [
        {"type": "message", "role": "user", "content": "find it"},
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAA"},
        {
            "type": "web_search_call",
            "id": "ws_1",
            "status": "completed",
            "action": {"type": "search", "query": "q"},
        },
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "found"}]},
        {"type": "message", "role": "user", "content": "say: thanks"},
    ]
    raw = create(gw, {"model": "gpt-5", "input": items})
    assert [m["role"] for m in sent(gpt)["messages"]] == ["user", "assistant", "user"]
    assert adapted(raw.headers) == [
        "input: reasoning items are left out (no chat completions target takes them back)",
        "input: web_search_call items are left out (the search's answer follows them)",
    ]


def test_a_tool_loop_with_thinking_goes_without_thinking_rather_than_fail(
    gw: Gateway, claude: FakeAnthropic
) -> None:
    """Anthropic refuses thinking when the turn being continued has no thinking block to replay."""
    items = [
        {"type": "message", "role": "user", "content": "run it"},
        {"type": "function_call", "call_id": "toolu_1", "name": "exec_command", "arguments": '{"cmd": "ls"}'},
        {"type": "function_call_output", "call_id": "toolu_1", "output": "a.txt"},
    ]
    raw = create(
        gw, {"model": "claude-sonnet-4-6", "input": items, "tools": [EXEC], "reasoning": {"effort": "low"}}
    )
    assert raw.parse().output_text == "The tool returned: a.txt"
    assert "thinking" not in sent(claude)
    assert any("no thinking this turn" in n for n in adapted(raw.headers))


def test_the_sdk_stream_helper_accumulates_custom_and_namespaced_calls(gw: Gateway) -> None:
    tools: Any = [MULTI_AGENT, APPLY_PATCH]
    with gw.client().responses.stream(model="gpt-5", input="use the tool in parallel", tools=tools) as stream:
        final = stream.get_final_response()
    kinds = [(item.type, item.name, getattr(item, "namespace", None)) for item in final.output]
    assert kinds == [
        ("function_call", "spawn_agent", "multi_agent_v1"),
        ("function_call", "close_agent", "multi_agent_v1"),
        ("custom_tool_call", "apply_patch", None),
    ]


def test_chat_clients_custom_tool_calls_reach_claude_as_function_calls(
    gw: Gateway, claude: FakeAnthropic
) -> None:
    """Canonical custom tools are chat's own: a chat client replaying one is accepted, and a model
    without the `custom_tools` capability gets it as a function."""
    messages: Any = [
        {"role": "user", "content": "patch it"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_9", "type": "custom", "custom": {"name": "apply_patch", "input": "*** x"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_9", "content": "Done!"},
    ]
    tools: Any = [{"type": "custom", "custom": {"name": "apply_patch"}}]
    answer = gw.client().chat.completions.create(model="claude-sonnet-4-6", messages=messages, tools=tools)
    assert answer.choices[0].message.content == "The tool returned: Done!"
    use = sent(claude)["messages"][1]["content"][0]
    assert (use["name"], use["input"]) == ("apply_patch", {"input": "*** x"})


def test_the_sdk_stream_helper_accumulates_claudes_thinking_as_a_reasoning_item(gw: Gateway) -> None:
    with gw.client().responses.stream(
        model="claude-sonnet-4-6", input="say: thought", reasoning={"effort": "low", "summary": "auto"}
    ) as stream:
        final = stream.get_final_response()
    assert [item.type for item in final.output] == ["reasoning", "message"]
    assert final.output_text == "thought" and final.reasoning.effort == "low"
