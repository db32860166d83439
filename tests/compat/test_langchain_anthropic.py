"""langchain-anthropic's `ChatAnthropic` through /v1/messages, answered by a Claude model and by an
OpenAI-wire one."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.messages import HumanMessage, SystemMessage

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


def chat(compat: Compat, model: str = CLAUDE, **kw: Any) -> ChatAnthropic:
    kw.setdefault("max_tokens", 256)
    return ChatAnthropic(model=model, base_url=compat.url, api_key=KEY, max_retries=0, **kw)


def test_invoke_with_a_system_prompt(compat: Compat) -> None:
    answer = chat(compat).invoke([SystemMessage("Be brief."), HumanMessage("say: hello from langchain")])
    assert answer.text == "hello from langchain"
    usage = answer.usage_metadata
    assert usage is not None and usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    sent = compat.last_anthropic()
    assert "Be brief." in str(sent["system"]) and sent["max_tokens"] == 256
    assert user_texts(sent) == ["say: hello from langchain"]


def test_stream(compat: Compat) -> None:
    chunks = list(chat(compat).stream("say: one two three"))
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert whole.text == "one two three"
    assert whole.usage_metadata is not None and whole.usage_metadata["output_tokens"] > 0
    assert compat.last_anthropic()["stream"] is True


def test_bound_tool_is_called_and_streamed(compat: Compat) -> None:
    bound = chat(compat).bind_tools([get_weather])
    answer = bound.invoke("use the tool for the weather")
    assert [(c["name"], c["args"]) for c in answer.tool_calls] == [("get_weather", CITY)]
    assert tool_names(compat.last_anthropic()) == ["get_weather"]
    chunks = list(bound.stream("use the tool"))
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert [(c["name"], c["args"]) for c in whole.tool_calls] == [("get_weather", CITY)]


def test_tool_round_trip(compat: Compat) -> None:
    assert (
        langchain_tool_round_trip(chat(compat).bind_tools([get_weather]))
        == "The tool returned: sunny in city example"
    )
    last = compat.last_anthropic()["messages"][-1]
    assert last["role"] == "user" and last["content"][0]["type"] == "tool_result"


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_output(compat: Compat, method: str) -> None:
    parsed = chat(compat).with_structured_output(Weather, method=method).invoke("the weather in Paris")
    assert parsed == FILLED


def test_an_openai_model_through_messages(compat: Compat) -> None:
    answer = chat(compat, GPT).invoke("say: gpt answers claude's client")
    assert answer.text == "gpt answers claude's client"
    assert user_texts(compat.last_openai()) == ["say: gpt answers claude's client"]
    call = chat(compat, GPT).bind_tools([get_weather]).invoke("use the tool")
    assert [(c["name"], c["args"]) for c in call.tool_calls] == [("get_weather", CITY)]


def test_count_tokens(compat: Compat) -> None:
    count = chat(compat).get_num_tokens_from_messages([HumanMessage("how many tokens is this?")])
    assert isinstance(count, int) and count > 0
    assert not compat.anthropic.seen  # counted by the gateway, nothing billed upstream


def test_thinking_reaches_claude_and_comes_back(compat: Compat) -> None:
    """`thinking` was accepted and dropped (field notes): it reaches the Anthropic model as sent, and
    the thinking block the model answers with reaches langchain."""
    thinking = {"type": "enabled", "budget_tokens": 1024}
    answer = chat(compat, max_tokens=2048, thinking=thinking).invoke("say: thought")
    assert compat.last_anthropic()["thinking"] == thinking
    blocks = answer.content if isinstance(answer.content, list) else []
    assert [b["type"] for b in blocks if isinstance(b, dict)] == ["thinking", "text"]
    assert answer.text == "thought"
