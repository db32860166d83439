"""Read YAML so that errors can point at a line, money stays exact and secrets come from the environment."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from pointsman.errors import ConfigError

Path = tuple[str | int, ...]
Fail = Callable[[Path, str], ConfigError]
"""Makes the error for a config mistake at a key path, naming the file and line."""
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_LITELLM_ENV = re.compile(r"os\.environ/([A-Za-z_][A-Za-z0-9_]*)\s*$")


_MERGE = "tag:yaml.org,2002:merge"


def _syntax_error(exc: yaml.YAMLError, text: str, source: str) -> ConfigError:
    """The file, line and the parser's problem; never its excerpt of the file (a line can hold a key)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark, problem = exc.problem_mark, exc.problem or "syntax error"
    else:  # a character the reader refuses: the message names its code point only
        mark, problem = None, str(exc)
    if mark is None:
        return ConfigError(f"{source}: not valid YAML: {problem}")
    message = f"{source}:{mark.line + 1}: not valid YAML: {problem}"
    lines = text.splitlines()
    if mark.line < len(lines) and "${" in lines[mark.line]:
        # `{a: ${X}}`: the reference's own `{` opens a mapping inside the mapping
        message += '; a ${VAR} inside {...} or [...] needs quotes: write "${VAR}"'
    return ConfigError(message)


class _ExactLoader(yaml.SafeLoader):
    """A YAML float becomes a Decimal of its written digits: 0.15 stays 0.15, not 0.1499999."""


def _exact_float(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        return Decimal(text)
    except InvalidOperation:
        assert isinstance(node, yaml.ScalarNode)
        return loader.construct_yaml_float(node)


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _exact_float)


class YamlDocument:
    """A parsed YAML file plus the line of every key, for messages like `file:12: models.x.input`."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        try:
            node = yaml.compose(text, Loader=_ExactLoader)
            self.data: Any = yaml.load(text, Loader=_ExactLoader) if node is not None else {}
        except yaml.YAMLError as exc:
            raise _syntax_error(exc, text, source) from None
        self.lines: dict[Path, int] = {}
        if node is not None:
            self._index(node, ())

    def _index(self, node: yaml.Node, path: Path) -> None:
        self.lines.setdefault(path, node.start_mark.line + 1)  # a key's own line wins over its value's
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                line = key_node.start_mark.line + 1
                # YAML keeps the last of two equal keys without a word: a provider defined twice
                # would silently lose its first definition
                if (*path, key) in self.lines and key_node.tag != _MERGE:
                    first = self.lines[(*path, key)]
                    where = f"{self.source}:{line}: {format_path((*path, key))}"
                    raise ConfigError(f"{where}: duplicate key (first at line {first})")
                self.lines[(*path, key)] = line
                self._index(value_node, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._index(item, (*path, i))

    def fail(self, path: Path, problem: str) -> ConfigError:
        return ConfigError(f"{where(self.source, self.lines, path)}: {problem}")


def where(source: str, lines: dict[Path, int], path: Path) -> str:
    """`file:line: a.b[2].c` for the deepest part of `path` that the file names."""
    probe = path
    while probe and probe not in lines:
        probe = probe[:-1]
    line = lines.get(probe)
    head = f"{source}:{line}" if line else source
    return f"{head}: {format_path(path)}" if path else head


def format_path(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def substitute_env(value: Any, doc: YamlDocument, env: Mapping[str, str], path: Path = ()) -> Any:
    """Replace `${VAR}` and `${VAR:-default}` in strings; an unset VAR without default is an error."""
    if isinstance(value, str):
        litellm = _LITELLM_ENV.match(value)
        if litellm:  # a LiteLLM config's habit: sent as written, it would be the key itself
            name = litellm.group(1)
            spelled = f'"${{{name}}}"'
            raise doc.fail(
                path, f"`os.environ/{name}` is LiteLLM's; pointsman reads the environment as {spelled}"
            )
        if "${" not in value:
            return value

        def repl(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise doc.fail(
                path, f"environment variable {name} is not set (write ${{{name}:-}} to allow empty)"
            )

        return _ENV_REF.sub(repl, value)
    if isinstance(value, dict):
        return {k: substitute_env(v, doc, env, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_env(v, doc, env, (*path, i)) for i, v in enumerate(value)]
    return value
