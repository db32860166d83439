"""The Gemini error body, `{"error": {"code", "message", "status", "details"}}`, for any error."""

from __future__ import annotations

from typing import Any

from pointsman.errors import PointsmanError

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    431: "INVALID_ARGUMENT",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
"""google.rpc status names by HTTP status, as Google's APIs pair them."""

_TYPES = "type.googleapis.com/google.rpc."


def status_name(status: int) -> str:
    return STATUS_NAMES.get(status, "INTERNAL" if status >= 500 else "FAILED_PRECONDITION")


def to_gemini(error: PointsmanError) -> dict[str, Any]:
    """Google's SDKs raise on `code` and `status`; the details keep what OpenAI's shape would have
    said (`param` as a field violation, the error's code as the reason, Retry-After as RetryInfo)."""
    details: list[dict[str, Any]] = [
        {
            "@type": _TYPES + "ErrorInfo",
            "reason": (error.code or error.type).upper(),
            "domain": "pointsman",
        }
    ]
    if error.param:
        violation = {"field": error.param, "description": error.message}
        details.append({"@type": _TYPES + "BadRequest", "fieldViolations": [violation]})
    retry = next((v for k, v in error.headers() if k == b"retry-after"), None)
    if retry is not None and retry.isdigit():
        details.append({"@type": _TYPES + "RetryInfo", "retryDelay": retry.decode() + "s"})
    body = {"code": error.status, "message": error.message, "status": status_name(error.status)}
    return {"error": {**body, "details": details}}
