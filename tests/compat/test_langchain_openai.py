"""langchain-openai's `ChatOpenAI` through chat completions and (use_responses_api) the Responses API,
answered by an OpenAI-wire model and by a Claude model."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from compat.env import (
    CITY,
    CLAUDE,
    FILLED,
    GPT,
    KEY,
    Compat,
    Weather,
    get_weather,
    langchain_tool_round_trip,
    tool_names,
    user_texts,
)


def chat(compat: Compat, model: str = GPT, **kw: Any) -> ChatOpenAI:
    return ChatOpenAI(model=model, base_url=compat.v1, api_key=KEY, max_retries=0, **kw)


@pytest.fixture(params=["chat", "responses"])
def llm(request: pytest.FixtureRequest, compat: Compat) -> ChatOpenAI:
    return chat(compat, use_responses_api=request.param == "responses")


def test_invoke_with_a_system_prompt(compat: Compat, llm: ChatOpenAI) -> None:
    answer = llm.invoke([SystemMessage("Be brief."), HumanMessage("say: hello from langchain")])
    assert answer.text == "hello from langchain"
    usage = answer.usage_metadata
    assert usage is not None and usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    sent = compat.last_openai()
    assert sent["model"] == "small-1"
    assert sent["messages"][0]["role"] in ("system", "developer") and "Be brief." in str(sent["messages"][0])
    assert user_texts(sent) == ["say: hello from langchain"]


def test_stream_with_usage(compat: Compat, llm: ChatOpenAI) -> None:
    streamed = chat(compat, stream_usage=True, use_responses_api=llm.use_responses_api)
    chunks = list(streamed.stream("say: one two three"))
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert whole.text == "one two three"
    assert whole.usage_metadata is not None and whole.usage_metadata["output_tokens"] == 3
    assert compat.last_openai()["stream"] is True


def test_bound_tool_is_called(compat: Compat, llm: ChatOpenAI) -> None:
    answer = llm.bind_tools([get_weather]).invoke("use the tool for the weather")
    assert [(c["name"], c["args"]) for c in answer.tool_calls] == [("get_weather", CITY)]
    assert tool_names(compat.last_openai()) == ["get_weather"]


def test_streamed_tool_call(compat: Compat, llm: ChatOpenAI) -> None:
    chunks = list(llm.bind_tools([get_weather]).stream("use the tool"))
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert [(c["name"], c["args"]) for c in whole.tool_calls] == [("get_weather", CITY)]


def test_tool_round_trip(compat: Compat, llm: ChatOpenAI) -> None:
    assert (
        langchain_tool_round_trip(llm.bind_tools([get_weather])) == "The tool returned: sunny in city example"
    )
    tool_turns = [m for m in compat.last_openai()["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in tool_turns] == ["sunny in city example"]


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_structured_output(compat: Compat, llm: ChatOpenAI, method: str) -> None:
    parsed = llm.with_structured_output(Weather, method=method).invoke("the weather in Paris")
    assert parsed == FILLED
    sent = compat.last_openai()
    if method == "json_schema":
        assert sent["response_format"]["type"] == "json_schema"
    else:
        assert tool_names(sent) == ["Weather"]


def test_a_claude_model_through_chat_completions(compat: Compat) -> None:
    answer = chat(compat, CLAUDE).invoke("say: claude answers")
    assert answer.text == "claude answers"
    assert user_texts(compat.last_anthropic()) == ["say: claude answers"]
    tool_call = chat(compat, CLAUDE, use_responses_api=True).bind_tools([get_weather]).invoke("use the tool")
    assert [(c["name"], c["args"]) for c in tool_call.tool_calls] == [("get_weather", CITY)]


async def test_ainvoke_and_batch(compat: Compat) -> None:
    llm = chat(compat)
    assert (await llm.ainvoke("say: async")).text == "async"
    answers = llm.batch(["say: first", "say: second"])
    assert [a.text for a in answers] == ["first", "second"]
