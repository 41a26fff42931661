"""Payment records: GET v1/payments (filters, own-only for end users), GET v1/payments/{id}
with its histories, the dashboard, the constants; a coupon is redeemed once on completion."""

from __future__ import annotations

import pytest

from tests.helpers import payments as ps
from tests.helpers.api import login, make_user, register_and_login


@pytest.fixture
def shop(demo_brand):
    from chalicelib.catalog import service

    b = demo_brand["id"]
    pro = service.create_package(b, {"code": "PRO", "name": "Pro"})
    price = service.create_price(b, {"packageId": pro["id"], "subscriptionTypeId": "D30",
                                     "code": "PRO-30", "name": "Pro 30", "amount": "19.99",
                                     "currency": "USD"})
    return {"package": pro["id"], "price": price["id"]}


@pytest.fixture
def gw(demo_brand):
    return ps.make_gateway(demo_brand, "stripe")


@pytest.fixture
def buyers(api, demo_brand, shop, gw):
    """alice has a completed and an open payment; bob one completed JPY payment."""
    alice = register_and_login(api, "alice")
    bob = register_and_login(api, "bob")
    ids = {u: api.as_(k.auth_key).ok("GET", "v1/users/me")["id"]
           for u, k in (("alice", alice), ("bob", bob))}
    done = ps.make_payment(demo_brand, gw, user_id=ids["alice"], price_id=shop["price"],
                           package_id=shop["package"], subscription_type_id="D30")
    open_ = ps.make_payment(demo_brand, gw, user_id=ids["alice"], amount=500)
    yen = ps.make_payment(demo_brand, gw, user_id=ids["bob"], amount=3000, currency="JPY")
    return {"alice": alice, "bob": bob, "ids": ids, "done": done, "open": open_, "yen": yen}


def complete(client, gw, payment, amount=1999, currency="usd", fee=None):
    resp = ps.post_stripe(client, gw, ps.pi_event(payment.id, amount=amount, currency=currency,
                                                  pi_id=f"pi_{payment.id}", fee=fee))
    assert resp.json_body["data"]["outcome"] == "applied", resp.body


def test_admin_lists_and_filters(client, admin, gw, buyers):
    complete(client, gw, buyers["done"], fee=60)
    page = admin.ok("GET", "v1/payments")
    assert page["totalItems"] == 3
    done = admin.ok("GET", "v1/payments?status=Completed")["items"]
    assert [p["id"] for p in done] == [buyers["done"].id]
    p = done[0]
    assert (p["amountGross"], p["amountFee"], p["amountNet"]) == (19.99, 0.6, 19.39)
    assert p["merchantRefNo"] == f"pi_{buyers['done'].id}" and p["invoiceNo"] is None
    assert p["commission"] == 0 and p["sharedAmount"] == 0 and p["riskMark"] == 0
    assert p["user"]["id"] == buyers["ids"]["alice"] and p["user"]["emailAddress"]
    assert p["price"]["code"] == "PRO-30" and "amountMinor" not in p["price"]
    assert p["package"]["code"] == "PRO"
    assert admin.ok("GET", "v1/payments?currencyCode=JPY")["items"][0]["amount"] == 3000
    assert admin.ok("GET", f"v1/payments?userId={buyers['ids']['bob']}")["totalItems"] == 1
    assert admin.ok("GET", "v1/payments?createdDateFrom=2000-01-01T00:00:00Z"
                           "&createdDateTo=2001-01-01T00:00:00Z")["totalItems"] == 0
    assert admin.ok("GET", f"v1/payments?keywords={buyers['yen'].code}")["totalItems"] == 1
    assert admin.get("v1/payments?status=Paid").status_code == 400


def test_an_end_user_sees_only_their_own(admin, buyers):
    alice = buyers["alice"]
    assert {p["id"] for p in alice.ok("GET", "v1/payments")["items"]} == {
        buyers["done"].id, buyers["open"].id}
    assert alice.get(f"v1/payments?userId={buyers['ids']['bob']}").status_code == 403
    assert alice.get(f"v1/payments/{buyers['yen'].id}").status_code == 404
    assert alice.ok("GET", f"v1/payments/{buyers['open'].id}")["id"] == buyers["open"].id
    assert alice.get("v1/payments/dashboard").status_code == 403


def test_a_payment_with_its_history_and_transactions(client, admin, gw, buyers):
    complete(client, gw, buyers["done"])
    ps.post_stripe(client, gw, ps.pi_event(buyers["done"].id, type="payment_intent.processing",
                                           pi_id=f"pi_{buyers['done'].id}"))
    p = admin.ok("GET", f"v1/payments/{buyers['done'].id}")
    assert p["status"] == "Completed"
    assert [(h["fromStatus"], h["status"], h["applied"]) for h in p["histories"]] == [
        (None, "Created", True), ("Created", "Completed", True), ("Completed", None, False)]
    assert p["histories"][2]["notes"].startswith("ignored: out of order")
    assert {(t["type"], t["status"]) for t in p["transactions"]} == {
        ("Payment", "Completed"), ("Authorization", "Pending")}


def test_payments_stay_in_their_brand(api, admin, other_brand, buyers):
    make_user(other_brand, "otherboss", "Admin")
    other = login(api.as_(None, "other.test"), "otherboss")
    assert other.ok("GET", "v1/payments")["totalItems"] == 0
    assert other.get(f"v1/payments/{buyers['done'].id}").status_code == 404


def test_dashboard(client, admin, demo_brand, gw, buyers):
    complete(client, gw, buyers["done"])
    complete(client, gw, buyers["yen"], amount=3000, currency="jpy")
    ps.post_stripe(client, gw, ps.refund_event(refunded=500, pi_id=f"pi_{buyers['done'].id}"))
    ps.drain_outbox()  # the figures are the reports' counters, moved by the payment events
    d = admin.ok("GET", "v1/payments/dashboard")
    assert d["currencyCode"] == "USD"
    assert (d["totalSells"], d["totalRevenue"], d["dailySells"], d["dailyRevenue"]) == (
        1, 14.99, 1, 14.99)
    assert d["byCurrency"]["JPY"]["totalRevenue"] == 3000
    assert admin.ok("GET", "v1/payments/dashboard?testMode=false")["totalSells"] == 0


def test_an_amount_stored_before_the_ceiling_breaks_no_listing(client, admin, demo_brand, gw,
                                                                buyers, shop):
    """Issue 10: a payment of 10^26 USD (its price was stored before the ceiling) made
    v1/payments a 500 for the brand. The records read exactly; buying such a price is a 400 that
    writes nothing."""
    from tests.helpers.catalog import set_amount_minor
    from tests.helpers.tables import assert_unchanged, dump_tables

    big = ps.make_payment(demo_brand, gw, user_id=buyers["ids"]["alice"], amount=10 ** 28)
    assert admin.ok("GET", "v1/payments")["totalItems"] == 4
    assert admin.ok("GET", f"v1/payments/{big.id}")["amount"] == 10 ** 26
    assert buyers["alice"].ok("GET", "v1/payments")["totalItems"] == 3
    assert admin.ok("GET", "v1/payments/dashboard")["currencyCode"] == "USD"
    set_amount_minor(demo_brand, shop["price"], 10 ** 28)
    before = dump_tables(demo_brand["id"])
    resp = buyers["bob"].post(f"v1/prices/{shop['price']}/generate-checkout-link")
    assert resp.status_code == 400, resp.body
    e = resp.json_body["errors"][0]
    assert (e["field"], e["code"]) == ("amount", "AMOUNT_TOO_LARGE")
    assert_unchanged(before, "a checkout over the ceiling", demo_brand["id"])


def test_constants(client):
    def get(path):
        return client.http.get(f"/api/v1/constants/{path}").json_body["data"]

    assert get("payment/status") == ["Created", "Completed", "Refunded", "Failed", "Pending",
                                      "Denied", "Reserved", "CanceledReversal", "Deleted",
                                      "Voided"]
    assert "Refund" in get("transaction/types")
    assert "Completed" in get("transaction/status")


def test_a_coupon_is_redeemed_once_when_the_payment_completes(client, admin, demo_brand, gw,
                                                             buyers, shop):
    from chalicelib.catalog import coupons

    coupon = admin.ok("POST", "v1/coupons", {
        "code": "TENOFF", "name": "Ten", "percentage": 10, "quantity": 5,
        "startDate": "2000-01-01T00:00:00Z", "endDate": "2100-01-01T00:00:00Z"})
    pay = ps.make_payment(demo_brand, gw, user_id=buyers["ids"]["bob"], coupon_id=coupon["id"],
                          coupon_code="TENOFF")
    complete(client, gw, pay)
    ps.post_stripe(client, gw, ps.pi_event(pay.id, pi_id=f"pi_{pay.id}"))  # another event id
    ps.drain_outbox()
    assert coupons.get(demo_brand["id"], coupon["id"])["redeemedCount"] == 1
    assert ps.payment(demo_brand["id"], pay.id).coupon_redeemed is True
    [row] = [r for r in ps.outbox_rows(demo_brand["id"]) if r.kind == "payment-coupon"]
    assert row.status == "Sent"


def test_the_user_of_a_payment_carries_their_package_id_and_code(admin, buyers, shop,
                                                                  demo_brand):
    """IUserBase inside IPayment: ``packageId`` and ``packageCode`` both filled; a user who
    holds no package is on the brand's default one (here BASIC)."""
    from chalicelib.catalog import service
    from chalicelib.identity import users
    from chalicelib.identity.models import UserItem

    basic = service.create_package(demo_brand["id"], {"code": "BASIC", "name": "Basic",
                                                      "isFree": True, "isDefault": True})
    alice = users.get_item(demo_brand["id"], buyers["ids"]["alice"])
    alice.update(actions=[UserItem.package_id.set(shop["package"])])
    detail = admin.ok("GET", f"v1/payments/{buyers['done'].id}")["user"]
    assert (detail["packageId"], detail["packageCode"]) == (shop["package"], "PRO")
    listed = {p["user"]["id"]: p["user"] for p in admin.ok("GET", "v1/payments")["items"]}
    assert (listed[alice.id]["packageId"], listed[alice.id]["packageCode"]) == (
        shop["package"], "PRO")
    bob = listed[buyers["ids"]["bob"]]
    assert (bob["packageId"], bob["packageCode"]) == (basic["id"], "BASIC")
    own = buyers["bob"].ok("GET", "v1/payments")["items"][0]["user"]
    assert own["packageCode"] == "BASIC"
