"""Commission rates (v1/commission-rates, JFW §20) and the commission / reseller share a payment
records when it completes."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from chalicelib.payments import commission, service
from chalicelib.payments.inbound import intake
from tests.helpers.api import login, make_user, register_and_login
from tests.helpers.catalog import with_literals
from tests.helpers.checkout import error_of, paypal_completion, query_of
from tests.helpers.tables import assert_unchanged, dump_tables

CR = "v1/commission-rates"


def rate(kind: str, pct: str | int, lo: int | None = None, hi: int | None = None,
         default: bool = False) -> dict:
    body = {"type": kind, "unit": "License", "percentage": pct, "isDefault": default}
    if lo is not None:
        body["quantityFrom"] = lo
    if hi is not None:
        body["quantityTo"] = hi
    return body


def test_commission_rate_crud(api, admin):
    assert api.ok("GET", "v1/constants/commission-rate/types") == ["Discount", "Commission"]
    c = admin.ok("POST", CR, rate("Commission", "12.5", 1))
    assert c["type"] == "Commission" and c["percentage"] == 12.5 and c["quantityTo"] is None
    assert c["unit"] == "License" and c["isDefault"] is False and c["user"] is None
    d1 = admin.ok("POST", CR, rate("Discount", 5, 10, 49))
    d2 = admin.ok("POST", CR, rate("Discount", 10, 50))
    assert [r["id"] for r in admin.ok("GET", CR)] == [c["id"], d1["id"], d2["id"]]
    assert [r["id"] for r in admin.ok("GET", CR + "?type=Discount")] == [d1["id"], d2["id"]]
    assert [r["id"] for r in admin.ok("GET", CR + "?type=Discount&pageSize=1&pageNumber=1")
            ] == [d2["id"]]
    assert admin.ok("GET", f"{CR}/{d1['id']}") == d1
    assert admin.ok("PUT", f"{CR}/{d1['id']}", rate("Discount", 7, 10, 40)) is True
    got = admin.ok("GET", f"{CR}/{d1['id']}")
    assert (got["percentage"], got["quantityTo"]) == (7, 40)
    assert admin.ok("DELETE", f"{CR}/{d2['id']}") is True
    assert admin.get(f"{CR}/{d2['id']}").status_code == 404
    assert admin.put(f"{CR}/nope", rate("Discount", 1)).status_code == 404


def test_ranges_of_a_type_must_not_overlap_and_one_default_per_type(admin):
    admin.ok("POST", CR, rate("Discount", 5, 10, 49))
    admin.ok("POST", CR, rate("Commission", 5, 10, 49))  # another type: no clash
    before = dump_tables()
    for body in (rate("Discount", 6, 49, 60), rate("Discount", 6, 0, 10), rate("Discount", 6),
                 rate("Discount", 6, 20, 30)):
        resp = admin.post(CR, body)
        assert resp.status_code == 409, body
        assert error_of(resp)["code"] == "COMMISSION_RATE_OVERLAP"
    assert_unchanged(before, "overlapping rates")
    admin.ok("POST", CR, rate("Discount", 6, 50, 60))
    admin.ok("POST", CR, rate("Discount", 1, default=True))
    resp = admin.post(CR, rate("Discount", 2, default=True))
    assert resp.status_code == 409 and error_of(resp)["code"] == \
        "COMMISSION_RATE_DEFAULT_EXISTS"
    resp = admin.post(CR, {**rate("Discount", 2, 70, 60)})
    assert resp.status_code == 400
    resp = admin.post(CR, {**rate("Discount", 101, 80)})
    assert resp.status_code == 400 and error_of(resp)["field"] == "percentage"


BAD_NUMBERS = [
    ("percentage", "12.50000000000000000001"),  # once read as the float 12.5
    ("percentage", "100.00001"),
    ("percentage", "1e26"),
    ("percentage", "1" + "0" * 400),
    ("percentage", "-1"),
    ("percentage", "NaN"),
    ("percentage", "Infinity"),
    ("quantityFrom", "1.5"),
    ("quantityFrom", "1e26"),
    ("quantityTo", "-Infinity"),
]


@pytest.mark.parametrize("field, literal", BAD_NUMBERS,
                         ids=[f"{f}={lit[:24]}" for f, lit in BAD_NUMBERS])
def test_out_of_range_numbers_are_400_naming_the_field(admin, field, literal):
    kept = admin.ok("POST", CR, rate("Commission", "12.5", 1, 1))
    before = dump_tables()
    for method, path in (("POST", CR), ("PUT", f"{CR}/{kept['id']}")):
        resp = admin.request(method, path, raw=with_literals(rate("Discount", 5, 10, 20),
                                                             **{field: literal}))
        assert resp.status_code == 400, (method, resp.json_body)
        assert (error_of(resp)["field"], error_of(resp)["code"]) == (field, "VALIDATION_ERROR")
    assert_unchanged(before, f"{field}={literal[:24]}")
    assert admin.ok("GET", f"{CR}/{kept['id']}") == kept


def test_get_discount_by_quantity(api, admin):
    user = register_and_login(api, "carol")
    assert user.ok("GET", f"{CR}/get-discount?quantity=5") == 0
    admin.ok("POST", CR, rate("Discount", 5, 10, 49))
    admin.ok("POST", CR, rate("Discount", "12.5", 50))
    admin.ok("POST", CR, rate("Discount", 1, default=True))
    admin.ok("POST", CR, rate("Commission", 30, 0))
    got = {q: user.ok("GET", f"{CR}/get-discount?quantity={q}") for q in (1, 10, 49, 50, 1000)}
    assert got == {1: 1, 10: 5, 49: 5, 50: 12.5, 1000: 12.5}
    assert user.get(f"{CR}/get-discount").status_code == 400
    assert user.get(f"{CR}/get-discount?quantity=-1").status_code == 400
    assert user.get(CR).status_code == 403
    assert user.post(CR, rate("Discount", 1, 100)).status_code == 403


def test_rates_of_another_brand_are_404(api, admin, other_brand):
    r = admin.ok("POST", CR, rate("Commission", 10))
    make_user(other_brand, "otheradmin", "Admin")
    stranger = login(api.as_(None, "other.test"), "otheradmin")
    assert stranger.ok("GET", CR) == []
    assert stranger.get(f"{CR}/{r['id']}").status_code == 404
    assert stranger.put(f"{CR}/{r['id']}", rate("Commission", 1)).status_code == 404
    assert stranger.delete(f"{CR}/{r['id']}").status_code == 404


@pytest.mark.parametrize("pct, gross, referred, expected", [
    ("10", 2000, False, (200, 0)),
    ("10", 2000, True, (200, 200)),
    ("12.5", 1999, True, (250, 250)),  # 249.875 -> 250 (half-up)
    ("2.5", 1, True, (0, 0)),  # 0.025 -> 0
    ("2.5", 20, False, (1, 0)),  # 0.5 -> 1 (half-up)
])
def test_split_is_the_commission_rate_of_one_purchase(admin, demo_brand, pct, gross, referred,
                                                      expected):
    admin.ok("POST", CR, rate("Commission", pct, 1, 1))
    admin.ok("POST", CR, rate("Commission", 50, 2))  # a volume rate: not for one purchase
    payment = SimpleNamespace(amount_gross_minor=None, amount_minor=gross,
                              referrer_id="R1" if referred else None)
    commission.clear_cache()
    assert commission.split(demo_brand["id"], payment) == {
        "commission_minor": expected[0], "shared_amount_minor": expected[1]}


def test_no_commission_rate_means_no_commission(demo_brand):
    payment = SimpleNamespace(amount_gross_minor=5000, amount_minor=5000, referrer_id="R1")
    assert commission.split(demo_brand["id"], payment) == {"commission_minor": 0,
                                                           "shared_amount_minor": 0}


def test_a_referred_buyers_completed_payment_records_commission_and_share(api, admin, shop,
                                                                          paypal, demo_brand):
    admin.ok("POST", CR, rate("Commission", 15, 1, 1))
    referrer = register_and_login(api, "rita")
    code = referrer.ok("GET", "v1/users/me")["referralCode"]
    buyer = register_and_login(api, "bob", referralCode=code)
    url = buyer.ok("POST", f"v1/prices/{shop['usd']}/generate-checkout-link")
    payment = service.get_payment(demo_brand["id"], query_of(url)["custom"])
    assert payment.referrer_id == referrer.ok("GET", "v1/users/me")["id"]
    commission.clear_cache()
    intake.apply(demo_brand["id"], paypal_completion(payment), "N1")
    data = admin.ok("GET", f"v1/payments/{payment.id}")
    assert data["status"] == "Completed"
    assert (data["amountGross"], data["amountFee"], data["commission"], data["sharedAmount"],
            data["amountNet"]) == (20, 0.5, 3, 3, 16.5)
    assert Decimal("20.00") - Decimal("0.50") - Decimal("3.00") == Decimal("16.50")
