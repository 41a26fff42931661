"""Listing a brand's whole catalogue is ONE DynamoDB Query; the catalogue's constants."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def dynamodb_calls():
    """Every DynamoDB operation the shared client makes, with its table, in order."""
    from chalicelib.store.base import connection

    calls: list[tuple[str, str | None]] = []

    def record(event_name: str, params: dict, **_) -> None:
        body = params.get("body") or b"{}"  # the serialised request (JSON protocol)
        calls.append((event_name.rsplit(".", 1)[1], json.loads(body).get("TableName")))

    events = connection().client.meta.events
    events.register("before-call.dynamodb.*", record)
    yield calls
    events.unregister("before-call.dynamodb.*", record)


def build_catalogue(admin, packages: int = 3, features: int = 2) -> None:
    feats = [admin.ok("POST", "v1/features", {"code": f"F{i}", "name": f"Feature {i}"})["id"]
             for i in range(features)]
    for p in range(packages):
        pid = admin.ok("POST", "v1/packages", {"code": f"P{p}", "name": f"Package {p}"})["id"]
        admin.ok("POST", f"v1/packages/{pid}/features",
                 [{"featureId": f, "type": "Limitation", "value": 10} for f in feats])
        for st in ("D30", "D365"):
            admin.ok("POST", "v1/prices", {"packageId": pid, "subscriptionTypeId": st,
                                           "code": f"P{p}-{st}", "name": "x", "amount": 5,
                                           "currency": "USD"})


def test_listing_the_whole_catalogue_is_one_query(admin, api, dynamodb_calls):
    build_catalogue(admin)
    api.ok("GET", "v1/packages")  # warms the brand cache (brand lookup is not the catalogue)
    dynamodb_calls.clear()
    listed = api.ok("GET", "v1/packages")
    assert len(listed) == 3
    assert all(len(p["features"]) == 2 and len(p["prices"]) == 2 for p in listed)
    assert dynamodb_calls == [("Query", "jfw-test-catalog")]


def test_each_catalogue_service_read_is_one_query(admin, demo_brand, dynamodb_calls):
    from chalicelib.catalog import service

    build_catalogue(admin, packages=2)
    b = demo_brand["id"]
    pkg = service.list_packages(b)[0]
    price = pkg["prices"][0]
    reads = [
        lambda: service.list_packages(b),
        lambda: service.get_package(b, pkg["id"]),
        lambda: service.default_package(b),
        lambda: service.get_price(b, price["id"]),
        lambda: service.prices_for_package(b, pkg["id"]),
        lambda: service.package_features(b, pkg["id"]),
        lambda: service.get_subscription_type(b, "D90"),
        lambda: service.list_features(b),
        lambda: service.list_prices(b),
    ]
    for read in reads:
        dynamodb_calls.clear()
        read()
        assert dynamodb_calls == [("Query", "jfw-test-catalog")]


def test_a_new_brand_is_seeded_on_its_first_read_only(aws_env, demo_brand, dynamodb_calls):
    from chalicelib.catalog import service

    service.list_packages(demo_brand["id"])
    assert [c[0] for c in dynamodb_calls] == ["Query", "TransactWriteItems", "Query"]
    dynamodb_calls.clear()
    service.list_packages(demo_brand["id"])
    assert [c[0] for c in dynamodb_calls] == ["Query"]


@pytest.mark.parametrize("path, values", [
    ("feature/types", ["Function", "Limitation"]),
    ("feature/reset-policies", ["Lifetime", "Daily", "Weekly", "Monthly", "Yearly", "Custom"]),
    ("coupon/status", ["Active", "Inactive", "Expired", "Deleted"]),
    ("package/status", ["Inactive", "Active"]),
    ("subscription-type/units", ["Hour", "Day", "Week", "Month", "Year"]),
    ("subscription-type/status", ["Inactive", "Active"]),
    ("price/pricing-models", ["Subscription", "OneTime"]),
])
def test_constants_need_neither_brand_nor_auth(client, path, values):
    resp = client.http.get(f"/api/v1/constants/{path}")
    assert resp.status_code == 200
    assert resp.json_body["data"] == values


def test_currencies_with_their_exponents(client):
    resp = client.http.get("/api/v1/constants/currencies")
    assert resp.status_code == 200
    by_code = {c["code"]: c for c in resp.json_body["data"]}
    assert by_code["USD"] == {"code": "USD", "name": "US Dollar", "exponent": 2}
    assert by_code["JPY"]["exponent"] == 0 and by_code["KWD"]["exponent"] == 3
    assert "XXX" not in by_code  # "no currency" has no minor unit: not tradable
    codes = [c["code"] for c in resp.json_body["data"]]
    assert codes == sorted(codes) and len(codes) > 100
