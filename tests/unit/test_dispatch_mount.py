"""Where the dispatcher mounts routes (chalicelib/http/dispatch.py mounted_path): under the API
Gateway stage ``api`` when deployed, at the canonical ``/api/...`` path locally."""

from __future__ import annotations

import json

import pytest
from chalice import Chalice
from chalice.test import Client

from chalicelib.http.dispatch import mounted_path, register
from chalicelib.http.routing import Route

HERE = "tests.unit.test_dispatch_mount:"
ROUTES = [
    Route("GET", "/api/v1/health", HERE + "echo", "health", auth="none", brand=False),
    Route("POST", "/api/v1/items/{id}", HERE + "echo", "item", auth="none", brand=False),
    Route("GET", "/api/checkout/{paymentCode}", HERE + "echo", "page", auth="none",
          brand=False),
]


def echo(ctx, **params: str) -> dict:
    return {"route": ctx.path, "params": params}


def app_for(stage: str) -> Chalice:
    app = Chalice(app_name=f"mount-{stage}")
    register(app, ROUTES, stage)
    return app


@pytest.mark.parametrize("stage", ["dev", "prod", "staging"])
def test_a_deployed_stage_mounts_routes_without_the_api_prefix(stage):
    assert sorted(app_for(stage).routes) == [
        "/checkout/{paymentCode}", "/v1/health", "/v1/items/{id}", "/v1/{proxy+}", "/{proxy+}"]


@pytest.mark.parametrize("stage", ["local", "test"])
def test_local_stages_mount_the_canonical_paths(stage):
    assert sorted(app_for(stage).routes) == [
        "/api/checkout/{paymentCode}", "/api/v1/health", "/api/v1/items/{id}",
        "/api/v1/{proxy+}", "/api/{proxy+}"]


def test_only_the_leading_api_segment_is_removed():
    assert mounted_path("/api/v1/apis/api", "prod") == "/v1/apis/api"
    assert mounted_path("/apiary/v1", "prod") == "/apiary/v1"
    assert mounted_path("/api/v1/health", "local") == "/api/v1/health"


def test_a_deployed_route_answers_under_the_stage_and_still_knows_its_canonical_path():
    with Client(app_for("prod")) as client:
        resp = client.http.post("/v1/items/42", body=b"")
        assert resp.status_code == 200
        assert json.loads(resp.body)["data"] == {"route": "/api/v1/items/{id}",
                                                "params": {"id": "42"}}
        missing = client.http.get("/v1/nope")
        assert missing.status_code == 404
        assert json.loads(missing.body)["errors"][0]["code"] == "ROUTE_NOT_FOUND"
