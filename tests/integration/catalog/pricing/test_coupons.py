"""Coupons: v1/coupons CRUD, statuses, code uniqueness, bad input, tenancy, redeem/release."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib import settings
from tests.helpers.api import login, make_user, register_and_login
from tests.helpers.catalog import NOW, with_literals


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def coupon_body(**over) -> dict:
    body = {"name": "Ten off", "code": "SAVE10", "percentage": 10,
            "startDate": iso(NOW - timedelta(days=1)), "endDate": iso(NOW + timedelta(days=30))}
    body.update(over)
    return {k: v for k, v in body.items() if v is not ...}


@pytest.fixture
def pro(demo_brand):
    from chalicelib.catalog import service

    b = demo_brand["id"]
    service.create_package(b, {"code": "BASIC", "name": "Basic"})
    return service.create_package(b, {"code": "PRO", "name": "Pro"})


def coupon_rows(brand_id: str) -> list[dict]:
    """Every stored coupon-related item of a brand (a Scan: tests only)."""
    from chalicelib.store import aws

    table = settings.get().table_name("catalog")
    items = aws.client("dynamodb").scan(TableName=table)["Items"]
    return [i for i in items if i["pk"]["S"].startswith(f"B#{brand_id}#COUPON")]


# -- CRUD ------------------------------------------------------------------------------------------

def test_create_read_list_update_delete(admin, demo_brand, pro):
    created = admin.ok("POST", "v1/coupons", coupon_body(
        quantity=100, packageIds=[pro["id"]], description="launch", tags="promo",
        autoApplyToPrice=False, testMode=True))
    assert created["code"] == "SAVE10" and created["name"] == "Ten off"
    assert created["percentage"] == 10 and created["amountOff"] is None
    assert created["quantity"] == 100 and created["redeemedCount"] == 0
    assert created["maxRedemptionsPerUser"] == 1  # once per user by default
    assert created["packageIds"] == [pro["id"]]
    assert created["status"] == "Active" and created["testMode"] is True
    assert created["startDate"] == iso(NOW - timedelta(days=1))

    got = admin.ok("GET", f"v1/coupons/{created['id']}")
    assert got == created

    fixed = admin.ok("POST", "v1/coupons", coupon_body(
        code="FIVE", name="Five dollars", percentage=None, amountOff=5.5, currencyCode="usd",
        maxRedemptionsPerUser=3))
    assert fixed["amountOff"] == 5.5 and fixed["currencyCode"] == "USD"
    assert fixed["percentage"] is None and fixed["maxRedemptionsPerUser"] == 3

    page = admin.ok("GET", "v1/coupons?pageSize=1&pageNumber=0&sortDataField=code&sortOrder=asc")
    assert page["totalItems"] == 2 and page["pageSize"] == 1
    assert [c["code"] for c in page["items"]] == ["FIVE"]
    assert [c["code"] for c in admin.ok("GET", "v1/coupons?percentage=10")["items"]] == ["SAVE10"]
    assert [c["code"] for c in admin.ok("GET", "v1/coupons?testMode=true")["items"]] == ["SAVE10"]
    assert [c["code"] for c in admin.ok("GET", "v1/coupons?keywords=dollars")["items"]] == ["FIVE"]
    assert [c["code"] for c in admin.ok("GET", "v1/coupons?name=ten")["items"]] == ["SAVE10"]

    # PUT: the fields sent change, the ones left out keep their value, null clears.
    updated = admin.ok("PUT", f"v1/coupons/{created['id']}", coupon_body(
        code="SAVE15", name="Fifteen off", percentage=15, quantity=None, status="Inactive"))
    assert updated["code"] == "SAVE15" and updated["percentage"] == 15
    assert updated["quantity"] is None  # no cap any more
    assert updated["packageIds"] == [pro["id"]] and updated["description"] == "launch"
    assert updated["status"] == "Inactive"
    # The old code is free again, the new one is taken (any case).
    admin.ok("POST", "v1/coupons", coupon_body(code="save10", name="Reuse"))
    taken = admin.post("v1/coupons", coupon_body(code="save15"))
    assert taken.status_code == 409
    assert taken.json_body["errors"][0]["code"] == "COUPON_CODE_TAKEN"

    assert admin.ok("DELETE", f"v1/coupons/{created['id']}") is True
    deleted = admin.ok("GET", f"v1/coupons/{created['id']}")
    assert deleted["status"] == "Deleted" and deleted["code"] == "SAVE15"  # kept
    listed = admin.ok("GET", "v1/coupons")["items"]
    assert created["id"] not in [c["id"] for c in listed]
    assert [c["id"] for c in admin.ok("GET", "v1/coupons?status=Deleted")["items"]] == [
        created["id"]]
    # Its code is free; a deleted coupon can't be changed.
    admin.ok("POST", "v1/coupons", coupon_body(code="SAVE15", name="Again"))
    resp = admin.put(f"v1/coupons/{created['id']}", coupon_body(code="OTHER"))
    assert resp.status_code == 409 and resp.json_body["errors"][0]["code"] == "COUPON_DELETED"


def test_codes_are_unique_per_brand_case_insensitively(admin):
    admin.ok("POST", "v1/coupons", coupon_body(code="Spring"))
    resp = admin.post("v1/coupons", coupon_body(code="SPRING", name="Dup"))
    assert resp.status_code == 409
    err = resp.json_body["errors"][0]
    assert err["code"] == "COUPON_CODE_TAKEN" and err["field"] == "code"
    assert admin.ok("GET", "v1/coupons")["totalItems"] == 1


def test_status_is_expired_after_end_date(admin):
    c = admin.ok("POST", "v1/coupons", coupon_body(endDate=iso(NOW + timedelta(hours=1))))
    assert admin.ok("GET", f"v1/coupons/{c['id']}")["status"] == "Active"
    settings.set_clock(lambda: NOW + timedelta(hours=2))
    assert admin.ok("GET", f"v1/coupons/{c['id']}")["status"] == "Expired"
    assert admin.ok("GET", "v1/coupons?status=Expired")["totalItems"] == 1
    assert admin.ok("GET", "v1/coupons?status=Active")["totalItems"] == 0


def test_quantity_can_not_go_below_redemptions(admin, demo_brand):
    from chalicelib.catalog import coupons

    c = admin.ok("POST", "v1/coupons", coupon_body(quantity=5))
    for n in range(3):
        coupons.redeem(demo_brand["id"], c["id"], f"user{n}", f"pay{n}")
    resp = admin.put(f"v1/coupons/{c['id']}", coupon_body(quantity=2))
    assert resp.status_code == 409
    assert resp.json_body["errors"][0]["code"] == "COUPON_QUANTITY_BELOW_REDEEMED"
    got = admin.ok("GET", f"v1/coupons/{c['id']}")
    assert got["quantity"] == 5 and got["redeemedCount"] == 3
    assert admin.ok("PUT", f"v1/coupons/{c['id']}", coupon_body(quantity=3))["quantity"] == 3


BAD_BODIES = [
    ("both discounts", coupon_body(amountOff=5, currencyCode="USD")),
    ("no discount", coupon_body(percentage=None)),
    ("percentage 0", coupon_body(percentage=0)),
    ("percentage over 100", coupon_body(percentage=100.5)),
    ("too many decimals for USD", coupon_body(percentage=None, amountOff=9.999,
                                              currencyCode="USD")),
    ("decimals for JPY", coupon_body(percentage=None, amountOff=100.5, currencyCode="JPY")),
    ("amountOff without currency", coupon_body(percentage=None, amountOff=5)),
    ("unknown currency", coupon_body(percentage=None, amountOff=5, currencyCode="ABC")),
    ("end before start", coupon_body(endDate=iso(NOW - timedelta(days=2)))),
    ("no startDate", coupon_body(startDate=...)),
    ("no endDate", coupon_body(endDate=...)),
    ("no code", coupon_body(code=...)),
    ("code with spaces", coupon_body(code="TEN OFF")),
    ("no name", coupon_body(name=...)),
    ("quantity 0", coupon_body(quantity=0)),
    ("per-user limit 0", coupon_body(maxRedemptionsPerUser=0)),
    ("status Expired", coupon_body(status="Expired")),
    ("status Deleted", coupon_body(status="Deleted")),
    ("unknown package", coupon_body(packageIds=["NoSuchPackage"])),
    ("bad date", coupon_body(startDate="tomorrow")),
    ("not an object", ["SAVE10"]),
]


@pytest.mark.parametrize("body", [b for _, b in BAD_BODIES], ids=[n for n, _ in BAD_BODIES])
def test_bad_input_is_a_400_and_writes_nothing(admin, demo_brand, pro, body):
    resp = admin.post("v1/coupons", body)
    assert resp.status_code == 400, resp.json_body
    assert resp.json_body["errors"][0]["message"]
    assert coupon_rows(demo_brand["id"]) == []


def test_bad_update_is_a_400_and_changes_nothing(admin):
    c = admin.ok("POST", "v1/coupons", coupon_body(quantity=5))
    for body in (coupon_body(amountOff=5, currencyCode="USD"),  # both discounts
                 coupon_body(percentage=None),  # clears the only discount
                 coupon_body(endDate=iso(NOW - timedelta(days=3))),
                 coupon_body(packageIds=["nope"])):
        assert admin.put(f"v1/coupons/{c['id']}", body).status_code == 400
    assert admin.ok("GET", f"v1/coupons/{c['id']}") == c


# Numbers as the client wrote them (issue 10): each is a 400 naming the field, nothing stored.
BAD_NUMBERS = [
    ("amountOff", "1e26", "USD", "AMOUNT_TOO_LARGE"),
    ("amountOff", "1000000000001", "USD", "AMOUNT_TOO_LARGE"),
    ("amountOff", "1" + "0" * 400, "USD", "AMOUNT_TOO_LARGE"),
    ("amountOff", "9.990000000000000000001", "USD", "AMOUNT_PRECISION"),
    ("amountOff", "1000.5", "JPY", "AMOUNT_PRECISION"),
    ("amountOff", "-1", "USD", "VALIDATION_ERROR"),
    ("amountOff", "NaN", "USD", "VALIDATION_ERROR"),
    ("amountOff", "Infinity", "USD", "VALIDATION_ERROR"),
    ("percentage", "12.50000000000000000001", None, "VALIDATION_ERROR"),
    ("percentage", "100.5", None, "VALIDATION_ERROR"),
    ("percentage", "1e26", None, "VALIDATION_ERROR"),
    ("percentage", "-1", None, "VALIDATION_ERROR"),
    ("percentage", "NaN", None, "VALIDATION_ERROR"),
    ("percentage", "-Infinity", None, "VALIDATION_ERROR"),
]


@pytest.mark.parametrize("field, literal, currency, code", BAD_NUMBERS,
                         ids=[f"{f}={lit[:24]}" for f, lit, _, _ in BAD_NUMBERS])
def test_out_of_range_numbers_are_400_naming_the_field(admin, demo_brand, field, literal,
                                                       currency, code):
    kept = admin.ok("POST", "v1/coupons", coupon_body(code="KEEP"))
    rows = coupon_rows(demo_brand["id"])
    body = coupon_body(percentage=None, currencyCode=currency) if currency else coupon_body()
    for method, path in (("POST", "v1/coupons"), ("PUT", f"v1/coupons/{kept['id']}")):
        resp = admin.request(method, path, raw=with_literals(body, **{field: literal}))
        assert resp.status_code == 400, (method, resp.json_body)
        e = resp.json_body["errors"][0]
        assert (e["field"], e["code"]) == (field, code), method
    assert coupon_rows(demo_brand["id"]) == rows
    assert admin.ok("GET", f"v1/coupons/{kept['id']}") == kept


def test_amount_off_takes_the_currency_decimals_exactly(admin):
    c = admin.ok("POST", "v1/coupons", coupon_body(percentage=None, amountOff="0.001",
                                                   currencyCode="KWD"))
    assert (c["amountOff"], c["currencyCode"]) == (0.001, "KWD")
    resp = admin.request("POST", "v1/coupons", raw=with_literals(
        coupon_body(code="MAX", percentage=None, currencyCode="USD"),
        amountOff="1000000000000"))
    assert resp.status_code in (200, 201) and resp.json_body["data"]["amountOff"] == 10 ** 12


def test_switching_from_percentage_to_amount_off(admin):
    c = admin.ok("POST", "v1/coupons", coupon_body())
    resp = admin.put(f"v1/coupons/{c['id']}", coupon_body(percentage=..., amountOff=3,
                                                          currencyCode="EUR"))
    assert resp.status_code == 400  # percentage left out keeps its value: both would be set
    assert "percentage" in resp.json_body["errors"][0]["message"]
    done = admin.ok("PUT", f"v1/coupons/{c['id']}", coupon_body(percentage=None, amountOff=3,
                                                                  currencyCode="EUR"))
    assert (done["percentage"], done["amountOff"], done["currencyCode"]) == (None, 3, "EUR")


def test_permissions(api, admin, demo_brand):
    c = admin.ok("POST", "v1/coupons", coupon_body())
    user = register_and_login(api, "carol")
    assert user.get("v1/coupons").status_code == 403
    assert user.get(f"v1/coupons/{c['id']}").status_code == 403
    assert user.post("v1/coupons", coupon_body(code="MINE")).status_code == 403
    assert user.delete(f"v1/coupons/{c['id']}").status_code == 403
    assert api.get("v1/coupons").status_code == 401
    assert admin.ok("GET", f"v1/coupons/{c['id']}")["status"] == "Active"


def test_another_brand_gets_404(api, admin, other_brand):
    c = admin.ok("POST", "v1/coupons", coupon_body())
    make_user(other_brand, "otherboss", "Admin")
    other = login(api.as_(brand_url="other.test"), "otherboss")
    for method in ("GET", "DELETE"):
        resp = other.request(method, f"v1/coupons/{c['id']}")
        assert resp.status_code == 404, method
    assert other.put(f"v1/coupons/{c['id']}", coupon_body(code="HIJACK")).status_code == 404
    assert other.ok("GET", "v1/coupons")["totalItems"] == 0
    # Codes are per brand: the other brand may use the same code.
    other.ok("POST", "v1/coupons", coupon_body())
    assert admin.ok("GET", f"v1/coupons/{c['id']}")["status"] == "Active"


# -- redeem / release ------------------------------------------------------------------------------

def test_redeem_counts_once_per_ref_and_release_gives_it_back(admin, demo_brand):
    from chalicelib.catalog import coupons

    b = demo_brand["id"]
    c = admin.ok("POST", "v1/coupons", coupon_body(quantity=2, maxRedemptionsPerUser=2))
    coupons.redeem(b, c["id"], "u1", "pay-1")
    coupons.redeem(b, c["id"], "u1", "pay-1")  # a retry of the same payment
    assert admin.ok("GET", f"v1/coupons/{c['id']}")["redeemedCount"] == 1
    assert coupons.user_redemptions(b, c["id"], "u1") == 1
    coupons.redeem(b, c["id"], "u2", "pay-2")
    with pytest.raises(Exception) as exhausted:
        coupons.redeem(b, c["id"], "u3", "pay-3")
    assert exhausted.value.code == "COUPON_EXHAUSTED"
    with pytest.raises(Exception) as other_user:
        coupons.redeem(b, c["id"], "u9", "pay-1")
    assert other_user.value.code == "COUPON_REF_TAKEN"

    assert coupons.release(b, c["id"], "u2", "pay-2") is True
    assert coupons.release(b, c["id"], "u2", "pay-2") is False  # already given back
    assert coupons.release(b, c["id"], "u1", "no-such-payment") is False
    assert admin.ok("GET", f"v1/coupons/{c['id']}")["redeemedCount"] == 1
    assert coupons.user_redemptions(b, c["id"], "u2") == 0
    coupons.redeem(b, c["id"], "u3", "pay-3")  # the freed use is available again
    assert admin.ok("GET", f"v1/coupons/{c['id']}")["redeemedCount"] == 2


def test_redeem_respects_the_per_user_limit(admin, demo_brand):
    from chalicelib.catalog import coupons

    b = demo_brand["id"]
    c = admin.ok("POST", "v1/coupons", coupon_body())  # once per user by default
    coupons.redeem(b, c["id"], "u1", "pay-1")
    with pytest.raises(Exception) as again:
        coupons.redeem(b, c["id"], "u1", "pay-2")
    assert again.value.code == "COUPON_ALREADY_USED" and again.value.status == 409
    assert admin.ok("GET", f"v1/coupons/{c['id']}")["redeemedCount"] == 1


@pytest.mark.parametrize("change, code", [
    ({"status": "Inactive"}, "COUPON_INACTIVE"),
    ({"startDate": iso(NOW + timedelta(days=1)), "endDate": iso(NOW + timedelta(days=2))},
     "COUPON_NOT_YET_VALID"),
    ({"startDate": iso(NOW - timedelta(days=3)), "endDate": iso(NOW - timedelta(days=1))},
     "COUPON_EXPIRED"),
])
def test_redeem_refuses_a_coupon_that_is_not_live(admin, demo_brand, change, code):
    from chalicelib.catalog import coupons

    c = admin.ok("POST", "v1/coupons", coupon_body(**change))
    with pytest.raises(Exception) as refused:
        coupons.redeem(demo_brand["id"], c["id"], "u1", "pay-1")
    assert refused.value.code == code
    assert admin.ok("GET", f"v1/coupons/{c['id']}")["redeemedCount"] == 0
    assert coupons.user_redemptions(demo_brand["id"], c["id"], "u1") == 0


def test_redeem_refuses_a_deleted_coupon(admin, demo_brand):
    from chalicelib.catalog import coupons

    c = admin.ok("POST", "v1/coupons", coupon_body())
    admin.ok("DELETE", f"v1/coupons/{c['id']}")
    with pytest.raises(Exception) as refused:
        coupons.redeem(demo_brand["id"], c["id"], "u1", "pay-1")
    assert refused.value.code == "COUPON_INVALID"
    with pytest.raises(Exception) as missing:
        coupons.redeem(demo_brand["id"], "NoSuchCoupon", "u1", "pay-1")
    assert missing.value.status == 404
