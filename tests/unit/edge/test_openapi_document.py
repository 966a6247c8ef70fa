"""``/api/openapi.json`` is the API (docs/architecture.md, "The HTTP edge"): every operation has a
success model and documents its error answers as problem details (RFC 9457); the schemas state
the rules the server applies. The contract test (tests/integration/test_api_contract.py) runs
the document against the real app; these tests pin what it must always say."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest

from functions.app import create_app
from functions.errors import status_for
from functions.schemas import GUID_PATTERN
from shared.domain import errors as e
from shared.domain.keys import parse_guid
from shared.domain.solutions import builtin_solutions, parse_solution
from tests.support.settings import explicit_settings
from tests.support.world import World

DOCUMENT: dict[str, Any] = create_app(settings=explicit_settings()).openapi()
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in DOCUMENT["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def validator(component: str) -> jsonschema_rs.Validator:
    """A validator for one component of the document (its references resolve inside it)."""
    schema = {"$ref": f"#/components/schemas/{component}", "components": DOCUMENT["components"]}
    return jsonschema_rs.validator_for(schema)


def test_the_document_covers_the_json_api_and_nothing_else() -> None:
    paths = list(DOCUMENT["paths"])
    assert len(list(operations())) >= 40
    assert all(path.startswith("/api/") for path in paths), paths


@pytest.mark.parametrize(("path", "method", "operation"), list(operations()))
def test_every_operation_documents_its_success_and_the_edges_answers(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    responses = operation["responses"]
    success = [s for s in responses if s.startswith("2")]
    assert len(success) == 1, success
    content = responses[success[0]].get("content", {})
    if success[0] == "204":
        assert content == {}
    else:
        [(media, body)] = [(m, b) for m, b in content.items() if m != "application/problem+json"]
        schema = body["schema"]
        assert "$ref" in schema or "$ref" in schema.get("items", {}) or media == "text/csv", schema
    expected = {"401", "503"}
    if operation.get("parameters") or operation.get("requestBody"):
        expected.add("400")
    if method in ("post", "put", "patch", "delete"):
        expected |= {"403", "413"}
    assert expected <= set(responses)
    assert "422" not in responses or responses["422"]["content"] == PROBLEM  # Dynamics refused
    for status, answer in responses.items():
        if status.startswith(("4", "5")):
            assert (
                answer["content"]["application/problem+json"] == PROBLEM["application/problem+json"]
            ), (status, answer)
    assert "Retry-After" in responses["503"]["headers"]


def test_no_response_model_is_a_free_form_object() -> None:
    for name, schema in DOCUMENT["components"]["schemas"].items():
        for where, node in _objects(schema, name):
            assert "properties" in node or isinstance(node.get("additionalProperties"), dict), where


def _objects(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield where, node
        for key, value in node.items():
            yield from _objects(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, f"{where}[{index}]")


@pytest.mark.parametrize(
    "value",
    [
        "0aa00000-0000-4000-8000-000000000001",
        "{0AA00000-0000-4000-8000-000000000001}",
        "{0aa00000-0000-4000-8000-000000000001",
        "0aa00000-0000-4000-8000-000000000001}",
        "0aa00000000040008000000000000001",
        "0aa00000-0000-4000-8000-00000000000g",
        "",
    ],
)
def test_the_guid_pattern_accepts_what_the_server_reads_as_a_record_id(value: str) -> None:
    stated = jsonschema_rs.is_valid({"type": "string", "pattern": GUID_PATTERN}, value)
    try:
        parse_guid(value, what="id")
        read = True
    except e.InvalidInput:
        read = False
    assert stated == read


def test_the_built_in_solutions_fit_the_documented_solution_schema() -> None:
    check = validator("Solution")
    for solution in builtin_solutions():
        assert check.is_valid(json.loads(solution.model_dump_json())), solution.id


def _broken(path: str, value: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(json.loads(builtin_solutions()[0].model_dump_json()))
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("id", "B2B"),
        ("id", "x" * 65),
        ("name", ""),
        ("name", "   "),
        ("version", 0),
        ("version", True),
        ("criteria", []),
        ("criteria.0.weight", 0),
        ("criteria.0.weight", 1001),
        ("criteria.0.weight", "-1"),
        ("criteria.0.order", 10_001),
        ("criteria.0.options.0.score", 101),
        ("criteria.0.options.0.knockout_cap", 100),
        ("criteria.0.options", []),
        ("grade_bands", {"a": 0, "b": 0, "c": 0}),
    ],
)
def test_the_document_states_the_rules_the_server_applies_to_a_solution(
    path: str, value: Any
) -> None:
    data = _broken(path, value)
    assert not validator("Solution").is_valid(data)
    with pytest.raises(e.InvalidInput):
        parse_solution(json.dumps(data))


def test_a_knock_out_option_is_red_in_the_document_as_on_the_server() -> None:
    data = _broken("criteria.0.options.0.knockout_cap", 10)
    data["criteria"][0]["options"][0] |= {"score": 0, "colour": "green"}
    assert not validator("Solution").is_valid(data)
    with pytest.raises(e.InvalidInput):
        parse_solution(json.dumps(data))
    data["criteria"][0]["options"][0]["colour"] = "red"
    assert validator("Solution").is_valid(data)
    parse_solution(json.dumps(data))


def test_a_request_the_current_state_refuses_is_a_conflict() -> None:
    assert status_for(e.StateConflict("answer not in the solution", code="invalid_answer")) == 409
    assert issubclass(e.StateConflict, e.Conflict)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container=World().container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://cockpit.example") as c:
        yield c


async def test_malformed_json_is_a_400_that_says_so(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/launch", content=b'{"org": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_json"
    assert response.json()["detail"] == "The request body is not valid JSON."


_PATH_VALUES = {
    "org": "contoso",
    "opportunity_id": "0aa00000-0000-4000-8000-000000000001",
    "solution_id": "b2b-qualification",
    "version": "1",
}


@pytest.mark.parametrize("template", list(DOCUMENT["paths"]))
async def test_a_405_allows_every_method_the_document_lists_for_the_path(
    client: httpx.AsyncClient, template: str
) -> None:
    response = await client.request("TRACE", template.format(**_PATH_VALUES))
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert allowed == {m.upper() for m in DOCUMENT["paths"][template]}
