"""pydantic-ai agents on its three model classes that speak to the gateway: `OpenAIChatModel` (chat
completions), `OpenAIResponsesModel` (Responses) and `AnthropicModel` (/v1/messages)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic_ai import Agent
from pydantic_ai.models import Model
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider

from compat.env import CITY, CLAUDE, FILLED, GPT, KEY, Compat, Weather, get_weather, tool_names, user_texts

MODELS: dict[str, Callable[[Compat], Model]] = {
    "chat": lambda c: OpenAIChatModel(GPT, provider=OpenAIProvider(base_url=c.v1, api_key=KEY)),
    "responses": lambda c: OpenAIResponsesModel(GPT, provider=OpenAIProvider(base_url=c.v1, api_key=KEY)),
    "messages": lambda c: AnthropicModel(CLAUDE, provider=AnthropicProvider(base_url=c.url, api_key=KEY)),
}


@pytest.fixture(params=list(MODELS))
def model(request: pytest.FixtureRequest, compat: Compat) -> Model:
    return MODELS[request.param](compat)


def last(compat: Compat, model: Model) -> dict[str, object]:
    return compat.last_anthropic() if isinstance(model, AnthropicModel) else compat.last_openai()


def test_plain_run(compat: Compat, model: Model) -> None:
    result = Agent(model, instructions="Be brief.").run_sync("say: from pydantic-ai")
    assert result.output == "from pydantic-ai"
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0
    sent = last(compat, model)
    assert user_texts(sent) == ["say: from pydantic-ai"] and "Be brief." in str(sent)


def test_tool_call_then_answer(compat: Compat, model: Model) -> None:
    agent = Agent(model)
    calls: list[str] = []

    @agent.tool_plain
    def weather(city: str) -> str:
        """Tell the weather in a city."""
        calls.append(city)
        return get_weather(city)

    result = agent.run_sync("use the tool for the weather")
    assert calls == [CITY["city"]]
    assert result.output == "The tool returned: sunny in city example"
    first, second = compat.sent()[-2:]
    assert tool_names(first) == ["weather"] and "sunny in city example" in str(second)


def test_structured_output(compat: Compat, model: Model) -> None:
    result = Agent(model, output_type=Weather).run_sync("the weather in Paris")
    assert result.output == FILLED
    assert tool_names(last(compat, model)) == ["final_result"]


async def test_streamed_run(compat: Compat, model: Model) -> None:
    async with Agent(model).run_stream("say: one two three") as streamed:
        pieces = [piece async for piece in streamed.stream_text(delta=True, debounce_by=None)]
    assert "".join(pieces) == "one two three" and len(pieces) > 1
    assert last(compat, model)["stream"] is True
