"""Config help that points the right way: suggestions from the section being parsed, and what
pointsman calls the things a LiteLLM config says; the README's migration example loads."""

from __future__ import annotations

import re

import pytest

from conftest import repo_root
from pointsman.compose import build
from pointsman.config.loader import parse_config
from pointsman.errors import ConfigError

PROVIDERS = "providers:\n  openai: {}\n"


def fails(text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "gw.yaml", env or {})
    return info.value.message


@pytest.mark.parametrize(
    ("text", "expected", "key"),
    [
        (PROVIDERS + "models:\n  m:\n    provider: openai\n    uptream: x\n", "models.m.uptream", "upstream"),
        ("providers:\n  p:\n    type: openai\n    base_ur: http://h\n", "providers.p.base_ur", "base_url"),
        ("routes:\n  r:\n    default: a\n    fallback: [b]\n", "routes.r.fallback", "fallbacks"),
        (
            "routes:\n  r:\n    default: a\n    rules:\n      - {to: a, when: {taks: [x]}}\n",
            "when.taks",
            "task",
        ),
        ("routes:\n  r:\n    default: a\n    hedge: {aftr: 1}\n", "routes.r.hedge.aftr", "after"),
        ("pools:\n  p:\n    members:\n      - {model: a, wieght: 2}\n", "members[0].wieght", "weight"),
        ("server:\n  keys:\n    - {id: a, key: k, tema: x}\n", "server.keys[0].tema", "team"),
        ("providers:\n  p:\n    timeouts: {conect: 1}\n", "providers.p.timeouts.conect", "connect"),
    ],
    ids=["model", "provider", "route", "rule-when", "hedge", "pool-member", "gateway-key", "timeouts"],
)
def test_a_misspelt_key_is_matched_against_its_own_section(text: str, expected: str, key: str) -> None:
    message = fails(text)
    assert f"{expected}: unknown key (did you mean '{key}'?)" in message, message


@pytest.mark.parametrize(
    ("text", "path", "elsewhere", "own"),
    [
        # `model` is a pool member's key, `members` a pool's, `retries` a route's: no help here
        ("health:\n  retries: 3\n", "gw.yaml:2: health.retries", "retries", "cooldown"),
        ("ledger:\n  max_fallback: 3\n", "gw.yaml:2: ledger.max_fallback", "max_fallbacks", "batch_size"),
        (
            PROVIDERS + "models:\n  m: {provider: openai, members: [a]}\n",
            "models.m.members",
            "members",
            "upstream",
        ),
    ],
)
def test_no_suggestion_from_another_section_the_own_keys_instead(
    text: str, path: str, elsewhere: str, own: str
) -> None:
    message = fails(text)
    assert f"{path}: unknown key; keys here: " in message, message
    assert f"'{elsewhere}'" not in message and own in message


LITELLM_HABITS = [
    (
        "model_list:\n  - model_name: gpt-4o\n"
        "    litellm_params: {model: openai/gpt-4o, api_key: os.environ/OPENAI_API_KEY}\n",
        "gw.yaml:1: model_list: LiteLLM's `model_list` is two sections in pointsman: `providers:`",
        'its first entry is `providers: {openai: {api_key: "${OPENAI_API_KEY}"}}` and '
        "`models: {gpt-4o: {provider: openai, upstream: gpt-4o}}`",
    ),
    (
        PROVIDERS + "models:\n  gpt-4o:\n    litellm_params:\n      model: openai/gpt-4o\n",
        "gw.yaml:5: models.gpt-4o.litellm_params: unknown key: LiteLLM's `litellm_params`",
        "write models.gpt-4o: {provider: openai, upstream: gpt-4o}",
    ),
    (
        PROVIDERS + "models:\n  m:\n    model: openai/gpt-4o\n",
        "gw.yaml:5: models.m.model: unknown key: LiteLLM's `model` is `provider` and `upstream`",
        "write models.m: {provider: openai, upstream: gpt-4o}",
    ),
    (
        "providers:\n  local:\n    type: openai\n    api_base: http://127.0.0.1:8000/v1\n",
        "gw.yaml:4: providers.local.api_base: unknown key: LiteLLM's `api_base` is `base_url`",
        "write providers.local.base_url",
    ),
    (
        "providers:\n  openai:\n    api_key: os.environ/OPENAI_API_KEY\n",
        "gw.yaml:3: providers.openai.api_key: `os.environ/OPENAI_API_KEY` is LiteLLM's",
        'pointsman reads the environment as "${OPENAI_API_KEY}"',
    ),
    (
        PROVIDERS + "models:\n  smart:\n    provider: openai\n    upstream: openai/gpt-4o\n",
        "gw.yaml:6: models.smart.upstream: `openai/` is LiteLLM's provider prefix",
        "write upstream: gpt-4o",
    ),
    (
        PROVIDERS + "models:\n  openai/gpt-4o: {provider: openai}\n",
        "gw.yaml:4: models.openai/gpt-4o: `openai/` is LiteLLM's provider prefix",
        "write upstream: gpt-4o",
    ),
    (
        "providers:\n  together: {}\nmodels:\n  llama:\n    provider: together\n"
        "    upstream: together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo\n",
        "gw.yaml:6: models.llama.upstream: `together_ai/` is LiteLLM's provider prefix",
        "write upstream: meta-llama/Llama-3.3-70B-Instruct-Turbo",
    ),
    (
        "litellm_settings:\n  num_retries: 3\n  drop_params: true\n",
        "gw.yaml:1: litellm_settings: LiteLLM's `litellm_settings` has no section of that name",
        "num_retries → routes.<name>.retries; drop_params: no equivalent, drop it",
    ),
    (
        "router_settings:\n  routing_strategy: least-busy\n  cooldown_time: 30\n",
        "gw.yaml:1: router_settings: LiteLLM's `router_settings`",
        "routing_strategy: least-busy → pools.<name>.strategy: least_busy; cooldown_time → health.cooldown",
    ),
    (
        "general_settings:\n  master_key: sk-1234\n",
        "gw.yaml:1: general_settings: LiteLLM's `general_settings`",
        "master_key → server.admin_key (admin routes) and server.keys: [{id, key}] (clients)",
    ),
    (
        "server:\n  port: 4000\n  master_key: sk-1234\n",
        "gw.yaml:3: server.master_key: unknown key: LiteLLM's `master_key` is server.admin_key",
        "server.keys: [{id, key}]",
    ),
    (
        "routes:\n  auto:\n    default: gpt-4o\n    fallbacks:\n      - gpt-4o: [claude, mini]\n",
        "gw.yaml:5: routes.auto.fallbacks[0]: LiteLLM's shape",
        "write routes.auto: {default: gpt-4o, fallbacks: [claude, mini]}",
    ),
    (
        "fallbacks:\n  - gpt-4o: [claude]\n",
        "gw.yaml:1: fallbacks: `fallbacks` at the top level has no section",
        "routes.<name>: {default: MODEL, fallbacks: [MODEL, ...]}",
    ),
    (
        PROVIDERS + "models:\n  m:\n    provider: openai\n    rpm: 100\n",
        "gw.yaml:6: models.m.rpm: unknown key: LiteLLM's `rpm` has no equivalent",
        "pools.<name>.members with a `weight` each",
    ),
    (
        PROVIDERS + "models:\n  m:\n    provider: openai\n    tpm: 100000\n",
        "gw.yaml:6: models.m.tpm: unknown key: LiteLLM's `tpm` has no equivalent",
        "pools.<name>.members",
    ),
]


@pytest.mark.parametrize(
    ("text", "where", "spelling"),
    LITELLM_HABITS,
    ids=[
        "model_list",
        "litellm_params",
        "model",
        "api_base",
        "os.environ",
        "prefixed-upstream",
        "prefixed-name",
        "litellm-prefix",
        "litellm_settings",
        "router_settings",
        "general_settings",
        "master_key",
        "fallbacks-dicts",
        "fallbacks-top",
        "rpm",
        "tpm",
    ],
)
def test_a_litellm_habit_is_named_with_file_line_key_and_the_pointsman_spelling(
    text: str, where: str, spelling: str
) -> None:
    message = fails(text, {"OPENAI_API_KEY": "sk-secret-value"})
    assert message.startswith(where), message
    assert spelling in message, message
    assert "sk-1234" not in message and "sk-secret-value" not in message  # a value may be a secret


def test_a_slash_in_an_upstream_id_that_is_the_vendors_own_passes() -> None:
    config = parse_config(
        "providers:\n  openrouter: {}\n  groq: {}\nmodels:\n"
        "  a: {provider: openrouter, upstream: openai/gpt-4o}\n"
        "  b: {provider: groq, upstream: openai/gpt-oss-120b}\n",
        "gw.yaml",
        {},
    )
    assert config.models["a"].upstream == "openai/gpt-4o"


def _readme_yaml(section: str) -> list[str]:
    text = (repo_root() / "README.md").read_text("utf-8")
    start = text.index(f"## {section}")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```yaml\n(.*?)```", text[start : end if end != -1 else None], re.S)


def test_the_readme_migration_example_loads_and_its_litellm_side_is_explained() -> None:
    litellm, pointsman = _readme_yaml("Coming from LiteLLM")
    message = fails(litellm)
    assert message.startswith("gw.yaml:1: model_list: LiteLLM's `model_list`"), message
    env = {"OPENAI_API_KEY": "sk-o", "ANTHROPIC_API_KEY": "sk-a", "POINTSMAN_KEY": "pm-k"}
    config = parse_config(pointsman, "README.md", env)
    gateway = build(config)  # what a start does: every route's targets resolved
    assert config.providers["local"].base_url == "http://127.0.0.1:11434/v1"
    assert gateway.catalog.resolve("claude").upstream == "claude-sonnet-4-6"
    assert config.routes["auto"].fallbacks == ("claude",)
    assert config.server.keys[0].key == "pm-k"
