"""Pure translation functions against golden wire shapes: the cases fakes rarely produce."""

from __future__ import annotations

import orjson

from pointsman.providers.anthropic.response import to_openai
from pointsman.providers.base import Endpoint, UpstreamResponse
from pointsman.providers.gemini import GeminiProvider
from pointsman.upstream.sse import SSEEvent

ENDPOINT = Endpoint("g", "gemini", "http://h/v1beta", "k", "", {}, 1, 1, True)


def gemini_whole(body: dict) -> dict:  # type: ignore[type-arg]
    provider = GeminiProvider(ENDPOINT)
    return provider.parse_chat(UpstreamResponse(200, {}, orjson.dumps(body))).data


def test_gemini_safety_and_blocked_prompts_are_content_filter() -> None:
    blocked = gemini_whole(
        {"candidates": [{"content": {"parts": [], "role": "model"}, "finishReason": "SAFETY"}]}
    )
    assert blocked["choices"][0]["finish_reason"] == "content_filter"
    prompt_blocked = gemini_whole(
        {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}, "usageMetadata": {"promptTokenCount": 7}}
    )
    assert prompt_blocked["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": None},
            "logprobs": None,
            "finish_reason": "content_filter",
        }
    ]
    assert prompt_blocked["usage"]["prompt_tokens"] == 7
    truncated = gemini_whole(
        {"candidates": [{"content": {"parts": [{"text": "a"}]}, "finishReason": "MAX_TOKENS"}]}
    )
    assert truncated["choices"][0]["finish_reason"] == "length"


def test_gemini_usage_counts_thoughts_as_output_and_cache_inside_prompt() -> None:
    data = gemini_whole(
        {
            "candidates": [{"content": {"parts": [{"text": "hi"}]}, "finishReason": "STOP"}],
            "usageMetadata": {
                "promptTokenCount": 83,
                "candidatesTokenCount": 14,
                "thoughtsTokenCount": 104,
                "cachedContentTokenCount": 40,
            },
        }
    )
    assert data["usage"]["prompt_tokens"] == 83 and data["usage"]["completion_tokens"] == 118
    assert data["usage"]["prompt_tokens_details"]["cached_tokens"] == 40
    assert data["usage"]["completion_tokens_details"]["reasoning_tokens"] == 104


def test_gemini_stream_safety_block_mid_stream() -> None:
    translator = GeminiProvider(ENDPOINT).stream_translator()
    first = translator.feed(SSEEvent(b'{"candidates":[{"content":{"parts":[{"text":"Once"}]}}]}'))
    last = translator.feed(SSEEvent(b'{"candidates":[{"content":{"parts":[]},"finishReason":"RECITATION"}]}'))
    assert [c["choices"][0]["delta"] for c, _ in first.chunks] == [
        {"role": "assistant", "content": ""},
        {"content": "Once"},
    ]
    assert last.chunks[0][0]["choices"][0]["finish_reason"] == "content_filter"


def test_anthropic_stop_reasons_and_cache_usage() -> None:
    base = {"id": "msg_1", "model": "claude", "content": [{"type": "text", "text": "x"}]}
    for reason, finish in [
        ("end_turn", "stop"),
        ("max_tokens", "length"),
        ("stop_sequence", "stop"),
        ("refusal", "content_filter"),
        ("model_context_window_exceeded", "length"),
    ]:
        data, _ = to_openai({**base, "stop_reason": reason})
        assert data["choices"][0]["finish_reason"] == finish, reason
    data, usage = to_openai(
        {
            **base,
            "stop_reason": "end_turn",
            "usage": {
                "input_tokens": 3,
                "cache_creation_input_tokens": 12304,
                "cache_read_input_tokens": 100,
                "output_tokens": 5,
            },
        }
    )
    assert usage is not None and (usage.input_tokens, usage.cached_tokens, usage.cache_write_tokens) == (
        12407,
        100,
        12304,
    )
    assert data["usage"]["prompt_tokens"] == 12407
