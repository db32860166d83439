"""Which HTTP proxy a provider's calls go through: its own `proxy:` setting, or the environment's
HTTPS_PROXY / HTTP_PROXY unless NO_PROXY covers its host. Pure: the loader passes the environment in.

The semantics are curl's and Python's: the lowercase variable wins over the uppercase one; NO_PROXY
is a comma-separated list of `*` (nothing is proxied), host names that match themselves and every
name under them (`example.com`, `.example.com` and `*.example.com` alike), IP addresses and CIDR
ranges, each optionally with `:port`. Loopback is not bypassed by itself (as with curl): list
`localhost,127.0.0.1` in NO_PROXY for local providers.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

DIRECT = ("none", "direct")
"""What `proxy:` says to connect straight to the provider, whatever the environment sets."""

_SPLIT = re.compile(r"[,\s]+")


def from_environment(base_url: str, env: Mapping[str, str]) -> tuple[str, str]:
    """The proxy the environment sets for calls to `base_url` ("" for none), and the variable's name."""
    parts = urlsplit(base_url)
    names = ("https_proxy", "HTTPS_PROXY") if parts.scheme == "https" else ("http_proxy", "HTTP_PROXY")
    for name in names:
        value = env.get(name, "").strip()
        if value:
            break
    else:
        return "", ""
    no_proxy = env.get("no_proxy", "").strip() or env.get("NO_PROXY", "")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if bypassed(parts.hostname or "", port, no_proxy):
        return "", ""
    return value, name


def bypassed(host: str, port: int, no_proxy: str) -> bool:
    """Whether NO_PROXY's list covers `host` (a name or an address) at `port`."""
    host = host.lower().rstrip(".").strip("[]")
    address = _address(host)
    for entry in _SPLIT.split(no_proxy.strip()):
        if not entry:
            continue
        if entry == "*":
            return True
        name, entry_port = _split_port(entry)
        if entry_port is not None and entry_port != port:
            continue
        network = _network(name)
        if network is not None:
            if address is not None and address in network:
                return True
            continue
        domain = name.lower().rstrip(".").lstrip("*").lstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    """`host:port`, `[v6]:port`, a bare IPv6 address or a CIDR range, into the host and the port."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, int(port) if port.isdigit() else None
    if entry.count(":") == 1:
        host, _, port = entry.partition(":")
        if port.isdigit():
            return host, int(port)
    return entry, None


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def check_proxy_url(url: str) -> tuple[str, str]:
    """`url` made whole (`host:port` alone means http://), and what is wrong with it ("" if nothing)."""
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme != "http":
        return url, (
            f"a {parts.scheme}:// proxy is not supported; give an http:// proxy "
            "(calls to https:// providers are tunnelled through it with CONNECT, still encrypted end to end)"
        )
    try:
        parts.port  # noqa: B018  # raises on a port that is not a number
    except ValueError:
        return url, "the proxy's port is not a number"
    if not parts.hostname:
        return url, "the proxy URL names no host"
    if parts.path not in ("", "/") or parts.query:
        return url, "a proxy URL is scheme://[user:password@]host[:port], with no path"
    return url, ""
