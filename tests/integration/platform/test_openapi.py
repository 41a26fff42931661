"""The served OpenAPI document: generated from the route table, so it covers every route."""

from __future__ import annotations

import json
import re
from typing import Annotated

import pytest
from pydantic import StringConstraints

from chalicelib.identity.schemas import Body
from tests.helpers.api import register_and_login


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


# -- the document tells the truth: replies validate against what it says --------------------------

def assert_documented(doc: dict, method: str, path: str, resp) -> None:
    """``resp`` (to ``method path``, a path of the document) has a documented status, a documented
    media type, and a body that validates against that media type's schema."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    op = doc["paths"][path][method.lower()]
    documented = op["responses"].get(str(resp.status_code))
    assert documented, f"{method} {path}: {resp.status_code} is not documented ({resp.body!r})"
    content = documented.get("content")
    if not content:
        assert not resp.body, f"{method} {path}: undocumented body"
        return
    media = resp.headers["Content-Type"].split(";")[0].strip()
    assert media in content, f"{method} {path}: {media} is not documented for {resp.status_code}"
    body = resp.json_body if media == "application/json" else resp.body.decode()
    registry = Registry().with_resource("urn:doc", Resource.from_contents(
        {**doc, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    schema = {"$ref": "urn:doc#/components/schemas/_",
              **_rebase(content[media]["schema"])}
    schema.pop("$ref")
    errors = list(Draft202012Validator(schema, registry=registry).iter_errors(body))
    assert not errors, f"{method} {path}: {errors[0].message}"


def _rebase(schema):
    """Local refs (#/components/...) pointed into the registered document."""
    if isinstance(schema, dict):
        return {k: ("urn:doc" + v if k == "$ref" and v.startswith("#/") else _rebase(v))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [_rebase(v) for v in schema]
    return schema


def test_constants_are_documented_as_the_arrays_of_strings_they_are(served, client, demo_brand):
    from chalicelib.routes import all_routes

    constants = [r for r in all_routes() if r.path.startswith("/api/v1/constants/")]
    assert len(constants) >= 19
    for r in constants:
        resp = client.http.get(r.path, headers={"Brand-URL": "demo.test"})
        assert resp.status_code == 200, r.path
        assert_documented(served, "GET", r.path, resp)
    schema = served["paths"]["/api/v1/constants/user/status"]["get"]["responses"]["200"]
    data = schema["content"]["application/json"]["schema"]["allOf"][1]["properties"]["data"]
    assert data == {"type": "array", "items": {"type": "string"}}


def test_the_declared_reply_shape_matches_each_handler(served):
    """A route's ``returns`` agrees with its handler's return annotation, where it has one."""
    import inspect

    from chalicelib.http.routing import resolve
    from chalicelib.routes import all_routes

    shapes = {"list[str]": {"strings"}, "list[dict]": {"array"},
              "list[dict[str, Any]]": {"array"}, "bool": {"boolean"}, "str": {"string"},
              "dict": {"object", "page"}, "dict[str, Any]": {"object", "page"},
              "Decimal": {"number"}, "Response": {"raw", "html", "csv", "redirect", "pdf", "asset",
                                                   "empty"}}
    checked = 0
    for r in all_routes():
        annotation = str(inspect.signature(resolve(r.handler)).return_annotation)
        if annotation in shapes:
            checked += 1
            assert r.returns in shapes[annotation], (r.method, r.path, annotation, r.returns)
    assert checked > 150


def test_idempotent_routes_are_declared_and_documented(served):
    """The routes that move money run under the Idempotency-Key (the dispatcher does it for every
    route that declares it), and the document lists the header and the 409 of a reused key."""
    from chalicelib.routes import all_routes

    idempotent = [r for r in all_routes() if r.idempotent]
    assert {(r.method, r.path) for r in idempotent} >= {
        ("POST", "/api/v1/prices/{priceId}/generate-checkout-link"),
        ("POST", "/api/v1/licenses/purchase/checkout-link")}
    assert len(idempotent) >= 5
    for r in idempotent:
        op = served["paths"][r.path][r.method.lower()]
        assert ("header", "Idempotency-Key") in {(p["in"], p["name"]) for p in op["parameters"]}
        assert "409" in op["responses"]


def test_what_the_pipeline_answers_is_documented(served, api, demo_brand):
    from tests.helpers.api import make_user

    # a wrong password (an anonymous route's 401), then the lockout's 429
    make_user(demo_brand, "alice")
    for _ in range(10):
        resp = api.post("v1/users/auth", {"username": "alice", "password": "wrong-Pass1"})
        assert_documented(served, "POST", "/api/v1/users/auth", resp)
    resp = api.post("v1/users/auth", {"username": "alice", "password": "wrong-Pass1"})
    assert resp.status_code == 429
    assert_documented(served, "POST", "/api/v1/users/auth", resp)
    # no Brand-URL (400), an unknown brand (404), a body that is not JSON (415), too large (413)
    for resp in (api.as_(brand_url="").get("v1/packages", headers={"Brand-URL": ""}),
                 api.as_(brand_url="nobody.test").get("v1/packages"),
                 api.post("v1/users/register", raw=b"a=1", headers={"Content-Type": "text/plain"}),
                 api.post("v1/users/register", raw=b" " * (300 * 1024))):
        assert resp.status_code in (400, 404, 413, 415)
        path = "/api/v1/packages" if resp.status_code in (400, 404) else "/api/v1/users/register"
        assert_documented(served, "GET" if "packages" in path else "POST", path, resp)
    # a plain user's 403 on a route with a permission
    bob = register_and_login(api, "bob")
    assert_documented(served, "GET", "/api/v1/brands", bob.get("v1/brands"))


def test_a_get_ignores_its_body(api):
    resp = api.request("GET", "v1/constants/user/status", raw=b" " * (300 * 1024))
    assert resp.status_code == 200


def test_pages_and_redirects_are_documented_as_such(served, client):
    page = client.http.get("/api/checkout/NOPE?brandId=x")
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert_documented(served, "GET", "/api/checkout/{paymentCode}", page)
    missing = client.http.get("/api/checkout/NOPE")  # the pipeline's 400 is JSON
    assert missing.status_code == 400
    assert_documented(served, "GET", "/api/checkout/{paymentCode}", missing)
    ops = served["paths"]
    assert set(ops["/api/checkout/{paymentCode}"]["get"]["responses"]) >= {"200", "302", "404",
                                                                          "409"}
    download = ops["/api/v1/downloads/{token}"]["get"]["responses"]
    assert "Location" in download["302"]["headers"] and "200" not in download
    assert {"404", "410"} <= set(download)
    resp = client.http.get("/api/v1/downloads/nope")
    assert_documented(served, "GET", "/api/v1/downloads/{token}", resp)
