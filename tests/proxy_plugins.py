"""A plugin for the proxy.py program the proxy tests run: names under `.pointsman.test` resolve to
loopback inside the proxy only. The gateway cannot resolve them (`.test` never resolves), so a
provider at such a name is reachable through the proxy and nowhere else."""

from __future__ import annotations

from proxy.http.proxy import HttpProxyBasePlugin

ONLY_THROUGH_THE_PROXY = ".pointsman.test"


class LoopbackNames(HttpProxyBasePlugin):
    def resolve_dns(self, host: str, port: int) -> tuple[str | None, None]:
        return ("127.0.0.1" if host.endswith(ONLY_THROUGH_THE_PROXY) else None), None
