"""JFW HTTP conventions on every route: the envelope, Brand-URL resolution, CORS, paging and
sorting, health, and JFW envelopes for unknown paths and wrong methods."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest

from tests.helpers.api import Api, login, make_user

ENVELOPE_KEYS = {"success", "statusCode", "message", "data", "errors"}
JFW_HEADERS = ("Brand-URL", "Auth-Key", "X-Current-URL", "Content-Type", "X-Device-Code")


def assert_error(resp, status: int, code: str | None = None) -> dict:
    """An error envelope whose correlation id is the X-Correlation-Id header; returns the error."""
    body = resp.json_body
    assert resp.status_code == status, body
    assert set(body) == ENVELOPE_KEYS
    assert body["success"] is False and body["statusCode"] == status and body["data"] is None
    [err] = body["errors"]
    assert {"code", "message", "correlationId"} <= set(err)
    assert err["message"] and body["message"] == err["message"]
    assert err["correlationId"] and err["correlationId"] == resp.headers["X-Correlation-Id"]
    if code:
        assert err["code"] == code
    return err


# -- envelope ------------------------------------------------------------------------------------

def test_success_envelope(api, demo_brand):
    resp = api.get("v1/brands/by-url")
    body = resp.json_body
    assert resp.status_code == 200 and set(body) == ENVELOPE_KEYS
    assert body["success"] is True and body["statusCode"] == 200 and body["errors"] == []
    assert body["message"] == "OK" and body["data"]["id"] == demo_brand["id"]
    assert resp.headers["Content-Type"] == "application/json"
    assert resp.headers["X-Correlation-Id"]


def test_error_envelopes_carry_the_correlation_id(api):
    assert_error(api.get("v1/users/me"), 401, "AUTH_KEY_REQUIRED")
    assert_error(api.as_("x.y.z").get("v1/users/me"), 401, "AUTH_KEY_INVALID")
    err = assert_error(api.post("v1/users/auth", raw=b"{not json"), 400, "MALFORMED_JSON")
    assert "JSON" in err["message"]
    err = assert_error(api.post("v1/users/auth", {"username": "a"}), 400, "VALIDATION_ERROR")
    assert err["field"] == "password"


def test_every_request_gets_its_own_correlation_id(api):
    first = api.get("v1/users/me").headers["X-Correlation-Id"]
    second = api.get("v1/users/me").headers["X-Correlation-Id"]
    assert first != second


# -- Brand-URL -----------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {"Brand-URL": "demo.test"},
    {"Brand-URL": "DEMO.Test"},
    {"Brand-URL": "https://demo.test:8443/some/page?x=1#top"},
    {"Brand-URL": "http://Demo.TEST/"},
    {"Brand-URL": "demo.test."},
    {"Brand-URL": "", "Origin": "https://demo.test"},
    {"Brand-URL": "null", "Origin": "https://Demo.test:3000"},
    {"Brand-URL": "undefined", "Origin": "https://demo.test"},
    {"Brand-URL": "", "Referer": "https://demo.test/checkout?step=2"},
    {"Brand-URL": "null", "Origin": "null", "Referer": "https://demo.test/"},
    {"Origin": "https://demo.test"},
    {"Brand-URL": "demo.test", "Origin": "https://other.test"},  # the header wins
])
def test_brand_url_resolution(client, demo_brand, other_brand, headers):
    resp = Api(client).get("v1/brands/by-url", headers=headers)
    assert resp.status_code == 200, resp.json_body
    assert resp.json_body["data"]["id"] == demo_brand["id"]


def test_unknown_brand_is_404_naming_the_domain(client, demo_brand):
    err = assert_error(Api(client, "https://nobody.test/x").get("v1/brands/by-url"), 404,
                       "BRAND_NOT_FOUND")
    assert "nobody.test" in err["message"] and err["field"] == "Brand-URL"


@pytest.mark.parametrize("headers", [{}, {"Brand-URL": ""}, {"Brand-URL": "null"},
                                     {"Brand-URL": "  ", "Origin": "null"}])
def test_missing_brand_is_400(client, demo_brand, headers):
    err = assert_error(Api(client).get("v1/brands/by-url", headers=headers), 400,
                       "BRAND_REQUIRED")
    assert "Brand-URL" in err["message"]


def test_an_auth_key_of_another_brand_is_refused(api, client, other_brand):
    make_user(other_brand, "olga")
    olga = login(Api(client, "other.test"), "olga")
    assert_error(olga.as_(olga.auth_key, "demo.test").get("v1/users/me"), 401,
                 "AUTH_KEY_WRONG_BRAND")


# -- health, unknown paths, wrong methods --------------------------------------------------------

def test_health_needs_neither_auth_nor_brand(client):
    resp = client.http.get("/api/v1/health")
    assert resp.status_code == 200
    body = resp.json_body
    assert body["success"] is True and body["data"]["status"] == "ok"


UNKNOWN_PATHS = ["/api/nothing-here", "/api/v1/nothing-here", "/api/v2",
                 "/api/v1/nothing/here/at-all", "/api/v1/users/abc/nothing/here",
                 "/api/v1/brands/by-url/x/y/z/w", "/api/v2/a/b/c", "/nothing/here/at/all",
                 "/apis", "/api/docsx"]  # "/" and "/api" redirect to the docs page


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
def test_unknown_paths_get_a_404_envelope(client, path):
    err = assert_error(client.http.get(path), 404, "ROUTE_NOT_FOUND")
    assert path in err["message"]
    assert_error(client.http.post(path, body=b"{}"), 404, "ROUTE_NOT_FOUND")


def test_a_wrong_method_gets_a_405_envelope(client, demo_brand):
    resp = client.http.post("/api/v1/health", body=b"{}")
    err = assert_error(resp, 405, "METHOD_NOT_ALLOWED")
    assert resp.headers["Allow"] == "GET" and "GET" in err["message"]
    resp = client.http.request("PATCH", "/api/v1/brands", headers={"Brand-URL": "demo.test"})
    assert_error(resp, 405, "METHOD_NOT_ALLOWED")
    assert resp.headers["Allow"] == "GET, POST"


# -- CORS ----------------------------------------------------------------------------------------

def test_every_route_allows_the_jfw_headers_cross_origin(app):
    from chalicelib.routes import all_routes

    paths = {r.path for r in all_routes()}
    assert paths <= set(app.routes)
    for path in paths:
        for method, entry in app.routes[path].items():
            assert entry.cors is not None, (method, path)
            headers = entry.cors.get_access_control_headers()
            allowed = {h.strip().lower() for h in headers["Access-Control-Allow-Headers"]
                       .split(",")}
            assert {h.lower() for h in JFW_HEADERS} <= allowed, path
            assert headers["Access-Control-Allow-Origin"] == "*"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def local_server(aws_env, demo_brand):
    """The app behind Chalice's own local server (as ``chalice local`` serves it) on loopback."""
    from chalice import Chalice
    from chalice.config import Config
    from chalice.local import create_local_server

    from chalicelib.http.dispatch import register
    from chalicelib.routes import all_routes

    fresh = Chalice(app_name="jfw-billing-local")  # create_local_server rewrites its class
    register(fresh, all_routes("test"), "test")
    port = _free_port()
    server = create_local_server(fresh, Config.create(), "127.0.0.1", port)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server.server_close()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_cors_preflight_through_the_local_server(local_server):
    import requests

    for path in ("/api/v1/brands/by-url", "/api/v1/users/auth", "/api/v1/brands/abc/setting"):
        resp = requests.options(local_server + path, timeout=5, headers={
            "Origin": "https://shop.example.com", "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "brand-url,auth-key,x-current-url,content-type"})
        assert resp.status_code == 200, path
        allowed = {h.strip().lower() for h in resp.headers["Access-Control-Allow-Headers"]
                   .split(",")}
        assert {h.lower() for h in JFW_HEADERS} <= allowed
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert "OPTIONS" in resp.headers["Access-Control-Allow-Methods"]


def test_conventions_through_the_local_server(local_server, demo_brand):
    import requests

    resp = requests.get(local_server + "/api/v1/health", timeout=5)
    assert resp.status_code == 200 and resp.json()["data"]["status"] == "ok"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    resp = requests.get(local_server + "/api/v1/brands/by-url", timeout=5,
                        headers={"Brand-URL": "", "Origin": "https://demo.test"})
    assert resp.status_code == 200 and resp.json()["data"]["id"] == demo_brand["id"]
    for path in UNKNOWN_PATHS:
        for method in ("GET", "POST", "DELETE"):
            resp = requests.request(method, local_server + path, timeout=5)
            assert resp.status_code == 404, (method, path, resp.text)
            assert resp.json()["errors"][0]["code"] == "ROUTE_NOT_FOUND"
    resp = requests.delete(local_server + "/api/v1/health", timeout=5)
    assert resp.status_code == 405 and resp.json()["errors"][0]["code"] == "METHOD_NOT_ALLOWED"


# -- paging and sorting --------------------------------------------------------------------------

@pytest.fixture
def root_with_brands(client, demo_brand):
    """The platform's SuperAdmin, and five brands besides the platform and demo ones."""
    from chalicelib import settings
    from chalicelib.identity import brands

    platform = brands.find_by_host("platform.test")
    make_user(platform, "root", "SuperAdmin")
    root = login(Api(client, "platform.test"), "root")
    start = settings.now()
    for i, name in enumerate(["Echo", "Alpha", "Delta", "Charlie", "Bravo"]):
        # Distinct creation times, oldest first (the default sort is createdDate desc).
        settings.set_clock(lambda i=i: start + timedelta(days=i + 1))
        brands.create(name=name, abbr=name[:3].upper(), domain=f"{name.lower()}.test",
                      parent_id=demo_brand["id"])
    settings.set_clock(None)
    return root


def test_paging_and_sorting(root_with_brands):
    root = root_with_brands
    default = root.ok("GET", "v1/brands")
    assert default["totalItems"] == 7 and default["pageNumber"] == 0
    assert default["pageSize"] == 200
    assert [b["name"] for b in default["items"]][:5] == ["Bravo", "Charlie", "Delta", "Alpha",
                                                         "Echo"]

    by_name = root.ok("GET", "v1/brands?sortDataField=name&sortOrder=asc&pageSize=3")
    assert [b["name"] for b in by_name["items"]] == ["Alpha", "Bravo", "Charlie"]
    second = root.ok("GET", "v1/brands?sortDataField=name&sortOrder=ASC&pageSize=3&pageNumber=1")
    assert [b["name"] for b in second["items"]] == ["Delta", "Demo", "Echo"]
    assert second["totalItems"] == 7 and second["pageNumber"] == 1 and second["pageSize"] == 3
    beyond = root.ok("GET", "v1/brands?pageSize=3&pageNumber=5")
    assert beyond["items"] == [] and beyond["totalItems"] == 7

    desc = root.ok("GET", "v1/brands?sortDataField=name&sortOrder=desc&pageSize=2")
    assert [b["name"] for b in desc["items"]] == ["JFW Platform", "Echo"]
    # JFW clients send empty or "null" for unset parameters: defaults apply.
    blank = root.ok("GET", "v1/brands?pageSize=&pageNumber=null&sortOrder=")
    assert blank["pageSize"] == 200 and blank["totalItems"] == 7


def test_filters_and_keywords(root_with_brands):
    root = root_with_brands

    def names(query: str) -> list[str]:
        return sorted(b["name"] for b in root.ok("GET", f"v1/brands?{query}")["items"])

    assert names("keywords=ALP") == ["Alpha"]
    assert names("keywords=a%20h") == ["Alpha", "Charlie"]
    assert names("name=harl") == ["Charlie"]
    assert names("code=bra") == ["Bravo"]
    assert names("abbr=DEL") == ["Delta"]
    assert names("status=Inactive") == []
    assert len(names("status=active")) == 7


@pytest.mark.parametrize("query, field", [
    ("pageSize=0", "pageSize"),
    ("pageSize=1001", "pageSize"),
    ("pageSize=ten", "pageSize"),
    ("pageNumber=-1", "pageNumber"),
    ("pageNumber=1.5", "pageNumber"),
    ("sortOrder=sideways", "sortOrder"),
    ("sortDataField=passwordHash", "sortDataField"),
    ("status=Deleted", "status"),
])
def test_bad_paging_values_are_400(root_with_brands, query, field):
    err = assert_error(root_with_brands.get(f"v1/brands?{query}"), 400)
    assert err["field"] == field and field in err["message"]


# -- input before the handler: JSON depth, media type, order of checks ----------------------------

@pytest.mark.parametrize("raw", [b"[" * 2000 + b"]" * 2000, b'{"a":' * 2000 + b"0" + b"}" * 2000])
def test_deeply_nested_json_is_a_400_on_an_anonymous_route(api, raw):
    assert len(raw) <= 12_001  # a few kB, no Auth-Key
    err = assert_error(api.post("v1/users/auth", raw=raw), 400, "JSON_TOO_DEEP")
    assert "32 levels" in err["message"]
    assert_error(api.post("v1/users/register", raw=raw), 400, "JSON_TOO_DEEP")


@pytest.mark.parametrize("content_type", ["application/jsonp", "text/x-json",
                                          "application/json-seq", "text/plain; note=json"])
def test_only_json_media_types_are_accepted(api, content_type):
    body = b'{"username": "alice", "password": "s3cret-Pass"}'
    err = assert_error(api.post("v1/users/auth", raw=body, headers={"Content-Type": content_type}),
                       415, "UNSUPPORTED_MEDIA_TYPE")
    assert "application/json" in err["message"]


def test_a_json_suffix_media_type_with_a_charset_is_json(api):
    resp = api.post("v1/users/auth", raw=b'{"username": "nobody", "password": "x"}',
                    headers={"Content-Type": "application/vnd.jfw+json; charset=utf-8"})
    assert resp.status_code == 401  # parsed and judged, not refused as a media type


def test_auth_is_checked_before_the_query(api, client):
    assert_error(api.get("v1/brands?pageSize=ten"), 401, "AUTH_KEY_REQUIRED")
    assert_error(api.as_("x.y.z").get("v1/brands?sortOrder=up"), 401, "AUTH_KEY_INVALID")
    assert_error(Api(client, "nobody.test").get("v1/brands?pageSize=ten"), 404, "BRAND_NOT_FOUND")


def test_permission_is_checked_before_the_query(api, demo_brand):
    make_user(demo_brand, "bob")
    bob = login(api, "bob")
    assert_error(bob.get("v1/brands?pageSize=ten"), 403)
