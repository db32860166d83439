"""Per-request routing hints, read from headers and body fields into one value. Pure.

- `x-pointsman-quality` / body `pointsman.quality`: a learned route's target for this request, a
  number in (0, 1] or a preset name (frugal, balanced, premium);
- `x-pointsman-max-price` / body `pointsman.max_price`: USD per million tokens, a number (blended
  as routing prices a typical turn: three tokens read for each written, (3 × input + output) / 4)
  or `{prompt, completion}` (each limit on its own, as OpenRouter's `provider.max_price`);
- OpenRouter's `models: [...]` (tried in order after `model`) and `provider: {sort, max_price}`.

Every one of these fields is taken out of the body before it goes anywhere: a provider that does
not know them would refuse the request. OpenRouter's `provider` object goes back, as sent, only to
a provider whose preset declares `provider_routing` (see providers/registry.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pointsman.config.schema import QUALITY_PRESETS
from pointsman.errors import InvalidRequest
from pointsman.shape import need_object, type_name

BODY = "pointsman"
"""The body field of the gateway's own hints: no provider has a field of that name."""
QUALITY_HEADER = "x-pointsman-quality"
PRICE_HEADER = "x-pointsman-max-price"
SORTS = ("price", "latency", "throughput")
MAX_MODELS = 10
"""Models a `models` list may name: each is routed, and a plan that long is failover enough."""
_OWN_KEYS = ("quality", "max_price")
_PRICE_KEYS = ("prompt", "completion")


@dataclass(frozen=True, slots=True)
class PriceLimit:
    """USD per million tokens; a candidate above any limit set here is not tried."""

    source: str
    """Where the limit came from (the header or the body field), named in notes and errors."""
    blended: float | None = None
    prompt: float | None = None
    completion: float | None = None

    def describe(self) -> str:
        parts = [f"{v:g} {k}" for k, v in (("blended", self.blended), ("prompt", self.prompt),
                 ("completion", self.completion)) if v is not None]  # fmt: skip
        return f"{', '.join(parts)} USD/M ({self.source})"


@dataclass(frozen=True, slots=True)
class Hints:
    quality: float | None = None
    quality_from: str = ""
    """What was asked and where: `premium (x-pointsman-quality)`."""
    limits: tuple[PriceLimit, ...] = ()
    models: tuple[str, ...] = ()
    """OpenRouter's `models` as sent: tried in order after the request's `model` (a model already in
    the plan is not tried twice)."""
    sort: str = ""
    forward: dict[str, Any] | None = None
    """OpenRouter's `provider` object as sent, for a provider that takes it."""
    ignored: tuple[str, ...] = ()
    """Parts of OpenRouter's `provider` object this gateway does not apply itself."""

    def __bool__(self) -> bool:
        return bool(self.quality_from or self.limits or self.models or self.sort or self.forward)

    def json(self) -> dict[str, Any]:
        """For the trace: what the request asked of routing."""
        out: dict[str, Any] = {}
        if self.quality_from:
            out["quality"] = self.quality
            out["quality_from"] = self.quality_from
        if self.limits:
            out["max_price"] = [limit.describe() for limit in self.limits]
        if self.models:
            out["models"] = list(self.models)
        if self.sort:
            out["sort"] = self.sort
        if self.ignored:
            out["not_applied_here"] = list(self.ignored)
        return out


NO_HINTS = Hints()

Header = Callable[[str], str | None]


def take_hints(body: dict[str, Any], header: Header) -> Hints:
    """The request's hints; the hint fields are removed from `body`. Raises InvalidRequest naming
    the header or field of a bad value."""
    own = body.pop(BODY, None)
    models = body.pop("models", None)
    provider = body.pop("provider", None)
    quality_text, price_text = header(QUALITY_HEADER), header(PRICE_HEADER)
    if own is None and models is None and provider is None and quality_text is None and price_text is None:
        return NO_HINTS  # the usual request: nothing allocated
    quality, quality_from = None, ""
    limits: list[PriceLimit] = []
    if quality_text is not None:
        quality = _quality(quality_text.strip(), QUALITY_HEADER)
        quality_from = f"{quality_text.strip()} ({QUALITY_HEADER})"
    if price_text is not None:
        limits.append(PriceLimit(PRICE_HEADER, blended=_price(price_text.strip(), PRICE_HEADER)))
    if own is not None:
        asked = _own(need_object(own, BODY), limits)
        if asked is not None:  # the body is the more specific: it wins over the header
            quality, quality_from = asked
    sort, forward = "", None
    ignored: tuple[str, ...] = ()
    if provider is not None:
        forward = need_object(provider, "provider")
        sort, ignored = _sort(forward.get("sort")), _provider(forward, limits)
    return Hints(quality, quality_from, tuple(limits), _models(models, body), sort, forward, ignored)


def _own(own: dict[str, Any], limits: list[PriceLimit]) -> tuple[float, str] | None:
    """The body's `pointsman` object: its quality (with where it was asked), its limit added."""
    unknown = [k for k in own if k not in _OWN_KEYS]
    if unknown:
        raise InvalidRequest(
            f"{BODY}.{unknown[0]} is not a routing hint; {BODY} takes {', '.join(_OWN_KEYS)}.",
            param=f"{BODY}.{unknown[0]}",
        )
    if own.get("max_price") is not None:
        limits.append(_limit(own["max_price"], f"{BODY}.max_price", blended=True))
    if own.get("quality") is None:
        return None
    return _quality(own["quality"], f"{BODY}.quality"), f"{own['quality']} ({BODY}.quality)"


def _provider(provider: dict[str, Any], limits: list[PriceLimit]) -> tuple[str, ...]:
    """OpenRouter's `provider` object: its token price limit added; returns the parts it has that
    this gateway does not apply (an OpenRouter provider does, when it gets the object)."""
    ignored = tuple(f"provider.{k}" for k in provider if k not in ("sort", "max_price"))
    if provider.get("max_price") is not None:
        limit = _limit(provider["max_price"], "provider.max_price", blended=False)
        if limit.prompt is not None or limit.completion is not None:
            limits.append(limit)
        others = (k for k in provider["max_price"] if k not in _PRICE_KEYS)  # per request, per image
        ignored += tuple(f"provider.max_price.{k}" for k in others)
    return ignored


def _quality(value: Any, where: str) -> float:
    if isinstance(value, str) and value in QUALITY_PRESETS:
        return QUALITY_PRESETS[value]
    number = _number(value)
    if number is None or not 0 < number <= 1:
        presets = ", ".join(QUALITY_PRESETS)
        raise InvalidRequest(
            f"{where}: {_shown(value)} is neither a number in (0, 1] nor one of {presets}.", param=where
        )
    return number


def _price(value: Any, where: str) -> float:
    number = _number(value)
    if number is None or number < 0:
        raise InvalidRequest(
            f"{where}: {_shown(value)} is not a price: give USD per million tokens, a number ≥ 0.",
            param=where,
        )
    return number


def _limit(value: Any, where: str, *, blended: bool) -> PriceLimit:
    """A number (blended, where allowed) or `{prompt, completion}`."""
    if blended and not isinstance(value, dict):
        return PriceLimit(where, blended=_price(value, where))
    value = need_object(value, where)
    prices = {k: _price(value[k], f"{where}.{k}") for k in _PRICE_KEYS if value.get(k) is not None}
    if not prices and not any(k in value for k in ("request", "image")):
        raise InvalidRequest(f"{where} must give prompt or completion (USD per million tokens).", param=where)
    return PriceLimit(where, prompt=prices.get("prompt"), completion=prices.get("completion"))


def _sort(value: Any) -> str:
    if isinstance(value, dict):  # OpenRouter's longer form: {by: price, partition: ...}
        value = value.get("by")
    if value is None:
        return ""
    if value not in SORTS:
        raise InvalidRequest(
            f"provider.sort: {_shown(value)} is not one of {', '.join(SORTS)}.", param="provider.sort"
        )
    return str(value)


def _models(value: Any, body: dict[str, Any]) -> tuple[str, ...]:
    if value is None:
        return ()
    if type(value) is not list or not all(type(m) is str and m for m in value):
        raise InvalidRequest("models must be an array of model names.", param="models")
    if len(value) > MAX_MODELS:
        raise InvalidRequest(f"models names {len(value)} models; at most {MAX_MODELS}.", param="models")
    if not isinstance(body.get("model"), str) or not body["model"]:
        if not value:
            raise InvalidRequest("models is empty and there is no model.", param="models")
        body["model"] = value[0]  # OpenRouter's form without `model`: the list's first is it
    return tuple(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if number == number and number not in (float("inf"), float("-inf")) else None
    return None


def _shown(value: Any) -> str:
    if isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return repr(value)[:60]
    return type_name(value)
