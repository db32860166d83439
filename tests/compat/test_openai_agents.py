"""The OpenAI Agents SDK (`openai-agents`): its Responses model (the default) and its chat completions
model, with tools, structured output, streaming and a handoff; a Claude model through Responses.
Tracing is off (conftest), so nothing is exported."""

from __future__ import annotations

from collections.abc import Callable

import openai
import pytest
from agents import (
    Agent,
    Model,
    ModelSettings,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    Runner,
    function_tool,
)
from openai.types.responses import ResponseTextDeltaEvent
from openai.types.shared import Reasoning

from compat.env import CITY, CLAUDE, FILLED, GPT, KEY, Compat, Weather, get_weather, tool_names, user_texts


def client(compat: Compat) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=compat.v1, api_key=KEY, max_retries=0)


MODELS: dict[str, Callable[[Compat], Model]] = {
    "responses": lambda c: OpenAIResponsesModel(GPT, client(c)),
    "chat": lambda c: OpenAIChatCompletionsModel(GPT, client(c)),
}


@pytest.fixture(params=list(MODELS))
def model(request: pytest.FixtureRequest, compat: Compat) -> Model:
    return MODELS[request.param](compat)


async def test_plain_run(compat: Compat, model: Model) -> None:
    agent = Agent(name="plain", instructions="Be brief.", model=model)
    result = await Runner.run(agent, "say: from the agents sdk")
    assert result.final_output == "from the agents sdk"
    sent = compat.last_openai()
    assert user_texts(sent) == ["say: from the agents sdk"] and "Be brief." in str(sent["messages"][0])


async def test_tool_loop(compat: Compat, model: Model) -> None:
    calls: list[str] = []

    @function_tool
    def weather(city: str) -> str:
        """Tell the weather in a city."""
        calls.append(city)
        return get_weather(city)

    agent = Agent(name="tools", model=model, tools=[weather])
    result = await Runner.run(agent, "use the tool for the weather")
    assert calls == [CITY["city"]]
    assert result.final_output == "The tool returned: sunny in city example"
    first, second = compat.sent()[-2:]
    assert tool_names(first) == ["weather"]
    assert [m["content"] for m in second["messages"] if m["role"] == "tool"] == ["sunny in city example"]


async def test_structured_output(compat: Compat, model: Model) -> None:
    agent = Agent(name="structured", model=model, output_type=Weather)
    result = await Runner.run(agent, "the weather in Paris")
    assert result.final_output == FILLED
    assert compat.last_openai()["response_format"]["type"] == "json_schema"


async def test_streamed_run(compat: Compat, model: Model) -> None:
    agent = Agent(name="streamed", model=model)
    streamed = Runner.run_streamed(agent, "say: one two three")
    deltas = [
        event.data.delta
        async for event in streamed.stream_events()
        if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent)
    ]
    assert "".join(deltas) == "one two three" and len(deltas) > 1
    assert streamed.final_output == "one two three"
    assert compat.last_openai()["stream"] is True


async def test_handoff(compat: Compat) -> None:
    specialist = Agent(name="specialist", instructions="You answer.", model=MODELS["responses"](compat))
    triage = Agent(name="triage", model=MODELS["responses"](compat), handoffs=[specialist])
    result = await Runner.run(triage, "hand this to the specialist: a tool decides")
    assert result.last_agent.name == "specialist"
    assert tool_names(compat.sent()[0]) == ["transfer_to_specialist"]
    assert "You answer." in str(compat.last_openai()["messages"][0])


async def test_a_claude_model_through_responses(compat: Compat) -> None:
    agent = Agent(name="claude", model=OpenAIResponsesModel(CLAUDE, client(compat)))
    result = await Runner.run(agent, "say: claude through responses")
    assert result.final_output == "claude through responses"
    assert user_texts(compat.last_anthropic()) == ["say: claude through responses"]


async def test_reasoning_effort_reaches_the_model(compat: Compat, model: Model) -> None:
    """`ModelSettings(reasoning=...)` was dropped on the Responses surface (field notes): it must
    reach an OpenAI model as chat's `reasoning_effort`, and a Claude model as extended thinking."""
    settings = ModelSettings(reasoning=Reasoning(effort="low"))
    agent = Agent(name="thinker", model=model, model_settings=settings)
    result = await Runner.run(agent, "say: thought through")
    assert result.final_output == "thought through"
    assert compat.last_openai()["reasoning_effort"] == "low"
    claude = Agent(name="claude", model=OpenAIResponsesModel(CLAUDE, client(compat)), model_settings=settings)
    assert (await Runner.run(claude, "say: thought too")).final_output == "thought too"
    assert compat.last_anthropic()["thinking"]["type"] == "enabled"
