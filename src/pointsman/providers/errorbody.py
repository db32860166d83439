"""What every wire's error classifier needs first: the error, read once into what may be repeated.

This is the boundary where a provider's text becomes part of a gateway error (and so of a client's
response, a trace, the ledger and the logs): every string taken from the provider passes the
gateway's redactor here and is bounded in length. Classifiers read `error` to decide, and copy only
the fields of `UpstreamErrorBody`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from pointsman.providers.base import Endpoint, UpstreamResponse

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

    return UpstreamErrorBody(
        error,
        f"provider '{endpoint.name}' returned {response.status}: {detail}",
        detail,
        field(error.get("param")),
        field(error.get("code")),
        field(response.headers.get("retry-after")),
    )
