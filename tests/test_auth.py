"""Gateway keys on /v1, the admin key on admin routes; the ledger sees key ids, never keys."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import openai
import pytest

from conftest import Gateway, user

KEYS = """
server:
  keys:
    - {id: team-a, key: pm-key-aaaa-1111}
    - {id: team-b, key: pm-key-bbbb-2222}
  admin_key: pm-admin-9999
"""


@pytest.fixture(scope="module")
def locked(make_gateway: Any) -> Gateway:
    gateway: Gateway = make_gateway(KEYS)
    return gateway


def test_missing_or_wrong_key_is_401_and_right_key_passes(locked: Gateway) -> None:
    response = httpx.post(f"{locked.url}/v1/chat/completions", json={"model": "small", "messages": user("x")})
    assert response.status_code == 401 and "requires a key" in response.json()["error"]["message"]
    assert response.json()["error"]["type"] == "authentication_error"
    with pytest.raises(openai.AuthenticationError) as info:
        locked.client(api_key="pm-key-wrong").chat.completions.create(model="small", messages=user("x"))
    assert "not valid" in info.value.message and "pm-key-wrong" not in info.value.response.text
    raw = locked.client(api_key="pm-key-bbbb-2222").chat.completions.with_raw_response.create(
        model="small", messages=user("x")
    )
    row = locked.row(raw.headers["x-pointsman-request-id"])
    assert row["key_id"] == "team-b"
    assert "pm-key-bbbb-2222" not in str(row)


def test_models_and_embeddings_need_the_key_too(locked: Gateway) -> None:
    with pytest.raises(openai.AuthenticationError):
        locked.client(api_key="nope").models.list()
    with pytest.raises(openai.AuthenticationError):
        locked.client(api_key="nope").embeddings.create(model="embed", input="x")
    assert locked.client(api_key="pm-key-aaaa-1111").models.list().data


def test_anthropic_style_x_api_key_header_is_accepted(locked: Gateway) -> None:
    response = httpx.post(
        f"{locked.url}/v1/chat/completions",
        headers={"x-api-key": "pm-key-aaaa-1111"},
        json={"model": "small", "messages": user("x")},
    )
    assert response.status_code == 200


def test_health_needs_no_key_but_admin_needs_the_admin_key(locked: Gateway) -> None:
    assert httpx.get(f"{locked.url}/healthz").status_code == 200
    assert httpx.get(f"{locked.url}/admin/spend").status_code == 401
    gateway_key = {"authorization": "Bearer pm-key-aaaa-1111"}
    assert httpx.get(f"{locked.url}/admin/spend", headers=gateway_key).status_code == 401
    locked.client(api_key="pm-key-aaaa-1111").chat.completions.create(model="small", messages=user("x"))
    response = httpx.get(
        f"{locked.url}/admin/spend?by=key", headers={"authorization": "Bearer pm-admin-9999"}
    )
    assert response.status_code == 200
    groups = {line["group"]: line for line in response.json()["data"]}
    assert groups["team-a"]["requests"] >= 1


def test_admin_routes_are_off_without_an_admin_key(gateway: Gateway) -> None:
    response = httpx.get(f"{gateway.url}/admin/spend", headers={"authorization": "Bearer x"})
    assert response.status_code == 403 and "server.admin_key" in response.json()["error"]["message"]
