"""The fake OpenAI server speaks the protocol: the official SDK, pointed straight at it, parses it."""

from __future__ import annotations

import json

import openai
import pytest

from conftest import PROVIDER_KEY, user
from pointsman.fakes.openai_server import FakeOpenAI


@pytest.fixture
def direct(fake: FakeOpenAI) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{fake.url}/v1", api_key=PROVIDER_KEY, max_retries=0)


def test_sdk_parses_plain_stream_tools_and_usage(direct: openai.OpenAI) -> None:
    completion = direct.chat.completions.create(model="small-1", messages=user("say: hi"))
    assert completion.choices[0].message.content == "hi" and completion.usage.total_tokens > 0
    chunks = list(
        direct.chat.completions.create(
            model="small-1", messages=user("say: a b"), stream=True, stream_options={"include_usage": True}
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "a b"
    assert chunks[-1].usage.completion_tokens > 0
    tools = [
        {
            "type": "function",
            "function": {
                "name": "f",
                "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
            },
        }
    ]
    with direct.chat.completions.stream(
        model="small-1", messages=user("call the tool"), tools=tools
    ) as stream:
        final = stream.get_final_completion()
    assert json.loads(final.choices[0].message.tool_calls[0].function.arguments) == {"q": "q example"}
    # like OpenAI: a tool-call stream opens with `content: null`, a text stream with ""
    opening = next(
        iter(
            direct.chat.completions.create(
                model="small-1", messages=user("call the tool"), tools=tools, stream=True
            )
        )
    )
    assert opening.choices[0].delta.content is None and opening.choices[0].delta.role == "assistant"
    assert chunks[0].choices[0].delta.content == ""


def test_sdk_sees_injected_faults_as_the_real_errors(direct: openai.OpenAI) -> None:
    with pytest.raises(openai.RateLimitError) as info:
        direct.chat.completions.create(
            model="small-1",
            messages=user("x"),
            extra_body={"fake_fault": {"kind": "status", "status": 429, "retry_after": "2"}},
        )
    assert info.value.response.headers["retry-after"] == "2"
    with pytest.raises(openai.APIConnectionError):
        direct.chat.completions.create(
            model="small-1", messages=user("x"), extra_body={"fake_fault": {"kind": "reset"}}
        )
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{direct.base_url}", api_key="wrong", max_retries=0).models.list()
    with pytest.raises(openai.NotFoundError):
        direct.chat.completions.create(model="no-such-model", messages=user("x"))


def test_fake_records_what_it_saw(direct: openai.OpenAI, fake: FakeOpenAI) -> None:
    direct.chat.completions.create(model="small-1", messages=user("remember me"), seed=3)
    seen = fake.seen[-1]
    assert seen.model == "small-1" and seen.body["seed"] == 3 and seen.path == "/v1/chat/completions"


def test_a_prompt_names_the_tool_and_its_arguments(direct: openai.OpenAI) -> None:
    """`tool:NAME {json}` (how scripts/clients makes an agent's loop read a real file) picks the
    named tool among many with those arguments; an unoffered name falls back to the first tool."""

    def tool(name: str) -> dict[str, object]:
        schema = {"type": "object", "properties": {"path": {"type": "string"}}}
        return {"type": "function", "function": {"name": name, "parameters": schema}}

    tools = [tool("Agent"), tool("Read")]
    ask = 'Use tool:Read {"path": "/tmp/x y.txt"} then answer.'
    call = direct.chat.completions.create(model="small-1", messages=user(ask), tools=tools)
    named = call.choices[0].message.tool_calls[0].function
    assert named.name == "Read" and json.loads(named.arguments) == {"path": "/tmp/x y.txt"}
    call = direct.chat.completions.create(model="small-1", messages=user("tool:Read and go"), tools=tools)
    assert json.loads(call.choices[0].message.tool_calls[0].function.arguments) == {"path": "path example"}
    call = direct.chat.completions.create(model="small-1", messages=user("tool:Write"), tools=tools)
    assert call.choices[0].message.tool_calls[0].function.name == "Agent"
