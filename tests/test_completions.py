"""The openai SDK's legacy `completions.create` → pointsman's /v1/completions → any chat model: the
prompt arrives as one user message with every carried field, the answer comes back as a
`text_completion` (JSON and SSE), and what cannot be carried is an OpenAI-shaped 400."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import openai
import pytest

from conftest import Gateway, two_wire_gateway
from pointsman.fakes.anthropic_server import FakeAnthropic
from pointsman.fakes.openai_server import FakeOpenAI

KEY = "pm-completions-client-key"


MODELS = """
models:
  gpt: {provider: oai, upstream: small-1, input: 0.15, output: 0.60}
  claude: {provider: ant, upstream: claude-any, input: 3, output: 15}
"""


@pytest.fixture(scope="module")
def gw(make_gateway: Any, fake: FakeOpenAI, anthropic_fake: FakeAnthropic) -> Gateway:
    return two_wire_gateway(make_gateway, fake, anthropic_fake, KEY, MODELS)


@pytest.fixture
def claude_fake(anthropic_fake: FakeAnthropic) -> FakeAnthropic:
    anthropic_fake.seen.clear()
    return anthropic_fake


def client(gw: Gateway) -> openai.OpenAI:
    return gw.client(KEY)


def test_a_completion_answered_by_an_openai_model_carries_every_field(gw: Gateway, fake: FakeOpenAI) -> None:
    raw = client(gw).completions.with_raw_response.create(
        model="gpt",
        prompt="say: the points are set",
        max_tokens=20,
        temperature=0.5,
        top_p=0.9,
        stop=["\n\n"],
        seed=7,
        user="user-42",
        presence_penalty=0.1,
        frequency_penalty=0.2,
        logit_bias={"50256": -100},
        suffix="",
        best_of=1,
        echo=False,
    )
    done = raw.parse()
    assert done.object == "text_completion" and done.id.startswith("cmpl-") and done.model == "gpt"
    assert [(c.index, c.text, c.finish_reason) for c in done.choices] == [(0, "the points are set", "stop")]
    assert done.usage is not None and done.usage.prompt_tokens > 0 and done.usage.completion_tokens == 4
    sent = fake.seen[-1].body
    assert sent["messages"] == [{"role": "user", "content": "say: the points are set"}]
    carried = {k: sent.get(k) for k in ("max_tokens", "temperature", "top_p", "stop", "seed", "user")}
    assert carried == {
        "max_tokens": 20,
        "temperature": 0.5,
        "top_p": 0.9,
        "stop": ["\n\n"],
        "seed": 7,
        "user": "user-42",
    }
    assert (sent["presence_penalty"], sent["frequency_penalty"]) == (0.1, 0.2)
    assert sent["logit_bias"] == {"50256": -100}
    assert not {"prompt", "suffix", "best_of", "echo"} & set(sent)
    row = gw.row(raw.headers["x-pointsman-request-id"])
    assert (row["endpoint"], row["model"], row["status"]) == ("completions", "gpt", 200)
    assert row["completion_tokens"] == 4


def test_a_streamed_completion_from_an_openai_model(gw: Gateway, fake: FakeOpenAI) -> None:
    stream = client(gw).completions.create(
        model="gpt", prompt=["say: one two three"], stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert {c.object for c in chunks} == {"text_completion"}
    assert len({c.id for c in chunks}) == 1 and chunks[0].id.startswith("cmpl-")
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "one two three"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 3
    sent = fake.seen[-1].body
    assert sent["stream"] is True and sent["messages"] == [{"role": "user", "content": "say: one two three"}]
    rows = [r for r in gw.rows() if r["endpoint"] == "completions" and r["stream"]]
    assert rows and rows[-1]["completion_tokens"] == 3


def test_no_usage_chunk_unless_asked(gw: Gateway) -> None:
    chunks = list(client(gw).completions.create(model="gpt", prompt="say: quiet", stream=True))
    assert all(c.usage is None for c in chunks) and all(c.choices for c in chunks)


def test_answered_by_an_anthropic_model(gw: Gateway, claude_fake: FakeAnthropic) -> None:
    done = client(gw).completions.create(
        model="claude", prompt="say: from claude", max_tokens=30, temperature=0.3, stop=["END"], user="u-7"
    )
    assert done.choices[0].text == "from claude" and done.choices[0].finish_reason == "stop"
    assert done.model == "claude" and done.usage is not None and done.usage.total_tokens > 0
    sent = claude_fake.seen[-1].body
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "say: from claude"}]}]
    assert (sent["max_tokens"], sent["temperature"], sent["stop_sequences"]) == (30, 0.3, ["END"])
    assert sent["metadata"] == {"user_id": "u-7"}


def test_streamed_by_an_anthropic_model(gw: Gateway, claude_fake: FakeAnthropic) -> None:
    stream = client(gw).completions.create(
        model="claude",
        prompt="say: streamed from claude",
        max_tokens=30,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "streamed from claude"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    assert claude_fake.seen[-1].body["stream"] is True


def test_a_length_cut_and_several_choices(gw: Gateway, fake: FakeOpenAI) -> None:
    cut = client(gw).completions.create(model="gpt", prompt="say: a b c d e f", max_tokens=2)
    assert (cut.choices[0].text, cut.choices[0].finish_reason) == ("a b ", "length")
    two = client(gw).completions.create(model="gpt", prompt="say: twice", n=2)
    assert [(c.index, c.text) for c in two.choices] == [(0, "twice"), (1, "twice")]
    assert fake.seen[-1].body["n"] == 2
    chunks = list(client(gw).completions.create(model="gpt", prompt="say: both ways", n=2, stream=True))
    texts = {
        i: "".join(c.choices[0].text for c in chunks if c.choices and c.choices[0].index == i) for i in (0, 1)
    }
    assert texts == {0: "both ways", 1: "both ways"}


def test_echo_puts_the_prompt_first(gw: Gateway) -> None:
    done = client(gw).completions.create(model="gpt", prompt="say: back", echo=True)
    assert done.choices[0].text == "say: backback"
    chunks = list(client(gw).completions.create(model="claude", prompt="say: back", echo=True, stream=True))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "say: backback"


def test_logprobs_come_back_in_the_legacy_shape(gw: Gateway, fake: FakeOpenAI) -> None:
    done = client(gw).completions.create(model="gpt", prompt="say: two words", logprobs=1)
    logprobs = done.choices[0].logprobs
    assert logprobs is not None and logprobs.tokens == ["two ", "words"]
    assert logprobs.token_logprobs == [-0.01, -0.02] and logprobs.text_offset == [0, 4]
    assert logprobs.top_logprobs == [{"two ": -0.01}, {"words": -0.02}]
    sent = fake.seen[-1].body
    assert (sent["logprobs"], sent["top_logprobs"]) == (True, 1)
    with pytest.raises(openai.BadRequestError) as refused:  # a model that has none says so
        client(gw).completions.create(model="claude", prompt="say: x", logprobs=1)
    assert "logprobs" in refused.value.message


@pytest.mark.parametrize(
    ("body", "param", "words"),
    [
        ({"prompt": ["say: a", "say: b"]}, "prompt", "2 prompts"),
        ({"prompt": [1, 2, 3]}, "prompt", "token ids"),
        ({"prompt": [[1, 2], [3]]}, "prompt", "token ids"),
        ({"prompt": []}, "prompt", "must be a string"),
        ({"prompt": ""}, "prompt", "empty"),
        ({"prompt": 5}, "prompt", "got number"),
        ({}, "prompt", "Missing required parameter: 'prompt'"),
        ({"prompt": "x", "suffix": "def f():"}, "suffix", "no equivalent"),
        ({"prompt": "x", "best_of": 3}, "best_of", "ranked"),
        ({"prompt": "x", "best_of": 1, "n": 2}, "best_of", "at least 'n'"),
        ({"prompt": "x", "echo": True, "logprobs": 1}, "echo", "drop one"),
        ({"prompt": "x", "logprobs": -1}, "logprobs", "non-negative"),
        ({"prompt": "x", "logprobs": True}, "logprobs", "got boolean"),
        ({"prompt": "x", "echo": "yes"}, "echo", "boolean"),
        ({"prompt": "x", "stop": [1]}, "stop[0]", "string"),
        ({"prompt": "x", "max_tokens": "9"}, "max_tokens", "integer"),
        ({"prompt": "x", "stream": "yes"}, "stream", "boolean"),
    ],
)
def test_what_cannot_be_carried_is_an_openai_shaped_400(
    gw: Gateway, fake: FakeOpenAI, body: dict[str, Any], param: str, words: str
) -> None:
    fake.seen.clear()
    response = httpx.post(
        f"{gw.url}/v1/completions",
        json={"model": "gpt", **body},
        headers={"authorization": f"Bearer {KEY}"},
        timeout=10,
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert words in error["message"]
    assert not fake.seen  # refused before any provider


def test_the_sdk_raises_on_several_prompts(gw: Gateway) -> None:
    with pytest.raises(openai.BadRequestError, match="one prompt per request"):
        client(gw).completions.create(model="gpt", prompt=["say: a", "say: b"])


def test_a_stream_that_breaks_ends_with_an_error_the_sdk_raises(gw: Gateway) -> None:
    stream = client(gw).completions.create(
        model="gpt",
        prompt="say: one two three four five six",
        stream=True,
        extra_body={"fake_fault": {"kind": "error_event", "after": 2}},
    )
    texts: list[str] = []
    with pytest.raises(openai.APIError):
        for chunk in stream:
            texts.extend(c.text for c in chunk.choices)
    assert texts and "".join(texts) != "one two three four five six"


def test_the_path_is_listed_and_takes_only_post(gw: Gateway) -> None:
    missing = httpx.get(f"{gw.url}/v1/nowhere", timeout=10).json()["error"]["message"]
    assert "POST /v1/completions" in missing
    wrong = httpx.get(f"{gw.url}/v1/completions", headers={"authorization": f"Bearer {KEY}"}, timeout=10)
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
