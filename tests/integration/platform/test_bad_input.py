"""Bad input never gets a 500 and never writes: generated from the route table.

For every route with a body schema the cases come from the pydantic JSON schema of its model:
malformed JSON, the wrong top-level type, each required field missing, each required field with
the wrong type, each length-limited field too long, each enum field with an unknown value, and a
body over 256 KiB. Each must be a 4xx JFW error envelope (with ``field`` when one field is at
fault) and leave every table exactly as it was. Every route that needs them also gets a missing
Brand-URL (400), an unknown Brand-URL (404) and a bad Auth-Key (401).
"""

from __future__ import annotations

import json

import pytest

from chalicelib.http.routing import resolve
from chalicelib.routes import all_routes
from tests.helpers.api import Api
from tests.helpers.routes import Schema, body_cases, fill_path, route_id
from tests.helpers.tables import no_dynamodb_writes
from tests.helpers.users import error_of

ROUTES = all_routes("test")
BODY_ROUTES = [r for r in ROUTES if r.body]


# -- cases --------------------------------------------------------------------------------------

@pytest.fixture
def api(world) -> Api:
    return world.api


@pytest.fixture
def root(world) -> Api:
    """The platform's SuperAdmin speaking to the demo brand: every permission check passes."""
    return world.root


@pytest.mark.parametrize("route", BODY_ROUTES, ids=route_id)
def test_bad_bodies_are_4xx_and_write_nothing(api, root, route):
    schema = Schema(resolve(route.body))
    caller = api if route.auth == "none" else root
    path = fill_path(route)
    for what, body, field in body_cases(schema):
        raw = body if isinstance(body, bytes) else json.dumps(body)
        label = f"{route_id(route)} with {what}"
        with no_dynamodb_writes(label):
            resp = caller.request(route.method, path, raw=raw)
        assert 400 <= resp.status_code < 500, f"{label} -> {resp.status_code}: {resp.body!r}"
        assert resp.status_code not in (401, 403, 404), (
            f"{label} -> {resp.status_code}: the body was never looked at: {resp.body!r}")
        err = error_of(resp)
        if what == "malformed JSON":
            assert resp.status_code == 400 and err["code"] == "MALFORMED_JSON", label
        elif what == "body over 256 KiB":
            assert resp.status_code == 413, label
        else:
            assert resp.status_code == 400, label
        if field:
            assert err.get("field", "").startswith(field), f"{label}: field {err.get('field')}"
            assert err["message"].strip(), label


# -- Brand-URL and Auth-Key on every route --------------------------------------------------------

BRAND_ROUTES = [r for r in ROUTES if r.brand]
AUTH_ROUTES = [r for r in ROUTES if r.auth != "none" and r.brand]


@pytest.mark.parametrize("route", BRAND_ROUTES, ids=route_id)
def test_missing_or_unknown_brand_url(api, root, route):
    path = fill_path(route)
    body = {} if route.body else None  # both checks come before the body is read
    caller = api if route.auth == "none" else root
    with no_dynamodb_writes(route_id(route)):
        resp = caller.as_(caller.auth_key, "").request(route.method, path, body=body,
                                                       headers={"Brand-URL": ""})
        assert resp.status_code == 400, f"{route_id(route)} without Brand-URL: {resp.body!r}"
        err = error_of(resp)
        assert err["code"] == "BRAND_REQUIRED" and err["field"] == "Brand-URL"

        resp = caller.as_(caller.auth_key, "nowhere.test").request(route.method, path, body=body)
        assert resp.status_code == 404, f"{route_id(route)} unknown Brand-URL: {resp.body!r}"
        err = error_of(resp)
        assert err["code"] == "BRAND_NOT_FOUND" and "nowhere.test" in err["message"]


@pytest.mark.parametrize("route", AUTH_ROUTES, ids=route_id)
def test_bad_auth_key(api, root, route):
    path = fill_path(route)
    body = {} if route.body else None
    parts = root.auth_key.split(".")
    forged = ".".join([*parts[:2], "not-the-secret"])
    with no_dynamodb_writes(route_id(route)):
        for key in ("garbage", "a.b.c", forged):
            resp = api.as_(key).request(route.method, path, body=body)
            assert resp.status_code == 401, f"{route_id(route)} with Auth-Key {key}: {resp.body!r}"
            assert error_of(resp)["code"] == "AUTH_KEY_INVALID"
        if route.auth == "user":
            resp = api.request(route.method, path, body=body)
            assert resp.status_code == 401 and error_of(resp)["code"] == "AUTH_KEY_REQUIRED"

