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
