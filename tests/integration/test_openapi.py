"""The served OpenAPI document: generated from the route table, so it covers every route."""

from __future__ import annotations

import json
import re
from typing import Annotated

import pytest
from pydantic import StringConstraints

from chalicelib.identity.schemas import Body


@pytest.fixture
def served(client) -> dict:
    resp = client.http.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    doc = json.loads(resp.body)
    assert "success" not in doc  # the raw document, not an envelope
    return doc


def resolve_ref(doc: dict, schema: dict) -> dict:
    ref = schema["$ref"]
    assert ref.startswith("#/components/schemas/"), ref
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_the_document_is_valid_openapi_3_1(served):
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    assert served["openapi"] == "3.1.0"
    try:
        validate(served)
    except OpenAPIValidationError as e:  # pragma: no cover - the message is the point
        pytest.fail(f"invalid OpenAPI document: {e}")


def test_every_route_is_documented(served):
    from chalicelib.routes import all_routes

    routes = all_routes()
    assert len(routes) > 10
    documented = {(path, method.upper()) for path, ops in served["paths"].items()
                  for method in ops}
    assert {(r.path, r.method) for r in routes} == documented
    for r in routes:
        op = served["paths"][r.path][r.method.lower()]
        assert op["summary"] == r.summary
        params = {(p["in"], p["name"]) for p in op["parameters"]}
        for name in r.path_params:
            assert ("path", name) in params, (r.path, name)
        for q in r.query:
            assert ("query", q.name) in params, (r.path, q.name)
        assert op.get("x-jfw-permission") == r.permission
        assert ("security" in op) == (r.auth != "none")
        assert ("header", "Brand-URL") in params if r.brand else True
        assert str(r.status) in op["responses"]


def test_every_body_route_has_its_request_schema(served):
    from chalicelib.http.routing import resolve
    from chalicelib.routes import all_routes

    body_routes = [r for r in all_routes() if r.body]
    assert body_routes
    for r in body_routes:
        op = served["paths"][r.path][r.method.lower()]
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        model = resolve(r.body)
        target = resolve_ref(served, schema)
        own = model.model_json_schema(mode="validation")
        assert target.get("type") == own.get("type"), r.path
        assert set(target.get("properties", {})) == set(own.get("properties", {})), r.path
        assert set(target.get("required", [])) == set(own.get("required", [])), r.path


def test_nested_refs_all_resolve(served):
    text = json.dumps(served)
    for ref in set(re.findall(r'"\$ref": "([^"]+)"', text)):
        name = ref.removeprefix("#/components/schemas/")
        assert name in served["components"]["schemas"], ref
    assert "$defs" not in text


def test_operation_ids_are_unique(served):
    ids = [op["operationId"] for ops in served["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_brand_routes_are_in_the_document(served):
    paths = served["paths"]
    create = paths["/api/v1/brands"]["post"]
    schema = resolve_ref(served, create["requestBody"]["content"]["application/json"]["schema"])
    assert {"name", "abbr", "setting"} <= set(schema["required"])
    assert set(paths["/api/v1/brands/{id}"]) == {"get", "put", "delete"}
    listing = {p["name"] for p in paths["/api/v1/brands"]["get"]["parameters"]}
    assert {"pageNumber", "pageSize", "sortDataField", "sortOrder", "keywords", "code", "name",
            "abbr", "description", "tags", "status", "parentId"} <= listing


# Two body models with the same class name in one module: the generator must keep both.
def _clashing(max_length: int) -> type[Body]:
    class Clash(Body):
        value: Annotated[str, StringConstraints(max_length=max_length)]

    return Clash


ClashA = _clashing(5)
ClashB = _clashing(9)


def test_models_with_the_same_name_get_distinct_schemas():
    from openapi_spec_validator import validate

    from chalicelib.http.openapi import document
    from chalicelib.http.routing import Route

    here = __name__
    doc = document([
        Route("POST", "/api/v1/a", f"{here}:nothing", "a", body=f"{here}:ClashA"),
        Route("POST", "/api/v1/b", f"{here}:nothing", "b", body=f"{here}:ClashB"),
    ])
    validate(doc)
    a = resolve_ref(doc, doc["paths"]["/api/v1/a"]["post"]["requestBody"]["content"][
        "application/json"]["schema"])
    b = resolve_ref(doc, doc["paths"]["/api/v1/b"]["post"]["requestBody"]["content"][
        "application/json"]["schema"])
    assert a["properties"]["value"]["maxLength"] == 5
    assert b["properties"]["value"]["maxLength"] == 9
    ids = [doc["paths"][p]["post"]["operationId"] for p in ("/api/v1/a", "/api/v1/b")]
    assert len(set(ids)) == 2  # one handler serving two routes
