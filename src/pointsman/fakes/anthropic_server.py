"""A fake Anthropic Messages server: POST /v1/messages (JSON and SSE), /v1/messages/count_tokens.

Its usage follows Anthropic's rules: `input_tokens` excludes cache reads and writes, and
`message_delta` carries the cumulative `output_tokens`.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from aiohttp import web

from pointsman.fakes.answers import Answer, Ask, answer, argument_pieces, pieces
from pointsman.fakes.base import FakeModel, FakeProvider
from pointsman.fakes.faults import Fault
from pointsman.surfaces.anthropic.errors import ERROR_TYPES

_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
PARAMETERS = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "system",
        "metadata",
        "stop_sequences",
        "stream",
        "temperature",
        "top_p",
        "top_k",
        "tools",
        "tool_choice",
        "thinking",
        "service_tier",
        "container",
        "mcp_servers",
        "context_management",
        "output_config",
        "output_format",
        "inference_geo",
        "fake_fault",
    }
)
"""What the Messages API takes (and the fakes' own `fake_fault`): anything else is refused, as there."""
BETA_FIELDS = {"context_management": "context-management-2025-06-27", "mcp_servers": "mcp-client-2025-04-04"}
"""Fields the API takes only with their beta named in the `anthropic-beta` header."""
MID_SYSTEM_BETA = "mid-conversation-system-2026-04-07"
"""The beta under which `role: system` entries may come inside `messages`."""


def sign(thinking: str) -> str:
    """The signature the fake gives a thinking block (and checks when the block comes back)."""
    return "sig-" + hashlib.sha1(thinking.encode()).hexdigest()[:16]


def refusal_of(body: dict[str, Any], betas: str) -> str | None:
    """Why the real API would refuse this body: an unknown field, a field without its beta, a
    `role: system` entry without its beta, a thinking block in the history whose signature is not
    the one the API gave it, or thinking on with the continued tool turn's thinking missing."""
    unknown = sorted(set(body) - PARAMETERS)
    if unknown:
        return f"{unknown[0]}: Extra inputs are not permitted"
    for field, beta in BETA_FIELDS.items():
        if field in body and beta not in betas:
            return f"{field}: Extra inputs are not permitted (this field needs the {beta} beta)"
    unreplayed = thinking_unreplayed(body)
    if unreplayed is not None:
        return unreplayed
    roles = {m.get("role") for m in body.get("messages") or () if isinstance(m, dict)}
    if "system" in roles and MID_SYSTEM_BETA not in betas:  # the API's own words (Claude Code matches them)
        return (
            'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, '
            'not "system" as an input message role.'
        )
    for i, message in enumerate(body.get("messages") or ()):
        content = message.get("content") if isinstance(message, dict) else None
        for j, block in enumerate(content if isinstance(content, list) else ()):
            thinking = isinstance(block, dict) and block.get("type") == "thinking"
            if thinking and block.get("signature") != sign(str(block.get("thinking"))):
                return f"messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
    return None


def anthropic_error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    error_type: str | None = None,
    retry_after: str | None = None,
    param: str | None = None,
) -> web.Response:
    """`param` is ignored: this wire's errors have no such field."""
    kind = error_type or ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    body = {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_fake"}
    headers = {"retry-after": retry_after} if retry_after is not None else None
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
    )


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return " ".join(
        str(b.get("text", "")) for b in content or () if isinstance(b, dict) and b.get("type") == "text"
    )


def ask_from_anthropic(body: dict[str, Any]) -> Ask:
    ask = Ask(model=str(body.get("model")))
    messages = body.get("messages") or []
    if messages and messages[-1].get("role") == "assistant":
        ask.prefill = _text(messages[-1].get("content"))
    for message in messages:
        if message.get("role") != "user":
            continue
        content = message.get("content")
        blocks = content if isinstance(content, list) else []
        results = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
        if results:
            ask.last_tool_result = _text(results[-1].get("content"))
        else:
            ask.last_tool_result = None
        if not results:
            ask.previous_user, ask.last_user = ask.last_user, _text(content)
        ask.images += sum(1 for b in blocks if isinstance(b, dict) and b.get("type") == "image")
    tools = [t for t in body.get("tools") or [] if t.get("type") in (None, "custom")]  # not server tools
    ask.tools = [(t.get("name", "tool"), t.get("input_schema")) for t in tools]
    choice = body.get("tool_choice") or {}
    kind = choice.get("type")
    ask.tool_choice = {"any": "required", "none": "none", "tool": choice.get("name")}.get(str(kind))
    ask.parallel_tools = not choice.get("disable_parallel_tool_use", False)
    fmt = (body.get("output_config") or {}).get("format") or body.get("output_format") or {}
    if fmt.get("type") == "json_schema":
        ask.json_schema = fmt.get("schema") or {}
    ask.max_tokens = body.get("max_tokens") if isinstance(body.get("max_tokens"), int) else None
    ask.stop = list(body.get("stop_sequences") or [])
    return ask


def thinking_unreplayed(body: dict[str, Any]) -> str | None:
    """Anthropic's rule: with thinking on, the assistant turn that tool results continue must start
    with its thinking block (the message is Anthropic's)."""
    messages = body.get("messages") or []
    if (body.get("thinking") or {}).get("type") != "enabled" or len(messages) < 2:
        return None
    last, before = messages[-1], messages[-2]
    blocks = last.get("content") if isinstance(last.get("content"), list) else []
    if not any(isinstance(b, dict) and b.get("type") == "tool_result" for b in blocks):
        return None
    first = (before.get("content") or [{}])[0] if isinstance(before.get("content"), list) else {}
    if first.get("type") in ("thinking", "redacted_thinking"):
        return None
    return (
        f"messages.{len(messages) - 2}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
        f"`{first.get('type', 'text')}`. When `thinking` is enabled, a final `assistant` message must start "
        "with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks)."
    )


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps({"type": name, **data}) + b"\n\n"


def _thought_frames(block: dict[str, Any], index: int) -> list[bytes]:
    """A thinking block streamed word by word and then its signature; a redacted one arrives whole."""
    if block["type"] == "redacted_thinking":
        return [
            _event("content_block_start", {"index": index, "content_block": block}),
            _event("content_block_stop", {"index": index}),
        ]
    start = {"type": "thinking", "thinking": "", "signature": ""}
    frames = [_event("content_block_start", {"index": index, "content_block": start})]
    for piece in pieces(block["thinking"]):
        delta = {"type": "thinking_delta", "thinking": piece}
        frames.append(_event("content_block_delta", {"index": index, "delta": delta}))
    signature = {"type": "signature_delta", "signature": block["signature"]}
    frames.append(_event("content_block_delta", {"index": index, "delta": signature}))
    return [*frames, _event("content_block_stop", {"index": index})]


class FakeAnthropic(FakeProvider):
    """`api_key`, when set, must arrive as `x-api-key` (or `Authorization: Bearer`)."""

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/messages", self.messages)
        app.router.add_post("/v1/messages/count_tokens", self.count_tokens)

    error_response = staticmethod(anthropic_error)

    def not_found(self, model: str) -> web.Response:
        return anthropic_error(404, f"model: {model}")

    def denied(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        presented = request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix(
            "Bearer "
        )
        if presented == self.api_key:
            return None
        return anthropic_error(401, "invalid x-api-key")

    def error_frame(self, fault: Fault) -> bytes:
        error = {
            "type": "error",
            "error": {
                "type": fault.error_type or "overloaded_error",
                "message": fault.message or "Overloaded",
            },
        }
        return b"event: error\ndata: " + orjson.dumps(error) + b"\n\n"

    malformed_frame = b"event: content_block_delta\ndata: {not json\n\n"

    def _prompt_tokens(self, body: dict[str, Any]) -> int:
        system = body.get("system")
        texts = [_text(system) if not isinstance(system, str) else system]
        texts += [_text(m.get("content")) for m in body.get("messages") or []]
        texts += [orjson.dumps(t).decode() for t in body.get("tools") or []]
        return 3 + 4 * len(body.get("messages") or []) + self.tokens.count("\n".join(texts), "claude")

    def _usage(
        self, body: dict[str, Any], spec: FakeModel, ans: Answer, fault: Fault | None
    ) -> dict[str, Any]:
        prompt = self._prompt_tokens(body)
        cached = min(spec.cached_tokens, prompt)
        output = self.tokens.count(ans.text + "".join(c.name + c.arguments for c in ans.tool_calls), "claude")
        if fault is not None and fault.kind == "no_usage":
            return {"input_tokens": 0, "output_tokens": 0}
        return {
            "input_tokens": prompt - cached,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": cached,
            "output_tokens": output + spec.reasoning_tokens,
            "service_tier": "standard",
        }

    async def messages(self, request: web.Request) -> web.StreamResponse:
        begun = await self.begin(request)
        if isinstance(begun, web.StreamResponse):
            return begun
        body, spec, fault = begun
        if not isinstance(body.get("max_tokens"), int):
            return anthropic_error(400, "max_tokens: Field required")
        problem = refusal_of(body, request.headers.get("anthropic-beta", ""))
        if problem is not None:
            return anthropic_error(400, problem)
        if spec.context_window is not None and self._prompt_tokens(body) > spec.context_window:
            count = self._prompt_tokens(body)
            return anthropic_error(400, f"prompt is too long: {count} tokens > {spec.context_window} maximum")
        ask = ask_from_anthropic(body)
        refused = self.prefill_refused(ask, spec)
        if refused is not None:
            return refused
        ans = answer(ask, spec.reply_to(ask), preamble=spec.preamble, obeys=spec.obeys)
        thinking = (body.get("thinking") or {}).get("type") in ("enabled", "adaptive")
        thought = "Let me think about this step by step." if thinking else ""
        usage = self._usage(body, spec, ans, fault)
        if thinking and "output_tokens" in usage and usage["output_tokens"]:
            usage["output_tokens"] += self.tokens.count(thought, "claude")
        ident = "msg_" + hashlib.sha1(orjson.dumps(body.get("messages"))).hexdigest()[:24]
        stop_reason = "stop_sequence" if ans.stop_sequence is not None else _STOP[ans.finish_reason]
        content: list[dict[str, Any]] = (
            [{"type": "thinking", "thinking": thought, "signature": sign(thought)}] if thought else []
        )
        if thought and "redact" in ask.last_user:  # a thought the safety systems encrypted
            content.append({"type": "redacted_thinking", "data": "redacted-" + sign(ask.last_user)})
        content += [{"type": "text", "text": ans.text}] if ans.text else []
        content += [
            {
                "type": "tool_use",
                "id": c.id.replace("call_", "toolu_"),
                "name": c.name,
                "input": orjson.loads(c.arguments),
            }
            for c in ans.tool_calls
        ]
        message = {
            "id": ident,
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": ans.stop_sequence,
            "usage": usage,
        }
        if body.get("stream"):
            return await self.stream(request, self._frames(message, ans), spec, fault)
        await self.pace(spec.latency)
        return web.Response(body=orjson.dumps(message), content_type="application/json")

    def _frames(self, message: dict[str, Any], ans: Answer) -> list[bytes]:
        event = _event
        usage = message["usage"]
        start_usage = {**usage, "output_tokens": 1}
        frames = [
            event(
                "message_start",
                {"message": {**message, "content": [], "stop_reason": None, "usage": start_usage}},
            )
        ]
        index = 0
        for block in message["content"]:
            if block["type"] in ("thinking", "redacted_thinking"):
                frames += _thought_frames(block, index)
                index += 1
        if ans.text:
            start: dict[str, Any] = {"type": "text", "text": ""}
            frames.append(event("content_block_start", {"index": index, "content_block": start}))
            frames.append(event("ping", {}))
            for piece in pieces(ans.text):
                delta = {"type": "text_delta", "text": piece}
                frames.append(event("content_block_delta", {"index": index, "delta": delta}))
            frames.append(event("content_block_stop", {"index": index}))
            index += 1
        for block in message["content"]:
            if block["type"] != "tool_use":
                continue
            start = {
                "type": "tool_use",
                "id": block["id"],
                "name": block["name"],
                "input": {},
            }
            frames.append(event("content_block_start", {"index": index, "content_block": start}))
            for part in ["", *argument_pieces(orjson.dumps(block["input"]).decode())]:
                delta = {"type": "input_json_delta", "partial_json": part}
                frames.append(event("content_block_delta", {"index": index, "delta": delta}))
            frames.append(event("content_block_stop", {"index": index}))
            index += 1
        end: dict[str, Any] = {
            "stop_reason": message["stop_reason"],
            "stop_sequence": message["stop_sequence"],
        }
        frames.append(
            event("message_delta", {"delta": end, "usage": {"output_tokens": usage["output_tokens"]}})
        )
        return frames

    done_frame = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'

    async def count_tokens(self, request: web.Request) -> web.StreamResponse:
        begun = await self.begin(request)  # recorded, authenticated, faults apply: like the real one
        if isinstance(begun, web.StreamResponse):
            return begun
        return web.json_response({"input_tokens": self._prompt_tokens(begun[0])})
