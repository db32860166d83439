"""POST /v1/feedback: a score for a request this gateway answered, stored against its ledger row.

The request is named by the id every answer carries in `x-pointsman-request-id` (the ledger row's
id). A score on a request a learned route decided also moves the ability of the model that answered
(learned/online.py), so the route's next decisions use it.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import orjson

from pointsman.api.http import parse_json_object, read_body, send_json
from pointsman.api.request import Request
from pointsman.errors import InvalidRequest, NotFound
from pointsman.learned.online import learn_from
from pointsman.ledger.feedback import Feedback

if TYPE_CHECKING:
    from pointsman.compose import Gateway

MAX_LABEL = 200
MAX_COMMENT = 4000


def score_of(value: Any) -> float:
    """A score from 0 (bad) to 1 (good); true and false are 1 and 0."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float) and math.isfinite(value) and 0 <= value <= 1:
        return float(value)
    shown = orjson.dumps(value).decode()[:40] if value is not None else "nothing"
    raise InvalidRequest(f"'score' must be a number from 0 to 1, or true/false; got {shown}", param="score")


def _text(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidRequest(f"'{name}' must be a string of at most {limit} characters", param=name)
    return value


def feedback_of(body: dict[str, Any], key_id: str, now: float) -> Feedback:
    request_id = body.get("request_id")
    if not isinstance(request_id, str) or not 0 < len(request_id) <= 200:
        raise InvalidRequest(
            "'request_id' must be the `x-pointsman-request-id` of the answer being rated (a string)",
            param="request_id",
        )
    if "score" not in body:
        raise InvalidRequest("'score' is required: a number from 0 to 1, or true/false", param="score")
    return Feedback(
        request_id,
        score_of(body["score"]),
        now,
        key_id,
        _text(body, "label", MAX_LABEL),
        _text(body, "comment", MAX_COMMENT),
    )


async def post_feedback(gateway: Gateway, request: Request) -> None:
    key_id = gateway.auth.key_id(request.scope)
    body = parse_json_object(await read_body(request.scope, request.receive, *gateway.body_limits))
    item = feedback_of(body, key_id, time.time())
    owner = key_id if gateway.auth.required else None
    stored = await gateway.ledger.feedback(item, owner)
    if stored is None:
        made = " made with this key" if owner is not None else ""
        raise NotFound(
            f"No request {item.request_id[:80]!r}{made} is in the ledger: send the "
            "`x-pointsman-request-id` header of the answer you are rating.",
            param="request_id",
        )
    learned = learn_from(gateway.abilities, stored.model, stored.learned, item.score, stored.previous)
    answer: dict[str, Any] = {
        "object": "feedback",
        "request_id": item.request_id,
        "score": item.score,
        "label": item.label,
        "comment": item.comment,
        "model": stored.model,
        "route": stored.route,
        "replaced": stored.previous,
        "ability_update": None
        if learned is None
        else {"model": learned.model, "feedback": learned.count, "delta": learned.delta},
    }
    await send_json(request.send, 200, orjson.dumps(answer), [request.id_header])
