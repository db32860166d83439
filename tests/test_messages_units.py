"""Pure pieces of the Anthropic surface's fidelity: an Anthropic stream replayed through the
canonical chunks comes out as it went in, the request for an Anthropic model is the client's own,
and the fit of a request to its model's catalog data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from pointsman.catalog.model import CatalogModel
from pointsman.catalog.price import Price
from pointsman.engine.fit import fit
from pointsman.providers.anthropic.adapter import with_betas
from pointsman.providers.anthropic.request import to_anthropic
from pointsman.providers.anthropic.stream import AnthropicStreamTranslator
from pointsman.providers.base import Endpoint
from pointsman.surfaces.anthropic.parse import to_canonical
from pointsman.surfaces.anthropic.stream import MessagesStreamRenderer
from pointsman.upstream.sse import SSEEvent
from pointsman.usage import Usage


def _endpoint(wire: str = "anthropic", features: frozenset[str] = frozenset()) -> Endpoint:
    return Endpoint("p", wire, "http://x", "", "", {}, 1, 1, True, features=features)


def _event(kind: str, **data: Any) -> dict[str, Any]:
    return {"type": kind, **data}


SEARCH = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
RESULTS = {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [{"type": "x"}]}
CITATION = {"type": "web_search_result_location", "url": "https://e.com", "cited_text": "c"}
BLOCKS: list[dict[str, Any]] = [
    _event(
        "content_block_start", index=0, content_block={"type": "thinking", "thinking": "", "signature": ""}
    ),
    _event("content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": "Hm."}),
    _event("content_block_delta", index=0, delta={"type": "signature_delta", "signature": "sig"}),
    _event("content_block_stop", index=0),
    _event("content_block_start", index=1, content_block={"type": "redacted_thinking", "data": "enc"}),
    _event("content_block_stop", index=1),
    _event("content_block_start", index=2, content_block=SEARCH),
    _event(
        "content_block_delta", index=2, delta={"type": "input_json_delta", "partial_json": '{"query": "q"}'}
    ),
    _event("content_block_stop", index=2),
    _event("content_block_start", index=3, content_block=RESULTS),
    _event("content_block_stop", index=3),
    _event("content_block_start", index=4, content_block={"type": "text", "text": "", "citations": []}),
    _event("content_block_delta", index=4, delta={"type": "citations_delta", "citation": CITATION}),
    _event("content_block_delta", index=4, delta={"type": "text_delta", "text": "Found."}),
    _event("content_block_stop", index=4),
    _event("content_block_start", index=5, content_block={"type": "text", "text": ""}),
    _event("content_block_delta", index=5, delta={"type": "text_delta", "text": " More."}),
    _event("content_block_stop", index=5),
]


def test_an_anthropic_stream_replays_through_canonical_chunks_as_it_came() -> None:
    """Thinking and its signature, redacted thinking, a server tool and its results, citations:
    every block an Anthropic client was sent by the upstream, in order, with the same content."""
    start = {"id": "msg_1", "model": "c", "usage": {"input_tokens": 7, "output_tokens": 1}}
    end = _event("message_delta", delta={"stop_reason": "stop_sequence", "stop_sequence": "END"}, usage={})
    upstream = [_event("message_start", message=start), *BLOCKS, end, _event("message_stop")]
    translator = AnthropicStreamTranslator(_endpoint())
    renderer = MessagesStreamRenderer("c", "msg_1", Usage(input_tokens=7), ["END"])
    out = renderer.start()
    for data in upstream:
        for chunk, _ in translator.feed(SSEEvent(data=orjson.dumps(data))).chunks:
            out += renderer.chunk(chunk)
    out += renderer.finish(Usage(input_tokens=7, output_tokens=5))
    events = [orjson.loads(line[6:]) for line in out.split(b"\n") if line.startswith(b"data: ")]
    assert events[1:-2] == BLOCKS
    assert events[0]["message"]["usage"]["input_tokens"] == 7
    assert events[-2]["delta"] == {"stop_reason": "stop_sequence", "stop_sequence": "END"}


def test_an_anthropic_request_goes_to_an_anthropic_model_as_it_came() -> None:
    body: dict[str, Any] = {
        "model": "m",
        "max_tokens": 100,
        "system": [{"type": "text", "text": "Rules.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}],
            },
            {"role": "assistant", "content": [{"type": "redacted_thinking", "data": "x"}, SEARCH, RESULTS]},
            {
                "role": "user",
                "content": [{"type": "search_result", "source": "s", "title": "t", "content": []}],
            },
        ],
        "tools": [{"type": "web_search_20250305", "name": "web_search"}],
        "tool_choice": {"type": "auto"},
        "top_k": 3,
        "thinking": {"type": "enabled", "budget_tokens": 2000},
        "a_field_added_later": {"x": 1},
    }
    canonical = to_canonical(body, ("beta-1",))
    assert canonical["reasoning_effort"] == "low" and canonical["anthropic"]["betas"] == ["beta-1"]
    assert to_anthropic(canonical, "m") == body


def test_fit_clamps_renames_and_gates_reasoning_without_copying_what_fits() -> None:
    caps = frozenset({"chat", "reasoning"})
    gpt5 = CatalogModel(
        "gpt-5", "p", "gpt-5", Price(Decimal(1), Decimal(1)), max_output_tokens=100, capabilities=caps
    )
    gpt4o = CatalogModel(
        "gpt-4o", "p", "gpt-4o", None, max_output_tokens=50, capabilities=frozenset({"chat"})
    )
    openai = _endpoint("openai", frozenset({"max_completion_tokens"}))
    body = {"model": "x", "max_tokens": 40, "reasoning_effort": "high"}
    assert fit(body, gpt5, openai) == (
        {"model": "x", "max_completion_tokens": 40, "reasoning_effort": "high"},
        [],
    )
    fitted, notes = fit(body, gpt4o, openai)
    assert (
        fitted == {"model": "x", "max_tokens": 40}
        and "reasoning_effort: left out, it is not a reasoning model" in notes[0]
    )
    fitted, notes = fit({"max_completion_tokens": 500}, gpt5, _endpoint("openai"))
    assert fitted == {"max_completion_tokens": 100} and notes == [
        "max_completion_tokens 500 clamped to 100, the model's output limit"
    ]
    fits = {"max_tokens": 10}
    assert fit(fits, gpt5, _endpoint("gemini"))[0] is fits, "nothing to change: no copy"


def test_the_clients_betas_follow_the_configured_ones_once_each() -> None:
    headers = {"x-api-key": "k", "Anthropic-Beta": "a, b"}
    assert with_betas(headers, ["b", "c"]) == {"x-api-key": "k", "anthropic-beta": "a,b,c"}


def test_a_thinking_budget_stays_below_a_clamped_limit() -> None:
    body = {
        "model": "m",
        "max_tokens": 64000,
        "messages": [],
        "thinking": {"type": "enabled", "budget_tokens": 31999},
    }
    canonical = {**to_canonical(body), "max_tokens": 8192}  # what the fit to an 8192-token model leaves
    notes: list[str] = []
    assert to_anthropic(canonical, "m", notes)["thinking"] == {"type": "enabled", "budget_tokens": 8191}
    assert notes == ["thinking.budget_tokens 31999 lowered to 8191, below max_tokens"]
