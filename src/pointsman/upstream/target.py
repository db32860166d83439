"""A request's destination, worked out once per URL, header set and proxy: where to connect, and
the request head to send (absolute-form through a proxy to an http:// provider)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pointsman.upstream.proxy import Proxy, parse_proxy

Key = tuple[str, int, bool, str]
"""What a pooled connection leads to: host, port, TLS, and the proxy it goes through ("" for none)."""


@dataclass(frozen=True, slots=True)
class Target:
    """A request's destination, parsed once per URL, header set and proxy."""

    host: str
    port: int
    tls: bool
    head: bytes
    """Request line and headers up to (not including) Content-Length."""
    ca_file: str = ""
    proxy: Proxy | None = None
    key: Key = ("", 0, False, "")


def make_target(url: str, headers: Mapping[str, str], ca_file: str, proxy: str) -> Target:
    parts = urlsplit(url)
    tls = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if tls else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = host if parts.port is None else f"{host}:{port}"
    via = parse_proxy(proxy) if proxy else None
    if via is not None and not tls:  # to the proxy itself: the request names the whole URL
        path = f"http://{host_header}{path}"
    lines = [f"POST {path} HTTP/1.1", f"host: {host_header}"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("host", "content-length")]
    if via is not None and not tls and via.authorization:
        lines.append(f"proxy-authorization: {via.authorization}")
    head = ("\r\n".join(lines) + "\r\n").encode("latin-1")
    return Target(host, port, tls, head, ca_file, via, (host, port, tls, proxy))
