"""Where the dispatcher mounts routes (chalicelib/http/dispatch.py mounted_path): under the API
Gateway stage ``api`` when deployed, at the canonical ``/api/...`` path locally."""

from __future__ import annotations

import json

import pytest
from chalice import Chalice
from chalice.test import Client

from chalicelib.http import localgateway
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
        "/", "/checkout/{paymentCode}", "/v1/health", "/v1/items/{id}", "/v1/{proxy+}",
        "/{proxy+}"]


@pytest.mark.parametrize("stage", ["local", "test"])
def test_local_stages_mount_the_canonical_paths(stage):
    assert sorted(app_for(stage).routes) == [
        "/", "/api/checkout/{paymentCode}", "/api/v1/health", "/api/v1/items/{id}",
        "/api/v1/{proxy+}", "/api/{proxy+}", "/{proxy+}"]


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


# A literal segment and a {param} under the same parent: the literal wins, as on API Gateway.
LITERALS = [
    Route("GET", "/api/v1/things/{id}", HERE + "echo", "thing", auth="none", brand=False),
    Route("PUT", "/api/v1/things/{id}", HERE + "echo", "thing", auth="none", brand=False),
    Route("GET", "/api/v1/things/statistics", HERE + "echo", "stats", auth="none", brand=False),
    Route("POST", "/api/v1/things/refresh-token", HERE + "echo", "refresh", auth="none",
          brand=False),
    Route("GET", "/api/v1/things/{id}/parts", HERE + "echo", "parts", auth="none", brand=False),
    Route("GET", "/api/v1/things/mine/parts", HERE + "echo", "mine", auth="none", brand=False),
]


@pytest.mark.parametrize("stage, prefix", [("test", "/api"), ("prod", "")])
def test_a_literal_segment_wins_over_a_parameter(stage, prefix):
    localgateway.install()  # the local gateway stands in for API Gateway for "prod" too
    app = Chalice(app_name=f"literal-{stage}")
    register(app, LITERALS, stage)

    def answer(method: str, path: str):
        resp = Client(app).http.request(method, prefix + path, body=b"")
        return resp.status_code, json.loads(resp.body)

    assert answer("GET", "/v1/things/statistics") == (200, {
        "success": True, "statusCode": 200, "message": "OK", "errors": [],
        "data": {"route": "/api/v1/things/statistics", "params": {}}})
    assert answer("POST", "/v1/things/refresh-token")[1]["data"]["route"] == (
        "/api/v1/things/refresh-token")
    assert answer("GET", "/v1/things/mine/parts")[1]["data"]["route"] == "/api/v1/things/mine/parts"
    assert answer("GET", "/v1/things/42/parts")[1]["data"] == {
        "route": "/api/v1/things/{id}/parts", "params": {"id": "42"}}
    assert answer("PUT", "/v1/things/42")[1]["data"]["params"] == {"id": "42"}
    # The literal path is its own resource: other methods are 405 there, not the {id} route.
    status, body = answer("GET", "/v1/things/refresh-token")
    assert status == 405 and body["errors"][0]["code"] == "METHOD_NOT_ALLOWED"
    status, body = answer("GET", "/v1/things/42/parts/7/more")
    assert status == 404 and body["errors"][0]["code"] == "ROUTE_NOT_FOUND"


def test_the_route_table_has_one_parameter_name_per_level():
    """API Gateway refuses two differently named {params} under one parent (and the local
    gateway would then pick by sort order, not by path)."""
    from chalicelib.routes import all_routes

    children: dict[str, set[str]] = {}
    for r in all_routes("prod"):
        segments = r.path.split("/")
        for i in range(1, len(segments)):
            children.setdefault("/".join(segments[:i]), set()).add(segments[i])
    clashes = {parent: sorted(s for s in kids if s.startswith("{"))
               for parent, kids in children.items()
               if len([s for s in kids if s.startswith("{")]) > 1}
    assert clashes == {}


ROUTE_URLS = ["/", "/{proxy+}", "/api/{proxy+}", "/api/v1/{proxy+}", "/api/v1/users/{id}",
              "/api/v1/users/{id}/files/{rest+}"]


@pytest.mark.parametrize("url, route, captured", [
    ("/api/v1/a/b/c?x=1", "/api/v1/{proxy+}", {"proxy": "a/b/c"}),
    ("/api/v2/a/", "/api/{proxy+}", {"proxy": "v2/a"}),
    ("/elsewhere/x", "/{proxy+}", {"proxy": "elsewhere/x"}),
    ("/api/v1/users/7/files/a/b", "/api/v1/users/{id}/files/{rest+}",
     {"id": "7", "rest": "a/b"}),
    ("/api/v1/users/7/other/b", "/api/v1/{proxy+}", {"proxy": "users/7/other/b"}),
])
def test_the_greedy_match_takes_the_longest_prefix(url, route, captured):
    assert localgateway.greedy_match(ROUTE_URLS, url) == (route, captured)


def test_a_greedy_parameter_needs_one_segment_at_least():
    assert localgateway.greedy_match(["/api/v1/{proxy+}"], "/api/v1") is None


def test_the_local_matcher_picks_chalices_route_for_every_route_of_the_app():
    """Our matcher (routes split once, by length) answers as Chalice's own for a path of every
    route of the app, with and without a trailing slash or a query."""
    from chalice import local

    from chalicelib.http.dispatch import mounted_path
    from chalicelib.routes import all_routes

    localgateway.install()
    paths = sorted({mounted_path(r.path, "test") for r in all_routes("test")})
    matcher = local.RouteMatcher(paths)
    checked = 0
    for path in paths:
        concrete = "/".join(f"v{i}" if s.startswith("{") else s
                            for i, s in enumerate(path.split("/")))
        for url in (concrete, concrete.rstrip("/") + "/", concrete + "?a=1&b="):
            ours = local.RouteMatcher.match_route(matcher, url)
            theirs = localgateway.chalice_match_route(matcher, url)
            assert (ours.route, ours.captured, ours.query_params) == (
                theirs.route, theirs.captured, theirs.query_params), url
            checked += 1
    assert checked > 300
