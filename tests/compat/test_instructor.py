"""instructor's structured outputs through the official SDKs: OpenAI's chat completions (tools, JSON
schema, partial streaming), the Responses API, and Anthropic's /v1/messages (tools).

instructor is installed without its dependencies (scripts/test): its `jiter<0.15` pin admits no
openai release after 3.3.0, and the suite runs the current SDKs."""

from __future__ import annotations

import anthropic
import instructor
import openai

from compat.env import CLAUDE, FILLED, GPT, KEY, Compat, Weather, tool_names, user_texts

EXPECTED = FILLED.model_dump()
ASK = [{"role": "user", "content": "the weather in Paris"}]


def openai_client(compat: Compat) -> openai.OpenAI:
    return openai.OpenAI(base_url=compat.v1, api_key=KEY, max_retries=0)


def test_tools_mode(compat: Compat) -> None:
    client = instructor.from_openai(openai_client(compat), mode=instructor.Mode.TOOLS)
    assert (
        client.chat.completions.create(model=GPT, response_model=Weather, messages=ASK).model_dump()
        == EXPECTED
    )
    sent = compat.last_openai()
    assert tool_names(sent) == ["Weather"]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "Weather"}}


def test_json_schema_mode(compat: Compat) -> None:
    client = instructor.from_openai(openai_client(compat), mode=instructor.Mode.JSON_SCHEMA)
    assert (
        client.chat.completions.create(model=GPT, response_model=Weather, messages=ASK).model_dump()
        == EXPECTED
    )
    fmt = compat.last_openai()["response_format"]
    assert fmt["type"] == "json_schema" and set(fmt["json_schema"]["schema"]["properties"]) == {
        "city",
        "degrees",
    }


def test_partial_streaming(compat: Compat) -> None:
    client = instructor.from_openai(openai_client(compat), mode=instructor.Mode.TOOLS)
    partials = list(client.chat.completions.create_partial(model=GPT, response_model=Weather, messages=ASK))
    assert len(partials) > 1 and partials[-1].model_dump() == EXPECTED
    assert compat.last_openai()["stream"] is True


def test_responses_tools_mode(compat: Compat) -> None:
    client = instructor.from_openai(openai_client(compat), mode=instructor.Mode.RESPONSES_TOOLS)
    answer = client.responses.create(model=GPT, response_model=Weather, input="the weather in Paris")
    assert answer.model_dump() == EXPECTED
    sent = compat.last_openai()
    assert tool_names(sent) == ["Weather"] and user_texts(sent) == ["the weather in Paris"]


def test_anthropic_tools(compat: Compat) -> None:
    sdk = anthropic.Anthropic(base_url=compat.url, api_key=KEY, max_retries=0)
    client = instructor.from_anthropic(sdk, mode=instructor.Mode.TOOLS)
    answer = client.messages.create(model=CLAUDE, max_tokens=200, response_model=Weather, messages=ASK)
    assert answer.model_dump() == EXPECTED
    sent = compat.last_anthropic()
    assert tool_names(sent) == ["Weather"]
    assert sent["tool_choice"]["type"] == "tool" and sent["tool_choice"]["name"] == "Weather"


def test_a_claude_model_through_openai_tools_mode(compat: Compat) -> None:
    client = instructor.from_openai(openai_client(compat), mode=instructor.Mode.TOOLS)
    assert (
        client.chat.completions.create(model=CLAUDE, response_model=Weather, messages=ASK).model_dump()
        == EXPECTED
    )
    assert tool_names(compat.last_anthropic()) == ["Weather"]
