"""What to say about a config mistake: the close keys of the section it sits in, and what pointsman
calls the things people arriving from LiteLLM write (README, "Coming from LiteLLM").

Suggestions come from the one section being parsed: a key of another section is no help there
(`models.x.model` is not a pool member's `model`). Messages never repeat a value that could be a
secret; model names and environment variable names are not secrets.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec.inspect as mi

from pointsman.config.schema import POOL_STRATEGIES, ModelConfig

Part = str | int

_TOP_LEVEL = {
    "model_list": "",  # explained from its own entries (`_model_list`)
    "litellm_settings": "LiteLLM's `litellm_settings`",
    "router_settings": "LiteLLM's `router_settings`",
    "general_settings": "LiteLLM's `general_settings`",
    "environment_variables": "LiteLLM's `environment_variables`",
    "fallbacks": "`fallbacks` at the top level",
}

# the keys of LiteLLM's settings sections → pointsman's spelling
_SETTINGS = {
    "num_retries": "routes.<name>.retries",
    "timeout": "routes.<name>.deadline (seconds until the answer starts) or providers.<name>.timeouts.read",
    "request_timeout": "routes.<name>.deadline (seconds until the answer starts) or "
    "providers.<name>.timeouts.read",
    "fallbacks": "routes.<name>: {default: MODEL, fallbacks: [MODEL, ...]}",
    "context_window_fallbacks": "routes.<name>.fallbacks (a model too small is skipped for the next tier)",
    "content_policy_fallbacks": "routes.<name>.fallbacks with on_content_filter: fallback",
    "routing_strategy": f"pools.<name>.strategy (one of {', '.join(POOL_STRATEGIES)})",
    "allowed_fails": "health.failures",
    "cooldown_time": "health.cooldown",
    "master_key": "server.admin_key (admin routes) and server.keys: [{id, key}] (clients)",
    "database_url": "ledger.path (an SQLite file)",
}

# LiteLLM's routing strategies → pointsman's pool strategies
_STRATEGIES = {
    "simple-shuffle": "weighted",
    "least-busy": "least_busy",
    "latency-based-routing": "latency",
    "cost-based-routing": "cheapest",
}

# LiteLLM's provider prefixes that differ from pointsman's preset names
LITELLM_PREFIXES = {
    "together_ai": "together",
    "fireworks_ai": "fireworks",
    "dashscope": "qwen",
    "ollama_chat": "ollama",
    "hosted_vllm": "vllm",
    "lm_studio": "lmstudio",
}


def unknown_section(name: str, value: Any, sections: Sequence[str]) -> str:
    if name == "model_list":
        return _model_list(value)
    if name in _TOP_LEVEL:
        return f"{_TOP_LEVEL[name]} has no section of that name in pointsman; {_settings(value)}"
    close = difflib.get_close_matches(name, sections, n=1, cutoff=0.5)
    hint = f" (did you mean '{close[0]}'?)" if close else f"; sections are: {', '.join(sections)}"
    return f"unknown section{hint}"


def _settings(value: Any) -> str:
    """Where each key of a LiteLLM settings section goes."""
    if isinstance(value, list):  # top-level `fallbacks: [{a: [b]}]`
        return _SETTINGS["fallbacks"]
    keys = [str(k) for k in value] if isinstance(value, dict) else []
    known = [k for k in keys if k in _SETTINGS]
    parts = [f"{k} → {_SETTINGS[k]}" for k in known]
    strategy = value.get("routing_strategy") if isinstance(value, dict) else None
    if isinstance(strategy, str) and strategy in _STRATEGIES:
        parts[known.index("routing_strategy")] = (
            f"routing_strategy: {strategy} → pools.<name>.strategy: {_STRATEGIES[strategy]}"
        )
    others = [k for k in keys if k not in _SETTINGS]
    if others:
        parts.append(f"{', '.join(others)}: no equivalent, drop {'it' if len(others) == 1 else 'them'}")
    return "; ".join(parts) or "move what it sets to server, routes, pools or health"


def _model_list(value: Any) -> str:
    head = (
        "LiteLLM's `model_list` is two sections in pointsman: `providers:` (where to call: base_url, "
        "api_key) and `models:` (a mapping of name → {provider, upstream})"
    )
    first = value[0] if isinstance(value, list) and value else None
    if not isinstance(first, dict) or not isinstance(first.get("model_name"), str):
        return head
    params = first.get("litellm_params")
    model = params.get("model") if isinstance(params, dict) else None
    if not isinstance(params, dict) or not isinstance(model, str):
        return head
    provider, upstream = split_litellm_model(model)
    settings = []
    key = params.get("api_key")
    if key is not None:  # its value may be the key itself: only an environment variable's name is shown
        env = key[len("os.environ/") :] if isinstance(key, str) and key.startswith("os.environ/") else ""
        settings.append(f'api_key: "${{{env or "ENV_VAR"}}}"')
    if params.get("api_base") is not None:
        settings.append("base_url: <its api_base>")
    return (
        f"{head}; its first entry is `providers: {{{provider}: {{{', '.join(settings)}}}}}` and "
        f"`models: {{{first['model_name']}: {_provider_upstream(provider, upstream)}}}`"
    )


def split_litellm_model(model: str) -> tuple[str, str]:
    """`openai/gpt-4o` → ("openai", "gpt-4o"); `together_ai/x/y` → ("together", "x/y")."""
    prefix, _, rest = model.partition("/")
    if not rest:
        return "PROVIDER", model
    return LITELLM_PREFIXES.get(prefix, prefix), rest


def _provider_upstream(provider: str, upstream: str) -> str:
    return f"{{provider: {provider}, upstream: {upstream}}}"


def unknown_key(root: Any, where: Sequence[Part], key: str, path: Sequence[Part], value: Any) -> str:
    """The message for `key`, not a field of the struct at `where` inside the struct type `root`.
    `path` is the key's whole path in the file, `value` the raw mapping that holds it."""
    struct = struct_at(root, where)
    habit = _key_habit(struct, key, path, value)
    if habit:
        return f"unknown key: {habit}"
    keys = [f.name for f in struct.fields] if struct is not None else []
    close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
    if close:
        return f"unknown key (did you mean '{close[0]}'?)"
    return f"unknown key; keys here: {', '.join(keys)}" if keys else "unknown key"


def _key_habit(struct: mi.StructType | None, key: str, path: Sequence[Part], held: Any) -> str:
    owner = ".".join(str(p) for p in path[:2])
    is_model = struct is not None and struct.cls is ModelConfig
    if key == "api_base":
        provider = held.get("provider") if isinstance(held, dict) else None
        target = (
            f"{owner}.base_url"
            if path[0] == "providers"
            else f"providers.{provider or '<provider>'}.base_url"
        )
        return f"LiteLLM's `api_base` is `base_url` in pointsman: write {target}"
    if key == "litellm_params":
        spelled = _spelled(held.get(key) if isinstance(held, dict) else None)
        return (
            "LiteLLM's `litellm_params` are the model's own keys in pointsman: "
            + (f"write {owner}: {spelled}" if spelled else f"{owner}: {{provider, upstream}}")
            + "; api_base and api_key go to providers.<provider>.base_url and api_key"
        )
    if key == "model" and is_model:
        spelled = _spelled(held)
        return "LiteLLM's `model` is `provider` and `upstream` in pointsman" + (
            f": write {owner}: {spelled}" if spelled else ""
        )
    if key == "model_name":
        return f"LiteLLM's `model_name` is the model's key under `models:` in pointsman ({owner})"
    if key == "master_key":
        return f"LiteLLM's `master_key` is {_SETTINGS['master_key']} in pointsman"
    if key in ("rpm", "tpm"):
        return (
            f"LiteLLM's `{key}` has no equivalent: pointsman does not cap requests per model; to spread "
            "load over deployments, list them in pools.<name>.members with a `weight` each"
        )
    return ""


def _spelled(params: Any) -> str:
    """LiteLLM's `{model: openai/gpt-4o}` as pointsman's `{provider: openai, upstream: gpt-4o}`."""
    model = params.get("model") if isinstance(params, dict) else None
    return _provider_upstream(*split_litellm_model(model)) if isinstance(model, str) else ""


def fallbacks_shape(route: str, fallbacks: Any) -> str:
    """LiteLLM's `fallbacks: [{gpt-4o: [claude]}]` given to a route: the pointsman spelling."""
    if not isinstance(fallbacks, list) or not any(isinstance(f, dict) for f in fallbacks):
        return ""
    first = next(f for f in fallbacks if isinstance(f, dict))
    model, tiers = next(iter(first.items()), ("MODEL", []))
    listed = ", ".join(str(t) for t in tiers) if isinstance(tiers, list) else str(tiers)
    return (
        "LiteLLM's shape ({model: [fallbacks]}); a pointsman route lists its tiers by name: write "
        f"routes.{route}: {{default: {model}, fallbacks: [{listed}]}}"
    )


def prefixed_upstream(upstream: str, provider: str, preset: str) -> str:
    """`openai/gpt-4o` sent to OpenAI: LiteLLM's provider prefix, which the vendor rejects."""
    prefix, _, rest = upstream.partition("/")
    if not rest or LITELLM_PREFIXES.get(prefix, prefix) not in (provider, preset):
        return ""
    return (
        f"`{prefix}/` is LiteLLM's provider prefix; in pointsman the provider is `provider: {provider}` "
        f"and the upstream id is the provider's own: write upstream: {rest}"
    )


def struct_at(root: Any, where: Sequence[Part]) -> mi.StructType | None:
    """The struct type at `where` (field names and list indexes) inside the type `root`."""
    info: mi.Type | None = _struct(mi.type_info(root))
    for part in where:
        info = _step(info, part)
    found = _struct(info)
    return found if isinstance(found, mi.StructType) else None


def _struct(info: mi.Type | None) -> mi.Type | None:
    """A struct out of `X | None`."""
    if isinstance(info, mi.UnionType):
        return next((t for t in info.types if isinstance(t, mi.StructType)), None)
    return info


def _step(info: mi.Type | None, part: Part) -> mi.Type | None:
    info = _struct(info)
    if isinstance(info, mi.StructType) and isinstance(part, str):
        fields: Mapping[str, mi.Type] = {f.name: f.type for f in info.fields}
        return fields.get(part)
    if isinstance(info, (mi.VarTupleType, mi.ListType)) and isinstance(part, int):
        return info.item_type
    if isinstance(info, mi.DictType):
        return info.value_type
    return None


def raw_at(value: Any, where: Sequence[Part]) -> Any:
    """The raw YAML value at `where`, or None."""
    for part in where:
        if isinstance(value, dict) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value
