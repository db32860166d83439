"""Answer checks: decide whether a canonical chat.completion answer is bad enough to escalate.

Every check is pure and cheap when it does not apply (no `response_format` → no JSON parsing, no tool
calls → no schema work). `check_answer` never raises: an answer of an unexpected shape is reported as a
failure, and a request whose own schema is broken never fails the answer. Streamed answers are judged
the same way once `assemble` has merged their chunks.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any

import orjson
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from pointsman.providers.base import content_text
from pointsman.routing.plan import CheckPolicy

Json = dict[str, Any]

_REFUSAL_WINDOW = 300
"""Refusal patterns only look at the opening of an answer: refusals come first, and it bounds the work."""

_QUOTE_CHARS = 80
_SCHEMA_ERROR_CHARS = 120
_JSON_FORMATS = ("json_object", "json_schema")


@dataclass(frozen=True, slots=True)
class CheckFailure:
    """Why an answer was judged bad; `detail` is short and safe to log and to show a client."""

    check: str
    """One of: empty, refusal, invalid_json, schema, unknown_tool, tool_arguments, low_confidence."""
    detail: str


def check_answer(request: Json, answer: Json, policy: CheckPolicy) -> CheckFailure | None:
    """Check the first choice of a canonical chat.completion `answer` against what `request` asked for.

    Checks run in order empty, refusal, JSON, tools, confidence; the first failure is returned.
    """
    choice = _first_choice(answer)
    if choice is None:
        if policy.empty:
            return CheckFailure("empty", "the answer has no usable choice")
        return None
    message = _as_dict(choice.get("message"))
    text = _text(message.get("content"))
    calls = message.get("tool_calls")
    calls = calls if isinstance(calls, list) and calls else None
    refusal = message.get("refusal")
    refusal = refusal if isinstance(refusal, str) and refusal.strip() else None
    finish = choice.get("finish_reason")

    # A content_filter stop usually has no text; it reads better as the refusal it is than as "empty".
    filtered = policy.refusal and finish == "content_filter"
    if policy.empty and not text.strip() and calls is None and refusal is None and not filtered:
        return CheckFailure("empty", _empty_detail(finish))
    if policy.refusal:
        failure = _check_refusal(text, refusal, finish, policy.refusal_patterns)
        if failure is not None:
            return failure
    if policy.json:
        response_format = _json_format(request)
        # A tool call or a refusal in place of content is not a JSON answer gone wrong.
        if response_format is not None and (text.strip() or (calls is None and refusal is None)):
            failure = _check_json(text, response_format)
            if failure is not None:
                return failure
    if policy.tools and calls is not None:
        failure = _check_tools(request, calls)
        if failure is not None:
            return failure
    if policy.logprob_floor is not None:
        return _check_logprobs(choice, policy.logprob_floor)
    return None


def needs_whole_answer(request: Json, policy: CheckPolicy) -> bool:
    """True when a check can only be judged on the complete answer, so a stream must be buffered first."""
    if policy.json and _json_format(request) is not None:
        return True
    tools = request.get("tools")
    if policy.tools and isinstance(tools, list) and tools:
        return True
    return policy.logprob_floor is not None


# --- the checks -------------------------------------------------------------------------------------


def _empty_detail(finish: Any) -> str:
    if finish == "length":
        return "the answer has no text and no tool call (it stopped at the token limit)"
    return "the answer has no text and no tool call"


def _check_refusal(
    text: str, refusal: str | None, finish: Any, patterns: tuple[re.Pattern[str], ...]
) -> CheckFailure | None:
    if refusal is not None:
        return CheckFailure("refusal", f"the model refused: {_quote(refusal)}")
    if finish == "content_filter":
        return CheckFailure("refusal", "the provider stopped the answer with finish_reason content_filter")
    if patterns and text:
        opening = text[:_REFUSAL_WINDOW]
        for pattern in patterns:
            if pattern.search(opening):
                return CheckFailure(
                    "refusal",
                    f"the answer matches refusal pattern {_quote(pattern.pattern, 40)}: {_quote(text)}",
                )
    return None


def _check_json(text: str, response_format: Json) -> CheckFailure | None:
    try:
        # orjson allows surrounding whitespace and rejects ```json fences, as a client's json.loads would.
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return CheckFailure("invalid_json", f"content is not valid JSON: {exc}: {_quote(text, 40)}")
    if response_format["type"] == "json_object":
        if not isinstance(value, dict):
            return CheckFailure("invalid_json", f"content is JSON but not an object (it is {_kind(value)})")
        return None
    spec = response_format.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, dict) else None
    error = _schema_error(schema, value)
    if error is not None:
        return CheckFailure("schema", f"content does not match the response schema: {error}")
    return None


def _check_tools(request: Json, calls: list[Any]) -> CheckFailure | None:
    declared = _declared_tools(request)
    for call in calls:
        failure = _check_call(_as_dict(call), declared)
        if failure is not None:
            return failure
    return None


def _check_call(call: Json, declared: dict[str, Any]) -> CheckFailure | None:
    function = call.get("function")
    # Custom (free-form) tools take plain text input: only their name can be checked.
    custom = not isinstance(function, dict) and isinstance(call.get("custom"), dict)
    name = _as_dict(call.get("custom") if custom else function).get("name")
    if not isinstance(name, str) or name not in declared:
        known = _shorten(", ".join(declared), _QUOTE_CHARS) or "none"
        if not isinstance(name, str):
            return CheckFailure("unknown_tool", f"a tool call names no tool (the request's tools: {known})")
        shown = repr(_shorten(name, 40))
        return CheckFailure("unknown_tool", f"tool {shown} is not among the request's tools ({known})")
    if custom:
        return None
    return _check_arguments(name, _as_dict(function).get("arguments"), declared[name])


def _check_arguments(name: str, arguments: Any, parameters: Any) -> CheckFailure | None:
    if isinstance(arguments, str):
        if not arguments.strip():
            # Several providers send "" for a call without arguments; clients treat it as {}.
            arguments = "{}"
        try:
            value = orjson.loads(arguments)
        except orjson.JSONDecodeError as exc:
            return CheckFailure(
                "tool_arguments",
                f"arguments of tool '{name}' are not valid JSON: {exc}: {_quote(arguments, 40)}",
            )
    else:
        value = arguments
    if not isinstance(value, dict):
        return CheckFailure(
            "tool_arguments", f"arguments of tool '{name}' are not a JSON object (it is {_kind(value)})"
        )
    error = _schema_error(parameters, value)
    if error is not None:
        return CheckFailure(
            "tool_arguments", f"arguments of tool '{name}' do not match its parameters: {error}"
        )
    return None


def _check_logprobs(choice: Json, floor: float) -> CheckFailure | None:
    tokens = _as_dict(choice.get("logprobs")).get("content")
    values = [
        float(token["logprob"])
        for token in _as_list(tokens)
        if isinstance(token, dict)
        and isinstance(token.get("logprob"), int | float)
        and not isinstance(token.get("logprob"), bool)
        and not math.isnan(token["logprob"])
    ]
    if not values:
        return None
    mean = sum(values) / len(values)
    if mean >= floor:
        return None
    return CheckFailure("low_confidence", f"mean token logprob {mean:.2f} is under the floor {floor:.2f}")


# --- JSON Schema ------------------------------------------------------------------------------------


def _schema_error(schema: Any, instance: Any) -> str | None:
    """The first validation error as "path: message", or None when valid or when the schema is unusable."""
    if not isinstance(schema, dict | bool):
        return None
    try:
        key = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        return None
    validator = _validator(key)
    if validator is None:
        return None
    try:
        error = next(iter(validator.iter_errors(instance)), None)
    except Exception:  # an unresolvable $ref, a recursive schema: the request's fault, not the answer's
        return None
    if error is None:
        return None
    return _shorten(f"{error.json_path}: {error.message}", _SCHEMA_ERROR_CHARS)


@functools.lru_cache(maxsize=256)
def _validator(key: bytes) -> Validator | None:
    """A compiled validator for the schema serialized in `key`; None when the schema itself is invalid.

    Keyed by canonical bytes so equal schemas from different requests share one validator.
    """
    schema = orjson.loads(key)
    try:
        cls = validator_for(schema)
        cls.check_schema(schema)
        return cls(schema)
    except Exception:  # SchemaError, or jsonschema choking on e.g. a non-string "$schema"
        # An invalid schema would have been rejected by the provider: don't judge answers by it.
        return None


# --- shapes -----------------------------------------------------------------------------------------


def _first_choice(answer: Any) -> Json | None:
    choices = _as_dict(answer).get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0]
    return None


def _json_format(request: Json) -> Json | None:
    """The request's `response_format` when it asks for JSON, else None."""
    response_format = request.get("response_format") if isinstance(request, dict) else None
    if isinstance(response_format, dict) and response_format.get("type") in _JSON_FORMATS:
        return response_format
    return None


def _declared_tools(request: Json) -> dict[str, Any]:
    """Declared tool name → its parameters schema (None when not given)."""
    declared: dict[str, Any] = {}
    for tool in _as_list(request.get("tools") if isinstance(request, dict) else None):
        tool = _as_dict(tool)
        spec = _as_dict(tool.get("function") if "function" in tool else tool.get("custom"))
        name = spec.get("name")
        if isinstance(name, str):
            declared[name] = spec.get("parameters")
    return declared


def _text(content: Any) -> str:
    """Message content as text; content-part lists are joined (some providers answer with parts)."""
    return content_text(content)


def _as_dict(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number" if isinstance(value, int | float) else "an object"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str, limit: int = _QUOTE_CHARS) -> str:
    """A short, quoted excerpt, so a detail never carries a whole answer."""
    return repr(_shorten(text.strip(), limit))


# --- stream assembly --------------------------------------------------------------------------------
