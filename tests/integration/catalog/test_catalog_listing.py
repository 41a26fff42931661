"""Listing a brand's whole catalogue is ONE DynamoDB Query, and then one small GetItem of its
head while nothing changes (catalogue.query keeps the snapshot by the head's version); the
catalogue's constants."""

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
    assert dynamodb_calls == [("GetItem", "jfw-test-catalog")]  # the head: nothing changed


def test_a_change_is_listed_at_once_and_costs_one_query_once(admin, api, dynamodb_calls):
    build_catalogue(admin, packages=1)
    api.ok("GET", "v1/packages")
    pid = admin.ok("POST", "v1/packages", {"code": "NEW", "name": "New"})["id"]
    dynamodb_calls.clear()
    assert pid in [p["id"] for p in api.ok("GET", "v1/packages")]
    assert dynamodb_calls == [("GetItem", "jfw-test-catalog"), ("Query", "jfw-test-catalog")]
    admin.ok("PUT", f"v1/packages/{pid}", {"code": "NEW", "name": "Renamed"})
    assert {p["name"] for p in api.ok("GET", "v1/packages")} == {"Package 0", "Renamed"}
    dynamodb_calls.clear()
    api.ok("GET", "v1/packages")
    assert dynamodb_calls == [("GetItem", "jfw-test-catalog")]


def test_a_kept_snapshots_packages_are_copies_a_caller_may_change(admin, demo_brand):
    """package_dto builds a kept snapshot's package once; what it hands out (the package, its
    features and prices) is the caller's own: changing it changes no later reply."""
    from chalicelib.catalog import service

    build_catalogue(admin, packages=1)
    b = demo_brand["id"]
    service.list_packages(b)  # keeps the snapshot
    first = service.list_packages(b)[0]
    expected = json.loads(json.dumps(first, default=str))
    first["name"] = "changed"
    first["features"].append({"code": "X"})
    first["features"][0]["value"] = -1
    first["prices"][0]["amountMinor"] = 1
    first["prices"].clear()
    again = service.list_packages(b)[0]
    assert json.loads(json.dumps(again, default=str)) == expected
    assert service.get_package(b, again["id"])["prices"][0]["amountMinor"] == 500
    admin.ok("PUT", f"v1/packages/{again['id']}", {"code": "P0", "name": "Renamed"})
    assert service.list_packages(b)[0]["name"] == "Renamed"


def test_a_change_landing_between_the_head_and_the_query_is_not_kept(admin, api, monkeypatch,
                                                                      dynamodb_calls):
    """The snapshot is kept only if the head read before its Query has the Query's version:
    otherwise a kept snapshot could hold items older than its label."""
    from chalicelib.catalog import catalogue, service

    build_catalogue(admin, packages=1)
    api.ok("GET", "v1/packages")
    admin.ok("POST", "v1/packages", {"code": "SECOND", "name": "Second"})
    real_query, raced = catalogue._query, []

    def racing_query(brand_id: str, consistent: bool):
        if not raced:  # another writer commits after our head read, before our Query
            raced.append(True)
            service.create_package(brand_id, {"code": "THIRD", "name": "Third"})
        return real_query(brand_id, consistent)

    monkeypatch.setattr(catalogue, "_query", racing_query)
    assert len(api.ok("GET", "v1/packages")) == 3  # the Query saw the racing write
    monkeypatch.setattr(catalogue, "_query", real_query)
    dynamodb_calls.clear()
    assert {p["code"] for p in api.ok("GET", "v1/packages")} == {"P0", "SECOND", "THIRD"}
    assert [c[0] for c in dynamodb_calls] == ["GetItem", "Query"]  # nothing was kept
    dynamodb_calls.clear()
    api.ok("GET", "v1/packages")
    assert [c[0] for c in dynamodb_calls] == ["GetItem"]


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
        assert dynamodb_calls == [("GetItem", "jfw-test-catalog")]  # the kept snapshot's head


def test_a_quote_reads_the_catalogue_once(admin, api, dynamodb_calls):
    """The package and the price of a quote come from one read of the catalogue (the kept
    snapshot's head), not one each."""
    build_catalogue(admin, packages=1)
    pkg = api.ok("GET", "v1/packages")[0]
    path = f"v1/packages/{pkg['id']}/calculate-total-price-checkout"
    body = {"priceId": pkg["prices"][0]["id"]}
    api.ok("POST", path, body)
    dynamodb_calls.clear()
    assert api.ok("POST", path, body)["total"] == 5
    # the head, then the brand's coupons (one may apply itself to the price)
    assert dynamodb_calls == [("GetItem", "jfw-test-catalog"), ("Query", "jfw-test-catalog")]


def test_a_new_brand_is_seeded_on_its_first_read_only(aws_env, demo_brand, dynamodb_calls):
    from chalicelib.catalog import service

    service.list_packages(demo_brand["id"])
    # no head yet, the Query finds nothing, the seeding, the seeded catalogue
    assert [c[0] for c in dynamodb_calls] == ["GetItem", "Query", "TransactWriteItems", "Query"]
    dynamodb_calls.clear()
    service.list_packages(demo_brand["id"])
    service.list_packages(demo_brand["id"])
    assert [c[0] for c in dynamodb_calls] == ["GetItem", "Query", "GetItem"]


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
