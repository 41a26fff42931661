"""Quotes: POST v1/packages/{packageId}/calculate-total-price-checkout."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib import settings
from tests.helpers.api import register_and_login
from tests.helpers.catalog import NOW


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


@pytest.fixture
def shop(demo_brand, clock) -> dict:
    """Basic (the default) and Pro, with prices in USD, EUR, JPY (0 decimals), KWD (3)."""
    from chalicelib.catalog import service

    b = demo_brand["id"]
    basic = service.create_package(b, {"code": "BASIC", "name": "Basic"})
    pro = service.create_package(b, {"code": "PRO", "name": "Pro"})
    hidden = service.create_package(b, {"code": "OLD", "name": "Old", "status": "Inactive"})

    def price(pkg: dict, code: str, amount: str, currency: str, subtype: str | None = "D30",
              **extra) -> str:
        return service.create_price(b, {
            "packageId": pkg["id"], "subscriptionTypeId": subtype, "code": code, "name": code,
            "amount": amount, "currency": currency, **extra})["id"]

    return {
        "basic": basic["id"], "pro": pro["id"], "hidden": hidden["id"],
        "basic30": price(basic, "BASIC-30", "10.00", "USD"),
        "basic365": price(basic, "BASIC-365", "100.00", "USD", "D365"),
        "pro30": price(pro, "PRO-30", "20.00", "USD"),
        "pro365": price(pro, "PRO-365", "200.00", "USD", "D365"),
        "pro7": price(pro, "PRO-7", "9.99", "USD", "D7"),
        "pro_eur": price(pro, "PRO-30-EUR", "18.00", "EUR"),
        "pro_jpy": price(pro, "PRO-30-JPY", "3000", "JPY"),
        "pro_kwd": price(pro, "PRO-30-KWD", "6.125", "KWD"),
        "pro_once": price(pro, "PRO-ONCE", "500.00", "USD", None, pricingModel="OneTime"),
        "hidden30": price(hidden, "OLD-30", "5.00", "USD"),
    }


def make_coupon(admin, code: str, **over) -> dict:
    body = {"name": code, "code": code, "percentage": 10,
            "startDate": iso(NOW - timedelta(days=1)), "endDate": iso(NOW + timedelta(days=30))}
    body.update(over)
    return admin.ok("POST", "v1/coupons", body)


def quote(client, package_id: str, price_id: str, coupon: str | None = None, **kw) -> dict:
    body = {"packageId": package_id, "priceId": price_id}
    if coupon is not None:
        body["couponCode"] = coupon
    return client.ok("POST", f"v1/packages/{package_id}/calculate-total-price-checkout", body,
                     **kw)


def quote_error(client, package_id: str, price_id: str, coupon: str | None = None):
    body = {"packageId": package_id, "priceId": price_id, "couponCode": coupon}
    resp = client.post(f"v1/packages/{package_id}/calculate-total-price-checkout", body)
    assert resp.status_code >= 400, resp.json_body
    return resp.status_code, resp.json_body["errors"][0]


def set_tax(brand: dict, rate) -> None:
    from chalicelib.identity import brands

    brands.update_setting(brand["id"], {"taxRate": rate})


def give_package(brand: dict, user_api, package_id: str, expiry: datetime | None) -> str:
    from chalicelib.identity.models import UserItem, user_pk

    me = user_api.ok("GET", "v1/users/me")
    UserItem(user_pk(brand["id"], me["id"]), "USER").update(actions=[
        UserItem.package_id.set(package_id),
        UserItem.expiry_date.set(expiry) if expiry else UserItem.expiry_date.remove()])
    return me["id"]


def table_snapshot() -> list:
    from chalicelib.store import aws

    items = aws.client("dynamodb").scan(TableName=settings.get().table_name("catalog"))["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


# -- plain quotes ----------------------------------------------------------------------------------

def test_quote_without_coupon(api, shop):
    q = quote(api, shop["pro"], shop["pro30"])
    assert q == {"subtotal": 20, "discount": 0, "couponCode": None, "prorateAmount": 0,
                 "walletUsed": 0, "refundAmountWallet": 0, "tax": {"percent": 0, "amount": 0},
                 "total": 20, "currency": "USD"}


def test_query_string_is_accepted_and_the_body_wins(api, shop):
    path = f"v1/packages/{shop['pro']}/calculate-total-price-checkout"
    only_query = api.ok("POST", f"{path}?priceId={shop['pro7']}&couponCode=")
    assert only_query["subtotal"] == 9.99
    both = api.ok("POST", f"{path}?priceId={shop['pro7']}", {"priceId": shop["pro30"]})
    assert both["subtotal"] == 20


def test_percent_coupon_then_tax_round_half_up(api, admin, demo_brand, shop):
    set_tax(demo_brand, 10)
    make_coupon(admin, "FIFTEEN", percentage=15)
    # 9.99 - 15 % (1.4985 -> 1.50) = 8.49; tax 10 % (0.849 -> 0.85); total 9.34.
    q = quote(api, shop["pro"], shop["pro7"], "fifteen")
    assert (q["subtotal"], q["discount"], q["tax"], q["total"]) == (
        9.99, 1.5, {"percent": 10, "amount": 0.85}, 9.34)
    assert q["couponCode"] == "FIFTEEN"


@pytest.mark.parametrize("price, expected", [
    # JPY has no decimals: 3000 - 450 = 2550; tax 255; total 2805.
    ("pro_jpy", {"subtotal": 3000, "discount": 450, "tax": 255, "total": 2805}),
    # KWD has 3: 6.125 - 0.919 (0.91875) = 5.206; tax 0.521 (0.5206); total 5.727.
    ("pro_kwd", {"subtotal": 6.125, "discount": 0.919, "tax": 0.521, "total": 5.727}),
    ("pro_eur", {"subtotal": 18, "discount": 2.7, "tax": 1.53, "total": 16.83}),
])
def test_currencies_with_0_2_and_3_decimals(api, admin, demo_brand, shop, price, expected):
    set_tax(demo_brand, 10)
    make_coupon(admin, "FIFTEEN", percentage=15)
    q = quote(api, shop["pro"], shop[price], "FIFTEEN")
    assert {k: q[k] if k != "tax" else q["tax"]["amount"] for k in expected} == expected


def test_amount_off_coupon_stops_at_the_price(api, admin, shop):
    make_coupon(admin, "FIVE", percentage=None, amountOff=5, currencyCode="USD")
    make_coupon(admin, "BIG", percentage=None, amountOff=50, currencyCode="USD")
    assert quote(api, shop["pro"], shop["pro30"], "FIVE")["total"] == 15
    big = quote(api, shop["pro"], shop["pro30"], "BIG")
    assert (big["discount"], big["total"]) == (20, 0)


def test_a_hundred_percent_coupon_gives_zero(api, admin, demo_brand, shop):
    set_tax(demo_brand, "19.5")
    make_coupon(admin, "FREE", percentage=100)
    for price in ("pro30", "pro_jpy", "pro_kwd", "pro_once"):
        q = quote(api, shop["pro"], shop[price], "FREE")
        assert q["total"] == 0 and q["tax"]["amount"] == 0 and q["discount"] == q["subtotal"]


def test_same_quote_twice_is_identical_and_writes_nothing(api, admin, demo_brand, shop):
    set_tax(demo_brand, 7)
    c = make_coupon(admin, "ONCE", percentage=33, quantity=1)
    user = register_and_login(api, "dora")
    give_package(demo_brand, user, shop["basic"], NOW + timedelta(days=10))
    before = table_snapshot()
    first = quote(user, shop["pro"], shop["pro30"], "ONCE")
    second = quote(user, shop["pro"], shop["pro30"], "ONCE")
    assert first == second
    assert first["prorateAmount"] > 0 and first["discount"] > 0
    assert table_snapshot() == before
    assert admin.ok("GET", f"v1/coupons/{c['id']}")["redeemedCount"] == 0


# -- coupon errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("setup, status, code", [
    ({}, 400, "COUPON_INVALID"),
    ({"status": "Inactive"}, 400, "COUPON_INACTIVE"),
    ({"startDate": iso(NOW - timedelta(days=9)), "endDate": iso(NOW - timedelta(days=1))},
     400, "COUPON_EXPIRED"),
    ({"startDate": iso(NOW + timedelta(days=1)), "endDate": iso(NOW + timedelta(days=9))},
     400, "COUPON_NOT_YET_VALID"),
    ({"quantity": 1, "_redeemed_by": "someone"}, 409, "COUPON_EXHAUSTED"),
    ({"packageIds": "basic"}, 400, "COUPON_NOT_APPLICABLE"),
    ({"percentage": None, "amountOff": 5, "currencyCode": "EUR"}, 400, "COUPON_NOT_APPLICABLE"),
])
def test_each_coupon_problem_is_a_4xx_that_says_which(api, admin, demo_brand, shop, setup,
                                                      status, code):
    from chalicelib.catalog import coupons

    coupon_code = "NOPE"
    if setup:
        setup = dict(setup)
        redeemer = setup.pop("_redeemed_by", None)
        if setup.get("packageIds"):
            setup["packageIds"] = [shop[setup["packageIds"]]]
        coupon_code = "PROMO"
        c = make_coupon(admin, coupon_code, **setup)
        if redeemer:
            coupons.redeem(demo_brand["id"], c["id"], redeemer, "pay-1")
    got_status, err = quote_error(api, shop["pro"], shop["pro30"], coupon_code)
    assert (got_status, err["code"], err["field"]) == (status, code, "couponCode")
    assert coupon_code in err["message"]


def test_already_used_by_this_user(api, admin, demo_brand, shop):
    from chalicelib.catalog import coupons

    c = make_coupon(admin, "WELCOME")
    user = register_and_login(api, "erin")
    me = user.ok("GET", "v1/users/me")
    coupons.redeem(demo_brand["id"], c["id"], me["id"], "pay-1")
    status, err = quote_error(user, shop["pro"], shop["pro30"], "WELCOME")
    assert (status, err["code"]) == (409, "COUPON_ALREADY_USED")
    # Someone else (or an anonymous quote) may still use it.
    assert quote(api, shop["pro"], shop["pro30"], "WELCOME")["discount"] == 2


def test_coupon_restricted_to_the_package_applies_there(api, admin, shop):
    make_coupon(admin, "PROONLY", packageIds=[shop["pro"]])
    assert quote(api, shop["pro"], shop["pro30"], "PROONLY")["discount"] == 2
    status, err = quote_error(api, shop["basic"], shop["basic30"], "PROONLY")
    assert (status, err["code"]) == (400, "COUPON_NOT_APPLICABLE")


# -- auto-apply ------------------------------------------------------------------------------------

def test_auto_apply_picks_the_best_usable_coupon_without_a_code(api, admin, demo_brand, shop):
    from chalicelib.catalog import coupons

    assert quote(api, shop["pro"], shop["pro30"])["couponCode"] is None
    make_coupon(admin, "AUTO10", autoApplyToPrice=True)
    make_coupon(admin, "AUTO5USD", percentage=None, amountOff=5, currencyCode="USD",
                autoApplyToPrice=True)
    make_coupon(admin, "AUTOBASIC", percentage=60, packageIds=[shop["basic"]],
                autoApplyToPrice=True)
    make_coupon(admin, "AUTOOFF", percentage=60, status="Inactive", autoApplyToPrice=True)
    make_coupon(admin, "NOTAUTO", percentage=70)
    mine = make_coupon(admin, "AUTOMINE", percentage=40, autoApplyToPrice=True)

    user = register_and_login(api, "fred")
    coupons.redeem(demo_brand["id"], mine["id"], user.ok("GET", "v1/users/me")["id"], "pay-1")

    # Anonymous: 40 % is the best usable one on Pro.
    assert quote(api, shop["pro"], shop["pro30"])["couponCode"] == "AUTOMINE"
    # fred used AUTOMINE already: 5 USD off (25 %) beats 10 %.
    q = quote(user, shop["pro"], shop["pro30"])
    assert (q["couponCode"], q["discount"], q["total"]) == ("AUTO5USD", 5, 15)
    # In EUR the USD amount does not apply.
    assert quote(user, shop["pro"], shop["pro_eur"])["couponCode"] == "AUTO10"
    # On Basic (10.00), the Basic-only 60 % beats 5.00 off.
    assert quote(user, shop["basic"], shop["basic30"])["couponCode"] == "AUTOBASIC"
    # A code given wins over auto-apply.
    assert quote(user, shop["pro"], shop["pro30"], "NOTAUTO")["couponCode"] == "NOTAUTO"


# -- upgrade credit (proration) --------------------------------------------------------------------

def test_upgrade_credits_the_unused_part_of_the_current_package(api, demo_brand, shop):
    user = register_and_login(api, "gina")
    give_package(demo_brand, user, shop["basic"], NOW + timedelta(days=15))
    # Same subscription type first: 10.00 x 15/30 days = 5.00.
    q = quote(user, shop["pro"], shop["pro30"])
    assert (q["prorateAmount"], q["total"]) == (5, 15)
    # For the yearly price, the yearly Basic price: 100.00 x 15/365 = 4.1095... -> 4.11.
    q = quote(user, shop["pro"], shop["pro365"])
    assert (q["prorateAmount"], q["total"]) == (4.11, 195.89)
    # No Basic price of the 7-day type: the smaller of the other credits (4.11 < 5.00).
    q = quote(user, shop["pro"], shop["pro7"])
    assert (q["prorateAmount"], q["total"]) == (4.11, 5.88)
    # No credit: anonymous, other currency (no Basic price in EUR), same package.
    assert quote(api, shop["pro"], shop["pro30"])["prorateAmount"] == 0
    assert quote(user, shop["pro"], shop["pro_eur"])["prorateAmount"] == 0
    assert quote(user, shop["basic"], shop["basic30"])["prorateAmount"] == 0


def test_proration_comes_after_the_discount_and_before_tax(api, admin, demo_brand, shop):
    set_tax(demo_brand, 10)
    make_coupon(admin, "HALF", percentage=50)
    user = register_and_login(api, "hank")
    give_package(demo_brand, user, shop["basic"], NOW + timedelta(days=15))
    q = quote(user, shop["pro"], shop["pro30"], "HALF")
    # 20.00 - 10.00 discount - 5.00 credit = 5.00; tax 0.50; total 5.50.
    assert (q["discount"], q["prorateAmount"], q["tax"]["amount"], q["total"]) == (10, 5, 0.5,
                                                                                    5.5)
    make_coupon(admin, "NINETY", percentage=90)
    q = quote(user, shop["pro"], shop["pro30"], "NINETY")
    assert (q["discount"], q["prorateAmount"], q["total"]) == (18, 2, 0)


def test_no_credit_when_the_current_package_expired_or_has_no_end(api, demo_brand, shop):
    user = register_and_login(api, "ivy")
    give_package(demo_brand, user, shop["basic"], NOW - timedelta(seconds=1))
    assert quote(user, shop["pro"], shop["pro30"])["prorateAmount"] == 0
    give_package(demo_brand, user, shop["basic"], None)
    assert quote(user, shop["pro"], shop["pro30"])["prorateAmount"] == 0


# -- bad input and tenancy -------------------------------------------------------------------------

def test_bad_input(api, shop):
    path = f"v1/packages/{shop['pro']}/calculate-total-price-checkout"
    cases = [
        (path, {}, 400, "priceId"),
        (path, {"priceId": shop["basic30"]}, 400, "priceId"),  # a price of another package
        (path, {"priceId": "NoSuchPrice"}, 400, "priceId"),
        (path, {"priceId": shop["pro30"], "packageId": shop["basic"]}, 400, "packageId"),
        (path, {"priceId": shop["pro30"], "couponCode": "x" * 65}, 400, "couponCode"),
        (path, {"priceId": 12}, 400, "priceId"),
        ("v1/packages/NoSuchPackage/calculate-total-price-checkout", {"priceId": shop["pro30"]},
         404, None),
        (f"v1/packages/{shop['hidden']}/calculate-total-price-checkout",
         {"priceId": shop["hidden30"]}, 404, None),  # an inactive package is not for sale
    ]
    for p, body, status, field in cases:
        resp = api.post(p, body)
        assert resp.status_code == status, (body, resp.json_body)
        if field:
            assert resp.json_body["errors"][0].get("field") == field, body


def test_malformed_json_is_a_400(api, shop):
    resp = api.request("POST", f"v1/packages/{shop['pro']}/calculate-total-price-checkout",
                       raw=b"{not json")
    assert resp.status_code == 400


def test_another_brand_gets_404_and_its_own_coupons_only(api, admin, other_brand, shop):
    make_coupon(admin, "DEMO")
    other = api.as_(brand_url="other.test")
    resp = other.post(f"v1/packages/{shop['pro']}/calculate-total-price-checkout",
                      {"priceId": shop["pro30"]})
    assert resp.status_code == 404
    # A demo user's Auth-Key does not work on the other brand either.
    user = register_and_login(api, "jack")
    resp = user.as_(user.auth_key, "other.test").post(
        f"v1/packages/{shop['pro']}/calculate-total-price-checkout", {"priceId": shop["pro30"]})
    assert resp.status_code in (401, 404)


def test_invalid_brand_tax_rate_is_a_clear_error(api, demo_brand, shop):
    set_tax(demo_brand, "abc")
    status, err = quote_error(api, shop["pro"], shop["pro30"])
    assert (status, err["code"]) == (409, "TAX_RATE_INVALID")
