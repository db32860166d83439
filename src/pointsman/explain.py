"""A routing plan as people and programs read it: `pointsman route --explain` and library mode's
`Router.explain()` / `Plan.trace` both come from here, so they cannot drift apart."""

from __future__ import annotations

from typing import Any

from pointsman.catalog.model import CatalogModel
from pointsman.cli.table import render
from pointsman.engine import Call
from pointsman.engine.budget import Window, stall_limit
from pointsman.engine.trace import ASSUMED_OUTPUT_TOKENS, Trace
from pointsman.errors import PointsmanError
from pointsman.routing import capabilities
from pointsman.routing.hints import take_hints
from pointsman.routing.plan import RoutePlan
from pointsman.tokens import TokenCounter


def planned_call(
    body: dict[str, Any], headers: dict[str, str], *, key_id: str = "", team: str = "", task: str = ""
) -> Call:
    """The `Call` a chat request with this body and these headers would make (hints taken out of
    the body as the gateway takes them), for deciding without serving it."""
    body = dict(body)
    lowered = {k.lower(): v for k, v in headers.items()}
    hints = take_hints(body, lowered.get)
    model = body.get("model")
    call = Call("plan", body, 0.0, "chat", requested_model=model if isinstance(model, str) else "")
    call.key_id, call.team, call.task, call.hints = key_id, team, task, hints
    return call


def preflight(body: dict[str, Any], model: CatalogModel, tokens: TokenCounter) -> str:
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


def plan_json(plan: RoutePlan, skips: list[str]) -> dict[str, Any]:
    out = {
        **Trace(decision=plan.decision).json(),
        "plan": [
            {"model": a.model.name, "tier": a.tier, "reason": a.reason, **({"preflight": s} if s else {})}
            for a, s in zip(plan.attempts, skips, strict=True)
        ],
    }
    del out["attempts"]  # nothing was attempted
    return out


def plan_text(plan: RoutePlan, skips: list[str]) -> str:
    decision = plan.decision
    lines = [
        f"route       {decision.route if decision else '(manual)'}",
        f"decided by  {decision.decided_by if decision else plan.primary.reason}",
    ]
    if decision is not None:
        lines.append(f"prompt      ~{decision.prompt_tokens} tokens")
        lines += [f"note        {note}" for note in decision.notes]
        if decision.learned is not None:
            lines.append(_learned_lines(decision.learned))
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
    lines += [
        "",
        render(["#", "tier", "model", "provider", "expected $", "reason", "skipped / preflight"], rows),
    ]
    if decision is not None:
        policy = plan.policy
        lines += [
            "",
            _timing(plan),
            f"retries {policy.retries}, escalations ≤ {policy.max_escalations}, "
            f"hedge {'on' if policy.hedge else 'off'}; "
            f"expected cost: the prompt above and {ASSUMED_OUTPUT_TOKENS} output tokens",
        ]
    return "\n".join(lines)


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
