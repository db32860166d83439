"""`pointsman prices refresh` from an OpenRouter-shaped list served over HTTP: prices land on each
vendor's own model ids (the ones the built-in list and the providers use), and no row is made for an
id the vendor would reject."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from conftest import Gateway, repo_root, user
from pointsman.catalog.pricelist import builtin_price_list, read_price_list
from pointsman.compose import catalog_of
from pointsman.config.loader import parse_config
from pointsman.errors import ConfigError
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.base import FakeModel
from pointsman.serving import BackgroundServers

FIXTURE = repo_root() / "tests" / "fixtures" / "openrouter_vendor_ids.json"
KEY = "sk-ant-refresh-test"

# what the fixture's vendor rows must be: each vendor's own spelling, and nothing else
VENDOR_ROWS = {
    ("anthropic", "claude-sonnet-4-6"),
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-haiku-4-5"),
    ("anthropic", "claude-3-5-haiku-latest"),
    ("openai", "gpt-4.1"),
    ("openai", "gpt-5-chat-latest"),
    ("gemini", "gemini-2.5-pro"),
    ("mistral", "mistral-large-latest"),
    ("deepseek", "deepseek-chat"),
    ("xai", "grok-4.7"),
}
# OpenRouter's own variants and spellings that no vendor serves: priced for OpenRouter only
OPENROUTER_ONLY = [
    "anthropic/claude-3.7-sonnet:thinking",
    "anthropic/claude-3-sonnet",
    "openai/o4-mini-high",
    "openai/gpt-oss-120b",
    "google/gemini-flash-1.5",
    "mistralai/mistral-medium-3.1",
    "deepseek/deepseek-chat-v3.1",
]


@pytest.fixture(scope="module")
def model_list_url() -> Iterator[str]:
    """OpenRouter's `GET /api/v1/models`, played by a tiny HTTP server on loopback."""
    body = FIXTURE.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = 200 if self.path == "/api/v1/models" else 404
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body) if status == 200 else 0))
            self.end_headers()
            if status == 200:
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/models"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def prices(model_list_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prices") / "prices.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "pointsman", "prices", "refresh", "--from", model_list_url, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return out


def test_vendor_rows_carry_the_vendors_own_ids_and_no_rejected_one(prices: Path) -> None:
    rows = {(r.provider, r.model): r for r in read_price_list(str(prices)).models}
    assert {k for k in rows if k[0] != "openrouter"} == VENDOR_ROWS
    for ident in OPENROUTER_ONLY:
        assert ("openrouter", ident) in rows  # still priced for calls through OpenRouter
    sonnet = rows[("anthropic", "claude-sonnet-4-5")]
    assert (sonnet.input, sonnet.output, sonnet.cached_input, sonnet.cache_write) == (
        Decimal("3"),
        Decimal("15"),
        Decimal("0.3"),
        Decimal("3.75"),
    )
    assert rows[("openrouter", "anthropic/claude-sonnet-4.5")].input == Decimal("3")


def test_refreshed_prices_replace_the_builtin_rows_of_the_same_ids(prices: Path) -> None:
    builtin = {(r.provider, r.model): r for r in builtin_price_list().models}
    shared = VENDOR_ROWS & set(builtin)
    assert {m for _, m in shared} >= {"claude-sonnet-4-6", "gpt-4.1", "gemini-2.5-pro", "deepseek-chat"}
    presets = sorted({vendor for vendor, _ in VENDOR_ROWS})
    text = "providers:\n" + "".join(f"  {p}: {{api_key: k}}\n" for p in presets)
    config = parse_config(text + f"catalog:\n  prices_file: {prices}\n", "gw.yaml", {})
    catalog = catalog_of(config)
    refreshed = {(r.provider, r.model): r for r in read_price_list(str(prices)).models}
    for vendor, model in sorted(shared):
        found = catalog.resolve(f"{vendor}/{model}")
        assert (found.upstream, found.origin) == (model, "prices-file")
        assert found.price == refreshed[(vendor, model)].price != builtin[(vendor, model)].price


def test_a_refresh_keeps_the_tiers_and_skills_it_knows_and_a_users_own_edits(
    prices: Path, model_list_url: str, tmp_path: Path
) -> None:
    rows = {(r.provider, r.model): r for r in read_price_list(str(prices)).models}
    for key in (("anthropic", "claude-sonnet-4-6"), ("openrouter", "anthropic/claude-sonnet-4.6")):
        assert (rows[key].tier, rows[key].skills) == ("strong", {"code": 0.9})  # the built-in list's
    assert rows[("deepseek", "deepseek-chat")].tier == "strong"
    edited = tmp_path / "prices.yaml"
    doc = yaml.safe_load(prices.read_text())
    for row in doc["models"]:
        if (row["provider"], row["model"]) == ("deepseek", "deepseek-chat"):
            row.update(tier="frontier", skills={"maths": 0.95})
    edited.write_text(yaml.safe_dump(doc))
    assert read_price_list(str(edited)) != read_price_list(str(prices))
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "pointsman",
            "prices",
            "refresh",
            "--from",
            model_list_url,
            "--out",
            str(edited),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    deepseek = {(r.provider, r.model): r for r in read_price_list(str(edited)).models}[
        ("deepseek", "deepseek-chat")
    ]
    assert (deepseek.tier, deepseek.skills) == ("frontier", {"maths": 0.95})


def test_every_builtin_chat_model_has_a_tier_and_a_bad_one_in_a_list_is_named(tmp_path: Path) -> None:
    for row in builtin_price_list().models:
        assert bool(row.tier) == ("embeddings" not in row.capabilities), row.model
    bad = tmp_path / "prices.yaml"
    bad.write_text(
        'checked: "2026-11-29"\nmodels:\n  - {provider: x, model: m, input: "1", output: "2"}\n'
        '  - provider: x\n    model: n\n    input: "1"\n    output: "2"\n    tier: genius\n'
    )
    with pytest.raises(ConfigError, match=r"prices\.yaml:8: models\[1\]\.tier: n: unknown tier 'genius'"):
        read_price_list(str(bad))


@pytest.fixture(scope="module")
def anthropic_fake(servers: BackgroundServers) -> FakeAnthropic:
    fake = FakeAnthropic({"claude-sonnet-4-5": FakeModel(reply="priced")}, api_key=KEY)
    return servers.start_fake(fake)  # type: ignore[return-value]


def test_a_request_for_anthropics_own_id_is_priced_from_the_refreshed_list(
    make_gateway: Callable[..., Gateway], anthropic_fake: FakeAnthropic, prices: Path
) -> None:
    gw = make_gateway(
        text=f"providers:\n  anthropic: {{base_url: '{anthropic_fake.url}/v1', api_key: {KEY}}}\n"
        f"catalog: {{prices_file: '{prices}'}}\nledger: {{path: '{{ledger}}'}}\n"
    )
    raw = gw.client().chat.completions.with_raw_response.create(
        model="claude-sonnet-4-5", messages=user("hello")
    )
    usage = raw.parse().usage
    assert usage is not None and anthropic_fake.seen[-1].model == "claude-sonnet-4-5"
    expected = (Decimal(usage.prompt_tokens) * 3 + Decimal(usage.completion_tokens) * 15) / 1_000_000
    assert Decimal(raw.headers["x-pointsman-cost-usd"]) == expected


@pytest.mark.parametrize(
    ("openrouter", "vendor"),
    [
        ("anthropic/claude-sonnet-4.5", ("anthropic", "claude-sonnet-4-5")),
        ("anthropic/claude-opus-4.1", ("anthropic", "claude-opus-4-1")),
        ("anthropic/claude-sonnet-4", ("anthropic", "claude-sonnet-4-0")),  # Claude 4's alias
        ("anthropic/claude-3.5-haiku", ("anthropic", "claude-3-5-haiku-latest")),  # Claude 3.x's alias
        ("anthropic/claude-3.5-haiku-20241022", ("anthropic", "claude-3-5-haiku-20241022")),
        ("anthropic/claude-3-haiku", ("anthropic", "claude-3-haiku-20240307")),  # it has no alias
        ("anthropic/claude-opus-5", ("anthropic", "claude-opus-5")),
        ("anthropic/claude-2.1", None),  # retired
        ("anthropic/claude-3.5-sonnet:beta", None),
        ("openai/gpt-5.4", ("openai", "gpt-5.4")),  # OpenAI keeps its dots
        ("openai/gpt-4o-2024-11-20", ("openai", "gpt-4o-2024-11-20")),
        ("openai/codex-mini", ("openai", "codex-mini-latest")),
        ("openai/o3-mini-high", None),
        ("openai/gpt-5-image-mini", None),
        ("google/gemini-3.1-flash-lite-preview", ("gemini", "gemini-3.1-flash-lite-preview")),
        ("google/gemma-3-27b-it", ("gemini", "gemma-3-27b-it")),
        ("google/gemini-pro-1.5", None),
        ("mistralai/mistral-large-2411", ("mistral", "mistral-large-2411")),
        ("mistralai/codestral-2508", ("mistral", "codestral-2508")),
        ("mistralai/mistral-small-24b-instruct-2501", None),
        ("deepseek/deepseek-reasoner", ("deepseek", "deepseek-reasoner")),
        ("deepseek/deepseek-r1-0528", None),
        ("meta-llama/llama-3.3-70b-instruct", None),  # no vendor preset: OpenRouter's row only
    ],
)
def test_openrouter_ids_map_to_the_vendors_own(openrouter: str, vendor: tuple[str, str] | None) -> None:
    from pointsman.providers.vendor_ids import vendor_model

    assert vendor_model(openrouter) == vendor
