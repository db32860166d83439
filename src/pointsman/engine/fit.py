"""The canonical request fitted to the model an attempt goes to, from the catalog's data, then
translated by the model's provider: what the model cannot take is adapted (each with a note in the
trace), never sent to be refused. Pure but for the trace notes.

- An output limit above the model's `max_output_tokens` is clamped to it (Claude Code asks for
  32k-64k whatever the model).
- What the model's capabilities cannot carry is mapped or left out (routing/carry.py): reasoning
  effort, web search, verbosity, custom tools (an Anthropic target of the Anthropic surface gets the
  client's own `thinking` whatever the catalog says).
- An OpenAI-shaped endpoint whose reasoning models want `max_completion_tokens` (OpenAI's own) gets
  the limit under that name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pointsman.catalog.model import CatalogModel
from pointsman.providers.base import Endpoint, Json, Provider, UpstreamRequest
from pointsman.routing import carry

if TYPE_CHECKING:
    from pointsman.engine.trace import Trace


def fit(body: Json, model: CatalogModel, endpoint: Endpoint) -> tuple[Json, Sequence[str]]:
    """`body` for `model` (the same dict when nothing changes), and notes for what changed: first
    what the model's capabilities carry (routing/carry.py), then its output limit and the name the
    endpoint wants for it."""
    # the Anthropic surface's own thinking goes to an Anthropic model whatever the catalog says
    own_thinking = endpoint.type == "anthropic" and "anthropic" in body
    body, carried = carry.for_model(body, model, keep_effort=own_thinking)
    if model.max_output_tokens is None and not endpoint.features:
        return body, carried  # nothing a catalog limit or endpoint could change
    name = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
    limit, cap = body.get(name), model.max_output_tokens
    clamp = type(limit) is int and cap is not None and limit > cap
    rename = (
        "reasoning" in model.capabilities
        and name == "max_tokens"
        and limit is not None
        and "max_completion_tokens" in endpoint.features
    )
    if not (clamp or rename):
        return body, carried  # the usual case, on every attempt: nothing allocated
    out = dict(body)
    notes = list(carried)
    if clamp:
        out[name] = cap
        notes.append(f"{name} {limit} clamped to {cap}, the model's output limit")
    if rename:  # OpenAI's reasoning models refuse max_tokens
        out["max_completion_tokens"] = out.pop("max_tokens")
    return out, notes


def chat_request(
    provider: Provider, body: Json, model: CatalogModel, trace: Trace, *, want_stream_usage: bool
) -> UpstreamRequest:
    """The attempt's request: `body` fitted to `model`, translated by its provider, and what either
    adapted recorded in the trace as "<model>: <note>"."""
    fitted, notes = fit(body, model, provider.endpoint)
    request = provider.chat_request(fitted, model.upstream, want_stream_usage=want_stream_usage)
    if notes or request.adapted:
        trace.adapt(*(f"{model.name}: {note}" for note in (*notes, *request.adapted)))
    return request
