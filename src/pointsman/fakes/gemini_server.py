"""A fake Gemini API: POST /v1beta/models/{model}:generateContent and :streamGenerateContent?alt=sse.

Streams carry `data:` lines only (no event names, no [DONE]), as google-genai's line parser needs;
usage is cumulative in every chunk and thoughts are counted apart from candidates.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from aiohttp import web

from pointsman.fakes.answers import Answer, Ask, answer, pieces
from pointsman.fakes.base import FakeModel, FakeProvider
from pointsman.fakes.faults import Fault

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "tool_calls": "STOP"}


def gemini_error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    error_type: str | None = None,
    retry_after: str | None = None,
    param: str | None = None,
) -> web.Response:
    """`param` is ignored: this wire's errors have no such field."""
    details = (
        [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_after}s"}]
        if retry_after
        else []
    )
    body = {
        "error": {
            "code": status,
            "message": message,
            "status": _STATUS.get(status, "UNKNOWN"),
            "details": details,
        }
    }
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


# protobuf JSON accepts snake_case field names as well as camelCase, and google-genai sends some
# snake_case (e.g. parameters_json_schema): only these known fields are renamed, never a user's keys
_FIELDS = (
    "system_instruction",
    "function_declarations",
    "parameters_json_schema",
    "tool_config",
    "function_calling_config",
    "allowed_function_names",
    "generation_config",
    "max_output_tokens",
    "stop_sequences",
    "response_mime_type",
    "response_json_schema",
    "response_schema",
    "inline_data",
    "function_response",
    "function_call",
    "mime_type",
    "candidate_count",
)
_CAMEL = {name: name.split("_")[0] + "".join(w.title() for w in name.split("_")[1:]) for name in _FIELDS}


def camel_fields(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            _CAMEL.get(k, k): v
            if k in ("parameters_json_schema", "response_json_schema")
            else camel_fields(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [camel_fields(v) for v in value]
    return value


def _image(part: Any) -> bool:
    """An inline image (a PDF is inline data too, and no image)."""
    blob = part.get("inlineData") if isinstance(part, dict) else None
    return isinstance(blob, dict) and str(blob.get("mimeType", "")).startswith("image/")


def ask_from_gemini(model: str, body: dict[str, Any]) -> Ask:
    ask = Ask(model=model)
    for content in body.get("contents") or []:
        if content.get("role") != "user":
            continue
        parts = content.get("parts") or []
        results = [p["functionResponse"] for p in parts if isinstance(p, dict) and "functionResponse" in p]
        if results:
            response = results[-1].get("response") or {}
            ask.last_tool_result = str(response.get("content", orjson.dumps(response).decode()))
        else:
            ask.last_tool_result = None
            text = " ".join(p["text"] for p in parts if isinstance(p, dict) and "text" in p)
            ask.previous_user, ask.last_user = ask.last_user, text
        ask.images += sum(1 for p in parts if _image(p))
    for tool in body.get("tools") or []:
        for fn in tool.get("functionDeclarations") or []:
            ask.tools.append((fn.get("name", "tool"), fn.get("parametersJsonSchema") or fn.get("parameters")))
    calling = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    mode = calling.get("mode")
    allowed = calling.get("allowedFunctionNames") or []
    ask.tool_choice = (
        allowed[0] if mode == "ANY" and allowed else {"ANY": "required", "NONE": "none"}.get(str(mode))
    )
    config = body.get("generationConfig") or {}
    if config.get("responseMimeType") == "application/json":
        schema = config.get("responseJsonSchema") or config.get("responseSchema")
        ask.json_schema = schema if schema is not None else None
        ask.json_object = schema is None
    ask.max_tokens = config.get("maxOutputTokens")
    ask.stop = list(config.get("stopSequences") or [])
    return ask


class FakeGemini(FakeProvider):
    """`api_key`, when set, must arrive as `x-goog-api-key` (or `?key=`)."""

    def routes(self, app: web.Application) -> None:
        for version in ("v1beta", "v1"):
            app.router.add_post(f"/{version}/models/{{target}}", self.generate)

    error_response = staticmethod(gemini_error)

    def not_found(self, model: str) -> web.Response:
        return gemini_error(404, f"models/{model} is not found for API version v1beta")

    def denied(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        if (request.headers.get("x-goog-api-key") or request.query.get("key")) == self.api_key:
            return None
        return gemini_error(400, "API key not valid. Please pass a valid API key.")

    def error_frame(self, fault: Fault) -> bytes:
        body = {
            "error": {
                "code": 503,
                "message": fault.message or "The model is overloaded.",
                "status": "UNAVAILABLE",
            }
        }
        return b"data: " + orjson.dumps(body) + b"\n\n"

    async def generate(self, request: web.Request) -> web.StreamResponse:
        model, _, method = request.match_info["target"].partition(":")
        begun = await self.begin(request, model=model)
        if isinstance(begun, web.StreamResponse):
            return begun
        body, spec, fault = begun
        body = camel_fields(body)
        prompt = self._prompt_tokens(body)
        if spec.context_window is not None and prompt > spec.context_window:
            limit = spec.context_window
            message = (
                f"The input token count ({prompt}) exceeds the maximum number of tokens allowed ({limit})."
            )
            return gemini_error(400, message)
        ask = ask_from_gemini(model, body)
        ans = answer(ask, spec.reply_to(ask), preamble=spec.preamble, obeys=spec.obeys)
        ident = hashlib.sha1(orjson.dumps(body.get("contents"))).hexdigest()[:22]
        no_usage = fault is not None and fault.kind == "no_usage"
        if method == "streamGenerateContent":
            frames = self._frames(model, ident, ans, spec, prompt, no_usage)
            return await self.stream(request, frames, spec, fault)
        await self.pace(spec.latency)
        parts = self._parts(ans, ans.text)
        out = self._chunk(
            model, ident, parts, self._usage(spec, prompt, self._count(ans)), _FINISH[ans.finish_reason]
        )
        if no_usage:
            del out["usageMetadata"]
        return web.Response(body=orjson.dumps(out), content_type="application/json")

    def _prompt_tokens(self, body: dict[str, Any]) -> int:
        texts = [
            p.get("text", "")
            for c in body.get("contents") or []
            for p in c.get("parts") or []
            if isinstance(p, dict)
        ]
        system = (body.get("systemInstruction") or {}).get("parts") or []
        texts += [p.get("text", "") for p in system if isinstance(p, dict)]
        return 2 + self.tokens.count("\n".join(texts), "gemini")

    def _count(self, ans: Answer) -> int:
        return self.tokens.count(ans.text + "".join(c.name + c.arguments for c in ans.tool_calls), "gemini")

    def _usage(self, spec: FakeModel, prompt: int, candidates: int) -> dict[str, Any]:
        usage = {
            "promptTokenCount": prompt,
            "candidatesTokenCount": candidates,
            "totalTokenCount": prompt + candidates + spec.reasoning_tokens,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}],
        }
        if spec.reasoning_tokens:
            usage["thoughtsTokenCount"] = spec.reasoning_tokens
        if spec.cached_tokens:
            usage["cachedContentTokenCount"] = min(spec.cached_tokens, prompt)
        return usage

    @staticmethod
    def _parts(ans: Answer, text: str) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = [{"text": text}] if text else []
        parts += [
            {"functionCall": {"name": c.name, "args": orjson.loads(c.arguments)}} for c in ans.tool_calls
        ]
        return parts

    @staticmethod
    def _chunk(
        model: str, ident: str, parts: list[dict[str, Any]], usage: dict[str, Any] | None, finish: str | None
    ) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if finish:
            candidate["finishReason"] = finish
        out: dict[str, Any] = {"candidates": [candidate], "modelVersion": model, "responseId": ident}
        if usage is not None:
            out["usageMetadata"] = usage
        return out

    def _frames(
        self, model: str, ident: str, ans: Answer, spec: FakeModel, prompt: int, no_usage: bool
    ) -> list[bytes]:
        finish = _FINISH[ans.finish_reason]
        if ans.tool_calls:  # a function call arrives whole, in one chunk
            usage = None if no_usage else self._usage(spec, prompt, self._count(ans))
            return [
                b"data: "
                + orjson.dumps(self._chunk(model, ident, self._parts(ans, ""), usage, finish))
                + b"\n\n"
            ]
        words = pieces(ans.text)
        frames = []
        for i, word in enumerate(words):
            done = "".join(words[: i + 1])
            usage = None if no_usage else self._usage(spec, prompt, self.tokens.count(done, "gemini"))
            chunk = self._chunk(
                model, ident, [{"text": word}], usage, finish if i == len(words) - 1 else None
            )
            frames.append(b"data: " + orjson.dumps(chunk) + b"\n\n")
        return frames
