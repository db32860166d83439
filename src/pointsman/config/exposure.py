"""Whether a config would open the gateway's /v1 to the network with no keys (`serve` refuses to
start so; `config check` warns)."""

from __future__ import annotations

import ipaddress

from pointsman.config.schema import ServerConfig


def open_without_keys(server: ServerConfig) -> str | None:
    """What is wrong with listening as configured, or None when it is safe (or allowed on purpose)."""
    if server.keys or server.allow_open or is_loopback(server.host):
        return None
    return (
        f"listening on {server.host}:{server.port} with no gateway keys would let anyone who can reach "
        "it spend your provider keys. Add server.keys, listen on 127.0.0.1, or set "
        "server.allow_open: true if something in front of the gateway authenticates clients."
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # any other name may resolve to any address
