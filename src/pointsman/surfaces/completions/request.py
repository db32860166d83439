"""A legacy completions request → the canonical request: the prompt becomes one user message.

What has a chat equivalent is carried (`max_tokens`, `temperature`, `top_p`, `n`, `stop`, `user`,
`seed`, the penalties, `logit_bias`, `logprobs` as `logprobs` + `top_logprobs`); `echo` is done
here. What has none is a 400 naming the field, never a silent drop: several prompts, token ids,
`suffix`, `best_of` above `n`, `echo` with `logprobs`. Fields this surface does not know pass
through, as on /v1/chat/completions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pointsman.errors import InvalidRequest
from pointsman.providers.base import Json
from pointsman.shape import optional_object, string_list, type_name

_OURS = frozenset({"prompt", "suffix", "echo", "best_of", "logprobs", "metadata", "stream_options"})
"""Read here (`metadata` only tags the ledger: legacy completions have no such field upstream)."""


@dataclass(frozen=True, slots=True)
class Legacy:
    """What rendering the answer back needs from the original request."""

    prompt: str
    echo: bool
    include_usage: bool


def to_canonical(body: Json) -> tuple[Json, Legacy]:
    prompt = _prompt(body.get("prompt"))
    _refuse_suffix(body.get("suffix"))
    echo = _flag(body, "echo")
    logprobs = _logprobs(body.get("logprobs"))
    if echo and logprobs is not None:
        raise InvalidRequest(
            "'echo' with 'logprobs' asks for the prompt's own token logprobs, which a chat model does "
            "not return; drop one of them.",
            param="echo",
        )
    _check_best_of(body)
    out: Json = {k: v for k, v in body.items() if k not in _OURS}
    out["messages"] = [{"role": "user", "content": prompt}]
    if logprobs is not None:
        out["logprobs"] = True
        out["top_logprobs"] = logprobs
    stop = body.get("stop")
    if stop is not None:
        string_list(stop, "stop")
    optional_object(body.get("logit_bias"), "logit_bias")
    options = body.get("stream_options")
    if options is not None and type(options) is not dict:
        raise InvalidRequest("'stream_options' must be an object.", param="stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    if out.get("stream") is True:  # the gateway counts every streamed token: ask for the usage
        out["stream_options"] = {"include_usage": True}
    return out, Legacy(prompt, echo, include_usage)


def _prompt(value: Any) -> str:
    if value is None:
        raise InvalidRequest("Missing required parameter: 'prompt'.", param="prompt")
    if type(value) is list:
        if len(value) == 1 and type(value[0]) is str:
            value = value[0]
        elif value and all(type(v) is str for v in value):
            raise InvalidRequest(
                f"'prompt' holds {len(value)} prompts; this gateway completes one prompt per request: "
                "send each as its own request.",
                param="prompt",
            )
        elif value and all(type(v) is int or type(v) is list for v in value):
            raise InvalidRequest(
                "'prompt' is token ids; the model that answers may use another tokenizer, so this "
                "gateway takes the prompt as text: send a string.",
                param="prompt",
            )
    if type(value) is not str:
        raise InvalidRequest(
            f"'prompt' must be a string (or an array of one string), got {type_name(value)}.", param="prompt"
        )
    if not value:
        raise InvalidRequest("'prompt' is empty; send the text to complete.", param="prompt")
    return value


def _refuse_suffix(value: Any) -> None:
    if value is None or value == "":
        return
    raise InvalidRequest(
        "'suffix' (text to insert before) has no equivalent in the chat models this gateway routes "
        "to; send the whole text in 'prompt' instead.",
        param="suffix",
    )


def _flag(body: Json, name: str) -> bool:
    value = body.get(name)
    if value is not None and type(value) is not bool:
        raise InvalidRequest(f"'{name}' must be a boolean, got {type_name(value)}.", param=name)
    return value is True


def _logprobs(value: Any) -> int | None:
    """Legacy `logprobs: k` (k tokens' alternatives) is chat's `logprobs` with `top_logprobs: k`."""
    if value is None:
        return None
    if type(value) is not int or value < 0:
        raise InvalidRequest(
            f"'logprobs' must be a non-negative integer, got {_shown(value)}.", param="logprobs"
        )
    return value


def _check_best_of(body: Json) -> None:
    best_of, n = body.get("best_of"), body.get("n")
    if best_of is None:
        return
    if type(best_of) is not int or best_of < 1:
        raise InvalidRequest(f"'best_of' must be a positive integer, got {_shown(best_of)}.", param="best_of")
    wanted = n if type(n) is int else 1
    if best_of < wanted:
        raise InvalidRequest(f"'best_of' ({best_of}) must be at least 'n' ({wanted}).", param="best_of")
    if best_of > wanted:
        raise InvalidRequest(
            f"'best_of' ({best_of}) above 'n' ({wanted}) asks for the candidates to be ranked by their "
            "log probability, which this gateway does not do: drop it, or ask for n candidates and "
            "choose among them.",
            param="best_of",
        )


def _shown(value: Any) -> str:
    return str(value) if type(value) is int else type_name(value)
