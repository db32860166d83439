"""Read a config file once into frozen objects; fail loudly, naming the file, line and key.

This is the only module that reads the environment (for `${VAR}` references and presets' keys).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Any

import msgspec
import orjson

from pointsman.catalog.catalog import build_catalog, price_lists
from pointsman.config import hints
from pointsman.config.proxies import DIRECT, check_proxy_url, from_environment
from pointsman.config.routes import check_routes
from pointsman.config.schema import (
    ACCESS_LOG_FORMATS,
    CAPABILITIES,
    CatalogConfig,
    Config,
    HealthConfig,
    LearnedConfig,
    LedgerConfig,
    ModelConfig,
    PoolConfig,
    ProviderConfig,
    RouteConfig,
    ServerConfig,
    TranslationConfig,
)
from pointsman.config.yamlsource import Path, YamlDocument, substitute_env
from pointsman.errors import ConfigError
from pointsman.learned.skills import SKILLS, TIERS
from pointsman.providers.registry import PRESETS, WIRE_TYPES

_SECTIONS: dict[str, Any] = {
    "server": ServerConfig,
    "ledger": LedgerConfig,
    "catalog": CatalogConfig,
    "health": HealthConfig,
    "translation": TranslationConfig,
    "learned": LearnedConfig,
}
_MAPS: dict[str, Any] = {
    "providers": ProviderConfig,
    "models": ModelConfig,
    "routes": RouteConfig,
    "pools": PoolConfig,
}
_TOP = [*_SECTIONS, *_MAPS, "aliases"]
_AT = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\.\.\.\]")
_UNKNOWN = re.compile(r"unknown field `([^`]+)`")


_UNSHOWN = "(the value is not repeated here: it may be a key put in the wrong place)"


def _unknown(what: str, value: str, known: list[str], label: str) -> str:
    """Which values are allowed, never the value given: a provider's fields are where a key
    pasted one line off lands, and config errors are printed and logged."""
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown {what}{hint}; {label}: {', '.join(known)} {_UNSHOWN}"


def _convert(doc: YamlDocument, value: Any, kind: Any, path: Path) -> Any:
    try:
        return msgspec.convert(value if value is not None else {}, kind)
    except msgspec.ValidationError as exc:
        match = _AT.match(str(exc))
        assert match is not None
        message, sub = match.group("msg"), match.group("path") or ""
        inner: list[str | int] = []
        for name, index in _PART.findall(sub):
            if name or index:  # `[...]` (a key msgspec does not name) adds nothing
                inner.append(name if name else int(index))
        full = (*path, *inner)
        unknown = _UNKNOWN.search(message)
        if unknown:
            key = unknown.group(1)
            held = hints.raw_at(value, inner)
            raise doc.fail((*full, key), hints.unknown_key(kind, inner, key, (*full, key), held)) from None
        if inner[-2:-1] == ["fallbacks"] and path[0] == "routes":
            message = hints.fallbacks_shape(str(path[1]), hints.raw_at(value, inner[:-1])) or message
        raise doc.fail(full, message) from None


def _provider(doc: YamlDocument, name: str, cfg: ProviderConfig, env: Mapping[str, str]) -> ProviderConfig:
    path: Path = ("providers", name)
    preset_name = cfg.preset or (name if name in PRESETS else "")
    if preset_name and preset_name not in PRESETS:
        raise doc.fail((*path, "preset"), _unknown("preset", preset_name, sorted(PRESETS), "known"))
    preset = PRESETS.get(preset_name)
    wire = cfg.type or (preset.type if preset else "")
    if not wire:
        raise doc.fail(path, f"missing `type` (one of: {', '.join(WIRE_TYPES)}) or a known `preset`")
    if wire not in WIRE_TYPES:
        raise doc.fail((*path, "type"), _unknown("wire type", wire, list(WIRE_TYPES), "supported"))
    base_url = cfg.base_url or (preset.base_url if preset else "")
    if not base_url.startswith(("http://", "https://")):
        problem = "missing base_url" if not base_url else f"must start with http:// or https:// {_UNSHOWN}"
        raise doc.fail((*path, "base_url"), problem)
    api_key = cfg.api_key or (env.get(preset.key_env, "") if preset and preset.key_env else "")
    if cfg.ca_file and not FilePath(cfg.ca_file).is_file():
        raise doc.fail((*path, "ca_file"), f"no such file: {cfg.ca_file}")
    return msgspec.structs.replace(
        cfg,
        type=wire,
        preset=preset_name,
        base_url=base_url,
        api_key=api_key,
        proxy=_proxy(doc, path, cfg.proxy, base_url, env),
        auth_header=cfg.auth_header or (preset.auth_header if preset else ""),  # "": the wire's default
        stream_usage=cfg.stream_usage
        if cfg.stream_usage is not None
        else (preset.stream_usage if preset else True),
    )


def _proxy(doc: YamlDocument, path: Path, written: str | None, base_url: str, env: Mapping[str, str]) -> str:
    """The proxy URL this provider's calls go through, "" for none (the URL is never repeated in a
    message: it may hold a password)."""
    if written and written.strip().lower() in DIRECT:
        return ""
    if written:
        url, problem = check_proxy_url(written.strip())
        if problem:
            raise doc.fail((*path, "proxy"), problem)
        return url
    value, name = from_environment(base_url, env)
    if not value:
        return ""
    url, problem = check_proxy_url(value)
    if problem:
        raise doc.fail(path, f"{name} (from the environment): {problem}; or set `proxy: none` here")
    return url


def _check_model(doc: YamlDocument, name: str, model: ModelConfig, providers: Mapping[str, Any]) -> None:
    path: Path = ("models", name)
    if model.provider not in providers:
        known = ", ".join(providers) or "none configured"
        raise doc.fail((*path, "provider"), f"unknown provider '{model.provider}' (providers: {known})")
    preset = providers[model.provider].preset
    prefixed = hints.prefixed_upstream(model.upstream or name, model.provider, preset)
    if prefixed:
        raise doc.fail((*path, "upstream") if model.upstream else path, prefixed)
    if model.capabilities is not None:
        unknown = sorted(model.capabilities - CAPABILITIES)
        if unknown:
            raise doc.fail(
                (*path, "capabilities"),
                f"unknown capability {', '.join(unknown)}; known: {', '.join(sorted(CAPABILITIES))}",
            )
    _check_abilities(doc, path, model.tier, model.skills)
    for field in ("input", "cached_input", "cache_write", "output"):
        value = getattr(model, field)
        if value is not None and value < 0:
            raise doc.fail((*path, field), "a price cannot be negative")


def _check_abilities(doc: YamlDocument, path: Path, tier: str, skills: Mapping[str, float]) -> None:
    if tier and tier not in TIERS:
        raise doc.fail((*path, "tier"), f"unknown tier '{tier}'; one of: {', '.join(TIERS)}")
    for skill, score in skills.items():
        if skill not in SKILLS:
            raise doc.fail((*path, "skills", skill), f"unknown skill '{skill}'; known: {', '.join(SKILLS)}")
        if not 0 <= score <= 1:
            raise doc.fail((*path, "skills", skill), f"an expected score is 0..1, got {score}")


def _check_server(doc: YamlDocument, server: ServerConfig) -> None:
    if not 0 <= server.port <= 65535:
        raise doc.fail(("server", "port"), f"port must be 0..65535, got {server.port}")
    seen: set[str] = set()
    for i, key in enumerate(server.keys):
        if not key.key:
            raise doc.fail(("server", "keys", i, "key"), "a gateway key cannot be empty")
        if key.id in seen:
            raise doc.fail(("server", "keys", i, "id"), f"duplicate key id '{key.id}'")
        seen.add(key.id)
    for name in ("header_timeout", "body_timeout", "keepalive_timeout", "shutdown_timeout"):
        seconds = getattr(server, name)
        if seconds <= 0:
            raise doc.fail(("server", name), f"must be a positive number of seconds, got {seconds}")
    if server.access_log.format not in ACCESS_LOG_FORMATS:
        raise doc.fail(
            ("server", "access_log", "format"),
            f"must be one of {', '.join(ACCESS_LOG_FORMATS)}, got {server.access_log.format!r}",
        )
    for name, least in (("max_connections", 1), ("max_header_bytes", 1024), ("max_headers", 8)):
        value = getattr(server, name)
        if value is not None and value < least:
            raise doc.fail(("server", name), f"must be at least {least}, got {value}")


def _check_health(doc: YamlDocument, health: HealthConfig) -> None:
    for key in ("window", "cooldown"):
        if getattr(health, key) <= 0:
            raise doc.fail(
                ("health", key), f"must be a positive number of seconds, got {getattr(health, key)}"
            )
    for key in ("samples", "failures", "min_requests"):
        if getattr(health, key) < 1:
            raise doc.fail(("health", key), f"must be at least 1, got {getattr(health, key)}")
    if not 0 < health.error_rate <= 1:
        raise doc.fail(("health", "error_rate"), f"must be in (0, 1], got {health.error_rate}")


def parse_config(text: str, source: str, env: Mapping[str, str]) -> Config:
    doc = YamlDocument(text, source)
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        raise doc.fail((), "the top level must be a mapping of sections (server, providers, models, ...)")
    for key in data:  # before `${VAR}`s: a LiteLLM file is told its shape before its env syntax
        if key not in _TOP:
            raise doc.fail((key,), hints.unknown_section(str(key), data[key], _TOP))
    data = substitute_env(data, doc, env)
    sections = {name: _convert(doc, data.get(name), kind, (name,)) for name, kind in _SECTIONS.items()}
    maps: dict[str, dict[str, Any]] = {}
    for name, kind in _MAPS.items():
        raw = data.get(name) or {}
        if not isinstance(raw, dict):
            raise doc.fail((name,), f"`{name}` must be a mapping of name → settings")
        maps[name] = {str(k): _convert(doc, v, kind, (name, str(k))) for k, v in raw.items()}
    aliases = _convert(doc, data.get("aliases"), dict[str, object], ("aliases",))
    for alias, target in aliases.items():
        if not isinstance(target, str):
            raise doc.fail(("aliases", alias), "an alias names one model (a string)")
    providers = {name: _provider(doc, name, cfg, env) for name, cfg in maps["providers"].items()}
    for name, model in maps["models"].items():
        _check_model(doc, name, model, providers)
    _check_server(doc, sections["server"])
    _check_health(doc, sections["health"])
    config = Config(
        providers=providers,
        models=maps["models"],
        aliases=aliases,
        routes=maps["routes"],
        pools=maps["pools"],
        source=source,
        lines=doc.lines,
        **sections,
    )
    catalog = build_catalog(config, vendors(config), price_lists(config), doc.fail)
    check_routes(config, catalog.names(), doc.fail)
    return config


def vendors(config: Config) -> dict[str, str]:
    """Configured provider → the vendor whose built-in prices apply to it."""
    return {name: cfg.preset for name, cfg in config.providers.items()}


def load_config(path: str, env: Mapping[str, str] | None = None) -> Config:
    try:
        text = FilePath(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from None
    return parse_config(text, path, os.environ if env is None else env)


def dict_config(data: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Config:
    """A config given as a mapping (library mode): read as the same YAML, from its JSON text, so
    every check and message is a file's (`<dict>:7: routes.auto.default: ...`)."""
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode()
    return parse_config(text, "<dict>", os.environ if env is None else env)


def default_config(env: Mapping[str, str] | None = None) -> Config:
    """No file: nothing but defaults (the demo builds its own)."""
    return parse_config("{}", "<defaults>", os.environ if env is None else env)
