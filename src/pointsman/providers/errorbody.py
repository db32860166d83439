"""What every wire's error classifier needs first: the error, read once into what may be repeated.

This is the boundary where a provider's text becomes part of a gateway error (and so of a client's
response, a trace, the ledger and the logs): every string taken from the provider passes the
gateway's redactor here and is bounded in length. Classifiers read `error` to decide, and copy only
the fields of `UpstreamErrorBody`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from pointsman.providers.base import Endpoint, UpstreamResponse
from pointsman.redact import safe_url

MESSAGE_LIMIT = 2000
"""Characters of a provider's message a client sees (a proxy's error page can be megabytes)."""
FIELD_LIMIT = 200
"""Characters of a provider's `param`, `code` or Retry-After that are copied."""


def error_object(body: bytes) -> dict[str, Any]:
    """The `error` object of a JSON error body ({} when there is none)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    error = data.get("error", data)
    if isinstance(error, str):
        return {"message": error}
    return error if isinstance(error, dict) else {}


@dataclass(slots=True)
class UpstreamErrorBody:
    error: dict[str, Any]
    """The provider's error object as sent: to classify by, never to copy from."""
    message: str
    """For the client: `provider 'x' returned 500: <the provider's message>`."""
    detail: str
    """The provider's own message (redacted, bounded): its wording, for classifiers that need it."""
    param: str | None
    code: str | None
    retry_after: str | None


def read_error(endpoint: Endpoint, response: UpstreamResponse) -> UpstreamErrorBody:
    error = error_object(response.body)
    redactor = endpoint.redactor
    detail = error.get("message")
    if isinstance(detail, str) and detail:
        detail = redactor.bounded(detail, MESSAGE_LIMIT)
    else:
        body_type = response.headers.get("content-type", "no content type").split(";")[0]
        detail = f"HTTP {response.status} ({redactor.bounded(body_type, FIELD_LIMIT)} body)"

    def field(value: Any) -> str | None:
        return redactor.bounded(value, FIELD_LIMIT) if isinstance(value, str) else None

    message = f"provider '{endpoint.name}' returned {response.status}: {detail}"
    if response.status == 404 and response.url:
        message += not_found_hint(endpoint, response.url)
    return UpstreamErrorBody(
        error,
        message,
        detail,
        field(error.get("param")),
        field(error.get("code")),
        field(response.headers.get("retry-after")),
    )


_VERSIONED = re.compile(r"/v\d+[a-z0-9]*(?:/|$)")
"""A version segment in a base URL's path (/v1, /v1beta, /openai/v1): every provider's API has one."""


def not_found_hint(endpoint: Endpoint, url: str) -> str:
    """What a 404 adds: the path that was called (redacted; the host stays out of what clients
    read), and the commonest cause, a base_url without its version."""
    called = urlsplit(safe_url(url))
    path = endpoint.redactor.bounded(called.path + (f"?{called.query}" if called.query else ""), FIELD_LIMIT)
    hint = f" (the gateway called POST {path}"
    if _VERSIONED.search(urlsplit(endpoint.base_url).path) is None:
        version = "/v1beta" if endpoint.type == "gemini" else "/v1"
        hint += (
            f"; providers.{endpoint.name}.base_url has no version in its path: most servers answer "
            f"under {version}, so it should probably end in {version})"
        )
    else:
        hint += f"; check providers.{endpoint.name}.base_url and the model's upstream id)"
    return hint
