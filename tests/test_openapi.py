"""GET /openapi.json describes pointsman's own API; schemathesis holds the gateway to it: cases made
from the description, valid and invalid, get no 5xx of the gateway's own, and every answer has the
status, content type, headers and body shape the description gives."""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import PROVIDER_KEY, Gateway, repo_root
from fuzzing import ADMIN_KEY, is_upstream_5xx, three_wire_gateway
from pointsman.api.app import ACTION_ROUTES, PREFIX_ROUTES, ROUTES
from pointsman.fakes.openai_server import FakeOpenAI
from pointsman.serving import BackgroundServers

KEY = "pm-openapi-client-key"
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def gw(make_gateway: Any, servers: BackgroundServers, fake: FakeOpenAI) -> Iterator[Gateway]:
    yield three_wire_gateway(make_gateway, servers, fake.url, PROVIDER_KEY, KEY)


@pytest.fixture(scope="module")
def described(gw: Gateway) -> dict[str, Any]:
    response = httpx.get(f"{gw.url}/openapi.json", timeout=10)  # no key needed
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    spec: dict[str, Any] = response.json()
    return spec


def test_the_description_is_valid_openapi_and_names_every_route(described: dict[str, Any]) -> None:
    validate(described)
    served = {path for path in ROUTES} | {f"{prefix}{{model}}" for prefix, _, _ in PREFIX_ROUTES}
    actions = {
        f"{prefix}{{model}}:{action}": method
        for prefix, served_actions in ACTION_ROUTES
        for action, (method, _) in served_actions.items()
    }
    assert set(described["paths"]) == served | set(actions)
    for path, (method, _) in ROUTES.items():
        assert list(described["paths"][path]) == [method.lower()], path
    for path, method in actions.items():
        assert list(described["paths"][path]) == [method.lower()], path
    pyproject = tomllib.loads((repo_root() / "pyproject.toml").read_text())
    assert described["info"]["version"] == pyproject["project"]["version"]


def test_the_readme_points_to_the_description() -> None:
    assert "GET /openapi.json" in (repo_root() / "README.md").read_text()


MODELS = {"/v1/embeddings": ["embed"]}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_finds_no_5xx_and_no_answer_off_the_description(
    gw: Gateway, described: dict[str, Any], mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_dict(described)
    statuses: Counter[int] = Counter()

    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(case=schema.as_strategy(generation_mode=mode), data=st.data())
    def one(case: schemathesis.Case, data: st.DataObject) -> None:
        path = case.operation.path
        if isinstance(case.body, dict) and data.draw(st.booleans()):
            # a name the catalog has, so valid cases reach a provider instead of a 404
            case.body["model"] = data.draw(st.sampled_from(MODELS.get(path, ["small", "claude", "gem"])))
        if "model" in (case.path_parameters or {}) and data.draw(st.booleans()):
            case.path_parameters["model"] = data.draw(st.sampled_from(["small", "claude", "gem"]))
        key = ADMIN_KEY if path.startswith("/admin/") else KEY
        response = case.call(base_url=gw.url, headers={"authorization": f"Bearer {key}"}, timeout=15)
        statuses[response.status_code] += 1
        body = json.loads(response.content) if response.status_code >= 500 else None
        assert response.status_code < 500 or is_upstream_5xx(response.status_code, body), response.text
        case.validate_response(response, checks=CHECKS)

    one()
    assert statuses[200] > 0 and statuses[400] > 0, statuses
