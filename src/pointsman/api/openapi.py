"""GET /openapi.json: pointsman's own API, described in `openapi.yaml` beside this module."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import orjson
import yaml

from pointsman.api.http import send_json
from pointsman.api.request import Request

if TYPE_CHECKING:
    from pointsman.compose import Gateway


def description() -> dict[str, Any]:
    text = files("pointsman.api").joinpath("openapi.yaml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@cache
def _document() -> bytes:
    """Read once: the description ships with the package and does not change while it runs."""
    return orjson.dumps(description())


async def openapi(gateway: Gateway, request: Request) -> None:
    await send_json(request.send, 200, _document(), [request.id_header])
