"""The cases each client runs. The fakes answer `say: X` with X, call the offered tool a prompt names as
`tool:NAME {json}` (else the first, when the prompt says "tool"), and answer a tool result with
"The tool returned: ..." (src/pointsman/fakes/answers.py); the prompts are written for that."""

from __future__ import annotations

from functools import partial
from typing import Any

import launch
from checks import Case, Expect, at_most, effort_kept, kept, nothing_at, system_blocks_kept, tools_kept
from launch import SECRET, Context, Outcome

LOCAL = "smol"
"""The real local model's name in gateway.yaml (SmolLM2-135M: 2048 tokens of context per slot)."""
SMALL_CONTEXT = "model-limited (SmolLM2's 2048-token context)"
NO_TOOLS = "model-limited (a 135M model rarely calls tools)"
AGENT_TIMEOUT = 300.0

CLAUDE_TASK = 'Read the file with tool:Read {"file_path": "%s"} and tell me the secret word.'
CODEX_TASK = 'Run tool:exec_command {"cmd": "cat secret.txt"} and tell me the secret word.'


def _claude_task(model_flags: list[str], env: dict[str, str], ctx: Context) -> Outcome:
    prompt = CLAUDE_TASK % (ctx.project() / "secret.txt")
    return launch.claude(ctx, prompt, ["--max-turns", "4", *model_flags], env, AGENT_TIMEOUT)


def _claude_plain(flags: list[str], env: dict[str, str], ctx: Context) -> Outcome:
    return launch.claude(ctx, "Say hello in five words.", ["--max-turns", "2", *flags], env, AGENT_TIMEOUT)


def _codex_task(flags: list[str], ctx: Context) -> Outcome:
    return launch.codex(ctx, CODEX_TASK, flags, AGENT_TIMEOUT)


def claude_cases() -> list[Case]:
    surface = "/v1/messages"
    task = "`-p` multi-turn: Read tool, then answer"
    mapped = {"ANTHROPIC_DEFAULT_HAIKU_MODEL": "gpt-4o-mini"}  # its background calls go there too
    slim = ["--bare", "--system-prompt", "You are terse.", "--tools", "Read"]
    sent_to = partial(Expect, text=SECRET, calls=2)
    return [
        Case(
            "claude",
            f"{surface} → anthropic",
            f"{task} (default model)",
            "fake",
            partial(_claude_task, [], {}),
            sent_to("anthropic", path="/v1/messages"),
            extra=(
                ("cache_control reaches Anthropic", kept("cache_control", "anthropic")),
                ("thinking reaches Anthropic", kept("thinking", "anthropic")),
                ("system blocks reach Anthropic apart", system_blocks_kept("anthropic")),
            ),
        ),
        Case(
            "claude",
            f"{surface} → openai",
            f"{task} (`--model gpt-4o`, haiku → gpt-4o-mini)",
            "fake",
            partial(_claude_task, ["--model", "gpt-4o"], mapped),
            sent_to("openai", path="/v1/chat/completions", model="gpt-4o"),
            checks=(nothing_at("anthropic"),),
            model="gpt-4o",
            extra=(
                (
                    "max_tokens within gpt-4o's 16,384 output limit",
                    at_most("max_tokens", 16384, "openai", "OpenAI refuses more for gpt-4o"),
                ),
            ),
        ),
        Case(
            "claude",
            f"{surface} → gemini",
            f"{task} (`--model gemini-2.5-flash`)",
            "fake",
            partial(
                _claude_task,
                ["--model", "gemini-2.5-flash"],
                {"ANTHROPIC_DEFAULT_HAIKU_MODEL": "gemini-2.5-flash"},
            ),
            sent_to("gemini", path="gemini-2.5-flash"),
            checks=(nothing_at("anthropic"),),
            model="gemini-2.5-flash",
        ),
        Case(
            "claude",
            f"{surface} → local",
            "`-p`, its full prompt (`--model smol`)",
            "local",
            partial(_claude_plain, ["--model", LOCAL], {"ANTHROPIC_DEFAULT_HAIKU_MODEL": LOCAL}),
            Expect(None),
            limited=SMALL_CONTEXT,
            model=LOCAL,
        ),
        Case(
            "claude",
            f"{surface} → local",
            "`-p`, slim prompt (`--bare --system-prompt … --tools Read`)",
            "local",
            partial(_claude_plain, ["--model", LOCAL, *slim], {"ANTHROPIC_DEFAULT_HAIKU_MODEL": LOCAL}),
            Expect(None),
            model=LOCAL,
        ),
    ]


def codex_cases() -> list[Case]:
    surface = "/v1/responses"
    task = "`exec` tool loop: exec_command, then answer"
    return [
        Case(
            "codex",
            f"{surface} → openai",
            f"{task} (default model gpt-5)",
            "fake",
            partial(_codex_task, []),
            Expect("openai", SECRET, "/v1/chat/completions", "gpt-5", calls=2),
            model="gpt-5",
            extra=(
                ("every offered tool reaches the model", tools_kept("openai")),
                ("reasoning effort reaches the provider", effort_kept("openai")),
                ("prompt_cache_key reaches OpenAI", kept("prompt_cache_key", "openai", "/v1/responses")),
            ),
        ),
        Case(
            "codex",
            f"{surface} → anthropic",
            f"{task} (`-m claude-sonnet-4-6`)",
            "fake",
            partial(_codex_task, ["-m", "claude-sonnet-4-6"]),
            Expect("anthropic", SECRET, "/v1/messages", "claude-sonnet-4-6", calls=2),
            model="claude-sonnet-4-6",
            extra=(("reasoning effort reaches the provider", effort_kept("anthropic")),),
        ),
        Case(
            "codex",
            f"{surface} → local",
            "`exec`, its full prompt (`-m smol`)",
            "local",
            partial(_codex_task, ["-m", LOCAL]),
            Expect(None),
            limited=SMALL_CONTEXT,
            model=LOCAL,
        ),
    ]


def _node(case: str, model: str, ctx: Context) -> Outcome:
    local = model == LOCAL
    return launch.node(ctx, case, model, AGENT_TIMEOUT if local else 60.0, 48 if local else 256)


def _sdk(client: str, surface: str, case: str, model: str, expect: Expect, **more: Any) -> Case:
    target = "local" if model == LOCAL else "fake"
    run = partial(_node, f"{client}/{case}", model)
    return Case(client, surface, case, target, run, expect, model=model, **more)


CHAT = "/v1/chat/completions"
TOOLED = "The tool returned: sunny in"
OBJECT = "city example"


def openai_cases() -> list[Case]:
    sdk = partial(_sdk, "openai")
    fake = partial(Expect, "openai", path=CHAT, model="gpt-4o")
    chat, resp, gpt, claude = CHAT, "/v1/responses", "gpt-4o", "claude-sonnet-4-6"
    cases = [
        sdk(chat, "chat.create", gpt, fake("pong")),
        sdk(chat, "chat.create", claude, Expect("anthropic", "pong", "/v1/messages", claude)),
        sdk(chat, "chat.stream", gpt, fake("one two three")),
        sdk(chat, "chat.tools", gpt, fake(TOOLED, calls=2)),
        sdk(chat, "chat.parse", gpt, fake(OBJECT)),
        sdk(resp, "responses.create", gpt, fake("pong")),
        sdk(resp, "responses.stream", gpt, fake("one two three")),
        sdk(resp, "responses.tools", gpt, fake(TOOLED, calls=2)),
        sdk(resp, "responses.parse", gpt, fake(OBJECT)),
        sdk(
            resp, "responses.reasoning", "gpt-5", fake("pong", model="gpt-5"), checks=(effort_kept("openai"),)
        ),
        sdk("/v1/models", "models.list", gpt, Expect(None, "models", gateway=True)),
        sdk(
            "/v1/embeddings",
            "embeddings.create",
            "text-embedding-3-small",
            Expect("openai", "dimensions", "/v1/embeddings"),
        ),
        sdk("/v1/completions", "completions.create", gpt, Expect("openai", "pong")),
    ]
    for case in ("chat.create", "chat.stream", "chat.parse", "responses.create", "responses.parse"):
        cases.append(sdk(resp if case.startswith("resp") else chat, case, LOCAL, Expect(None)))
    cases.append(sdk(chat, "chat.tools", LOCAL, Expect(None, calls=2), limited=NO_TOOLS))
    return cases


def anthropic_cases() -> list[Case]:
    sdk = partial(_sdk, "anthropic")
    msgs, count, claude = "/v1/messages", "/v1/messages/count_tokens", "claude-sonnet-4-6"
    fake = partial(Expect, "anthropic", path=msgs, model=claude)
    cases = [
        sdk(msgs, "messages.create", claude, fake("pong")),
        sdk(msgs, "messages.create", "gpt-4o", Expect("openai", "pong", CHAT, "gpt-4o")),
        sdk(msgs, "messages.stream", claude, fake("one two three")),
        sdk(msgs, "messages.tools", claude, fake(TOOLED, calls=2)),
        sdk(msgs, "messages.parse", claude, fake(OBJECT)),
        sdk(msgs, "messages.thinking", claude, fake("thought"), checks=(kept("thinking", "anthropic"),)),
        sdk(
            msgs,
            "messages.cache_control",
            claude,
            fake("cached"),
            checks=(kept("cache_control", "anthropic"),),
        ),
        sdk(count, "messages.countTokens", claude, Expect(None, "input tokens", gateway=True)),
        sdk("/v1/models", "models.list", claude, Expect(None, "models", gateway=True)),
    ]
    for case in ("messages.create", "messages.stream", "messages.parse"):
        cases.append(sdk(msgs, case, LOCAL, Expect(None)))
    cases.append(sdk(count, "messages.countTokens", LOCAL, Expect(None, "input tokens", gateway=True)))
    cases.append(sdk(msgs, "messages.tools", LOCAL, Expect(None, calls=2), limited=NO_TOOLS))
    return cases


AI_SURFACES = {
    "responses": ("/v1/responses (`openai()`)", "openai", "gpt-4o", CHAT),
    "chat": ("/v1/chat/completions (`openai.chat()`)", "openai", "gpt-4o", CHAT),
    "anthropic": ("/v1/messages (`anthropic()`)", "anthropic", "claude-sonnet-4-6", "/v1/messages"),
    "completion": ("/v1/completions (`openai.completion()`)", "openai", "gpt-4o", ""),
}
AI_CASES = {
    "generateText": "pong",
    "streamText": "one two three",
    "tools": TOOLED,
    "generateObject": OBJECT,
    "outputObject": OBJECT,
}


def ai_cases() -> list[Case]:
    cases: list[Case] = []
    for key, (surface, wire, model, path) in AI_SURFACES.items():
        provider = "@ai-sdk/anthropic" if wire == "anthropic" else "@ai-sdk/openai"
        names = ("generateText", "streamText") if key == "completion" else tuple(AI_CASES)
        for name in names:
            expect = Expect(wire, AI_CASES[name], path, model, calls=2 if name == "tools" else 1)
            cases.append(_ai(key, surface, name, model, expect, provider))
    local = [
        ("responses", "generateText"),
        ("chat", "streamText"),
        ("anthropic", "generateText"),
        ("chat", "generateObject"),
        ("completion", "generateText"),
    ]
    for key, name in local:
        surface, wire, _, _ = AI_SURFACES[key]
        provider = "@ai-sdk/anthropic" if wire == "anthropic" else "@ai-sdk/openai"
        cases.append(_ai(key, surface, name, LOCAL, Expect(None), provider))
    cases.append(
        _ai(
            "chat",
            AI_SURFACES["chat"][0],
            "tools",
            LOCAL,
            Expect(None, calls=2),
            "@ai-sdk/openai",
            limited=NO_TOOLS,
        )
    )
    return cases


def _ai(key: str, surface: str, name: str, model: str, expect: Expect, provider: str, **more: Any) -> Case:
    target = "local" if model == LOCAL else "fake"
    run = partial(_node, f"ai/{key}/{name}", model)
    return Case("ai", surface, name, target, run, expect, model=model, versions=("ai", provider), **more)


CLIENTS = {
    "claude": ("Claude Code", "@anthropic-ai/claude-code", claude_cases),
    "codex": ("Codex CLI", "@openai/codex", codex_cases),
    "openai": ("`openai` (Node)", "openai", openai_cases),
    "anthropic": ("`@anthropic-ai/sdk` (Node)", "@anthropic-ai/sdk", anthropic_cases),
    "ai": ("AI SDK", "ai", ai_cases),
}
"""Key: (name in the table, npm package, its cases)."""
