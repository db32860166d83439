"""The google-genai SDK → pointsman's Gemini surface → any provider, translated back exactly.

Each scenario runs against the OpenAI-shaped fake and the Anthropic fake, and checks what reached
the provider: a field the surface takes must arrive, never vanish."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx2 as httpx
import orjson
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from conftest import PROVIDER_KEY, Gateway
from fuzzing import (
    GEMINI,
    WRONG,
    asgi_call,
    check_error_shape,
    encode,
    is_upstream_5xx,
    paths,
    replaced,
    show,
)
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.base import FakeProvider
from pointsman.fakes.faults import Fault
from pointsman.fakes.gemini_server import FakeGemini
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.serving import BackgroundServers

KEY = "pm-gemini-client-key"
SCHEMA: Any = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
TARGETS = ["gpt", "claude"]
PDF = base64.b64encode(b"%PDF-1.4 a tiny document").decode()
PNG = "iVBORw0KGgo="


@pytest.fixture(scope="module")
def claude_fake(servers: BackgroundServers) -> FakeAnthropic:
    return servers.start_fake(FakeAnthropic())  # type: ignore[return-value]


@pytest.fixture(scope="module")
def gemini_fake(servers: BackgroundServers) -> FakeGemini:
    return servers.start_fake(FakeGemini())  # type: ignore[return-value]


@pytest.fixture(scope="module")
def gw(make_gateway: Any, fake: FakeOpenAI, claude_fake: FakeAnthropic, gemini_fake: FakeGemini) -> Gateway:
    gateway: Gateway = make_gateway(
        text=f"""
server:
  keys: [{{id: genai-app, key: {KEY}}}]
providers:
  oai: {{type: openai, base_url: "{fake.url}/v1", api_key: {PROVIDER_KEY}}}
  ant: {{type: anthropic, base_url: "{claude_fake.url}/v1", api_key: sk-ant-x}}
  goo: {{type: gemini, base_url: "{gemini_fake.url}/v1beta", api_key: goog-x}}
models:
  gpt: {{provider: oai, upstream: small-1, input: 0.15, output: 0.60, context_window: 128000,
         max_output_tokens: 16384}}
  claude: {{provider: ant, upstream: claude-any, input: 3, output: 15}}
  gem: {{provider: goo, upstream: gemini-any, input: 0.3, output: 2.5}}
routes:
  auto: {{default: gpt, fallbacks: [claude]}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
"""
    )
    return gateway


@pytest.fixture
def fakes(fake: FakeOpenAI, claude_fake: FakeAnthropic, gemini_fake: FakeGemini) -> Iterator[dict[str, Any]]:
    yield {"gpt": fake, "claude": claude_fake, "gem": gemini_fake}
    for one in (claude_fake, gemini_fake):
        one.faults.clear()
        one.seen.clear()


def client(gw: Gateway, key: str = KEY, version: str | None = None) -> genai.Client:
    if version is None:  # as the README says it
        return genai.Client(api_key=key, http_options={"base_url": gw.url})
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=gw.url, api_version=version))


def sent(fakes: dict[str, FakeProvider], target: str) -> dict[str, Any]:
    """The body the provider behind `target` received last."""
    body: dict[str, Any] = fakes[target].seen[-1].body
    return body


def lookup_tool() -> types.Tool:
    declaration = types.FunctionDeclaration(
        name="lookup", description="find a city", parameters_json_schema=SCHEMA
    )
    return types.Tool(function_declarations=[declaration])


@pytest.mark.parametrize("target", TARGETS)
def test_generate_content_with_system_instruction_and_settings(
    gw: Gateway, fakes: dict[str, Any], target: str
) -> None:
    config = types.GenerateContentConfig(
        system_instruction="Be brief.",
        temperature=0.3,
        top_p=0.9,
        top_k=20,
        max_output_tokens=50,
        stop_sequences=["END"],
        safety_settings=[types.SafetySetting(category="HARM_CATEGORY_HATE_SPEECH", threshold="BLOCK_NONE")],
    )
    sdk = client(gw)  # held: the SDK closes its connection pool when the client is collected
    reply = sdk.models.generate_content(model=target, contents="say: hello gemini sdk", config=config)
    assert reply.text == "hello gemini sdk"
    assert reply.candidates and reply.candidates[0].finish_reason == types.FinishReason.STOP
    assert reply.model_version == target and reply.response_id
    usage = reply.usage_metadata
    assert usage is not None and usage.prompt_token_count and usage.candidates_token_count
    body = sent(fakes, target)
    if target == "gpt":
        assert body["messages"][0] == {"role": "system", "content": "Be brief."}
        assert (body["temperature"], body["top_p"], body["top_k"]) == (0.3, 0.9, 20)
        assert (body["max_completion_tokens"], body["stop"]) == (50, ["END"])
    else:
        assert [block["text"] for block in body["system"]] == ["Be brief."]
        assert (body["temperature"], body["top_p"], body["top_k"]) == (0.3, 0.9, 20)
        assert (body["max_tokens"], body["stop_sequences"]) == (50, ["END"])
    assert "safety" not in json.dumps(body).lower(), "a filter preference, documented as not passed on"
    row = gw.row(f"req_{reply.response_id}")
    assert (row["endpoint"], row["key_id"], row["requested_model"]) == ("gemini", "genai-app", target)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (
        usage.prompt_token_count,
        usage.candidates_token_count,
    )
    price = {"gpt": (Decimal("0.15"), Decimal("0.60")), "claude": (Decimal(3), Decimal(15))}[target]
    cost = (usage.prompt_token_count * price[0] + usage.candidates_token_count * price[1]) / 1_000_000
    assert reply.sdk_http_response is not None and reply.sdk_http_response.headers is not None
    assert (
        Decimal(reply.sdk_http_response.headers["x-pointsman-cost-usd"]) == cost == Decimal(row["cost_usd"])
    )


@pytest.mark.parametrize("target", TARGETS)
def test_generate_content_stream(gw: Gateway, fakes: dict[str, Any], target: str) -> None:
    sdk = client(gw, version="v1beta")
    chunks = list(
        sdk.models.generate_content_stream(
            model=target,
            contents="say: one two three four",
            config=types.GenerateContentConfig(system_instruction="Be brief."),
        )
    )
    assert "".join(c.text or "" for c in chunks) == "one two three four"
    assert len([c for c in chunks if c.text]) > 1, "text arrives as it is made"
    last = chunks[-1]
    assert last.candidates and last.candidates[0].finish_reason == types.FinishReason.STOP
    assert last.usage_metadata is not None and last.usage_metadata.candidates_token_count
    body = sent(fakes, target)
    assert body["stream"] is True
    row = gw.row(f"req_{last.response_id}")
    assert (row["endpoint"], row["stream"]) == ("gemini", 1)
    assert row["completion_tokens"] == last.usage_metadata.candidates_token_count


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("target", TARGETS)
def test_function_calling_round_trip(gw: Gateway, fakes: dict[str, Any], target: str, stream: bool) -> None:
    sdk = client(gw)
    config = types.GenerateContentConfig(
        tools=[lookup_tool()],
        tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode="ANY")),
    )
    asked = types.Content(role="user", parts=[types.Part.from_text(text="use the tool")])
    if stream:
        chunks = list(sdk.models.generate_content_stream(model=target, contents=[asked], config=config))
        calls = [call for chunk in chunks for call in chunk.function_calls or ()]
        turn = next(c.candidates[0].content for c in chunks if c.function_calls and c.candidates)
    else:
        reply = sdk.models.generate_content(model=target, contents=[asked], config=config)
        calls, turn = reply.function_calls or [], reply.candidates[0].content  # type: ignore[index]
    assert [(c.name, c.args) for c in calls] == [("lookup", {"city": "city example"})]
    first = sent(fakes, target)
    if target == "gpt":
        assert first["tool_choice"] == "required"
        assert first["tools"][0]["function"] == {
            "name": "lookup",
            "description": "find a city",
            "parameters": SCHEMA,
        }
    else:
        assert first["tool_choice"] == {"type": "any"}
        assert first["tools"][0]["input_schema"] == SCHEMA
    answer = types.Part.from_function_response(name="lookup", response={"output": "sunny"})
    contents = [asked, turn, types.Content(role="user", parts=[answer])]
    config = types.GenerateContentConfig(tools=[lookup_tool()])
    if stream:
        text = "".join(
            c.text or ""
            for c in sdk.models.generate_content_stream(model=target, contents=contents, config=config)
        )
    else:
        text = sdk.models.generate_content(model=target, contents=contents, config=config).text or ""
    assert text == "The tool returned: sunny", "Gemini's {output: text} is the result's text"
    body = sent(fakes, target)
    if target == "gpt":
        call, result = body["messages"][1], body["messages"][2]
        assert call["tool_calls"][0]["function"] == {"name": "lookup", "arguments": '{"city":"city example"}'}
        assert result == {
            "role": "tool",
            "tool_call_id": call["tool_calls"][0]["id"],
            "content": "sunny",
        }
    else:
        use, result = body["messages"][1]["content"][0], body["messages"][2]["content"][0]
        assert (use["type"], use["name"], use["input"]) == ("tool_use", "lookup", {"city": "city example"})
        assert (result["type"], result["tool_use_id"]) == ("tool_result", use["id"])


@pytest.mark.parametrize("target", TARGETS)
def test_a_chat_keeps_every_turn_streamed_or_not(gw: Gateway, fakes: dict[str, Any], target: str) -> None:
    """google-genai's chats keep a streamed answer only if every chunk has a part, and send each
    chunk back as a model turn of its own: all of it must reach the provider as one answer."""
    sdk = client(gw)  # held: the SDK closes its connection pool when the client is collected
    chat = sdk.chats.create(model=target)
    assert chat.send_message("say: first").text == "first"
    assert "".join(c.text or "" for c in chat.send_message_stream("say: second turn")) == "second turn"
    assert chat.send_message("say: third").text == "third"
    body = sent(fakes, target)
    turns = [(m["role"], m["content"]) for m in body["messages"]]
    said = [c if isinstance(c, str) else "".join(b["text"] for b in c) for _, c in turns]
    assert [r for r, _ in turns] == ["user", "assistant", "user", "assistant", "user"]
    assert said == ["say: first", "first", "say: second turn", "second turn", "say: third"]


def test_automatic_function_calling_runs_the_python_function(gw: Gateway) -> None:
    """The SDK calls a Python function the model asks for and sends its result back itself."""
    called: list[str] = []

    def get_weather(city: str) -> str:
        """The weather in a city."""
        called.append(city)
        return f"sunny in {city}"

    sdk = client(gw)
    chat = sdk.chats.create(model="gpt", config=types.GenerateContentConfig(tools=[get_weather]))
    reply = chat.send_message("use the tool please")
    assert called == ["city example"]
    assert reply.text == 'The tool returned: {"result":"sunny in city example"}'


@pytest.mark.parametrize("target", TARGETS)
def test_json_schema_output(gw: Gateway, fakes: dict[str, Any], target: str) -> None:
    """Both schema fields: Gemini's own Schema (upper-case types, `nullable`) becomes JSON Schema."""
    sdk = client(gw)
    old_style = types.Schema(
        type=types.Type.OBJECT,
        properties={"city": types.Schema(type=types.Type.STRING, nullable=True)},
        required=["city"],
    )
    for config in (
        types.GenerateContentConfig(response_mime_type="application/json", response_json_schema=SCHEMA),
        types.GenerateContentConfig(response_mime_type="application/json", response_schema=old_style),
    ):
        reply = sdk.models.generate_content(model=target, contents="where?", config=config)
        assert json.loads(reply.text or "") == {"city": "city example"}
    body = sent(fakes, target)
    converted = {"type": "object", "properties": {"city": {"type": ["string", "null"]}}, "required": ["city"]}
    if target == "gpt":
        assert body["response_format"] == {
            "type": "json_schema",
            "json_schema": {"name": "response", "schema": converted},
        }
    else:
        assert body["output_config"] == {"format": {"type": "json_schema", "schema": converted}}


def test_count_tokens_is_answered_by_the_gateway(gw: Gateway, fakes: dict[str, Any]) -> None:
    sdk = client(gw)
    seen = len(fakes["gpt"].seen)
    counted = sdk.models.count_tokens(model="gpt", contents="say: count these words please")
    assert len(fakes["gpt"].seen) == seen, "no provider call"
    answered = sdk.models.generate_content(model="gpt", contents="say: count these words please")
    assert answered.usage_metadata is not None
    assert counted.total_tokens == answered.usage_metadata.prompt_token_count
    longer = sdk.models.count_tokens(model="auto", contents="say: " + "word " * 50)
    assert (longer.total_tokens or 0) > (counted.total_tokens or 0), "a route counts with its default"
    with pytest.raises(genai_errors.ClientError) as info:
        sdk.models.count_tokens(model="no-such-model", contents="x")
    assert (info.value.code, info.value.status) == (404, "NOT_FOUND")


@pytest.mark.parametrize("version", ["v1", "v1beta"])
def test_models_list_and_get(gw: Gateway, version: str) -> None:
    sdk = client(gw, version=version)
    listed = {m.name: m for m in sdk.models.list()}
    assert {"models/gpt", "models/claude", "models/gem", "models/auto"} <= set(listed)
    gpt = sdk.models.get(model="gpt")
    assert (gpt.name, gpt.display_name) == ("models/gpt", "gpt")
    assert (gpt.input_token_limit, gpt.output_token_limit) == (128000, 16384)
    assert gpt.supported_actions == ["generateContent", "streamGenerateContent", "countTokens"]
    route = sdk.models.get(model="auto")
    assert route.description and "gpt" in route.description and "claude" in route.description
    with pytest.raises(genai_errors.ClientError) as info:
        sdk.models.get(model="no-such-model")
    assert (info.value.code, info.value.status) == (404, "NOT_FOUND")
    openai_listing = httpx.get(f"{gw.url}/v1/models", headers={"authorization": f"Bearer {KEY}"}).json()
    assert openai_listing["object"] == "list", "an OpenAI client still gets OpenAI's shape"


def test_errors_are_gemini_shaped_and_raised_by_the_sdk(gw: Gateway) -> None:
    sdk = client(gw)
    search = types.Tool(google_search=types.GoogleSearch())
    with pytest.raises(genai_errors.ClientError) as info:
        sdk.models.generate_content(
            model="gpt", contents="x", config=types.GenerateContentConfig(tools=[search])
        )
    assert (info.value.code, info.value.status) == (400, "INVALID_ARGUMENT")
    assert info.value.message and info.value.message.startswith("tools[0].googleSearch is not supported")
    with pytest.raises(genai_errors.ClientError) as info:
        sdk.models.generate_content(
            model="gpt", contents="x", config=types.GenerateContentConfig(cached_content="cachedContents/1")
        )
    assert info.value.code == 400 and "cachedContent" in (info.value.message or "")
    with pytest.raises(genai_errors.ClientError) as info:
        sdk.models.generate_content(model="no-such-model", contents="x")
    assert (info.value.code, info.value.status) == (404, "NOT_FOUND")
    stranger = client(gw, key="wrong-key")
    with pytest.raises(genai_errors.ClientError) as info:
        stranger.models.generate_content(model="gpt", contents="x")
    assert (info.value.code, info.value.status) == (401, "UNAUTHENTICATED")
    with pytest.raises(genai_errors.ClientError):
        stranger.models.list()
    unknown = httpx.post(f"{gw.url}/v1beta/models/gpt:embedContent", headers={"x-goog-api-key": KEY}, json={})
    assert unknown.status_code == 404 and unknown.json()["error"]["status"] == "NOT_FOUND"
    assert ":generateContent" in unknown.json()["error"]["message"]
    bearer = {"authorization": f"Bearer {KEY}"}  # no Google header: the path alone says Gemini
    unknown = httpx.post(f"{gw.url}/v1/models/gpt:batchEmbedContents", headers=bearer, json={})
    assert unknown.status_code == 404 and unknown.json()["error"]["status"] == "NOT_FOUND"
    colon = httpx.get(f"{gw.url}/v1/models/llama3:8b", headers=bearer)
    assert colon.status_code == 404 and colon.json()["error"]["type"] == "invalid_request_error", "OpenAI's"
    elsewhere = httpx.get(f"{gw.url}/v1beta/files", headers={"x-goog-api-key": KEY})
    assert elsewhere.status_code == 404 and elsewhere.json()["error"]["code"] == 404


@pytest.mark.parametrize("target", TARGETS)
def test_a_provider_error_reaches_the_sdk_with_its_status(
    gw: Gateway, fakes: dict[str, Any], target: str
) -> None:
    upstream = "small-1" if target == "gpt" else "claude-any"
    fakes[target].inject(Fault("status", status=429, retry_after="7", model=upstream))
    sdk = client(gw)
    with pytest.raises(genai_errors.ClientError) as info:
        sdk.models.generate_content(model=target, contents="x")
    assert (info.value.code, info.value.status) == (429, "RESOURCE_EXHAUSTED")
    details = info.value.details["error"]["details"]
    assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"} in details


def test_key_in_the_query_and_a_stream_without_alt_sse(gw: Gateway) -> None:
    """Gemini's REST API takes `?key=`; without `alt=sse` it streams one JSON array."""
    body = {"contents": [{"parts": [{"text": "say: alpha beta gamma"}]}]}
    url = f"{gw.url}/v1beta/models/gpt:streamGenerateContent?key={KEY}"
    answer = httpx.post(url, json=body)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    chunks = answer.json()
    assert "".join(p.get("text", "") for c in chunks for p in c["candidates"][0]["content"]["parts"]) == (
        "alpha beta gamma"
    )
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP" and chunks[-1]["usageMetadata"]
    refused = httpx.post(url.replace(KEY, "nope"), json=body)
    assert refused.status_code == 401 and refused.json()["error"]["status"] == "UNAUTHENTICATED"
    wrong = httpx.post(url + "&alt=proto", json=body)
    assert wrong.status_code == 400 and "alt" in wrong.json()["error"]["message"]


@pytest.mark.parametrize("target", [*TARGETS, "gem"])
def test_thinking_budget_reaches_every_provider(gw: Gateway, fakes: dict[str, Any], target: str) -> None:
    sdk = client(gw)
    config = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(thinking_budget=2048))
    assert (
        sdk.models.generate_content(model=target, contents="say: pondered", config=config).text == "pondered"
    )
    body = sent(fakes, target)
    if target == "gpt":
        assert body["reasoning_effort"] == "medium"
    elif target == "claude":
        assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    else:
        assert body["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 8192}


@pytest.mark.parametrize("target", [*TARGETS, "gem"])
def test_inline_image_and_pdf_reach_every_provider(gw: Gateway, fakes: dict[str, Any], target: str) -> None:
    sdk = client(gw)
    parts = [
        types.Part.from_text(text="what is in this picture and this document?"),
        types.Part.from_bytes(data=base64.b64decode(PNG), mime_type="image/png"),
        types.Part.from_bytes(data=base64.b64decode(PDF), mime_type="application/pdf"),
    ]
    reply = sdk.models.generate_content(model=target, contents=[types.Content(role="user", parts=parts)])
    assert "I see 1 image" in (reply.text or "")
    content = json.dumps(sent(fakes, target))
    if target == "gpt":
        assert f'"file_data": "data:application/pdf;base64,{PDF}"' in content
        assert f'"url": "data:image/png;base64,{PNG}"' in content
    elif target == "claude":
        assert '"type": "document"' in content and f'"data": "{PDF}"' in content
    else:
        assert f'"data": "{PDF}"' in content and '"mimeType": "application/pdf"' in content


def test_gemini_sdk_to_a_gemini_provider_keeps_the_fields(gw: Gateway, fakes: dict[str, Any]) -> None:
    sdk = client(gw)
    config = types.GenerateContentConfig(
        system_instruction="Be brief.", top_k=5, candidate_count=1, stop_sequences=["END"], seed=3
    )
    assert sdk.models.generate_content(model="gem", contents="say: round trip", config=config).text == (
        "round trip"
    )
    body = sent(fakes, "gem")
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["generationConfig"] == {"stopSequences": ["END"], "seed": 3, "topK": 5, "candidateCount": 1}


def test_a_stream_that_breaks_ends_with_an_error_the_sdk_raises(gw: Gateway, fakes: dict[str, Any]) -> None:
    fakes["claude"].inject(Fault("error_event", status=500, after=5, model="claude-any", times=0))
    sdk = client(gw)
    text = ""
    with pytest.raises(genai_errors.APIError) as info:
        for chunk in sdk.models.generate_content_stream(model="claude", contents="say: a b c d e f g h"):
            text += chunk.text or ""
    assert text, "part of the answer had arrived"
    assert info.value.code >= 500 and info.value.status in ("INTERNAL", "UNAVAILABLE")


@pytest.mark.parametrize("target", [*TARGETS, "gem"])
def test_type_confusion_never_gets_a_5xx(gw: Gateway, target: str) -> None:
    """Each wrong-typed value in place of each JSON path of a rich body: a 400 in Gemini's shape
    (or the provider's answer), never a 5xx of the gateway's own, and one ledger row a request."""
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    before = len(gw.rows())

    async def run_all() -> None:
        for method in ("generateContent", "streamGenerateContent"):
            path = f"/v1beta/models/{target}:{method}"
            query = b"alt=sse" if method.startswith("stream") else b""
            for where in paths(GEMINI):
                for value in WRONG:
                    content = encode(replaced(GEMINI, where, value))
                    answer = await asgi_call(gw.app, "POST", path, content, {"x-goog-api-key": KEY}, query)
                    statuses[answer.status] += 1
                    trouble = None if answer.complete else "the response never ended"
                    if answer.status >= 300:
                        body = orjson.loads(answer.body)
                        if answer.status >= 500 and not is_upstream_5xx(answer.status, body):
                            trouble = "a 5xx of the gateway's own"
                        check_error_shape(path, answer.status, body)
                    if trouble is not None:
                        failures.append(f"{method} {show(where)} = {json.dumps(value)[:40]}: {trouble}")

    gw.servers.run(run_all(), timeout=300)
    assert not failures, "\n".join(failures[:30])
    assert set(statuses) <= {200, 400, 502}, statuses
    assert statuses[400] > statuses.total() / 4, "the surface itself refuses a good share of wrong types"
    assert len(gw.rows()) - before == statuses.total(), "one ledger row a request"
