"""Gateway keys and the admin key. Keys are held hashed; the ledger sees only a key's id."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs

from pointsman.api.http import Scope, header
from pointsman.config.schema import ServerConfig
from pointsman.errors import AuthenticationFailed, PermissionDenied


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def presented_key(scope: Scope) -> str | None:
    """OpenAI SDKs send `Authorization: Bearer`; Anthropic's sends `x-api-key` (or Bearer too);
    Google's send `x-goog-api-key`, and Gemini's REST API also takes `?key=`."""
    value = header(scope, b"authorization")
    if value is not None:
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else value.strip()
    value = header(scope, b"x-api-key") or header(scope, b"x-goog-api-key")
    if value is None and b"key=" in scope.get("query_string", b""):
        keys = parse_qs(scope["query_string"].decode("latin-1")).get("key")
        value = keys[-1] if keys else None
    return value


class Auth:
    def __init__(self, server: ServerConfig) -> None:
        self._keys = {_digest(k.key): k.id for k in server.keys}
        self._teams = {k.id: k.team for k in server.keys}
        self._admin = _digest(server.admin_key) if server.admin_key else None

    @property
    def required(self) -> bool:
        return bool(self._keys)

    def key_id(self, scope: Scope) -> str:
        """The id of the gateway key presented, or '' when the gateway runs without keys."""
        if not self._keys:
            return ""
        key = presented_key(scope)
        if not key:
            raise AuthenticationFailed(
                "This gateway requires a key: send it as `Authorization: Bearer <key>` (the SDKs' api_key)."
            )
        key_id = self._keys.get(_digest(key))
        if key_id is None:
            raise AuthenticationFailed("The gateway key is not valid. Check the api_key your client sends.")
        return key_id

    def team(self, key_id: str) -> str:
        return self._teams.get(key_id, "")

    def admin(self, scope: Scope) -> None:
        if self._admin is None:
            raise PermissionDenied("Admin routes are disabled: set server.admin_key in the config.")
        key = presented_key(scope)
        if not key or not hmac.compare_digest(_digest(key), self._admin):
            raise AuthenticationFailed("Admin routes need the admin key as `Authorization: Bearer <key>`.")
