"""Prices (v1/prices, v1/packages/{id}/prices): money precision, pricing models, references."""

from __future__ import annotations

import json

import pytest

from tests.helpers.api import login, make_user
from tests.helpers.catalog import set_amount_minor, with_literals
from tests.helpers.tables import assert_unchanged, dump_tables


@pytest.fixture
def pkg(admin) -> dict:
    return admin.ok("POST", "v1/packages", {"code": "PRO", "name": "Pro"})


def price_body(pkg: dict, **extra) -> dict:
    return {"packageId": pkg["id"], "subscriptionTypeId": "D30", "code": "PRO-M",
            "name": "Pro monthly", "amount": 9.99, "currency": "USD", **extra}


def stored_prices(brand: dict) -> dict:
    from chalicelib.catalog.models import CatalogEntry, PriceItem, cat_pk

    return {i.code: i for i in CatalogEntry.query(cat_pk(brand["id"]))
            if isinstance(i, PriceItem)}


def counts(brand: dict, package_id: str) -> tuple[int, int]:
    from chalicelib.catalog import catalogue

    p = catalogue.query(brand["id"]).packages[package_id]
    return int(p.price_count), int(p.paid_price_count)


def err(resp) -> dict:
    return resp.json_body["errors"][0]


# Each answers 400 naming the field, and writes nothing (issue 10: 1e26 was stored, then every
# listing of the brand answered 500; 9.990000000000000000001 was stored as 9.99).
BAD_LITERALS = [
    ("1e26", "USD", "AMOUNT_TOO_LARGE"),
    ("1000000000001", "USD", "AMOUNT_TOO_LARGE"),
    ("1000000000000.01", "USD", "AMOUNT_TOO_LARGE"),
    ("1" + "0" * 400, "USD", "AMOUNT_TOO_LARGE"),
    ("9.990000000000000000001", "USD", "AMOUNT_PRECISION"),
    ("1000.5", "JPY", "AMOUNT_PRECISION"),
    ("0.0001", "KWD", "AMOUNT_PRECISION"),
    ("-1", "USD", "AMOUNT_NEGATIVE"),
    ("NaN", "USD", "VALIDATION_ERROR"),
    ("Infinity", "USD", "VALIDATION_ERROR"),
    ("-Infinity", "USD", "VALIDATION_ERROR"),
]


def test_price_crud_and_shape(admin, api, pkg, demo_brand):
    created = admin.ok("POST", "v1/prices", price_body(
        pkg, description="Monthly", tags="monthly", checkoutLink="https://pay.example.com/x",
        zOrder=2))
    assert created | {"id": None, "createdDate": None, "modifiedDate": None} == {
        "id": None, "createdDate": None, "modifiedDate": None, "code": "PRO-M",
        "name": "Pro monthly", "amount": 9.99, "currency": "USD", "pricingModel": "Subscription",
        "description": "Monthly", "checkoutLink": "https://pay.example.com/x",
        "tags": "monthly", "packageId": pkg["id"], "packageName": "Pro",
        "subscriptionTypeId": "D30", "subscriptionName": "30 days", "zOrder": 2}
    assert "amountMinor" not in created  # internal
    assert stored_prices(demo_brand)["PRO-M"].amount_minor == 999
    pid = created["id"]
    assert api.ok("GET", f"v1/prices/{pid}")["amount"] == 9.99
    assert [p["code"] for p in api.ok("GET", f"v1/packages/{pkg['id']}/prices")] == ["PRO-M"]
    assert [p["code"] for p in api.ok("GET", f"v1/packages/{pkg['id']}")["prices"]] == [
        "PRO-M"]

    up = admin.ok("PUT", f"v1/prices/{pid}", {"packageId": pkg["id"], "code": "PRO-M",
                                              "name": "Pro monthly", "amount": 12.5,
                                              "currency": "EUR", "subscriptionTypeId": "D90",
                                              "description": None})
    assert (up["amount"], up["currency"], up["subscriptionName"], up["description"],
            up["tags"]) == (12.5, "EUR", "90 days", None, "monthly")
    assert stored_prices(demo_brand)["PRO-M"].amount_minor == 1250

    assert admin.ok("DELETE", f"v1/prices/{pid}") is True
    assert api.get(f"v1/prices/{pid}").status_code == 404
    assert stored_prices(demo_brand)["PRO-M"].is_deleted is True  # soft: payments refer to it
    assert counts(demo_brand, pkg["id"]) == (0, 0)
    admin.ok("POST", "v1/prices", price_body(pkg))  # the code is free again


@pytest.mark.parametrize("amount, currency, minor", [
    (9.99, "USD", 999), (10, "USD", 1000), ("0.5", "usd", 50), (1000, "JPY", 1000),
    (1.234, "KWD", 1234), (0, "USD", 0),
])
def test_amounts_in_the_currency_minor_unit(admin, pkg, demo_brand, amount, currency, minor):
    created = admin.ok("POST", "v1/prices", price_body(pkg, amount=amount, currency=currency))
    assert stored_prices(demo_brand)["PRO-M"].amount_minor == minor
    assert created["currency"] == currency.upper()
    # On the wire: a JSON number with the currency's decimals.
    assert created["amount"] == json.loads(json.dumps(float(amount)))


@pytest.mark.parametrize("amount, currency, code", [
    (9.999, "USD", "AMOUNT_PRECISION"),
    (1000.5, "JPY", "AMOUNT_PRECISION"),
    (1.2345, "KWD", "AMOUNT_PRECISION"),
    (-1, "USD", None),
    (5, "XYZ", "CURRENCY_INVALID"),
    (5, "US", None),
    ("ten", "USD", None),
    (None, "USD", None),
])
def test_bad_amounts_are_400_and_write_nothing(admin, pkg, demo_brand, amount, currency, code):
    resp = admin.post("v1/prices", price_body(pkg, amount=amount, currency=currency))
    assert resp.status_code == 400, resp.json_body
    e = err(resp)
    assert e["field"] in ("amount", "currency")
    if code:
        assert e["code"] == code
    assert stored_prices(demo_brand) == {}
    assert counts(demo_brand, pkg["id"]) == (0, 0)


def test_precision_message_names_the_currency(admin, pkg):
    resp = admin.post("v1/prices", price_body(pkg, amount=1000.5, currency="JPY"))
    assert err(resp)["message"] == "amount 1000.5 has more decimals than JPY allows (0)."


def test_pricing_models(admin, api, pkg, demo_brand):
    one = admin.ok("POST", "v1/prices", price_body(pkg, code="LIFE", pricingModel="OneTime",
                                                   subscriptionTypeId=None, amount=99))
    assert (one["pricingModel"], one["subscriptionTypeId"], one["subscriptionName"]) == (
        "OneTime", None, None)
    from chalicelib.catalog import service

    internal = service.get_price(demo_brand["id"], one["id"])
    assert internal["amountMinor"] == 9900 and internal["pricingModel"] == "OneTime"
    for extra, field in (({"pricingModel": "OneTime"}, "subscriptionTypeId"),
                         ({"pricingModel": "Usage"}, "pricingModel"),
                         ({"pricingModel": "Barter"}, "pricingModel")):
        resp = admin.post("v1/prices", price_body(pkg, code="X", **extra))
        assert resp.status_code == 400 and err(resp)["field"] == field, extra
    assert sorted(stored_prices(demo_brand)) == ["LIFE"]
    assert [p["code"] for p in api.ok("GET", "v1/prices?pricingModel=OneTime")] == ["LIFE"]
    # A Subscription price sent without a type gets the brand's default one (90 days).
    body = price_body(pkg, code="DEF")
    del body["subscriptionTypeId"]
    got = admin.ok("POST", "v1/prices", body)
    assert (got["pricingModel"], got["subscriptionTypeId"], got["subscriptionName"]) == (
        "Subscription", "D90", "90 days")


def test_references_must_exist_in_the_brand(admin, api, pkg, demo_brand, other_brand):
    resp = admin.post("v1/prices", price_body(pkg, packageId="nope"))
    assert resp.status_code == 400 and err(resp)["code"] == "PACKAGE_NOT_FOUND"
    resp = admin.post("v1/prices", price_body(pkg, subscriptionTypeId="D2"))
    assert resp.status_code == 400 and err(resp)["code"] == "SUBSCRIPTION_TYPE_NOT_FOUND"
    # Another brand's package is unknown here, and this brand's price is unknown there.
    make_user(other_brand, "otherboss", "Admin")
    other = login(api.as_(brand_url="other.test"), "otherboss")
    other_pkg = other.ok("POST", "v1/packages", {"code": "X", "name": "X"})
    resp = admin.post("v1/prices", price_body(pkg, packageId=other_pkg["id"]))
    assert resp.status_code == 400 and err(resp)["field"] == "packageId"
    price = admin.ok("POST", "v1/prices", price_body(pkg))
    assert other.get(f"v1/prices/{price['id']}").status_code == 404
    assert other.put(f"v1/prices/{price['id']}", price_body(other_pkg)).status_code == 404
    assert other.delete(f"v1/prices/{price['id']}").status_code == 404
    assert other.ok("GET", "v1/prices") == []
    assert other.get(f"v1/packages/{pkg['id']}/prices").status_code == 404
    assert stored_prices(demo_brand)["PRO-M"].is_deleted is False


def test_codes_are_unique_per_brand(admin, pkg, demo_brand):
    admin.ok("POST", "v1/prices", price_body(pkg))
    resp = admin.post("v1/prices", price_body(pkg, code="pro-m", name="again"))
    assert resp.status_code == 409 and err(resp)["code"] == "PRICE_CODE_TAKEN"
    assert len(stored_prices(demo_brand)) == 1
    assert counts(demo_brand, pkg["id"]) == (1, 1)


def test_moving_a_price_moves_the_reference(admin, pkg, demo_brand):
    team = admin.ok("POST", "v1/packages", {"code": "TEAM", "name": "Team"})
    price = admin.ok("POST", "v1/prices", price_body(pkg))
    moved = admin.ok("PUT", f"v1/prices/{price['id']}", price_body(team))
    assert (moved["packageId"], moved["packageName"]) == (team["id"], "Team")
    assert counts(demo_brand, pkg["id"]) == (0, 0)
    assert counts(demo_brand, team["id"]) == (1, 1)
    admin.ok("PUT", f"v1/prices/{price['id']}", price_body(team, amount=0))
    assert counts(demo_brand, team["id"]) == (1, 0)
    admin.ok("PUT", f"v1/packages/{team['id']}", {"code": "TEAM", "name": "Team",
                                                   "isFree": True})
    resp = admin.put(f"v1/prices/{price['id']}", price_body(team, amount=1))
    assert resp.status_code == 400 and err(resp)["code"] == "FREE_PACKAGE_PRICE"
    resp = admin.delete(f"v1/packages/{team['id']}")
    assert resp.status_code == 409 and err(resp)["code"] == "PACKAGE_IN_USE"


def test_list_filters_and_paging(admin, api, pkg):
    team = admin.ok("POST", "v1/packages", {"code": "TEAM", "name": "Team"})
    admin.ok("POST", "v1/prices", price_body(pkg, code="A", amount=5, zOrder=3))
    admin.ok("POST", "v1/prices", price_body(pkg, code="B", amount=7, currency="EUR",
                                             zOrder=2, subscriptionTypeId="D365"))
    admin.ok("POST", "v1/prices", price_body(team, code="C", amount=1000, currency="JPY",
                                             zOrder=1, tags="asia"))

    def codes(qs: str = "") -> list[str]:
        data = api.ok("GET", "v1/prices" + (f"?{qs}" if qs else ""))
        assert isinstance(data, list)  # a plain array, as JFW returns it
        return [p["code"] for p in data]

    assert codes() == ["C", "B", "A"]
    assert codes(f"packageId={pkg['id']}") == ["B", "A"]
    assert codes("subscriptionTypeId=D365") == ["B"]
    assert codes("currency=eur") == ["B"]
    assert codes("amount=5") == ["A"]
    assert codes("amount=1000") == ["C"]
    assert codes("tags=asia") == ["C"]
    assert codes("sortDataField=code&sortOrder=asc") == ["A", "B", "C"]
    assert codes("sortDataField=amount&sortOrder=asc") == ["A", "B", "C"]  # 5, 7, 1000
    assert codes("pageSize=2") == ["C", "B"]
    assert codes("pageSize=2&pageNumber=1") == ["A"]
    # Prices of an inactive package are hidden from anonymous callers.
    admin.ok("POST", "v1/packages", {"code": "BASE", "name": "Base", "isDefault": True})
    admin.ok("PUT", f"v1/packages/{team['id']}", {"code": "TEAM", "name": "Team",
                                                   "status": "Inactive"})
    assert codes() == ["B", "A"]
    assert [p["code"] for p in admin.ok("GET", "v1/prices")] == ["C", "B", "A"]


@pytest.mark.parametrize("query, field", [
    ("pageSize=1001", "pageSize"),
    ("pageSize=0", "pageSize"),
    ("pageNumber=-1", "pageNumber"),
])
def test_price_paging_has_the_bounds_of_every_paged_list(api, pkg, query, field):
    """The plain array is cut by http/paging as the paged lists are (page size 1..1000)."""
    resp = api.get(f"v1/prices?{query}")
    assert resp.status_code == 400
    assert err(resp)["field"] == field and field in err(resp)["message"]
    assert api.ok("GET", "v1/prices?pageSize=1000") == api.ok("GET", "v1/prices")


def test_price_writes_need_permissions(api, pkg):
    from tests.helpers.api import register_and_login

    assert api.post("v1/prices", price_body(pkg)).status_code == 401
    user = register_and_login(api, "enduser")
    resp = user.post("v1/prices", price_body(pkg))
    assert resp.status_code == 403 and "PRICE.CREATE" in err(resp)["message"]


@pytest.mark.parametrize("change", [
    {"amount": 9.999}, {"currency": "JPY"}, {"amount": -1}, {"packageId": "nope"},
    {"subscriptionTypeId": "nope"}, {"pricingModel": "Usage"}, {"code": ""},
])
def test_bad_updates_are_4xx_and_change_nothing(admin, pkg, demo_brand, change):
    price = admin.ok("POST", "v1/prices", price_body(pkg))
    before = stored_prices(demo_brand)["PRO-M"].attribute_values
    resp = admin.put(f"v1/prices/{price['id']}", price_body(pkg, **change))
    assert resp.status_code == 400, resp.json_body
    assert stored_prices(demo_brand)["PRO-M"].attribute_values == before
    assert counts(demo_brand, pkg["id"]) == (1, 1)


@pytest.mark.parametrize("literal, currency, code", BAD_LITERALS,
                         ids=[lit[:24] for lit, _, _ in BAD_LITERALS])
def test_out_of_range_amounts_are_400_write_nothing_and_break_nothing(
        admin, api, pkg, demo_brand, literal, currency, code):
    price = admin.ok("POST", "v1/prices", price_body(pkg, code="KEEP"))
    listed = api.ok("GET", "v1/prices")
    before = dump_tables(demo_brand["id"])
    for method, path in (("POST", "v1/prices"), ("PUT", f"v1/prices/{price['id']}")):
        resp = admin.request(method, path, raw=with_literals(
            price_body(pkg, code="KEEP" if method == "PUT" else "NEW", currency=currency),
            amount=literal))
        assert resp.status_code == 400, (method, resp.json_body)
        assert (err(resp)["field"], err(resp)["code"]) == ("amount", code), method
    assert_unchanged(before, f"amount {literal[:24]}", demo_brand["id"])
    assert api.ok("GET", "v1/prices") == listed
    assert api.ok("GET", "v1/packages")
    assert api.ok("GET", f"v1/packages/{pkg['id']}/prices") == listed


@pytest.mark.parametrize("literal, currency, minor, wire", [
    ("1000000000000", "USD", 10 ** 14, 1000000000000),  # the ceiling itself
    ("1e12", "JPY", 10 ** 12, 1000000000000),
    ("0.001", "KWD", 1, 0.001),
    ("9.990", "USD", 999, 9.99),  # trailing zeros are not extra precision
])
def test_amounts_up_to_the_ceiling_are_taken_exactly(admin, pkg, demo_brand, literal, currency,
                                                      minor, wire):
    resp = admin.request("POST", "v1/prices", raw=with_literals(
        price_body(pkg, currency=currency), amount=literal))
    assert resp.status_code in (200, 201), resp.json_body
    assert resp.json_body["data"]["amount"] == wire
    assert stored_prices(demo_brand)["PRO-M"].amount_minor == minor


def test_the_amount_filter_is_exact(admin, api, pkg):
    admin.ok("POST", "v1/prices", price_body(pkg))
    assert [p["code"] for p in api.ok("GET", "v1/prices?amount=9.99")] == ["PRO-M"]
    assert api.ok("GET", "v1/prices?amount=9.990000000000000000001") == []
    assert api.get("v1/prices?amount=NaN").status_code == 400


def test_an_amount_stored_before_the_ceiling_breaks_no_listing(admin, api, pkg, demo_brand):
    """Issue 10: one 1e26 USD row made every catalogue read of the brand a 500. Reads are exact
    at any size now: the listings answer, showing the row as stored, so an admin can see and
    mend it; buying it is a 400 (test_payments_records)."""
    admin.ok("POST", "v1/prices", price_body(pkg, code="OK"))
    big = admin.ok("POST", "v1/prices", price_body(pkg, code="BIG"))
    set_amount_minor(demo_brand, big["id"], 10 ** 28)
    assert {p["code"]: p["amount"] for p in api.ok("GET", "v1/prices")} == {
        "OK": 9.99, "BIG": 10 ** 26}
    assert api.ok("GET", f"v1/prices/{big['id']}")["amount"] == 10 ** 26
    assert len(api.ok("GET", f"v1/packages/{pkg['id']}/prices")) == 2
    assert len(api.ok("GET", f"v1/packages/{pkg['id']}")["prices"]) == 2
    assert api.ok("GET", "v1/packages")
    assert [p["code"] for p in api.ok("GET", "v1/prices?sortDataField=amount&sortOrder=asc")
            ] == ["OK", "BIG"]
    from chalicelib.identity import brands

    brands.update_setting(demo_brand["id"], {"taxRate": "8.875"})
    quote = api.ok("POST", f"v1/packages/{pkg['id']}/calculate-total-price-checkout",
                   {"priceId": big["id"]})
    assert (quote["subtotal"], quote["tax"]["amount"], quote["total"]) == (
        10 ** 26, 8875 * 10 ** 21, 108875 * 10 ** 21)
    # The admin mends it with an amount the rule takes.
    mended = admin.ok("PUT", f"v1/prices/{big['id']}", price_body(pkg, code="BIG", amount=99))
    assert mended["amount"] == 99
