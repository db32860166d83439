"""A fake OpenAI-compatible server: /v1/chat/completions (JSON and SSE), /v1/embeddings, /v1/models."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import orjson
from aiohttp import web

from pointsman.fakes.answers import (
    Answer,
    Ask,
    ToolCall,
    answer,
    argument_pieces,
    count_images,
    pieces,
    text_of,
)
from pointsman.fakes.base import FakeModel, FakeProvider
from pointsman.fakes.faults import Fault

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
}


def openai_error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    error_type: str | None = None,
    retry_after: str | None = None,
    param: str | None = None,
) -> web.Response:
    body = {
        "error": {
            "message": message,
            "type": error_type or _ERROR_TYPES.get(status, "server_error"),
            "param": param,
            "code": code,
        }
    }
    headers = {"retry-after": retry_after} if retry_after is not None else None
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
    )


CHAT_PARAMETERS = frozenset(
    {
        "model",
        "messages",
        "audio",
        "frequency_penalty",
        "function_call",
        "functions",
        "logit_bias",
        "logprobs",
        "max_completion_tokens",
        "max_tokens",
        "metadata",
        "modalities",
        "n",
        "parallel_tool_calls",
        "prediction",
        "presence_penalty",
        "prompt_cache_key",
        "prompt_cache_retention",
        "reasoning_effort",
        "response_format",
        "safety_identifier",
        "seed",
        "service_tier",
        "stop",
        "store",
        "stream",
        "stream_options",
        "temperature",
        "tool_choice",
        "tools",
        "top_logprobs",
        "top_p",
        "user",
        "verbosity",
        "web_search_options",
        "fake_fault",
    }
)
"""What OpenAI's chat completions take (and the fakes' own `fake_fault`); a model with OpenAI's rules
refuses anything else, as OpenAI does."""


def refused_by_rules(body: dict[str, Any], spec: FakeModel) -> web.Response | None:
    """What OpenAI refuses: `metadata` without `store`; too large a limit; and of a model with its
    rules (`spec.reasoning` set), unknown parameters, `max_tokens` for reasoning models and
    `reasoning_effort` for the others."""
    if body.get("metadata") is not None and body.get("store") is not True:
        refusal = "The 'metadata' parameter is only allowed when 'store' is enabled."
        return openai_error(400, refusal, param="metadata")
    if spec.reasoning is not None:
        unknown = sorted(set(body) - CHAT_PARAMETERS)
        if unknown:
            return openai_error(
                400, f"Unrecognized request argument supplied: {unknown[0]}", param=unknown[0]
            )
        wrong = "max_tokens" if spec.reasoning else "reasoning_effort"
        if wrong in body:
            hint = " Use 'max_completion_tokens' instead." if spec.reasoning else ""
            message = f"Unsupported parameter: '{wrong}' is not supported with this model.{hint}"
            return openai_error(400, message, param=wrong, code="unsupported_parameter")
    name = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
    limit = body.get(name)
    if spec.max_output_tokens is not None and isinstance(limit, int) and limit > spec.max_output_tokens:
        message = (
            f"{name} is too large: {limit}. This model supports at most {spec.max_output_tokens} "
            f"completion tokens, whereas you provided {limit}."
        )
        return openai_error(400, message, param=name, code="invalid_value")
    return None


def ask_from_openai(body: dict[str, Any]) -> Ask:
    messages = body.get("messages") or []
    ask = Ask(model=str(body.get("model")))
    for message in messages:
        if message.get("role") == "user":
            ask.previous_user, ask.last_user = ask.last_user, text_of(message.get("content"))
            ask.images += count_images(message.get("content"))
            ask.last_tool_result = None
        elif message.get("role") == "tool":
            ask.last_tool_result = text_of(message.get("content"))
    if messages and messages[-1].get("role") == "assistant":
        ask.prefill = text_of(messages[-1].get("content"))
    for tool in body.get("tools") or []:
        if tool.get("type") == "custom":  # a freeform tool: its input is one string
            ask.tools.append(((tool.get("custom") or {}).get("name", "tool"), {"type": "string"}))
            continue
        fn = tool.get("function") or {}
        ask.tools.append((fn.get("name", "tool"), fn.get("parameters")))
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        ask.tool_choice = (choice.get("function") or choice.get("custom") or {}).get("name")
    elif choice in ("none", "required"):
        ask.tool_choice = choice
    ask.parallel_tools = body.get("parallel_tool_calls", True) is not False
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        ask.json_schema = (fmt.get("json_schema") or {}).get("schema") or {}
    ask.json_object = fmt.get("type") == "json_object"
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    ask.max_tokens = limit if isinstance(limit, int) else None
    stop = body.get("stop")
    ask.stop = [stop] if isinstance(stop, str) else list(stop or [])
    return ask


def customs(body: dict[str, Any]) -> set[str]:
    """The names of the freeform custom tools offered."""
    tools = body.get("tools") or []
    return {(t.get("custom") or {}).get("name", "") for t in tools if t.get("type") == "custom"}


def _tool_call(call: ToolCall, custom: set[str]) -> dict[str, Any]:
    """A call as OpenAI sends it: a custom tool's input is the text itself (here the example string)."""
    if call.name in custom:
        text = orjson.loads(call.arguments)
        return {"id": call.id, "type": "custom", "custom": {"name": call.name, "input": str(text)}}
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}


def _logprobs(text: str, top: int) -> dict[str, Any]:
    content = []
    for i, piece in enumerate(pieces(text)):
        entry = {"token": piece, "logprob": -0.01 * (i + 1), "bytes": list(piece.encode())}
        entry["top_logprobs"] = [dict(entry, logprob=entry["logprob"])][:top] if top else []
        content.append(entry)
    return {"content": content, "refusal": None}


class FakeOpenAI(FakeProvider):
    """`api_key`, when set, must arrive as `Authorization: Bearer`; otherwise any key is accepted."""

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_post("/v1/embeddings", self.embeddings)
        app.router.add_get("/v1/models", self.list_models)

    error_response = staticmethod(openai_error)

    def not_found(self, model: str) -> web.Response:
        message = f"The model `{model}` does not exist or you do not have access to it."
        return openai_error(404, message, code="model_not_found")

    def error_frame(self, fault: Fault) -> bytes:
        error = {
            "error": {
                "message": fault.message or "Injected stream error.",
                "type": fault.error_type or "server_error",
                "code": fault.code,
            }
        }
        return b"data: " + orjson.dumps(error) + b"\n\n"

    done_frame = b"data: [DONE]\n\n"
    malformed_frame = b'data: {"id": "broken", "choices": [\n\n'

    def denied(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        presented = request.headers.get("authorization", "").removeprefix("Bearer ")
        if presented == self.api_key:
            return None
        masked = f"{presented[:3]}***{presented[-4:]}" if presented else "(none)"
        return openai_error(401, f"Incorrect API key provided: {masked}.", code="invalid_api_key")

    async def chat(self, request: web.Request) -> web.StreamResponse:
        begun = await self.begin(request)
        if isinstance(begun, web.StreamResponse):
            return begun
        body, spec, fault = begun
        refused = refused_by_rules(body, spec)
        if refused is not None:
            return refused
        model = str(body["model"])
        prompt_tokens = self.tokens.count_messages(body.get("messages"), "gpt-4o")
        if spec.context_window is not None and prompt_tokens > spec.context_window:
            return openai_error(
                400,
                f"This model's maximum context length is {spec.context_window} tokens. "
                f"However, your messages resulted in {prompt_tokens} tokens.",
                code="context_length_exceeded",
                param="messages",
            )
        ask = ask_from_openai(body)
        refused = self.prefill_refused(ask, spec)
        if refused is not None:
            return refused
        ans = answer(ask, spec.reply_to(ask), preamble=spec.preamble, obeys=spec.obeys)
        usage = self._usage(spec, fault, prompt_tokens, ans)
        ident = "chatcmpl-" + hashlib.sha1(orjson.dumps(body.get("messages"))).hexdigest()[:24]
        n: int = body["n"] if isinstance(body.get("n"), int) else 1
        if body.get("stream"):
            return await self._stream(request, body, spec, fault, ans, usage, ident, n)
        await self.pace(spec.latency)
        message: dict[str, Any] = {
            "role": "assistant",
            "content": ans.text or None,
            "refusal": None,
            "annotations": [],
        }
        if ans.tool_calls:
            message["tool_calls"] = [_tool_call(c, customs(body)) for c in ans.tool_calls]
        logprobs = _logprobs(ans.text, body.get("top_logprobs") or 0) if body.get("logprobs") else None
        data = {
            "id": ident,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": i, "message": message, "logprobs": logprobs, "finish_reason": ans.finish_reason}
                for i in range(n)
            ],
            "usage": usage,
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }
        if usage is None:
            del data["usage"]
        return web.Response(body=orjson.dumps(data), content_type="application/json")

    def _usage(
        self, spec: FakeModel, fault: Fault | None, prompt_tokens: int, ans: Answer
    ) -> dict[str, Any] | None:
        if not spec.usage or (fault and fault.kind == "no_usage"):
            return None
        completion_tokens = self._completion_tokens(ans) + spec.reasoning_tokens
        return {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {
                "cached_tokens": min(spec.cached_tokens, prompt_tokens),
                "audio_tokens": 0,
            },
            "completion_tokens_details": {
                "reasoning_tokens": spec.reasoning_tokens,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def _completion_tokens(self, ans: Answer) -> int:
        texts = [ans.text, *(c.name + c.arguments for c in ans.tool_calls)]
        return self.tokens.count("".join(texts), "gpt-4o")

    async def _stream(
        self,
        request: web.Request,
        body: dict[str, Any],
        spec: FakeModel,
        fault: Fault | None,
        ans: Answer,
        usage: dict[str, Any] | None,
        ident: str,
        n: int,
    ) -> web.StreamResponse:
        created = int(time.time())
        include_usage = (body.get("stream_options") or {}).get("include_usage") is True
        base = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": body["model"],
            "system_fingerprint": "fp_fake",
        }
        if include_usage:
            base["usage"] = None

        def chunk(delta: dict[str, Any], finish: str | None = None, index: int = 0) -> bytes:
            data = {
                **base,
                "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }
            return b"data: " + orjson.dumps(data) + b"\n\n"

        frames: list[bytes] = []
        for i in range(n):
            # real OpenAI opens a tool-call stream with `content: null` (the AI SDK opens an empty text
            # part on ""), a text stream with ""
            opening = None if ans.tool_calls else ""
            frames.append(chunk({"role": "assistant", "content": opening, "refusal": None}, index=i))
            if ans.tool_calls:
                for k, call in enumerate(ans.tool_calls):
                    whole = _tool_call(call, customs(body))
                    kind, key = whole["type"], "input" if whole["type"] == "custom" else "arguments"
                    head = {"index": k, "id": call.id, "type": kind, kind: {"name": call.name, key: ""}}
                    frames.append(chunk({"tool_calls": [head]}, index=i))
                    for part in argument_pieces(whole[kind][key]):
                        frames.append(chunk({"tool_calls": [{"index": k, kind: {key: part}}]}, index=i))
            else:
                frames.extend(chunk({"content": piece}, index=i) for piece in pieces(ans.text))
            frames.append(chunk({}, ans.finish_reason, index=i))
        if usage is not None and include_usage:
            frames.append(b"data: " + orjson.dumps({**base, "choices": [], "usage": usage}) + b"\n\n")
        return await self.stream(request, frames, spec, fault)

    async def embeddings(self, request: web.Request) -> web.StreamResponse:
        begun = await self.begin(request)
        if isinstance(begun, web.StreamResponse):
            return begun
        body, spec, fault = begun
        inputs = body.get("input")
        items = [inputs] if isinstance(inputs, str) else list(inputs or [])
        dims = body.get("dimensions") if isinstance(body.get("dimensions"), int) else 8
        data = []
        tokens = 0
        for i, item in enumerate(items):
            text = item if isinstance(item, str) else " ".join(map(str, item))
            tokens += (
                self.tokens.count(text, "text-embedding-3-small") if isinstance(item, str) else len(item)
            )
            digest = hashlib.sha256(text.encode()).digest()
            data.append(
                {
                    "object": "embedding",
                    "index": i,
                    "embedding": [round(b / 255 - 0.5, 6) for b in digest[:dims]],
                }
            )
        await self.pace(spec.latency)
        out: dict[str, Any] = {"object": "list", "data": data, "model": body["model"]}
        if spec.usage and not (fault and fault.kind == "no_usage"):
            out["usage"] = {"prompt_tokens": tokens, "total_tokens": tokens}
        return web.Response(body=orjson.dumps(out), content_type="application/json")

    async def list_models(self, request: web.Request) -> web.Response:
        denied = self.denied(request)
        if denied is not None:
            return denied
        names = list(self.models or {"fake-model": self.default})
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "fake"} for name in names]
        return web.Response(
            body=orjson.dumps({"object": "list", "data": data}), content_type="application/json"
        )
