"""A wrong config fails at start naming the file, line, key and problem; presets and prices fill in."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import repo_root
from pointsman.compose import catalog_of
from pointsman.config.loader import load_config, parse_config
from pointsman.errors import ConfigError

GOOD = """
providers:
  openai: {api_key: sk-x}
  mine: {type: openai, base_url: "http://127.0.0.1:9/v1"}
models:
  fast: {provider: openai, upstream: gpt-4o-mini}
  cheap: {provider: mine, input: 0.1, output: 0.2}
aliases:
  default: fast
"""


def fails(text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "gw.yaml", env or {})
    return info.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("server:\n  prot: 80\n", "gw.yaml:2: server.prot: unknown key (did you mean 'port'?)"),
        ("sever:\n  port: 80\n", "gw.yaml:1: sever: unknown section (did you mean 'server'?)"),
        ("server:\n  port: eighty\n", "gw.yaml:2: server.port: Expected `int`, got `str`"),
        ("server:\n  port: 70000\n", "gw.yaml:2: server.port: port must be 0..65535"),
        (
            "providers:\n  x:\n    type: openai\n    base_url: http://h/v1\n    timeouts: {conect: 1}\n",
            "gw.yaml:5: providers.x.timeouts.conect: unknown key (did you mean 'connect'?)",
        ),
        (
            "providers:\n  x: {type: grpc, base_url: http://h}\n",
            "providers.x.type: unknown wire type; supported: openai",
        ),
        ("providers:\n  x: {base_url: http://h}\n", "providers.x: missing `type`"),
        ("providers:\n  x: {type: openai}\n", "providers.x.base_url: missing base_url"),
        ("providers:\n  x: {preset: nosuch}\n", "providers.x.preset: unknown preset; known: anthropic"),
        (
            "providers:\n  x: {type: openai, base_url: ftp://h}\n",
            "providers.x.base_url: must start with http",
        ),
        (
            "providers:\n  x: {type: openai, base_url: 'https://h', ca_file: /no/ca.pem}\n",
            "gw.yaml:2: providers.x.ca_file: no such file: /no/ca.pem",
        ),
        ("models:\n  m: {provider: ghost}\n", "gw.yaml:2: models.m.provider: unknown provider 'ghost'"),
        (
            "providers:\n  openai: {}\nmodels:\n  m: {provider: openai, input: -1}\n",
            "models.m.input: a price",
        ),
        (
            "providers:\n  openai: {}\nmodels:\n  m:\n    provider: openai\n    capabilities: [telepathy]\n",
            "gw.yaml:6: models.m.capabilities: unknown capability telepathy",
        ),
        ("models:\n  m: {}\n", "models.m: Object missing required field `provider`"),
        (
            "providers:\n  openai: {}\naliases:\n  a: gpt-4o-mnii\n",
            "gw.yaml:4: aliases.a: target 'gpt-4o-mnii' is not a model in the catalog "
            "(did you mean gpt-4o-mini",
        ),
        (
            "providers:\n  openai:\n    api_key: ${NOT_SET_ANYWHERE}\n",
            "gw.yaml:3: providers.openai.api_key: environment variable NOT_SET_ANYWHERE is not set",
        ),
        ("server: [1, 2\n", "gw.yaml:2: not valid YAML"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        (
            "providers:\n  openai: {}\naliases:\n  a: {b: c}\n",
            "gw.yaml:4: aliases.a: an alias names one model",
        ),
        (
            "server:\n  keys:\n    - {id: a, key: k1}\n    - {id: a, key: k2}\n",
            "server.keys[1].id: duplicate key id",
        ),
    ],
)
def test_wrong_config_names_file_line_key_and_problem(text: str, expected: str) -> None:
    assert expected in fails(text)


def test_good_config_with_presets_env_and_builtin_prices() -> None:
    text = GOOD.replace("models:\n", "models:\n  smart: {provider: openai, upstream: gpt-4o, output: 9.5}\n")
    config = parse_config(text, "gw.yaml", {})
    openai = config.providers["openai"]
    assert (openai.type, openai.base_url, openai.auth_header) == (
        "openai",
        "https://api.openai.com/v1",
        "authorization",
    )
    catalog = catalog_of(config)
    fast = catalog.resolve("fast")
    assert fast.price is not None and fast.price.input == Decimal("0.15") and fast.origin == "config"
    smart = catalog.resolve("smart")
    assert (
        smart.price is not None
        and smart.price.output == Decimal("9.5")
        and smart.price.input == Decimal("2.5")
    )
    assert catalog.resolve("default").name == "fast"
    assert catalog.resolve("gpt-4o").origin == "builtin"  # built-in rows of the openai vendor
    assert catalog.resolve("openai/gpt-4o-mini").name == "fast"
    cheap = catalog.resolve("mine/cheap")
    assert cheap.name == "cheap" and cheap.price is not None and cheap.price.input == Decimal("0.1")


def test_env_references_and_preset_key_variables() -> None:
    env = {"MY_KEY": "sk-from-env", "DEEPSEEK_API_KEY": "sk-ds"}
    config = parse_config("providers:\n  a: {preset: groq, api_key: '${MY_KEY}'}\n  deepseek: {}\n", "x", env)
    assert config.providers["a"].api_key == "sk-from-env"
    assert config.providers["a"].base_url.endswith("/openai/v1")
    assert config.providers["deepseek"].api_key == "sk-ds"
    config = parse_config("providers:\n  a: {preset: groq, api_key: '${UNSET:-}'}\n", "x", {})
    assert config.providers["a"].api_key == ""


def test_yaml_floats_become_exact_decimals() -> None:
    config = parse_config(
        "providers:\n  o: {preset: openai}\nmodels:\n  m: {provider: o, input: 0.1, output: 0.7}\n", "x", {}
    )
    assert config.models["m"].input == Decimal("0.1") and config.models["m"].output == Decimal("0.7")


def test_config_is_frozen() -> None:
    config = parse_config(GOOD, "gw.yaml", {})
    with pytest.raises(AttributeError):
        config.server.port = 1  # type: ignore[misc]


def test_example_config_passes_check() -> None:
    path = repo_root() / "examples" / "pointsman.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "pointsman", "config", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "provider    openai" in result.stdout
    assert "route       auto: 5 rule(s) first, then default fast; fallbacks smart" in result.stdout
    learned = "route       smart-auto: 1 rule(s) first, then learned:balanced over fast (tier:mid), "
    assert learned + "deepseek-chat (catalog), smart (tier:strong); fallbacks smart" in result.stdout
    load_config(str(path))


def test_config_check_fails_non_zero_naming_the_typo(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("server:\n  host: 127.0.0.1\n  prot: 4000\n")
    result = subprocess.run(
        [sys.executable, "-m", "pointsman", "config", "check", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"{bad}:3: server.prot: unknown key (did you mean 'port'?)" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "pointsman", "serve", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "server.prot" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "providers:\n  oai: {type: openai, base_url: 'http://a/v1'}\n  oai: {type: openai, base_url: 'http://b/v1'}\n",
            "gw.yaml:3: providers.oai: duplicate key (first at line 2)",
        ),
        ("server: {port: 1, host: h, port: 2}\n", "gw.yaml:1: server.port: duplicate key (first at line 1)"),
        (
            "routes:\n  r:\n    default: a\n    rules:\n      - {to: a, to: b}\n",
            "gw.yaml:5: routes.r.rules[0].to: duplicate key",
        ),
    ],
)
def test_a_duplicated_key_is_an_error_naming_it(text: str, expected: str) -> None:
    assert expected in fails(text)


def test_more_fallbacks_than_max_fallbacks_is_an_error_not_a_silent_cut() -> None:
    text = "routes:\n  r:\n    default: a\n    fallbacks: [b, c, d]\n"
    assert "routes.r.fallbacks: lists 3 tiers but max_fallbacks is 2" in fails(text)


def test_an_env_reference_in_a_flow_mapping_gets_a_hint_to_quote_it() -> None:
    message = fails("server:\n  keys: [{id: a, key: ${GW_KEY}}]\n", {"GW_KEY": "k"})
    assert message.startswith("gw.yaml:2: not valid YAML") and 'needs quotes: write "${VAR}"' in message
    config = parse_config('server:\n  keys: [{id: a, key: "${GW_KEY}"}]\n', "gw.yaml", {"GW_KEY": "k1234"})
    assert config.server.keys[0].key == "k1234"
