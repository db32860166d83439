"""`pointsman route`: what routing would decide for a prompt, without calling any provider."""

from __future__ import annotations

import argparse
from typing import Any

import orjson

from pointsman.cli.table import render
from pointsman.compose import build
from pointsman.config.loader import load_config
from pointsman.engine import Call
from pointsman.engine.budget import Window, stall_limit
from pointsman.engine.trace import ASSUMED_OUTPUT_TOKENS, Trace
from pointsman.errors import ConfigError, PointsmanError
from pointsman.routing import capabilities
from pointsman.routing.plan import RoutePlan
from pointsman.tokens import TokenCounter


def _body(args: argparse.Namespace, model: str) -> dict[str, Any]:
    content: Any = args.prompt
    if args.image:
        content = [
            {"type": "text", "text": args.prompt},
            {"type": "image_url", "image_url": {"url": args.image}},
        ]
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": content}]}
    if args.system:
        body["messages"].insert(0, {"role": "system", "content": args.system})
    if args.tools:
        body["tools"] = [
            {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}
            for name in args.tools.split(",")
        ]
    if args.json:
        body["response_format"] = {"type": "json_object"}
    if args.metadata:
        body["metadata"] = dict(part.split("=", 1) for part in args.metadata if "=" in part)
    return body


def _preflight(body: dict[str, Any], model: Any, tokens: TokenCounter) -> str:
    """Why the engine would skip this candidate before calling it, or ""."""
    try:
        capabilities.check(body, "chat", model)
        if model.context_window is not None:
            tokens.warm(tokens.encoding_name(model.upstream, model.tokenizer))
            prompt = tokens.count_messages(body["messages"], model.upstream, model.tokenizer)
            capabilities.check_context(prompt, model)
    except PointsmanError as error:
        return error.message
    return ""


def route(args: argparse.Namespace) -> int:
    gateway = build(load_config(args.config))
    config, tokens = gateway.config, gateway.tokens
    name = args.model or next(iter(config.routes), "")
    if not name:
        print("pointsman: the config defines no routes; name a model with --model")
        return 2
    body = _body(args, name)
    ids = [key.id for key in config.server.keys]
    if args.key and args.key not in ids:  # the value is not repeated: it may be the key itself
        known = ", ".join(ids) or "none configured"
        raise ConfigError(f"--key: no gateway key has that id (ids: {known}); give the id, not the key")
    # the Call a request with this key would make, decided by the engine's own step: the key's
    # team comes from the config as the server's authentication finds it
    team = gateway.auth.team(args.key)
    call = Call(
        "route", body, 0.0, "chat", requested_model=name, key_id=args.key, team=team, task=args.task or ""
    )
    plan = gateway.engine.plan(call)
    if not args.explain:
        print(f"{name} → {plan.primary.model.name} ({plan.primary.reason})")
        return 0
    skips = [_preflight(body, a.model, tokens) for a in plan.attempts]
    if args.format == "json":
        _print_json(plan, skips)
    else:
        _print_table(plan, skips)
    return 0


def _print_json(plan: RoutePlan, skips: list[str]) -> None:
    out = {
        **Trace(decision=plan.decision).json(),
        "plan": [
            {"model": a.model.name, "tier": a.tier, "reason": a.reason, **({"preflight": s} if s else {})}
            for a, s in zip(plan.attempts, skips, strict=True)
        ],
    }
    del out["attempts"]  # nothing was attempted
    print(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())


def _print_table(plan: RoutePlan, skips: list[str]) -> None:
    decision = plan.decision
    print(f"route       {decision.route if decision else '(manual)'}")
    print(f"decided by  {decision.decided_by if decision else plan.primary.reason}")
    if decision is not None:
        print(f"prompt      ~{decision.prompt_tokens} tokens")
        for note in decision.notes:
            print(f"note        {note}")
        if decision.learned is not None:
            print(_learned_lines(decision.learned))
    candidates = Trace(decision=decision).json().get("candidates", [])
    costs = {c["model"]: c.get("expected_cost_usd", "?") for c in candidates}
    rows = [
        _row(i, a.tier, a.model.name, a.model.provider, costs.get(a.model.name, "?"), a.reason, skip)
        for i, (a, skip) in enumerate(zip(plan.attempts, skips, strict=True))
    ]
    rows += [
        ["-", str(c["tier"]), c["model"], "", c.get("expected_cost_usd", "?"), "", c["skipped"]]
        for c in candidates
        if c.get("skipped")
    ]
    print()
    print(render(["#", "tier", "model", "provider", "expected $", "reason", "skipped / preflight"], rows))
    if decision is not None:
        print(f"\n{_timing(plan)}")
        policy = plan.policy
        print(
            f"retries {policy.retries}, escalations ≤ {policy.max_escalations}, "
            f"hedge {'on' if policy.hedge else 'off'}; "
            f"expected cost: the prompt above and {ASSUMED_OUTPUT_TOKENS} output tokens"
        )


def _learned_lines(learned: dict[str, Any]) -> str:
    """The learned decision: each candidate's estimate, where its ability came from, the threshold."""
    lines = [
        f"learned     target {learned['target']:.2f} of the best estimate → threshold "
        f"{learned['threshold']:.3f}; familiarity {learned['familiarity']:.2f}; "
        f"skills {', '.join(f'{k} {v:.2f}' for k, v in learned['skills'].items())}"
    ]
    for model, estimate in learned["estimates"].items():
        mark = {learned["chosen"]: "chosen", learned["runner_up"]: "runner-up"}.get(model, "")
        lines.append(f"  estimate  {model}: {estimate:.3f} ({learned['abilities'][model]}) {mark}".rstrip())
    return "\n".join(lines)


def _row(i: int, tier: int, model: str, provider: str, cost: str, reason: str, skip: str) -> list[str]:
    return [str(i + 1), str(tier), model, provider, cost, reason, skip or "-"]


def _timing(plan: RoutePlan) -> str:
    """The time limits the plan runs under, the derived ones spelled out."""
    policy = plan.policy
    if policy.deadline is None:
        return "no deadline: the provider's own timeouts"
    first = Window(lambda: 0.0, policy, 0.0).budget(left=len(plan.attempts), stream=True, first=True)
    stall = stall_limit(policy)
    share = first.describe() if first is not None else "-"
    return (
        f"deadline {policy.deadline:g} s until the answer starts; the first attempt's first token within "
        f"{share}; a flowing stream may go silent {stall:g} s"
        + (f", flow {policy.stream_timeout:g} s in all" if policy.stream_timeout else "")
    )
