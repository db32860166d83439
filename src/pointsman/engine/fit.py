"""The canonical request fitted to the model an attempt goes to, from the catalog's data, then
translated by the model's provider: what the model cannot take is adapted (each with a note in the
trace), never sent to be refused. Pure but for the trace notes.

- An output limit above the model's `max_output_tokens` is clamped to it (Claude Code asks for
  32k-64k whatever the model).
- `reasoning_effort` goes only to a model with the `reasoning` capability (an Anthropic target of
  the Anthropic surface gets the client's own `thinking` instead, whatever the catalog says).
- An OpenAI-shaped endpoint whose reasoning models want `max_completion_tokens` (OpenAI's own) gets
  the limit under that name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pointsman.catalog.model import CatalogModel
from pointsman.providers.base import Endpoint, Json, Provider, UpstreamRequest

if TYPE_CHECKING:
    from pointsman.engine.trace import Trace


def fit(body: Json, model: CatalogModel, endpoint: Endpoint) -> tuple[Json, list[str]]:
    """`body` for `model` (the same dict when nothing changes), and notes for what changed."""
    notes: list[str] = []
    changes: Json = {}
    drop: list[str] = []
    name = "max_completion_tokens" if "max_completion_tokens" in body else "max_tokens"
    limit, cap = body.get(name), model.max_output_tokens
    if type(limit) is int and cap is not None and limit > cap:
        changes[name] = limit = cap
        notes.append(f"{name} {body[name]} clamped to {cap}, the model's output limit")
    reasoning = "reasoning" in model.capabilities
    own_thinking = endpoint.type == "anthropic" and "anthropic" in body  # the client's, sent as is
    if "reasoning_effort" in body and not reasoning and not own_thinking:
        drop.append("reasoning_effort")
        notes.append(
            f"reasoning_effort {body['reasoning_effort']} not sent: the model has no reasoning "
            f"capability (list it under models.{model.name}.capabilities if it has)"
        )
    if (
        name == "max_tokens"
        and limit is not None
        and reasoning
        and endpoint.type == "openai"
        and "max_completion_tokens" in endpoint.features
    ):
        drop.append("max_tokens")
        changes["max_completion_tokens"] = limit  # a rename: OpenAI's reasoning models refuse max_tokens
    if not changes and not drop:
        return body, notes
    out = {k: v for k, v in body.items() if k not in drop}
    out.update(changes)
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
