"""OpenAI SDK → pointsman → a Gemini upstream (the fake, which the official google-genai SDK parses)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import anthropic
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from conftest import Gateway, user
from pointsman.fakes.base import FakeModel
from pointsman.fakes.faults import Fault
from pointsman.fakes.gemini_server import FakeGemini
from pointsman.serving import BackgroundServers

KEY = "AIza-fake-gemini-key-0123456789"
TOOLS: Any = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


@pytest.fixture(scope="module")
def gemini(servers: BackgroundServers) -> FakeGemini:
    models = {
        "gemini-flash": FakeModel(reasoning_tokens=30, cached_tokens=3),
        "gemini-tiny": FakeModel(context_window=10),
    }
    fake = FakeGemini(models, api_key=KEY)
    servers.start_fake(fake)
    return fake


@pytest.fixture(scope="module")
def gw(make_gateway: Any, gemini: FakeGemini) -> Gateway:
    gateway: Gateway = make_gateway(
        text=f"""
providers:
  google: {{type: gemini, base_url: "{gemini.url}/v1beta", api_key: {KEY}}}
models:
  flash: {{provider: google, upstream: gemini-flash, input: 0.30, cached_input: 0.03, output: 2.50}}
  tiny: {{provider: google, upstream: gemini-tiny, input: 1, output: 1}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
"""
    )
    return gateway


def test_fake_speaks_the_protocol_to_google_genai(gemini: FakeGemini) -> None:
    client = genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=gemini.url))
    reply = client.models.generate_content(model="gemini-flash", contents="say: hi gemini")
    assert reply.text == "hi gemini" and reply.usage_metadata is not None
    assert reply.usage_metadata.thoughts_token_count == 30
    assert (
        "".join(
            c.text or ""
            for c in client.models.generate_content_stream(model="gemini-flash", contents="say: a b c")
        )
        == "a b c"
    )
    declaration = types.FunctionDeclaration(
        name="lookup", description="d", parameters_json_schema=TOOLS[0]["function"]["parameters"]
    )
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[declaration])],
        tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode="ANY")),
    )
    called = client.models.generate_content(model="gemini-flash", contents="use it", config=config)
    assert called.function_calls and called.function_calls[0].args == {"city": "city example"}
    stranger = genai.Client(api_key="bad", http_options=types.HttpOptions(base_url=gemini.url))
    with pytest.raises(genai_errors.ClientError):
        stranger.models.generate_content(model="gemini-flash", contents="x")


def test_plain_completion_usage_counts_thoughts_as_output(gw: Gateway, gemini: FakeGemini) -> None:
    raw = gw.client().chat.completions.with_raw_response.create(
        model="flash",
        messages=[{"role": "system", "content": "Be brief."}, *user("say: bonjour gemini")],
        max_tokens=50,
        stop=["END"],
        temperature=0.2,
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "bonjour gemini"
    sent = gemini.seen[-1]
    assert (
        sent.path == "/v1beta/models/gemini-flash:generateContent" and sent.headers["x-goog-api-key"] == KEY
    )
    assert sent.body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert sent.body["generationConfig"] == {
        "maxOutputTokens": 50,
        "stopSequences": ["END"],
        "temperature": 0.2,
    }
    usage = completion.usage
    assert (
        usage.completion_tokens_details.reasoning_tokens == 30
        and usage.prompt_tokens_details.cached_tokens == 3
    )
    fresh = usage.prompt_tokens - 3
    cost = (
        fresh * Decimal("0.30") + 3 * Decimal("0.03") + usage.completion_tokens * Decimal("2.50")
    ) / 1_000_000
    assert Decimal(raw.headers["x-pointsman-cost-usd"]) == cost
    assert Decimal(gw.row(raw.headers["x-pointsman-request-id"])["cost_usd"]) == cost


def test_stream_and_usage(gw: Gateway, gemini: FakeGemini) -> None:
    chunks = list(
        gw.client().chat.completions.create(
            model="flash",
            messages=user("say: streaming from gemini"),
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "streaming from gemini"
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == [
        "stop"
    ]
    assert chunks[-1].usage.completion_tokens_details.reasoning_tokens == 30
    assert gemini.seen[-1].path.endswith(":streamGenerateContent")


def test_tools_and_tool_results_round_trip(gw: Gateway, gemini: FakeGemini) -> None:
    client = gw.client()
    calls: dict[int, dict[str, str]] = {}
    for chunk in client.chat.completions.create(
        model="flash", messages=user("use the tool"), tools=TOOLS, tool_choice="required", stream=True
    ):
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            call = calls.setdefault(delta.index, {"id": "", "args": ""})
            call["id"] = delta.id or call["id"]
            call["args"] += delta.function.arguments or ""
    assert json.loads(calls[0]["args"]) == {"city": "city example"}
    assert gemini.seen[-1].body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    follow = client.chat.completions.create(
        model="flash",
        tools=TOOLS,
        messages=[
            *user("use the tool"),
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": calls[0]["id"],
                        "type": "function",
                        "function": {"name": "lookup", "arguments": calls[0]["args"]},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": calls[0]["id"], "content": "sunny"},
        ],
    )
    assert follow.choices[0].message.content == "The tool returned: sunny"
    turn = gemini.seen[-1].body["contents"][2]
    assert turn == {
        "role": "user",
        "parts": [{"functionResponse": {"name": "lookup", "response": {"content": "sunny"}}}],
    }


def test_json_schema_errors_and_context(gw: Gateway, gemini: FakeGemini) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    completion = gw.client().chat.completions.create(
        model="flash",
        messages=user("answer"),
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
    )
    assert json.loads(completion.choices[0].message.content) == {"answer": "answer example"}
    gemini.inject(Fault("status", status=429, retry_after="7", model="gemini-flash"))
    with pytest.raises(openai.RateLimitError) as limited:
        gw.client().chat.completions.create(model="flash", messages=user("x"))
    assert limited.value.response.headers["retry-after"] == "7", "from Gemini's RetryInfo"
    gemini.inject(Fault("status", status=503, model="gemini-flash"))
    with pytest.raises(openai.APIStatusError) as overloaded:
        gw.client().chat.completions.create(model="flash", messages=user("x"))
    assert overloaded.value.status_code == 503
    with pytest.raises(openai.BadRequestError) as long:
        gw.client().chat.completions.create(model="tiny", messages=user("word " * 40))
    assert long.value.code == "context_length_exceeded"


def test_anthropic_sdk_answered_by_gemini(gw: Gateway) -> None:
    client = anthropic.Anthropic(base_url=gw.url, api_key="x", max_retries=0)
    with client.messages.stream(
        model="flash", max_tokens=50, messages=user("say: claude sdk, gemini model")
    ) as s:
        assert s.get_final_text() == "claude sdk, gemini model"
        assert s.get_final_message().usage.output_tokens > 30  # thoughts are output
