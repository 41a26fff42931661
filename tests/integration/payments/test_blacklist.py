"""The brand's black list (v1/black-lists): entries by e-mail (or domain), IP (or network) and
country; a blocked buyer gets a 403 and no payment is written."""

from __future__ import annotations

import pytest

from tests.helpers.api import login, make_user
from tests.helpers.checkout import error_of, payments_of
from tests.helpers.tables import assert_unchanged, dump_tables

BL = "v1/black-lists"


def test_black_list_crud(api, admin):
    assert api.ok("GET", "v1/constants/black-list/types") == ["Email", "IP", "Country"]
    email = admin.ok("POST", BL, {"type": "Email", "value": " Fraud@Example.COM ",
                                  "description": "chargebacks"})
    assert (email["type"], email["value"], email["status"]) == ("Email", "fraud@example.com",
                                                                "Active")
    net = admin.ok("POST", BL, {"type": "IP", "value": "203.0.113.7/24"})
    assert net["value"] == "203.0.113.0/24"
    one = admin.ok("POST", BL, {"type": "IP", "value": "2001:db8::1/128"})
    assert one["value"] == "2001:db8::1"
    country = admin.ok("POST", BL, {"type": "Country", "value": "kp"})
    assert country["value"] == "KP"
    domain = admin.ok("POST", BL, {"type": "Email", "value": "*@spam.example"})
    assert domain["value"] == "@spam.example"

    page = admin.ok("GET", BL + "?type=IP&sortDataField=value&sortOrder=asc")
    assert page["totalItems"] == 2 and [i["value"] for i in page["items"]] == [
        "2001:db8::1", "203.0.113.0/24"]
    assert admin.ok("GET", BL)["totalItems"] == 5
    assert admin.ok("GET", BL + "?keywords=chargebacks")["items"][0]["id"] == email["id"]
    assert admin.ok("GET", f"{BL}/{email['id']}") == email

    resp = admin.post(BL, {"type": "Email", "value": "FRAUD@example.com"})
    assert resp.status_code == 409 and error_of(resp)["code"] == "BLACKLIST_EXISTS"

    off = admin.ok("PUT", f"{BL}/{email['id']}", {"type": "Email", "value": "fraud@example.com",
                                                  "status": "Inactive"})
    assert off["status"] == "Inactive" and off["id"] == email["id"]
    assert off["description"] == "chargebacks"
    moved = admin.ok("PUT", f"{BL}/{email['id']}", {"type": "Email",
                                                    "value": "fraud2@example.com"})
    assert moved["id"] != email["id"] and moved["status"] == "Inactive"
    assert admin.get(f"{BL}/{email['id']}").status_code == 404
    resp = admin.put(f"{BL}/{moved['id']}", {"type": "Country", "value": "KP"})
    assert resp.status_code == 409

    assert admin.ok("DELETE", f"{BL}/{country['id']}") is True
    assert admin.get(f"{BL}/{country['id']}").status_code == 404
    assert admin.delete(f"{BL}/{country['id']}").status_code == 404
    assert admin.get(f"{BL}/not-an-id!").status_code == 404


@pytest.mark.parametrize("kind, value", [
    ("Email", "not-an-address"), ("Email", "a@b"), ("IP", "300.1.1.1"), ("IP", "10.0.0.0/33"),
    ("Country", "USA"), ("Country", "1A"),
])
def test_bad_values_are_400_and_write_nothing(admin, kind, value):
    before = dump_tables()
    resp = admin.post(BL, {"type": kind, "value": value})
    assert resp.status_code == 400 and error_of(resp)["field"] == "value"
    assert error_of(resp)["code"] == "BLACKLIST_VALUE_INVALID"
    assert_unchanged(before, f"{kind} {value}")


def test_entries_of_another_brand_are_404_and_end_users_are_refused(api, admin, other_brand):
    from tests.helpers.api import register_and_login

    entry = admin.ok("POST", BL, {"type": "Country", "value": "KP"})
    make_user(other_brand, "otheradmin", "Admin")
    stranger = login(api.as_(None, "other.test"), "otheradmin")
    assert stranger.ok("GET", BL)["totalItems"] == 0
    for method, body in (("GET", None), ("PUT", {"type": "Country", "value": "KP"}),
                         ("DELETE", None)):
        assert stranger.request(method, f"{BL}/{entry['id']}", body).status_code == 404
    user = register_and_login(api, "carol")
    assert user.get(BL).status_code == 403
    assert user.post(BL, {"type": "Country", "value": "US"}).status_code == 403


@pytest.mark.parametrize("entry, headers", [
    ({"type": "Email", "value": "bob@shop-buyers.com"}, {}),
    ({"type": "Email", "value": "@shop-buyers.com"}, {}),
    ({"type": "IP", "value": "127.0.0.1"}, {}),
    ({"type": "IP", "value": "127.0.0.0/8"}, {}),
    ({"type": "Country", "value": "KP"}, {"CloudFront-Viewer-Country": "KP"}),
])
def test_blocked_buyers_get_403_and_no_payment(admin, buyer, shop, paypal, demo_brand, entry,
                                               headers):
    admin.ok("POST", BL, entry)
    before = dump_tables()
    resp = buyer.post(f"v1/prices/{shop['usd']}/generate-checkout-link", headers=headers)
    assert resp.status_code == 403, resp.body
    err = error_of(resp)
    assert err["code"] == "BUYER_BLOCKED" and "blocked" in err["message"]
    resp = buyer.post(f"v1/packages/{shop['pro']}/upgrade/checkout", {"priceId": shop["usd"]},
                      headers=headers)
    assert resp.status_code == 403
    assert_unchanged(before, f"checkout blocked by {entry}")
    assert payments_of(demo_brand["id"]) == []


def test_inactive_entries_and_other_countries_do_not_block(admin, buyer, shop, paypal,
                                                           demo_brand):
    entry = admin.ok("POST", BL, {"type": "Email", "value": "bob@shop-buyers.com",
                                  "status": "Inactive"})
    admin.ok("POST", BL, {"type": "Country", "value": "KP"})
    buyer.ok("POST", f"v1/prices/{shop['usd']}/generate-checkout-link",
             headers={"CloudFront-Viewer-Country": "DE"})
    [payment] = payments_of(demo_brand["id"])
    assert payment.country_code == "DE"

    admin.ok("PUT", f"{BL}/{entry['id']}", {"type": "Email", "value": "bob@shop-buyers.com",
                                            "status": "Active"})
    resp = buyer.post(f"v1/payments/{payment.id}/generate-checkout-link")
    assert resp.status_code == 403 and error_of(resp)["code"] == "BUYER_BLOCKED"
