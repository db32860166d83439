"""Reading hints (routing/hints.py) and applying them to a plan (routing/hinted.py), on their own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pointsman.catalog.model import CatalogModel
from pointsman.catalog.price import Price
from pointsman.errors import InvalidRequest
from pointsman.routing.hinted import above, blended
from pointsman.routing.hints import NO_HINTS, PriceLimit, take_hints


def hints_of(body: dict[str, Any], **headers: str) -> Any:
    named = {k.replace("_", "-"): v for k, v in headers.items()}
    return take_hints(body, named.get)


def test_a_request_without_hints_allocates_nothing() -> None:
    body = {"model": "auto", "messages": []}
    assert hints_of(body) is NO_HINTS
    assert body == {"model": "auto", "messages": []}


def test_every_hint_field_leaves_the_body() -> None:
    body = {"model": "a", "pointsman": {"quality": 0.5}, "models": ["b"], "provider": {"sort": "latency"}}
    hints = hints_of(body)
    assert body == {"model": "a"}
    assert (hints.quality, hints.models, hints.sort) == (0.5, ("b",), "latency")


def test_openrouters_longer_sort_and_limits_it_does_not_apply_here() -> None:
    hints = hints_of({"model": "a", "provider": {"sort": {"by": "throughput"}, "max_price": {"request": 1}}})
    assert hints.sort == "throughput"
    assert hints.limits == ()  # no limit on tokens: nothing is excluded here
    assert hints.ignored == ("provider.max_price.request",)


@pytest.mark.parametrize("value", ["nan", "inf", "-0.5", "true", ""])
def test_a_price_header_must_be_a_finite_number(value: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        hints_of({"model": "a"}, x_pointsman_max_price=value)
    assert caught.value.param == "x-pointsman-max-price"


@pytest.mark.parametrize("value", [True, 0, 1.01, [0.5], {"q": 1}])
def test_a_body_quality_is_a_number_in_range_or_a_preset(value: Any) -> None:
    with pytest.raises(InvalidRequest) as caught:
        hints_of({"model": "a", "pointsman": {"quality": value}})
    assert caught.value.param == "pointsman.quality"


def test_models_alone_starts_with_its_first_and_is_bounded() -> None:
    body: dict[str, Any] = {"models": ["x", "y"]}
    assert hints_of(body).models == ("x", "y")
    assert body["model"] == "x"
    with pytest.raises(InvalidRequest, match="at most 10"):
        hints_of({"model": "a", "models": [f"m{i}" for i in range(11)]})


def test_prices_are_blended_three_read_to_one_written() -> None:
    model = CatalogModel("big", "p", "big-1", Price(Decimal("2.50"), Decimal("10")))
    assert blended(model) == 4.375
    assert above(model, PriceLimit("h", blended=4.375)) == ""
    assert above(model, PriceLimit("h", blended=4)) == "blended 4.375 USD/M > 4 (h)"
    assert above(model, PriceLimit("h", prompt=3, completion=9)) == "completion 10 USD/M > 9 (h)"
    unpriced = CatalogModel("local", "p", "x", None)
    assert above(unpriced, PriceLimit("h", blended=100)) == "its price is unknown (h)"
