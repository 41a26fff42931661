"""Wallet earning events: the admin API, the list JFW's SDK reads (v1/wallet-earning-events and
v1/events), and the grants: a registration (identity's user-event through the outbox) and a
referred buyer's completed payment (payments' payment-event), each at most once."""

from __future__ import annotations

import pytest

from chalicelib.identity import userevents
from chalicelib.notify.models import OutboxItem
from chalicelib.wallet.redeem import earning
from tests.concurrency import run_together
from tests.helpers import payments as ps
from tests.helpers.api import register_and_login

EE = "v1/wallet-earning-events"


def event(admin, **body) -> dict:
    return admin.ok("POST", EE, {"eventId": "USER.REGISTERED", "code": "WELCOME",
                                 "name": "Welcome", "amount": "2.00", "currencyCode": "USD",
                                 **body})


def wallets_of(user, test_mode: bool = False) -> list[dict]:
    return user.ok("GET", f"v1/wallets?testMode={'true' if test_mode else 'false'}")


def user_events(brand_id: str) -> list:
    return [r for r in OutboxItem.scan() if r.kind == "user-event" and r.brand_id == brand_id]


def test_admin_crud_and_the_lists(api, admin, demo_brand):
    made = event(admin, description="On sign-up")
    assert made["eventId"] == "USER.REGISTERED" and made["amount"] == 2
    assert made["type"] == "Earning" and made["status"] == "Active"
    dup = admin.post(EE, {"eventId": "USER.REGISTERED", "code": "welcome", "name": "x",
                          "amount": 1, "currencyCode": "USD"})
    assert dup.status_code == 409 and dup.json_body["errors"][0]["code"] == \
        "EARNING_EVENT_CODE_TAKEN"
    redeem = event(admin, code="SHOP", type="Redeem", amount=10)
    off = event(admin, code="OFF", status="Inactive")
    alice = register_and_login(api, "alice")
    listed = alice.ok("GET", EE)
    assert [e["code"] for e in listed["items"]] == ["WELCOME"]
    assert set(listed["items"][0]) >= {"id", "createdDate", "eventId", "code", "name",
                                       "amount", "description"}
    assert [e["id"] for e in alice.ok("GET", f"{EE}?type=Redeem")["items"]] == [redeem["id"]]
    assert alice.ok("GET", "v1/events?type=Earning") == listed
    assert {e["code"] for e in admin.ok("GET", EE)["items"]} == {"WELCOME", "OFF"}
    assert [e["code"] for e in admin.ok("GET", f"{EE}?status=Inactive")["items"]] == ["OFF"]
    changed = admin.ok("PUT", f"{EE}/{off['id']}", {
        "eventId": "PAYMENT.REFERRAL.COMPLETED", "code": "REF", "name": "Referral",
        "amount": "3.5", "currencyCode": "EUR", "status": "Active"})
    assert changed["code"] == "REF" and changed["amount"] == 3.5
    assert admin.ok("POST", EE, {"eventId": "USER.REGISTERED", "code": "OFF", "name": "again",
                                 "amount": 1, "currencyCode": "USD"})["code"] == "OFF"
    assert admin.ok("DELETE", f"{EE}/{made['id']}") is True
    assert admin.get(f"{EE}/{made['id']}").status_code == 404
    assert "WELCOME" not in {e["code"] for e in admin.ok("GET", EE)["items"]}
    assert alice.post(EE, {"eventId": "USER.REGISTERED", "code": "X", "name": "x",
                           "amount": 1, "currencyCode": "USD"}).status_code == 403
    assert alice.get(f"{EE}/{redeem['id']}").status_code == 403


@pytest.mark.parametrize("body, field", [
    ({"eventId": "USER.LOGGED-IN"}, "eventId"), ({"amount": "0"}, "amount"),
    ({"amount": "1.001"}, "amount"), ({"currencyCode": "XYZ"}, "currencyCode"),
    ({"type": "Bonus"}, "type"), ({"status": "Gone"}, "status"), ({"code": "a b"}, "code")])
def test_bad_earning_events_are_400(admin, body, field):
    resp = admin.post(EE, {"eventId": "USER.REGISTERED", "code": "W", "name": "W",
                           "amount": "1", "currencyCode": "USD", **body})
    assert resp.status_code == 400 and resp.json_body["errors"][0]["field"] == field
    assert admin.ok("GET", f"{EE}?status=Active")["totalItems"] == 0


def test_registration_grants_once_even_when_delivered_again(api, admin, demo_brand, mail_env,
                                                            atomic_moto):
    event(admin)
    event(admin, code="TEST-EUR", currencyCode="EUR", amount="1", type="Redeem")
    bob = register_and_login(api, "bob")
    ps.drain_outbox()
    [w] = wallets_of(bob)
    assert (w["currencyCode"], w["amount"], w["grantedAmount"]) == ("USD", 2, 2)
    [row] = bob.ok("GET", f"v1/wallets/{w['id']}/histories")["items"]
    assert row["type"] == "WalletEarningCoin" and row["refObject"] == "WalletEarningEvent"
    bob_id = bob.ok("GET", "v1/users/me")["id"]
    [item] = [r for r in user_events(demo_brand["id"]) if r.payload["userId"] == bob_id]
    userevents.deliver(item)  # the row delivered again (a consumer died before marking it)
    run_together(5, lambda i: userevents.deliver(item))
    assert wallets_of(bob)[0]["amount"] == 2
    assert bob.ok("GET", f"v1/wallets/{w['id']}/histories")["totalItems"] == 1


def test_a_registration_with_no_earning_event_opens_no_wallet(api, demo_brand, mail_env):
    bob = register_and_login(api, "bob")
    ps.drain_outbox()
    assert wallets_of(bob) == []
    [item] = user_events(demo_brand["id"])
    assert item.status == "Sent" and item.payload["event"] == "USER.REGISTERED"


def test_a_referred_registration_grants_the_referrer(api, admin, demo_brand, mail_env):
    event(admin, eventId="USER.REFERRAL.REGISTERED", code="INVITE", amount="1.25")
    rita = register_and_login(api, "rita")
    code = rita.ok("GET", "v1/users/me")["referralCode"]
    register_and_login(api, "bob", referralCode=code)
    register_and_login(api, "carl", referralCode=code)
    ps.drain_outbox()
    [w] = wallets_of(rita)
    assert w["amount"] == 2.5


def referral_payload(brand_id: str, referrer: str, buyer: str, payment_id: str = "P1",
                     **extra) -> dict:
    return {"event": "PAYMENT.PROCESSED.SUCCESS", "fulfil": True, "paymentId": payment_id,
            "status": "Completed", "referrerId": referrer, "userId": buyer,
            "brandId": brand_id, "currency": "USD", "testMode": False, **extra}


def test_a_referred_purchase_grants_the_referrer_once(api, admin, demo_brand):
    event(admin, eventId="PAYMENT.REFERRAL.COMPLETED", code="REF", amount="3")
    rita = register_and_login(api, "rita")
    rita_id = rita.ok("GET", "v1/users/me")["id"]
    b = demo_brand["id"]
    earning.on_payment_event(referral_payload(b, rita_id, "buyer-1"))
    earning.on_payment_event(referral_payload(b, rita_id, "buyer-1"))
    assert wallets_of(rita)[0]["amount"] == 3
    earning.on_payment_event(referral_payload(b, rita_id, "buyer-1", "P2"))
    assert wallets_of(rita)[0]["amount"] == 6
    # not a completion, held, self-referral, unknown referrer: nothing
    earning.on_payment_event(referral_payload(b, rita_id, "buyer-1", "P3", fulfil=False))
    earning.on_payment_event(referral_payload(b, rita_id, "buyer-1", "P4",
                                              event="PAYMENT.PROCESSED.REFUNDED"))
    earning.on_payment_event(referral_payload(b, rita_id, rita_id, "P5"))
    earning.on_payment_event(referral_payload(b, "nobody", "buyer-1", "P6"))
    earning.on_payment_event(referral_payload(b, None, "buyer-1", "P7"))
    assert wallets_of(rita)[0]["amount"] == 6


def test_a_referred_purchase_through_the_webhook_and_the_outbox(api, admin, client, demo_brand,
                                                                mail_env):
    event(admin, eventId="PAYMENT.REFERRAL.COMPLETED", code="REF", amount="3")
    rita = register_and_login(api, "rita")
    code = rita.ok("GET", "v1/users/me")["referralCode"]
    bob = register_and_login(api, "bob", referralCode=code)
    rita_id = rita.ok("GET", "v1/users/me")["id"]
    gw = ps.make_gateway(demo_brand, "stripe")
    pay = ps.make_payment(demo_brand, gw, user_id=bob.ok("GET", "v1/users/me")["id"],
                          referrer_id=rita_id)
    body = ps.pi_event(pay.id)
    assert ps.post_stripe(client, gw, body).status_code == 200
    ps.drain_outbox()
    assert [w["amount"] for w in wallets_of(rita, test_mode=True)] == [3]
    ps.post_stripe(client, gw, body)  # the webhook again
    [row] = ps.payment_events(demo_brand["id"], "PAYMENT.PROCESSED.SUCCESS")
    earning.on_payment_event({**row.payload, "brandId": demo_brand["id"]})  # and its row again
    ps.drain_outbox()
    assert wallets_of(rita) == []  # a test-mode payment credits the test-mode wallet
    [w] = wallets_of(rita, test_mode=True)
    assert w["amount"] == 3 and w["currencyCode"] == "USD"
    assert rita.ok("GET", f"v1/wallets/{w['id']}/histories")["totalItems"] == 1
