"""The litellm SDK as a client: `openai/...` through chat completions, the Responses API, embeddings
and (for a completions-era model name) /v1/completions; `anthropic/...` through /v1/messages, whose
`api_base` is the bare host (litellm appends `/v1/messages`)."""

from __future__ import annotations

import json
from typing import Any

import litellm
import pytest

from compat.env import CITY, CLAUDE, GPT, INSTRUCT, KEY, Compat, tool_names, user_texts

# litellm's own types trip a pydantic warning as they are first built: noise, not a finding
pytestmark = pytest.mark.filterwarnings("ignore:Items? .*`ReadOnly` qualifier:UserWarning")

TOOLS: Any = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Tell the weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def openai_args(compat: Compat, model: str = GPT) -> dict[str, Any]:
    return {"model": f"openai/{model}", "api_base": compat.v1, "api_key": KEY, "num_retries": 0}


def anthropic_args(compat: Compat) -> dict[str, Any]:
    return {"model": f"anthropic/{CLAUDE}", "api_base": compat.url, "api_key": KEY, "num_retries": 0}


@pytest.fixture(params=["openai", "anthropic"])
def wire(request: pytest.FixtureRequest, compat: Compat) -> dict[str, Any]:
    return openai_args(compat) if request.param == "openai" else anthropic_args(compat)


def test_completion(compat: Compat, wire: dict[str, Any]) -> None:
    response = litellm.completion(messages=[{"role": "user", "content": "say: from litellm"}], **wire)
    assert response.choices[0].message.content == "from litellm"
    assert response.usage.total_tokens > 0
    assert user_texts(compat.sent()[-1]) == ["say: from litellm"]


def test_streamed_completion(compat: Compat, wire: dict[str, Any]) -> None:
    stream = litellm.completion(
        messages=[{"role": "user", "content": "say: one two three"}], stream=True, **wire
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream) == "one two three"
    assert compat.sent()[-1]["stream"] is True


def test_tool_call_and_its_result(compat: Compat, wire: dict[str, Any]) -> None:
    asked = [{"role": "user", "content": "use the tool for the weather"}]
    first = litellm.completion(messages=asked, tools=TOOLS, **wire)
    call = first.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == CITY
    assert tool_names(compat.sent()[-1]) == ["get_weather"]
    result = {"role": "tool", "tool_call_id": call.id, "content": "sunny"}
    second = litellm.completion(messages=[*asked, first.choices[0].message, result], tools=TOOLS, **wire)
    assert second.choices[0].message.content == "The tool returned: sunny"


def test_streamed_tool_call(compat: Compat, wire: dict[str, Any]) -> None:
    stream = litellm.completion(
        messages=[{"role": "user", "content": "use the tool"}], tools=TOOLS, stream=True, **wire
    )
    chunks = list(stream)
    built = litellm.stream_chunk_builder(chunks)
    call = built.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == CITY


def test_response_format_json_schema(compat: Compat, wire: dict[str, Any]) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    fmt = {"type": "json_schema", "json_schema": {"name": "reply", "schema": schema, "strict": True}}
    response = litellm.completion(
        messages=[{"role": "user", "content": "reply in json"}], response_format=fmt, **wire
    )
    assert json.loads(response.choices[0].message.content) == {"answer": "answer example"}


async def test_async_completion(compat: Compat, wire: dict[str, Any]) -> None:
    response = await litellm.acompletion(messages=[{"role": "user", "content": "say: async"}], **wire)
    assert response.choices[0].message.content == "async"


def test_text_completion_reaches_the_completions_surface(compat: Compat) -> None:
    response = litellm.text_completion(
        prompt="say: legacy text", max_tokens=12, **openai_args(compat, INSTRUCT)
    )
    assert response.choices[0].text == "legacy text" and response.choices[0].finish_reason == "stop"
    sent = compat.last_openai()
    assert sent["messages"] == [{"role": "user", "content": "say: legacy text"}] and sent["max_tokens"] == 12
    row = [r for r in compat.gateway.rows() if r["requested_model"] == INSTRUCT][-1]
    assert (row["endpoint"], row["model"]) == ("completions", GPT)


def test_streamed_text_completion(compat: Compat) -> None:
    stream = litellm.text_completion(
        prompt="say: legacy stream", stream=True, **openai_args(compat, INSTRUCT)
    )
    assert "".join(c.choices[0].text or "" for c in stream if c.choices) == "legacy stream"
    assert compat.last_openai()["stream"] is True


def test_responses(compat: Compat) -> None:
    response = litellm.responses(input="say: via responses", **openai_args(compat))
    assert response.output_text == "via responses"
    assert user_texts(compat.last_openai()) == ["say: via responses"]


def test_responses_answered_by_claude(compat: Compat) -> None:
    response = litellm.responses(input="say: claude via responses", **openai_args(compat, CLAUDE))
    assert response.output_text == "claude via responses"
    assert user_texts(compat.last_anthropic()) == ["say: claude via responses"]


def test_embedding(compat: Compat) -> None:
    response = litellm.embedding(input=["points"], **openai_args(compat, "text-embedding-3-small"))
    assert len(response.data[0]["embedding"]) > 0
    assert compat.last_openai()["input"] == ["points"]


def test_several_prompts_get_a_400_that_says_why(compat: Compat) -> None:
    # litellm sends a list of prompts to /v1/completions in one request; the gateway answers one
    with pytest.raises(litellm.BadRequestError, match="one prompt per request"):
        litellm.text_completion(prompt=["say: a", "say: b"], **openai_args(compat, INSTRUCT))
    assert not compat.openai.seen


def test_anthropic_reasoning_effort_and_cache_control_reach_claude(compat: Compat) -> None:
    """litellm's `reasoning_effort` (sent as `thinking`) and a `cache_control` content block were
    dropped before the provider (field notes); both reach the Anthropic model now."""
    cached = {"type": "text", "text": "say: cached", "cache_control": {"type": "ephemeral"}}
    answer = litellm.completion(
        **anthropic_args(compat),
        messages=[{"role": "user", "content": [cached]}],
        reasoning_effort="low",
        max_tokens=4096,
    )
    assert answer.choices[0].message.content == "cached"
    sent = compat.last_anthropic()
    assert sent["thinking"]["type"] in ("enabled", "adaptive")
    assert sent["messages"][0]["content"][-1]["cache_control"] == {"type": "ephemeral"}
