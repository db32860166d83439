"""One conformance suite over every (inbound surface × provider) pair.

Adding a provider means adding a row to PROVIDERS (its fake and wire type); adding a surface means
adding a class to SURFACES. Every scenario then runs for every pair.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import anthropic
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from conftest import Gateway, user
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.base import FakeProvider
from pointsman.fakes.faults import Fault
from pointsman.fakes.gemini_server import FakeGemini
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.serving import BackgroundServers

PROVIDERS: dict[str, tuple[type[FakeProvider], str, str]] = {
    # name: (fake, wire type, base URL suffix)
    "openai": (FakeOpenAI, "openai", "/v1"),
    "anthropic": (FakeAnthropic, "anthropic", "/v1"),
    "gemini": (FakeGemini, "gemini", "/v1beta"),
}
PRICE = {"input": Decimal("2"), "output": Decimal("8")}
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


@dataclass
class Reply:
    text: str
    finish: str  # canonical: stop, length, tool_calls
    prompt_tokens: int
    completion_tokens: int
    request_id: str
    tool: tuple[str, str, dict[str, Any]] | None = None  # (call id, name, arguments)


class OpenAISurface:
    name = "openai"

    def __init__(self, gateway: Gateway) -> None:
        self.client = gateway.client()

    def ask(self, model: str, prompt: str, *, stream: bool = False, tools: bool = False, **kw: Any) -> Reply:
        extra: dict[str, Any] = (
            {
                "tools": [{"type": "function", "function": {"name": "lookup", "parameters": SCHEMA}}],
                "tool_choice": "required",
            }
            if tools
            else {}
        )
        if "max_tokens" in kw:
            extra["max_tokens"] = kw["max_tokens"]
        if "schema" in kw:
            extra["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "s", "schema": kw["schema"]},
            }
        if "stop" in kw:
            extra["stop"] = kw["stop"]
        if "image" in kw:
            image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{kw['image']}"}}
            kw["messages"] = [{"role": "user", "content": [{"type": "text", "text": prompt}, image]}]
        messages = kw.get("messages") or [
            *([{"role": "system", "content": kw["system"]}] if "system" in kw else []),
            *user(prompt),
        ]
        if not stream:
            raw = self.client.chat.completions.with_raw_response.create(
                model=model, messages=messages, **extra
            )
            done = raw.parse()
            message = done.choices[0].message
            call = message.tool_calls[0] if message.tool_calls else None
            tool = (call.id, call.function.name, json.loads(call.function.arguments)) if call else None
            return Reply(
                message.content or "",
                done.choices[0].finish_reason,
                done.usage.prompt_tokens,
                done.usage.completion_tokens,
                raw.headers["x-pointsman-request-id"],
                tool,
            )
        raw = self.client.chat.completions.with_raw_response.create(
            model=model, messages=messages, stream=True, stream_options={"include_usage": True}, **extra
        )
        text, finish, usage, call = "", "", None, {"id": "", "name": "", "args": ""}
        for chunk in raw.parse():
            usage = chunk.usage or usage
            for choice in chunk.choices:
                text += choice.delta.content or ""
                finish = choice.finish_reason or finish
                for delta in choice.delta.tool_calls or []:
                    call["id"] = delta.id or call["id"]
                    call["name"] = (delta.function.name if delta.function else "") or call["name"]
                    call["args"] += (delta.function.arguments if delta.function else "") or ""
        tool = (call["id"], call["name"], json.loads(call["args"])) if call["name"] else None
        assert usage is not None
        return Reply(
            text,
            finish,
            usage.prompt_tokens,
            usage.completion_tokens,
            raw.headers["x-pointsman-request-id"],
            tool,
        )

    def tool_result(self, model: str, tool: tuple[str, str, dict[str, Any]], result: str) -> Reply:
        call_id, name, args = tool
        messages = [
            *user("use the tool"),
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(args)},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call_id, "content": result},
        ]
        return self.ask(model, "", messages=messages)

    def error_status(self, model: str) -> int:
        with pytest.raises(openai.APIStatusError) as info:
            self.client.chat.completions.create(model=model, messages=user("x"))
        return info.value.status_code


class AnthropicSurface:
    name = "anthropic"
    FINISH: ClassVar[dict[str, str]] = {"end_turn": "stop", "max_tokens": "length", "tool_use": "tool_calls"}

    def __init__(self, gateway: Gateway) -> None:
        self.client = anthropic.Anthropic(base_url=gateway.url, api_key="x", max_retries=0)

    def ask(self, model: str, prompt: str, *, stream: bool = False, tools: bool = False, **kw: Any) -> Reply:
        extra: dict[str, Any] = (
            {"tools": [{"name": "lookup", "input_schema": SCHEMA}], "tool_choice": {"type": "any"}}
            if tools
            else {}
        )
        if "system" in kw:
            extra["system"] = kw["system"]
        if "schema" in kw:
            extra["extra_body"] = {
                "output_config": {"format": {"type": "json_schema", "schema": kw["schema"]}}
            }
        if "stop" in kw:
            extra["stop_sequences"] = kw["stop"]
        if "image" in kw:
            source = {"type": "base64", "media_type": "image/png", "data": kw["image"]}
            image = {"type": "image", "source": source}
            kw["messages"] = [{"role": "user", "content": [{"type": "text", "text": prompt}, image]}]
        messages = kw.get("messages") or user(prompt)
        max_tokens = kw.get("max_tokens", 200)
        if stream:
            with self.client.messages.stream(
                model=model, max_tokens=max_tokens, messages=messages, **extra
            ) as s:
                message = s.get_final_message()
                request_id = s.response.headers["x-pointsman-request-id"]
        else:
            raw = self.client.messages.with_raw_response.create(
                model=model, max_tokens=max_tokens, messages=messages, **extra
            )
            message, request_id = raw.parse(), raw.headers["x-pointsman-request-id"]
        text = "".join(b.text for b in message.content if b.type == "text")
        uses = [b for b in message.content if b.type == "tool_use"]
        tool = (uses[0].id, uses[0].name, dict(uses[0].input)) if uses else None
        usage = message.usage
        prompt_tokens = (
            usage.input_tokens
            + (usage.cache_read_input_tokens or 0)
            + (usage.cache_creation_input_tokens or 0)
        )
        return Reply(
            text,
            self.FINISH.get(str(message.stop_reason), "?"),
            prompt_tokens,
            usage.output_tokens,
            request_id,
            tool,
        )

    def tool_result(self, model: str, tool: tuple[str, str, dict[str, Any]], result: str) -> Reply:
        call_id, name, args = tool
        messages = [
            *user("use the tool"),
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": call_id, "name": name, "input": args}],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id, "content": result}]},
        ]
        return self.ask(model, "", messages=messages)

    def error_status(self, model: str) -> int:
        with pytest.raises(anthropic.APIStatusError) as info:
            self.client.messages.create(model=model, max_tokens=5, messages=user("x"))
        return info.value.status_code


class ResponsesSurface:
    name = "responses"

    def __init__(self, gateway: Gateway) -> None:
        self.client = gateway.client()

    def ask(self, model: str, prompt: str, *, stream: bool = False, tools: bool = False, **kw: Any) -> Reply:
        extra: dict[str, Any] = (
            {
                "tools": [{"type": "function", "name": "lookup", "parameters": SCHEMA}],
                "tool_choice": "required",
            }
            if tools
            else {}
        )
        if "system" in kw:
            extra["instructions"] = kw["system"]
        if "max_tokens" in kw:
            extra["max_output_tokens"] = kw["max_tokens"]
        if "schema" in kw:
            extra["text"] = {"format": {"type": "json_schema", "name": "s", "schema": kw["schema"]}}
        if "image" in kw:
            url = f"data:image/png;base64,{kw['image']}"
            image = {"type": "input_image", "image_url": url, "detail": "auto"}
            kw["messages"] = [{"role": "user", "content": [{"type": "input_text", "text": prompt}, image]}]
        items = kw.get("messages") or prompt
        if stream:  # raw events: the SDK's helper raises on `response.incomplete` (a truncation)
            raw = self.client.responses.with_raw_response.create(
                model=model, input=items, stream=True, **extra
            )
            request_id = raw.headers["x-pointsman-request-id"]
            finals = [
                e.response for e in raw.parse() if e.type in ("response.completed", "response.incomplete")
            ]
            assert len(finals) == 1
            response = finals[0]
        else:
            raw = self.client.responses.with_raw_response.create(model=model, input=items, **extra)
            response, request_id = raw.parse(), raw.headers["x-pointsman-request-id"]
        calls = [o for o in response.output if o.type == "function_call"]
        tool = (calls[0].call_id, calls[0].name, json.loads(calls[0].arguments)) if calls else None
        finish = "tool_calls" if calls else ("length" if response.status == "incomplete" else "stop")
        usage = response.usage
        assert usage is not None
        return Reply(response.output_text, finish, usage.input_tokens, usage.output_tokens, request_id, tool)

    def tool_result(self, model: str, tool: tuple[str, str, dict[str, Any]], result: str) -> Reply:
        call_id, name, args = tool
        items = [
            *user("use the tool"),
            {"type": "function_call", "call_id": call_id, "name": name, "arguments": json.dumps(args)},
            {"type": "function_call_output", "call_id": call_id, "output": result},
        ]
        return self.ask(model, "", messages=items)

    def error_status(self, model: str) -> int:
        with pytest.raises(openai.APIStatusError) as info:
            self.client.responses.create(model=model, input="x")
        return info.value.status_code


class GeminiSurface:
    name = "gemini"
    FINISH: ClassVar[dict[str, str]] = {"STOP": "stop", "MAX_TOKENS": "length"}

    def __init__(self, gateway: Gateway) -> None:
        self.client = genai.Client(api_key="x", http_options=genai_types.HttpOptions(base_url=gateway.url))

    @staticmethod
    def _config(tools: bool, kw: dict[str, Any]) -> genai_types.GenerateContentConfig:
        config = genai_types.GenerateContentConfig(
            system_instruction=kw.get("system"),
            max_output_tokens=kw.get("max_tokens"),
            stop_sequences=kw.get("stop"),
        )
        if tools:
            lookup = genai_types.FunctionDeclaration(name="lookup", parameters_json_schema=SCHEMA)
            config.tools = [genai_types.Tool(function_declarations=[lookup])]
            calling = genai_types.FunctionCallingConfig(mode=genai_types.FunctionCallingConfigMode.ANY)
            config.tool_config = genai_types.ToolConfig(function_calling_config=calling)
        if "schema" in kw:
            config.response_mime_type, config.response_json_schema = "application/json", kw["schema"]
        return config

    @staticmethod
    def _contents(prompt: str, kw: dict[str, Any]) -> list[Any]:
        if "image" in kw:
            image = genai_types.Part.from_bytes(data=base64.b64decode(kw["image"]), mime_type="image/png")
            return [genai_types.Content(role="user", parts=[genai_types.Part.from_text(text=prompt), image])]
        turns = kw.get("messages") or user(prompt)
        return [
            t
            if isinstance(t, genai_types.Content)
            else genai_types.Content(
                role="model" if t["role"] == "assistant" else "user",
                parts=[genai_types.Part.from_text(text=t["content"])],
            )
            for t in turns
        ]

    def ask(self, model: str, prompt: str, *, stream: bool = False, tools: bool = False, **kw: Any) -> Reply:
        args = {"model": model, "contents": self._contents(prompt, kw), "config": self._config(tools, kw)}
        chunks = list(self.client.models.generate_content_stream(**args)) if stream else []
        last = chunks[-1] if stream else self.client.models.generate_content(**args)
        calls = [call for chunk in chunks or [last] for call in chunk.function_calls or ()]
        text = "".join(chunk.text or "" for chunk in chunks) if stream else last.text or ""
        usage, candidate = last.usage_metadata, (last.candidates or [None])[0]
        assert usage is not None and candidate is not None
        finish = (
            "tool_calls"
            if calls
            else self.FINISH.get(str(getattr(candidate.finish_reason, "value", "")), "?")
        )
        tool = (calls[0].id or "", calls[0].name or "", dict(calls[0].args or {})) if calls else None
        completion = (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)
        request_id = f"req_{last.response_id}"
        return Reply(text, finish, usage.prompt_token_count or 0, completion, request_id, tool)

    def tool_result(self, model: str, tool: tuple[str, str, dict[str, Any]], result: str) -> Reply:
        call_id, name, args = tool
        call = genai_types.FunctionCall(id=call_id, name=name, args=args)
        answer = genai_types.FunctionResponse(id=call_id, name=name, response={"output": result})
        messages = [
            *self._contents("use the tool", {}),
            genai_types.Content(role="model", parts=[genai_types.Part(function_call=call)]),
            genai_types.Content(role="user", parts=[genai_types.Part(function_response=answer)]),
        ]
        return self.ask(model, "", messages=messages)

    def error_status(self, model: str) -> int:
        with pytest.raises(genai_errors.APIError) as info:
            self.client.models.generate_content(model=model, contents="x")
        return info.value.code


SURFACES = {
    "openai": OpenAISurface,
    "anthropic": AnthropicSurface,
    "responses": ResponsesSurface,
    "gemini": GeminiSurface,
}
PAIRS = [(s, p) for s in SURFACES for p in PROVIDERS]


@pytest.fixture(scope="module")
def fakes(servers: BackgroundServers) -> dict[str, FakeProvider]:
    return {name: servers.start_fake(kind()) for name, (kind, _, _) in PROVIDERS.items()}


@pytest.fixture(scope="module")
def gw(make_gateway: Any, fakes: dict[str, FakeProvider]) -> Gateway:
    providers = "\n".join(
        f'  {n}: {{type: {wire}, base_url: "{fakes[n].url}{suffix}", api_key: k-{n}}}'
        for n, (_, wire, suffix) in PROVIDERS.items()
    )
    models = "\n".join(
        f"  m-{n}: {{provider: {n}, upstream: up-{n}, input: 2, output: 8}}" for n in PROVIDERS
    )
    gateway: Gateway = make_gateway(
        text=f"""
providers:
{providers}
models:
{models}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
"""
    )
    return gateway


@pytest.fixture(params=PAIRS, ids=[f"{s}->{p}" for s, p in PAIRS])
def pair(
    request: pytest.FixtureRequest, gw: Gateway, fakes: dict[str, FakeProvider]
) -> tuple[Any, str, FakeProvider]:
    surface_name, provider = request.param
    return SURFACES[surface_name](gw), f"m-{provider}", fakes[provider]


def priced(gw: Gateway, reply: Reply) -> None:
    row = gw.row(reply.request_id)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (reply.prompt_tokens, reply.completion_tokens)
    cost = (reply.prompt_tokens * PRICE["input"] + reply.completion_tokens * PRICE["output"]) / 1_000_000
    assert Decimal(row["cost_usd"]) == cost and row["estimated"] == 0


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_plain_with_system_prompt(pair: tuple[Any, str, FakeProvider], gw: Gateway, stream: bool) -> None:
    surface, model, _ = pair
    reply = surface.ask(model, "say: conformance holds", stream=stream, system="Be brief.")
    assert (reply.text, reply.finish) == ("conformance holds", "stop")
    assert reply.prompt_tokens > 0 and reply.completion_tokens > 0
    priced(gw, reply)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_tool_call_with_arguments_intact_and_tool_result(
    pair: tuple[Any, str, FakeProvider], stream: bool
) -> None:
    surface, model, _ = pair
    reply = surface.ask(model, "use the tool", stream=stream, tools=True)
    assert reply.finish == "tool_calls" and reply.tool is not None
    assert reply.tool[1:] == ("lookup", {"city": "city example"})
    assert surface.tool_result(model, reply.tool, "sunny").text == "The tool returned: sunny"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_max_tokens_truncation_is_length(pair: tuple[Any, str, FakeProvider], stream: bool) -> None:
    surface, model, _ = pair
    reply = surface.ask(model, "say: one two three four five", stream=stream, max_tokens=2)
    assert (reply.text, reply.finish) == ("one two ", "length")


def test_json_schema(pair: tuple[Any, str, FakeProvider]) -> None:
    surface, model, _ = pair
    assert json.loads(surface.ask(model, "where?", schema=SCHEMA).text) == {"city": "city example"}


def test_multi_turn_reaches_the_provider(pair: tuple[Any, str, FakeProvider]) -> None:
    surface, model, fake = pair
    messages = [*user("first question"), {"role": "assistant", "content": "ok"}, *user("say: second turn")]
    assert surface.ask(model, "", messages=messages).text == "second turn"
    sent = json.dumps(fake.seen[-1].body)
    assert "first question" in sent and '"ok"' in sent, "every turn reached the provider"


@pytest.mark.parametrize(("status", "seen"), [(429, 429), (500, 502), (503, 503)])
def test_upstream_errors(pair: tuple[Any, str, FakeProvider], status: int, seen: int) -> None:
    surface, model, fake = pair
    fake.inject(Fault("status", status=status, model=model.replace("m-", "up-")))
    assert surface.error_status(model) == seen


def test_responses_refuses_previous_response_id_it_cannot_have(gw: Gateway) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        gw.client().responses.create(model="m-openai", input="x", previous_response_id="resp_abc")
    assert info.value.code == "previous_response_not_found" and "whole conversation" in info.value.message


def test_image_parts_reach_the_model(pair: tuple[Any, str, FakeProvider]) -> None:
    surface, model, _ = pair
    assert "I see 1 image" in surface.ask(model, "what is in this picture?", image="iVBORw0KGgo=").text


STOP_PAIRS = [(s, p) for s, p in PAIRS if s != "responses"]  # the Responses API has no stop parameter


@pytest.mark.parametrize(("surface_name", "provider"), STOP_PAIRS, ids=[f"{s}->{p}" for s, p in STOP_PAIRS])
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_stop_sequences(gw: Gateway, surface_name: str, provider: str, stream: bool) -> None:
    surface = SURFACES[surface_name](gw)
    reply = surface.ask(f"m-{provider}", "say: alpha beta HALT gamma", stream=stream, stop=["HALT"])
    assert (reply.text, reply.finish) == ("alpha beta ", "stop")
