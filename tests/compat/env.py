"""What the compatibility tests share besides fixtures: the gateway's model names, its key, and
reading what reached the fake providers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import Runnable
from pydantic import BaseModel

from conftest import Gateway
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.openai_server import FakeOpenAI

KEY = "pm-compat-client-key"
GPT = "gpt-4o-mini"
"""Answered by the OpenAI-wire fake (upstream `small-1`)."""
CLAUDE = "claude-sonnet-4-6"
"""Answered by the Anthropic-wire fake."""
INSTRUCT = "gpt-3.5-turbo-instruct"
"""An alias of GPT, named like a legacy completions model."""
CITY = {"city": "city example"}
"""The arguments the fakes call a `get_weather(city: str)` tool with."""


@dataclass
class Compat:
    gateway: Gateway
    openai: FakeOpenAI
    anthropic: FakeAnthropic

    @property
    def url(self) -> str:
        """The bare host (Anthropic clients and litellm's `anthropic/` add `/v1/...` themselves)."""
        return self.gateway.url

    @property
    def v1(self) -> str:
        """The OpenAI clients' base URL."""
        return f"{self.gateway.url}/v1"

    def sent(self) -> list[dict[str, Any]]:
        """Every request body the fakes received since the test began, oldest first."""
        seen = sorted([*self.openai.seen, *self.anthropic.seen], key=lambda s: s.ts)
        return [s.body for s in seen]

    def last_openai(self) -> dict[str, Any]:
        assert self.openai.seen, "no request reached the OpenAI fake"
        body: dict[str, Any] = self.openai.seen[-1].body
        return body

    def last_anthropic(self) -> dict[str, Any]:
        assert self.anthropic.seen, "no request reached the Anthropic fake"
        body: dict[str, Any] = self.anthropic.seen[-1].body
        return body


def tool_names(body: dict[str, Any]) -> list[str]:
    """The tools a request offered, on either wire."""
    out = []
    for tool in body.get("tools") or ():
        function = tool.get("function")
        out.append(function["name"] if isinstance(function, dict) else tool.get("name"))
    return out


def user_texts(body: dict[str, Any]) -> list[str]:
    """The text of each user message, on either wire."""
    out = []
    for message in body.get("messages") or ():
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.append(" ".join(p.get("text", "") for p in content if isinstance(p, dict) and "text" in p))
    return out


class Weather(BaseModel):
    """A structured output; the fakes fill it in as `FILLED`."""

    city: str
    degrees: int


FILLED = Weather(city="city example", degrees=42)


def get_weather(city: str) -> str:
    """Tell the weather in a city."""
    return f"sunny in {city}"


def langchain_tool_round_trip(bound: Runnable[list[BaseMessage], BaseMessage]) -> str:
    """Ask a langchain chat model with `get_weather` bound to use it, run the call it makes, send the
    result back; the text of its final answer."""
    question = HumanMessage("use the tool for the weather")
    call = bound.invoke([question])
    assert isinstance(call, AIMessage) and call.tool_calls
    result = ToolMessage(get_weather(**call.tool_calls[0]["args"]), tool_call_id=call.tool_calls[0]["id"])
    return bound.invoke([question, call, result]).text
