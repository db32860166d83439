"""The one composition root: every part of a gateway, built from its config.

The app, the CLI, the benchmarks and the tests all build through `build()`, and inject what they
need to replace (the upstream transport, the clock, the ledger store, the health state) here, never
by reaching into the parts afterwards.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TextIO

from pointsman.api.auth import Auth
from pointsman.catalog.catalog import Catalog, build_catalog, price_lists
from pointsman.clock import Clock, SystemClock
from pointsman.config.loader import vendors
from pointsman.config.schema import Config
from pointsman.config.yamlsource import Path
from pointsman.engine import Engine, Parts
from pointsman.errors import ConfigError
from pointsman.learned.online import AbilityBook, learn_from
from pointsman.ledger.journal import Journal
from pointsman.ledger.sink import BatchingLedger, LedgerState, LedgerStore
from pointsman.ledger.sqlite import SQLiteStore
from pointsman.providers.base import Endpoint, Provider
from pointsman.providers.registry import PRESETS, build_provider
from pointsman.redact import Redactor, header_secrets, url_secrets
from pointsman.routing.hinted import HintedRouter
from pointsman.routing.router import RouteRouter
from pointsman.shadow import ShadowMonitor, build_monitor
from pointsman.state.health import Health, LocalHealth
from pointsman.telemetry.access import AccessLog
from pointsman.tokens import TokenCounter
from pointsman.upstream.client import UpstreamClient
from pointsman.upstream.proxy import proxy_authorization


def redactor_of(config: Config) -> Redactor:
    """One redactor for every secret the config holds: provider keys, secret header values,
    credentials in base URLs and proxy URLs (and the Proxy-Authorization made of them), the gateway
    keys and the admin key."""
    found = [key.key for key in config.server.keys] + [config.server.admin_key]
    for p in config.providers.values():
        found += [p.api_key, *header_secrets(p.headers), *url_secrets(p.base_url)]
        if p.proxy:
            found += [*url_secrets(p.proxy), proxy_authorization(p.proxy).removeprefix("Basic ")]
    return Redactor(found)


def endpoints(config: Config, redactor: Redactor) -> dict[str, Endpoint]:
    out = {}
    for name, p in config.providers.items():
        preset = PRESETS.get(p.preset)
        out[name] = Endpoint(
            name=name,
            type=p.type,
            base_url=p.base_url,
            api_key=p.api_key,
            auth_header=p.auth_header,
            headers=dict(p.headers),
            connect_timeout=p.timeouts.connect,
            read_timeout=p.timeouts.read,
            stream_usage=bool(p.stream_usage),
            strip_fields=preset.strip_fields if preset else (),
            features=preset.features if preset else frozenset(),
            ca_file=p.ca_file,
            proxy=p.proxy or "",
            redactor=redactor,
        )
    return out


def config_fail(config: Config) -> Callable[[Path, str], ConfigError]:
    """Errors that name the config file, line and key (`gw.yaml:12: routes.auto.default: ...`)."""

    def fail(path: Path, problem: str) -> ConfigError:
        return config.locate(path, problem)

    return fail


def catalog_of(config: Config) -> Catalog:
    return build_catalog(config, vendors(config), price_lists(config), config_fail(config))


def router_of(
    config: Config,
    catalog: Catalog,
    health: Health,
    rng: Callable[[], float] = random.random,
    book: AbilityBook | None = None,
) -> RouteRouter:
    """Every route's targets resolved and rules compiled now, so a mistake fails at start."""
    return RouteRouter(config, catalog, health, fail=config_fail(config), rng=rng, book=book)


def hinted(router: RouteRouter, health: Health) -> HintedRouter:
    """The router a request meets: its route's decision, then the request's own hints applied."""

    def learns(name: str) -> bool:
        route = router.routes.get(name)
        return route is not None and route.learned is not None

    return HintedRouter(router, health.stats, learns)


def planner(config: Config, health: Health | None = None) -> tuple[Catalog, HintedRouter]:
    """Routing alone, as a gateway built from `config` decides (library mode): no providers, no
    ledger, no network."""
    catalog = catalog_of(config)
    health = health or LocalHealth(config.health)
    return catalog, hinted(router_of(config, catalog, health), health)


class Gateway:
    """Everything a running gateway holds; nothing global."""

    def __init__(
        self,
        config: Config,
        *,
        transport: UpstreamClient | None,
        clock: Clock,
        ledger_store: LedgerStore | None,
        health: Health | None,
        rng: Callable[[], float],
        token_executor: Executor | None,
        access_out: TextIO | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.catalog = catalog_of(config)
        self.auth = Auth(config.server)
        self.access_log = AccessLog(config.server.access_log, access_out)
        self.body_limits = (config.server.max_body_bytes, config.server.body_timeout)
        redactor = redactor_of(config)  # reaches every place a provider's words become an error
        self.providers: dict[str, Provider] = {
            n: build_provider(e) for n, e in endpoints(config, redactor).items()
        }
        self.ledger = BatchingLedger(
            ledger_store or SQLiteStore(config.ledger.path),
            Journal(config.ledger.journal_folder()),
            batch_size=config.ledger.batch_size,
            flush_interval=config.ledger.flush_interval,
            max_held=config.ledger.max_held_rows,
        )
        self._upstream = transport
        # two threads: large prompts are counted beside the event loop without taking every core
        self._token_executor = token_executor or ThreadPoolExecutor(2, thread_name_prefix="pointsman-tokens")
        self.tokens = TokenCounter(self._token_executor)
        self.health = health or LocalHealth(config.health, clock=clock.now)
        self.abilities = AbilityBook()
        """What feedback (`POST /v1/feedback`) and shadow verdicts taught the learned routes while
        this gateway runs."""
        self.router = router_of(config, self.catalog, self.health, rng, self.abilities)
        strict = config.translation.strict
        parts = Parts(self.providers, self.upstream, self.tokens, self.health, clock, rng, strict)
        self.engine = Engine(hinted(self.router, self.health), parts)
        self.shadow: ShadowMonitor = build_monitor(
            config, self.router.routes, self.catalog, parts, config_fail(config)
        )
        """Routing-accuracy monitoring: told of each answered request once the client has it."""
        self.shadow.connect(self._verdict)
        self.ready = False
        self.ledger_state: LedgerState | None = None
        """How the ledger ended (set at shutdown): rows left in the journal, rows lost."""

    def _verdict(self, model: str, decision: Mapping[str, Any], agreed: bool) -> None:
        """A shadow verdict is a score too: 1 when the cheap answer was as good as the strong one's."""
        learn_from(self.abilities, model, decision, 1.0 if agreed else 0.0, None)

    def upstream(self) -> UpstreamClient:
        assert self._upstream is not None, "the gateway has not started"
        return self._upstream

    def check(self) -> None:
        """Open what must work before the first request (the ledger); raises ConfigError naming the
        setting when it cannot. `startup()` does this too; `serve` calls it first for a clear exit."""
        self.ledger.open()

    async def startup(self) -> None:
        if self._upstream is None:
            self._upstream = UpstreamClient()  # its connections belong to the running loop
        await self.ledger.start()
        self.shadow.start()
        self.ready = True

    async def shutdown(self) -> None:
        self.ready = False
        self.access_log.flush()
        await self.shadow.close()  # shadow calls in flight finish (briefly) before the upstream closes
        self.ledger_state = await self.ledger.close()
        if self._upstream is not None:
            await self._upstream.close()
        self._token_executor.shutdown(wait=False, cancel_futures=True)


def build(
    config: Config,
    *,
    transport: UpstreamClient | None = None,
    clock: Clock | None = None,
    ledger_store: LedgerStore | None = None,
    health: Health | None = None,
    rng: Callable[[], float] = random.random,
    token_executor: Executor | None = None,
    access_out: TextIO | None = None,
) -> Gateway:
    """A gateway from `config`; raises ConfigError naming the file, line and key of a mistake.
    `token_executor` counts large prompts (default: two threads of the gateway's own). `access_out`:
    where access lines go (default: the `pointsman.access` logger)."""
    return Gateway(
        config,
        transport=transport,
        clock=clock or SystemClock(),
        ledger_store=ledger_store,
        health=health,
        rng=rng,
        token_executor=token_executor,
        access_out=access_out,
    )
