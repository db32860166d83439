"""Every error pointsman raises or returns, in one tree.

    PointsmanError                     500 server_error
    ├── ConfigError                    (start-up only: never reaches a client)
    ├── ClientError                    the request itself is at fault
    │   ├── InvalidRequest             400 invalid_request_error
    │   ├── AuthenticationFailed       401 authentication_error
    │   ├── PermissionDenied           403 permission_error
    │   ├── NotFound                   404 not_found_error
    │   │   └── ModelNotFound          404 (code model_not_found)
    │   ├── MethodNotAllowed           405
    │   ├── RequestTimeout             408 (code request_timeout): headers or body too slow
    │   ├── PayloadTooLarge            413
    │   └── HeadersTooLarge            431
    ├── GatewayUnavailable             503: at the connection cap, or shutting down
    └── UpstreamError                  a provider failed us; `retryable` tells the engine what to do
        ├── UpstreamRejected           the provider refused the request (4xx): status passes through
        │   ├── UpstreamRateLimited    429, keeps Retry-After
        │   ├── ContextLengthExceeded  400 (code context_length_exceeded)
        │   └── ContentFiltered        400 (code content_filter)
        ├── UpstreamServerError        5xx from the provider        → 502
        │   └── UpstreamOverloaded     529 / 503 overloaded         → 503
        ├── UpstreamUnavailable        refused / reset / DNS        → 502
        ├── UpstreamTimeout            no answer in time            → 504
        └── UpstreamProtocolError      an answer we cannot parse    → 502

Each class knows the HTTP status a client sees and the OpenAI `error.type`; `to_openai()` renders
the body (the canonical shape; each other surface words it in its own errors.py, under surfaces/).
Providers classify their own vendor errors (by status and structured body) into this tree.
"""

from __future__ import annotations

from typing import Any


class PointsmanError(Exception):
    status: int = 500
    type: str = "server_error"
    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    def headers(self) -> list[tuple[bytes, bytes]]:
        return []

    def to_openai(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class ConfigError(PointsmanError):
    """A configuration file is wrong; raised at start, names the file, the key path and the problem."""


class ClientError(PointsmanError):
    status = 400
    type = "invalid_request_error"


class InvalidRequest(ClientError):
    pass


class AuthenticationFailed(ClientError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class PermissionDenied(ClientError):
    status = 403
    type = "permission_error"


class NotFound(ClientError):
    status = 404
    type = "not_found_error"


class ModelNotFound(NotFound):
    type = "invalid_request_error"
    code = "model_not_found"


class MethodNotAllowed(ClientError):
    status = 405

    def __init__(self, message: str, *, allow: str) -> None:
        super().__init__(message)
        self.allow = allow

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"allow", self.allow.encode())]  # RFC 9110: a 405 says which methods are


class PayloadTooLarge(ClientError):
    status = 413
    code = "request_too_large"


class LedgerUnavailable(PointsmanError):
    """The ledger store cannot be read or written now (a report from it would be wrong)."""

    status = 503
    type = "ledger_unavailable"


class RequestTimeout(ClientError):
    """The request did not arrive in time; the connection is closed after the answer."""

    status = 408
    code = "request_timeout"

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"connection", b"close")]


class HeadersTooLarge(ClientError):
    status = 431
    code = "request_header_fields_too_large"


class GatewayUnavailable(PointsmanError):
    """The gateway cannot take the request now (`code` says why); clients may retry after a moment."""

    status = 503

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"retry-after", b"1")]


class UpstreamError(PointsmanError):
    """A provider did not give a usable answer. `provider` names it; the key never appears."""

    status = 502
    type = "upstream_error"
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        upstream_status: int | None = None,
        retry_after: str | None = None,
        param: str | None = None,
        code: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, param=param, code=code, status=status)
        self.provider = provider
        self.upstream_status = upstream_status
        self.retry_after = retry_after

    def headers(self) -> list[tuple[bytes, bytes]]:
        if self.retry_after is None:
            return []
        return [(b"retry-after", self.retry_after.encode("latin-1", "replace"))]


class UpstreamRejected(UpstreamError):
    """The provider refused the request with a 4xx; the client sees the same status."""

    type = "invalid_request_error"

    def __init__(self, message: str, *, upstream_status: int = 400, **kw: Any) -> None:
        kw.setdefault("status", upstream_status)
        super().__init__(message, upstream_status=upstream_status, **kw)
        self.type = _TYPE_BY_STATUS.get(self.status, "invalid_request_error")


class UpstreamRateLimited(UpstreamRejected):
    retryable = True

    def __init__(self, message: str, **kw: Any) -> None:
        kw.setdefault("upstream_status", 429)
        super().__init__(message, **kw)
        self.type = "rate_limit_error"


class ContextLengthExceeded(UpstreamRejected):
    code = "context_length_exceeded"
    tokens: int | None = None
    limit: int | None = None
    """The prompt's tokens and the window, when the gateway counted them itself."""


class ContentFiltered(UpstreamRejected):
    code = "content_filter"


class UpstreamServerError(UpstreamError):
    retryable = True


class UpstreamOverloaded(UpstreamServerError):
    status = 503
    type = "overloaded_error"


class UpstreamUnavailable(UpstreamError):
    retryable = True


class UpstreamTimeout(UpstreamError):
    status = 504
    type = "timeout_error"
    retryable = True


class UpstreamProtocolError(UpstreamError):
    retryable = True


_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}
