"""What the fuzz tests share: rich valid bodies per surface, JSON paths and their mutation, an
in-process ASGI call, and the error shapes every answer must have."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from pointsman.api.app import GatewayApp

Path = tuple[str | int, ...]

IMAGE = "data:image/png;base64,iVBORw0KGgo="
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}

CHAT: dict[str, Any] = {
    "model": "small",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is in this image, and the weather?"},
                {"type": "image_url", "image_url": {"url": IMAGE, "detail": "low"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        {"role": "user", "content": "say: thanks"},
    ],
    "tools": [
        {"type": "function", "function": {"name": "weather", "description": "d", "parameters": SCHEMA}}
    ],
    "tool_choice": "auto",
    "response_format": {"type": "json_schema", "json_schema": {"name": "w", "schema": SCHEMA}},
    "stream": False,
    "stream_options": {"include_usage": True},
    "max_tokens": 50,
    "temperature": 0.5,
    "stop": ["END"],
    "metadata": {"team": "fuzz"},
}

MESSAGES: dict[str, Any] = {
    "model": "small",
    "max_tokens": 50,
    "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
    "messages": [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "what is here?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "let me look"},
                {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"city": "Oslo"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "content": [{"type": "text", "text": "rain"}],
                    "is_error": False,
                },
                {"type": "text", "text": "say: thanks"},
            ],
        },
    ],
    "tools": [{"name": "lookup", "description": "find a city", "input_schema": SCHEMA}],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
    "stop_sequences": ["END"],
    "temperature": 0.5,
    "metadata": {"user_id": "u1"},
    "output_config": {"format": {"type": "json_schema", "schema": SCHEMA}},
    "stream": False,
}

RESPONSES: dict[str, Any] = {
    "model": "small",
    "instructions": "Be brief.",
    "input": [
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "weather?"},
                {"type": "input_image", "image_url": IMAGE, "detail": "low"},
            ],
        },
        {"type": "function_call", "call_id": "call_1", "name": "weather", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
        {"role": "assistant", "content": [{"type": "output_text", "text": "It is sunny."}]},
        {"role": "user", "content": "say: thanks"},
    ],
    "tools": [{"type": "function", "name": "weather", "description": "d", "parameters": SCHEMA}],
    "tool_choice": {"type": "function", "name": "weather"},
    "text": {"format": {"type": "json_schema", "name": "w", "schema": SCHEMA, "strict": True}},
    "max_output_tokens": 50,
    "temperature": 0.5,
    "metadata": {"team": "fuzz"},
    "stream": False,
}

COMPLETIONS: dict[str, Any] = {
    "model": "small",
    "prompt": ["say: thanks"],
    "suffix": "",
    "max_tokens": 50,
    "temperature": 0.5,
    "top_p": 0.9,
    "n": 1,
    "best_of": 1,
    "stop": ["END"],
    "echo": True,
    "seed": 7,
    "user": "u1",
    "presence_penalty": 0.1,
    "stream": False,
    "stream_options": {"include_usage": True},
    "metadata": {"team": "fuzz"},
}

EMBEDDINGS: dict[str, Any] = {"model": "embed", "input": ["hello", "world"], "encoding_format": "float"}

GEMINI: dict[str, Any] = {
    "systemInstruction": {"parts": [{"text": "Be brief."}]},
    "contents": [
        {
            "role": "user",
            "parts": [
                {"text": "what is here?"},
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
            ],
        },
        {
            "role": "model",
            "parts": [
                {"text": "let me look"},
                {"functionCall": {"name": "lookup", "args": {"city": "Oslo"}}},
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "lookup", "response": {"output": "rain"}}},
                {"text": "say: thanks"},
            ],
        },
    ],
    "tools": [
        {"functionDeclarations": [{"name": "lookup", "description": "d", "parametersJsonSchema": SCHEMA}]}
    ],
    "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
    "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
    "generationConfig": {
        "temperature": 0.5,
        "topP": 0.9,
        "topK": 20,
        "maxOutputTokens": 50,
        "stopSequences": ["END"],
        "responseMimeType": "application/json",
        "responseJsonSchema": SCHEMA,
        "thinkingConfig": {"thinkingBudget": 1024},
    },
}
"""A generateContent body (the model rides in the path, `stream` in the method)."""

SURFACES: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": CHAT,
    "/v1/messages": MESSAGES,
    "/v1/responses": RESPONSES,
    "/v1/completions": COMPLETIONS,
    "/v1/embeddings": EMBEDDINGS,
}


def nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


def nested_json(depth: int) -> bytes:
    """`nested(depth)` as JSON text, written directly: no encoder goes 1,000 levels deep."""
    opens = "".join("[" if i % 2 else '{"a":' for i in reversed(range(depth)))
    closes = "".join("]" if i % 2 else "}" for i in range(depth))
    return f"{opens}1{closes}".encode()


DEEP = "\x00deep\x00"
"""Stands for a deep value in a body given to `with_deep`."""


def with_deep(body: dict[str, Any], depth: int) -> bytes:
    """`body` as JSON with `DEEP` replaced by a value `depth` levels deep."""
    return orjson.dumps(body).replace(orjson.dumps(DEEP), nested_json(depth))


WRONG: list[Any] = [None, True, 0, -1, 1.5, "s", "", [], [1], [None], {}, {"a": 1}, nested(300)]
"""Values of the wrong type (for most paths), one after another in place of each path's value."""


def paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every JSON path in `value`, the root (the empty path) first."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def replaced(body: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(body)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def encode(value: Any) -> bytes:
    """JSON bytes; the stdlib where orjson refuses (past 254 levels, integers past 64 bits)."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value).encode()


def show(path: Path) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path) or "(root)"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    complete: bool
    """The app ended the response (its last body message said no more)."""
    chunks: list[bytes] = field(default_factory=list)

    def json(self) -> Any:
        return orjson.loads(self.body)


async def asgi_call(
    app: GatewayApp,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    query: bytes = b"",
) -> Answer:
    """One request straight into the ASGI app (no socket): the same code path as uvicorn drives."""
    sent: list[dict[str, Any]] = []
    done = asyncio.Event()
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query,
        "headers": raw_headers,
    }
    await app(scope, receive, send)
    done.set()
    start = next(m for m in sent if m["type"] == "http.response.start")
    chunks = [m.get("body", b"") for m in sent if m["type"] == "http.response.body"]
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    complete = any(m["type"] == "http.response.body" and not m.get("more_body") for m in sent)
    return Answer(start["status"], response_headers, b"".join(chunks), complete, chunks)


def is_upstream_5xx(status: int, body: Any) -> bool:
    """A provider's own 5xx passed on (the fake refusing junk the gateway rightly forwarded)."""
    message = str(_message(body))
    return status in (502, 503) and message.startswith("provider '") and " returned 5" in message


def _message(body: Any) -> Any:
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("message") if isinstance(error, dict) else None


def check_error_shape(path: str, status: int, body: Any) -> None:
    """The surface's own error body: Anthropic's on /v1/messages, Gemini's on /v1beta, OpenAI's
    everywhere else."""
    assert isinstance(body, dict), body
    if path.startswith("/v1beta/"):
        error = body["error"]
        assert error["code"] == status and isinstance(error["status"], str), body
        assert isinstance(error["message"], str), body
    elif path == "/v1/messages":
        assert body.get("type") == "error", body
        error = body["error"]
        assert isinstance(error.get("type"), str) and isinstance(error.get("message"), str), body
    else:
        error = body["error"]
        assert set(error) == {"message", "type", "param", "code"}, body
        assert isinstance(error["message"], str) and isinstance(error["type"], str), body
        assert error["param"] is None or isinstance(error["param"], str), body
    assert error["message"], body


ADMIN_KEY = "pm-admin-fuzz-0000"
GEMINI_KEY = "AIza-fuzz-0123456789"


def three_wire_config(openai_url: str, anthropic_url: str, gemini_url: str, provider_key: str) -> str:
    """A gateway in front of one fake of each wire: `small`/`embed` (OpenAI), `claude`, `gem`."""
    return f"""
server: {{admin_key: {ADMIN_KEY}}}
providers:
  oai: {{type: openai, base_url: "{openai_url}/v1", api_key: {provider_key}}}
  ant: {{type: anthropic, base_url: "{anthropic_url}/v1", api_key: sk-ant-fuzz}}
  gem: {{type: gemini, base_url: "{gemini_url}/v1beta", api_key: {GEMINI_KEY}}}
models:
  small: {{provider: oai, upstream: small-1, input: 0.15, output: 0.60}}
  embed: {{provider: oai, upstream: embed-1, input: 0.02, output: 0, capabilities: [embeddings]}}
  claude: {{provider: ant, upstream: claude-any, input: 3, output: 15}}
  gem: {{provider: gem, upstream: gemini-flash, input: 0.30, output: 2.50}}
catalog: {{builtin: false}}
ledger: {{path: "{{ledger}}", flush_interval: 0.05}}
"""


def three_wire_gateway(
    make_gateway: Any, servers: Any, openai_url: str, provider_key: str, key: str = ""
) -> Any:
    """A gateway from `three_wire_config`, with fresh Anthropic and Gemini fakes started beside it and,
    given `key`, one gateway key (id `test`)."""
    from pointsman.fakes.anthropic_server import FakeAnthropic
    from pointsman.fakes.base import FakeModel
    from pointsman.fakes.gemini_server import FakeGemini

    claude = servers.start_fake(FakeAnthropic())
    gemini = servers.start_fake(FakeGemini({"gemini-flash": FakeModel()}, api_key=GEMINI_KEY))
    text = three_wire_config(openai_url, claude.url, gemini.url, provider_key)
    if key:
        text = text.replace("server: {", f"server: {{keys: [{{id: test, key: {key}}}], ")
    return make_gateway(text=text)


def body_for(surface: str, model: str, *, stream: bool = False) -> dict[str, Any]:
    """The surface's rich body aimed at `model`; Gemini takes images only inline, so the Anthropic
    body's URL image becomes a second base64 one for it."""
    body = copy.deepcopy(SURFACES[surface])
    if surface != "/v1/embeddings":
        body["model"] = model
        body["stream"] = stream
    if surface == "/v1/messages" and model == "gem":
        body["messages"][0]["content"][2] = body["messages"][0]["content"][1]
    return body
