"""Buyers see their own (issue 16 item 5): a plain user (no LICENSE.READ / PAYMENT.READ) lists the
licenses and payments that are theirs, as JFW's SDK asks (``getLicenses({usedBy})``,
``getPayments({userId})``), and ``v1/users/me`` carries the package they paid for; another
buyer's are invisible (a filter naming them is a 403), and an admin still sees all."""

from __future__ import annotations

import pytest

from tests.helpers import payments as ps
from tests.helpers.api import register_and_login
from tests.helpers.licensing import user_id_of
from tests.helpers.users import error_of


def pay_through_stripe(client, demo_brand, gateway: str, buyer, shop, email: str) -> str:
    """A real completed payment: the gateway's webhook, then the outbox consumer fulfils it."""
    pay = ps.make_payment(demo_brand, gateway, amount=2000, user_id=user_id_of(buyer),
                          email=email, package_id=shop["pro"], price_id=shop["pro_price"],
                          subscription_type_id="D30")
    assert ps.post_stripe(client, gateway, ps.pi_event(pay.id, amount=2000)).status_code == 200
    ps.drain_outbox()
    return pay.id


@pytest.fixture
def bought(client, api, demo_brand, admin, alice, shop, clock) -> dict:
    ps.verify_sender()
    gw = ps.make_gateway(demo_brand, "stripe")
    bob = register_and_login(api, "bob", email="bob@example.com")
    return {"bob": bob,
            "alice_payment": pay_through_stripe(client, demo_brand, gw, alice, shop,
                                                "alice@example.com"),
            "bob_payment": pay_through_stripe(client, demo_brand, gw, bob, shop,
                                              "bob@example.com")}


def test_a_buyer_lists_exactly_their_own_licenses(alice, admin, bought):
    me = alice.ok("GET", "v1/users/me")
    bob_me = bought["bob"].ok("GET", "v1/users/me")
    everyone = admin.ok("GET", "v1/licenses?pageSize=100")["items"]
    assert {x["usedByUserId"] for x in everyone} == {me["id"], bob_me["id"]}  # admins see all
    assert [x["paymentId"] for x in admin.ok("GET", f"v1/licenses?usedBy={bob_me['code']}")[
        "items"]] == [bought["bob_payment"]]  # and filter by anyone

    mine = alice.ok("GET", f"v1/licenses?usedBy={me['code']}")["items"]  # the SDK's call
    assert [(x["usedByUserId"], x["paymentId"]) for x in mine] == [(me["id"],
                                                                    bought["alice_payment"])]
    assert alice.ok("GET", "v1/licenses")["items"] == mine  # no filter: the same, own only
    assert alice.ok("GET", "v1/licenses/count") == {"countSuccess": 1}
    theirs = bought["bob"].ok("GET", "v1/licenses")["items"]
    assert [x["paymentId"] for x in theirs] == [bought["bob_payment"]]


def test_a_filter_naming_another_buyer_is_forbidden(alice, bought):
    bob_code = bought["bob"].ok("GET", "v1/users/me")["code"]
    resp = alice.get(f"v1/licenses?usedBy={bob_code}")
    assert resp.status_code == 403
    assert "only your own licenses" in error_of(resp)["message"]
    assert alice.get(f"v1/licenses/count?usedBy={bob_code}").status_code == 403


def test_a_buyer_lists_exactly_their_own_payments(alice, admin, bought):
    me = user_id_of(alice)
    mine = alice.ok("GET", f"v1/payments?userId={me}")["items"]  # the SDK's call
    assert [(p["id"], p["status"]) for p in mine] == [(bought["alice_payment"], "Completed")]
    assert [p["id"] for p in alice.ok("GET", "v1/payments")["items"]] == [
        bought["alice_payment"]]
    resp = alice.get(f"v1/payments?userId={user_id_of(bought['bob'])}")
    assert resp.status_code == 403
    assert "only your own payments" in error_of(resp)["message"]
    assert alice.get(f"v1/payments/{bought['bob_payment']}").status_code == 404
    everyone = admin.ok("GET", "v1/payments")["items"]
    assert {p["id"] for p in everyone} == {bought["alice_payment"], bought["bob_payment"]}
    assert [p["id"] for p in admin.ok("GET", f"v1/payments?userId={me}")["items"]] == [
        bought["alice_payment"]]


def test_me_carries_the_package_paid_for(alice, shop, bought):
    me = alice.ok("GET", "v1/users/me")
    assert me["packageId"] == shop["pro"]
    assert me["package"] is not None, me
    assert me["package"]["id"] == shop["pro"] and me["package"]["code"] == "PRO"


def test_licenses_bought_to_hand_out_are_listed_by_their_owner_and_their_user(
        api, admin, alice, shop, demo_brand, clock):
    """Prepaid licenses: the buyer owns them (``ownerUserId``), whoever applies one uses it."""
    from datetime import timedelta
    from urllib.parse import parse_qs, urlsplit

    from chalicelib.licensing import jobs
    from chalicelib.payments import service
    from chalicelib.payments.inbound import intake
    from tests.helpers.licensing import T0

    admin.ok("POST", "v1/app-integrations/payment-gateway", {
        "appIntegrationId": "paypal", "name": "PayPal", "returnLink": "https://demo.test/paid",
        "cancelLink": "https://demo.test/cancel", "paypalReceiverEmail": "seller@demo.test",
        "paypalMode": "sandbox", "testMode": True})
    url = alice.ok("POST", "v1/licenses/purchase/checkout-link", {
        "packageId": shop["pro"], "subscriptionTypeId": "D30", "quantity": 2,
        "startDate": T0.isoformat(), "endDate": (T0 + timedelta(days=365)).isoformat()})
    payment = service.get_payment(demo_brand["id"], parse_qs(urlsplit(url).query)["custom"][0])
    payload = intake.event_payload(payment, {"status": "Completed", "amount_gross_minor": 4000},
                                   None, "Completed", None)
    jobs.on_payment_event({**payload, "brandId": demo_brand["id"], "eventId": "e1"})

    owned = alice.ok("GET", "v1/licenses")["items"]
    assert sorted((x["type"], x["ownerUserId"], x["usedByUserId"]) for x in owned) == [
        ("Prepaid", user_id_of(alice), None)] * 2
    carol = register_and_login(api, "carol", email="carol@example.com")
    assert carol.ok("GET", "v1/licenses")["items"] == []
    assert alice.ok("POST", f"v1/licenses/apply-to-login-name?licenseCode={owned[0]['code']}"
                            "&loginName=carol") is True
    carol_me = carol.ok("GET", "v1/users/me")
    [used] = carol.ok("GET", f"v1/licenses?usedBy={carol_me['code']}")["items"]
    assert (used["code"], used["usedByUserId"]) == (owned[0]["code"], carol_me["id"])
    assert len(alice.ok("GET", "v1/licenses")["items"]) == 2  # still the buyer's
    alice_code = alice.ok("GET", "v1/users/me")["code"]
    assert alice.ok("GET", f"v1/licenses?usedBy={alice_code}")["items"] == []  # uses none
    assert carol.get(f"v1/licenses?usedBy={alice_code}").status_code == 403
