"""Judging one case: the client's own verdict, the answer it got, and proof that the call went through
the gateway to the provider it should have reached (the fakes' `GET /_fake/requests`, the ledger), plus
checks that what the client sent reached the provider intact (the recording proxy against the fake)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from launch import Outcome
from services import Inbound


@dataclass(frozen=True)
class Seen:
    """What happened around one case."""

    inbound: list[Inbound]
    """Requests the client sent to the gateway."""
    reached: dict[str, list[dict[str, Any]]]
    """Requests each fake provider received, by wire."""
    ledger: dict[str, tuple[int, int]]
    """New ledger rows per model: (requests, errors)."""


Check = Callable[[Seen], str | None]
"""A problem in words, or None when all is well."""


@dataclass(frozen=True)
class Expect:
    wire: str | None
    """The fake provider that must receive the call; None: the local model (seen in the ledger) or,
    with `gateway`, nobody (the gateway answers itself)."""
    text: str | None = None
    """Must appear in the answer; None: any non-empty answer (a real model says what it likes)."""
    path: str = ""
    model: str | None = None
    calls: int = 1
    """Requests at least (a multi-turn task makes two or more)."""
    gateway: bool = False


@dataclass(frozen=True)
class Row:
    client: str
    surface: str
    case: str
    target: str
    upstream: str
    """Who answered: a fake provider and the model asked, the local model, or the gateway itself."""
    result: str
    note: str


@dataclass(frozen=True)
class Case:
    client: str
    """Key of the client (claude, codex, openai, anthropic, ai)."""
    surface: str
    name: str
    target: str
    """fake or local."""
    run: Callable[[Any], Outcome]
    expect: Expect
    checks: tuple[Check, ...] = ()
    """Folded into this case's own row."""
    extra: tuple[tuple[str, Check], ...] = ()
    """Each its own row, judged from the same run."""
    model: str = ""
    """The model the client asks for, when the case names one."""
    limited: str = ""
    """Why the real small model may be unable to do it: a failure with the call carried to the model is
    then LIMIT (the model's limit, said in the table), not FAIL."""
    versions: tuple[str, ...] = field(default=())
    """npm packages whose versions the row shows; default: the client's own."""


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair anywhere inside a JSON value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from walk(inner)


def has_key(body: Any, key: str) -> bool:
    return any(k == key for k, _ in walk(body))


def _calls(expect: Expect, seen: Seen) -> int:
    """Calls of this case at its provider: the fake's own record, or new ledger rows for the local model."""
    if expect.wire is None:
        return sum(n for n, _ in seen.ledger.values())
    rows = seen.reached.get(expect.wire, [])
    return sum(1 for r in rows if expect.path in r["path"] and expect.model in (None, r["model"]))


def _upstream(expect: Expect, seen: Seen) -> str | None:
    calls = _calls(expect, seen)
    if expect.gateway or calls >= expect.calls:
        return None
    if expect.wire is None:
        return "no ledger row: the call never reached the local model"
    what = f"{expect.model or 'any model'} at {expect.path or 'any path'}"
    return f"{calls} call(s) of {what} reached the {expect.wire} provider, {expect.calls} expected"


def upstream(case: Case) -> str:
    if case.expect.gateway:
        return "the gateway itself"
    where = "local model" if case.target == "local" else f"fake {case.expect.wire}"
    return f"{where} · {case.model}" if case.model else where


def _answer(expect: Expect, outcome: Outcome) -> str | None:
    if not outcome.ok:
        return outcome.detail or "the client failed"
    if expect.text is None:
        return None if outcome.text.strip() else "empty answer"
    if expect.text in outcome.text:
        return None
    return f"answer {outcome.text[:100]!r} lacks {expect.text!r}"


def judge(case: Case, outcome: Outcome, seen: Seen) -> list[Row]:
    """The case's row and one row per extra check."""
    problems = [p for p in (_answer(case.expect, outcome), _upstream(case.expect, seen)) if p]
    problems += [p for p in (check(seen) for check in case.checks) if p]
    if not problems:
        calls = "" if case.expect.gateway else f"{_calls(case.expect, seen)} call(s) at the provider"
        result, note = "PASS", "; ".join(p for p in (outcome.detail, calls) if p)
    elif case.limited and case.target == "local" and sum(n for n, _ in seen.ledger.values()):
        result, note = "LIMIT", f"{case.limited}: {problems[0]}"
    else:
        result, note = "FAIL", "; ".join(problems)
    where = upstream(case)
    rows = [Row(case.client, case.surface, case.name, case.target, where, result, note)]
    for name, check in case.extra:
        problem = check(seen) if result != "FAIL" else "not judged: the case itself failed"
        verdict = "PASS" if problem is None else "FAIL"
        rows.append(Row(case.client, case.surface, name, case.target, where, verdict, problem or ""))
    return rows


# ---- what reached the provider, against what the client sent


def _sent(seen: Seen, path: str) -> list[Any]:
    return [i.body for i in seen.inbound if i.path.startswith(path) and isinstance(i.body, dict)]


def _forwarded(seen: Seen, wire: str) -> list[Any]:
    return [r["body"] for r in seen.reached.get(wire, []) if isinstance(r.get("body"), dict)]


def kept(key: str, wire: str, path: str = "/v1/messages") -> Check:
    """When the client sent `key` anywhere in a body, some body at the provider carries it too."""

    def check(seen: Seen) -> str | None:
        sent = sum(1 for body in _sent(seen, path) if has_key(body, key))
        if not sent:
            return f"the client sent no {key} (nothing to compare)"
        carried = sum(1 for body in _forwarded(seen, wire) if has_key(body, key))
        return None if carried else f"{key}: in {sent} request(s) from the client, in none at the provider"

    return check


def effort_kept(wire: str) -> Check:
    """A Responses `reasoning.effort` reaches the provider as its own effort setting."""
    names = {"openai": ("reasoning_effort", "reasoning"), "anthropic": ("thinking", "output_config")}[wire]

    def check(seen: Seen) -> str | None:
        sent = [b["reasoning"] for b in _sent(seen, "/v1/responses") if isinstance(b.get("reasoning"), dict)]
        if not sent:
            return "the client sent no reasoning (nothing to compare)"
        if any(has_key(body, n) for body in _forwarded(seen, wire) for n in names):
            return None
        return f"reasoning {sent[0]} sent; no {' or '.join(names)} at the provider"

    return check


def _offered(tools: Any) -> list[str]:
    """Names of the tools a Responses request offers, namespaces opened, hosted tools by type."""
    names: list[str] = []
    for tool in tools if isinstance(tools, list) else []:
        if tool.get("type") == "namespace":
            names += [f"{tool.get('name')}.{t.get('name')}" for t in tool.get("tools") or []]
        else:
            names.append(str(tool.get("name") or tool.get("type")))
    return names


def tools_kept(wire: str) -> Check:
    """Every tool the client offered on its first Responses request reaches the model in some form,
    or the gateway told the client it could not (a note in `x-pointsman-adapted` naming the tool)."""

    def check(seen: Seen) -> str | None:
        first_in = next((i for i in seen.inbound if i.path.startswith("/v1/responses")), None)
        if first_in is None or not isinstance(first_in.body, dict):
            return "the client sent no Responses request"
        offered = _offered(first_in.body.get("tools"))
        first = _forwarded(seen, wire)[:1]
        carried = {str(k) for body in first for key, k in walk(body.get("tools")) if key == "name"}
        missing = [n for n in offered if not any(c.endswith(n.split(".")[-1]) for c in carried)]
        silent = [n for n in missing if not any(n in note for note in first_in.adapted)]
        if not silent:
            return None
        return f"{len(silent)} of {len(offered)} tools dropped without a word: {', '.join(silent)}"

    return check


def system_blocks_kept(wire: str) -> Check:
    """Anthropic system blocks arrive as blocks, or at least not glued end to start (Claude Code's
    billing-header block would run into "You are a Claude agent")."""

    def check(seen: Seen) -> str | None:
        sent = [b["system"] for b in _sent(seen, "/v1/messages") if isinstance(b.get("system"), list)]
        blocks = [str(b.get("text", "")) for b in sent[0]] if sent else []
        if len(blocks) < 2:
            return "the client sent no system blocks (nothing to compare)"
        system = next((b.get("system") for b in _forwarded(seen, wire) if "system" in b), None)
        if isinstance(system, list):  # each block's own text; a seam inside one shows a gluing
            system = "\0".join(str(b.get("text", "")) for b in system if isinstance(b, dict))
        glued = [i for i in range(len(blocks) - 1) if (blocks[i] + blocks[i + 1]) in str(system)]
        return (
            f"{len(glued)} of {len(blocks)} system blocks glued to the next one, no separator"
            if glued
            else None
        )

    return check


def at_most(key: str, limit: int, wire: str, why: str) -> Check:
    def check(seen: Seen) -> str | None:
        values = [v for body in _forwarded(seen, wire) for k, v in body.items() if k == key]
        over = [v for v in values if isinstance(v, int) and v > limit]
        return f"{key} {over[0]} reached the provider: {why}" if over else None

    return check


def nothing_at(wire: str) -> Check:
    def check(seen: Seen) -> str | None:
        rows = seen.reached.get(wire, [])
        return f"{len(rows)} call(s) reached the {wire} provider: {rows[0]['model']}" if rows else None

    return check
