"""Fulfilment of payments: once however often the event comes (also concurrently and through the
outbox consumer), Direct vs Mail delivery, one-time purchases, buying licenses to hand out, and
refunds / lost disputes that revoke the license and move the user back to the default package."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.licensing import jobs
from chalicelib.licensing import models as m
from tests.helpers import payments as ps
from tests.helpers.api import login, register_and_login
from tests.helpers.licensing import (
    T0,
    licensing_items,
    mails,
    new_license,
    refund_payload,
    set_policy,
    success_payload,
    user_id_of,
)

NEVER = "9999-12-31T23:59:59Z"  # IUser.expiryDate of a package with no end



def licenses_of(brand_id: str) -> list[m.LicenseItem]:
    return [i for i in licensing_items(m.LicenseItem) if i.brand_id == brand_id]


@pytest.fixture
def paid(demo_brand, alice, shop, clock) -> dict:
    return success_payload(demo_brand, user_id_of(alice), shop["pro"], shop["pro_price"])


def test_direct_delivery_applies_the_license_and_sends_the_receipt(demo_brand, alice, shop,
                                                                   paid):
    jobs.on_payment_event(paid)
    [lic] = licenses_of(demo_brand["id"])
    assert (lic.type, lic.status, lic.used_by_user_id) == ("Normal", "Used", user_id_of(alice))
    assert (lic.source, lic.payment_id, int(lic.amount_minor)) == ("Payment", paid["paymentId"],
                                                                   2000)
    me = alice.ok("GET", "v1/users/me")
    assert me["packageId"] == shop["pro"]
    assert me["expiryDate"] == (T0 + timedelta(days=30)).isoformat().replace("+00:00", "Z")
    [receipt] = mails(demo_brand["id"], "PAYMENT.RECEIPT-SENT.DIRECT-APPLIED")
    assert receipt.payload["to"] == "alice@example.com"
    ctx = receipt.payload["context"]
    assert ctx["license"]["code"] == lic.code and ctx["payment"]["amount"] == "20.00"
    assert mails(demo_brand["id"], "PAYMENT.RECEIPT-SENT.MAIL-DELIVERY") == []


def test_a_duplicate_delivery_issues_nothing_more(demo_brand, paid):
    jobs.on_payment_event(paid)
    jobs.on_payment_event(paid)
    jobs.on_payment_event({**paid, "eventId": "another-delivery"})
    assert len(licenses_of(demo_brand["id"])) == 1
    assert len(licensing_items(m.FulfilmentItem)) == 1
    assert len(mails(demo_brand["id"], "PAYMENT.RECEIPT-SENT.DIRECT-APPLIED")) == 1


def test_concurrent_deliveries_issue_one_license(demo_brand, alice, shop, paid):
    with ps.serialised_dynamodb():
        outcomes = ps.run_together(4, lambda i: jobs.on_payment_event(paid))
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert len(licenses_of(demo_brand["id"])) == 1
    assert len(mails(demo_brand["id"], "PAYMENT.RECEIPT-SENT.DIRECT-APPLIED")) == 1
    assert alice.ok("GET", "v1/users/me")["expiryDate"].startswith("2030-04-09")  # 30 days once


def test_through_the_webhook_and_the_outbox_consumer_delivered_twice(client, demo_brand, alice,
                                                                     shop, clock):
    from chalicelib.notify import outbox
    from chalicelib.notify.models import OutboxItem

    ps.verify_sender()
    gw = ps.make_gateway(demo_brand, "stripe")
    pay = ps.make_payment(demo_brand, gw, amount=2000, user_id=user_id_of(alice),
                          email="alice@example.com", package_id=shop["pro"],
                          price_id=shop["pro_price"], subscription_type_id="D30")
    body = ps.pi_event(pay.id, amount=2000)
    assert ps.post_stripe(client, gw, body).status_code == 200
    assert ps.post_stripe(client, gw, body).status_code == 200  # the gateway retries
    ps.drain_outbox()
    # The payment-event effect runs again (at-least-once: its row, here one effect of the
    # notification's bundle, delivered again before its done mark was kept): nothing more
    # happens.
    [row] = [r for r in OutboxItem.scan()
             if any(e.kind == "payment-event" for e in outbox.effects(r))]
    [index] = [i for i, e in enumerate(outbox.effects(row)) if e.kind == "payment-event"]
    done = dict(row.result["effects"])
    del done[str(index)]
    outbox.publish([row])
    OutboxItem(row.pk, row.sk).update(actions=[OutboxItem.status.set("Pending"),
                                               OutboxItem.result.set({"effects": done})])
    ps.drain_outbox()
    again = OutboxItem.get(row.pk, row.sk)
    assert again.status == "Sent" and again.attempts == row.attempts + 1  # it ran again
    assert str(index) in again.result["effects"]
    assert len(licenses_of(demo_brand["id"])) == 1
    assert alice.ok("GET", "v1/users/me")["packageId"] == shop["pro"]
    sent = [s for s in ps.sent_mails(demo_brand["id"])
            if "is active" in s["subject"] and s["to"] == "alice@example.com"]
    assert len(sent) == 1 and "Pro" in sent[0]["subject"]


def test_a_fulfilment_whose_commit_reply_was_lost_sends_its_receipt_at_once(demo_brand, alice,
                                                                          paid):
    """The fulfilment transaction committed and its reply was lost; botocore's retry of the same
    write is recognised as ours: the receipt is published now, not after the sweeper's delay."""
    ps.verify_sender()
    ps.drain_outbox()  # alice's registration (its user-event) is not what this test counts
    with ps.lost_reply(when=ps.writes_to("LICPAY")) as sent:
        jobs.on_payment_event(paid)
    assert len(sent) == 2 and sent[0]["ClientRequestToken"] == sent[1]["ClientRequestToken"]
    assert len(licenses_of(demo_brand["id"])) == 1
    assert ps.drain_outbox() == 2  # the receipt and the license-event, on the queue at once
    [receipt] = [s for s in ps.sent_mails(demo_brand["id"]) if s["to"] == "alice@example.com"]
    assert "is active" in receipt["subject"]


def test_mail_delivery_mails_the_code_and_applies_nothing(demo_brand, alice, shop, paid, admin):
    set_policy(demo_brand["id"], licenseDeliveryType="Mail")
    jobs.on_payment_event(paid)
    [lic] = licenses_of(demo_brand["id"])
    assert (lic.type, lic.status, lic.used_by_user_id) == ("MailDelivery", "Active", None)
    assert alice.ok("GET", "v1/users/me")["packageId"] is None
    [mail] = mails(demo_brand["id"], "PAYMENT.RECEIPT-SENT.MAIL-DELIVERY")
    assert mail.payload["context"]["license"]["codes"] == lic.code
    assert mails(demo_brand["id"], "PAYMENT.RECEIPT-SENT.DIRECT-APPLIED") == []
    alice.ok("POST", f"v1/licenses/apply?licenseCode={lic.code}")
    assert alice.ok("GET", "v1/users/me")["packageId"] == shop["pro"]


def test_a_payment_without_an_account_gets_its_code_by_mail(demo_brand, shop, clock):
    payload = success_payload(demo_brand, None, shop["pro"], shop["pro_price"],
                              email="guest@example.com")
    jobs.on_payment_event(payload)
    [lic] = licenses_of(demo_brand["id"])
    assert lic.type == "MailDelivery"
    [mail] = mails(demo_brand["id"], "PAYMENT.RECEIPT-SENT.MAIL-DELIVERY")
    assert mail.payload["to"] == "guest@example.com"


def test_a_one_time_purchase_has_no_end(demo_brand, alice, shop, clock):
    payload = success_payload(demo_brand, user_id_of(alice), shop["pro"], shop["pro_lifetime"],
                              subtype=None, amount=9900)
    jobs.on_payment_event(payload)
    me = alice.ok("GET", "v1/users/me")
    assert me["packageId"] == shop["pro"] and me["expiryDate"] == NEVER


def test_events_that_fulfil_nothing(demo_brand, alice, shop, clock, paid):
    jobs.on_payment_event({**paid, "fulfil": False})  # held for review
    jobs.on_payment_event({**paid, "event": "PAYMENT.PROCESSED.FAILED"})
    jobs.on_payment_event({**paid, "packageId": None})
    jobs.on_payment_event({**paid, "packageId": "not-a-package"})
    assert licensing_items(m.LicensingRecord) == []


def test_refund_revokes_the_license_and_moves_the_user_to_the_default_package(
        demo_brand, alice, shop, paid, admin):
    jobs.on_payment_event(paid)
    jobs.on_payment_event(refund_payload(paid))
    [lic] = licenses_of(demo_brand["id"])
    got = admin.ok("GET", f"v1/licenses/{lic.id}")
    assert (got["type"], got["status"]) == ("Refunded", "Inactive")
    me = alice.ok("GET", "v1/users/me")
    assert me["packageId"] == shop["basic"] and me["expiryDate"] == NEVER
    assert licensing_items(m.FulfilmentItem)[0].status == "Revoked"
    jobs.on_payment_event(refund_payload(paid))  # again: nothing changes
    assert admin.ok("GET", f"v1/licenses/{lic.id}") == got
    assert admin.ok("GET", "v1/licenses?type=Refunded")["totalItems"] == 1


def test_refund_of_one_renewal_takes_back_only_its_time(demo_brand, alice, shop, clock, admin):
    first = success_payload(demo_brand, user_id_of(alice), shop["pro"], shop["pro_price"])
    second = success_payload(demo_brand, user_id_of(alice), shop["pro"], shop["pro_price"])
    jobs.on_payment_event(first)
    jobs.on_payment_event(second)
    assert alice.ok("GET", "v1/users/me")["expiryDate"].startswith("2030-05-09")  # 60 days
    jobs.on_payment_event(refund_payload(first))
    me = alice.ok("GET", "v1/users/me")
    assert me["packageId"] == shop["pro"] and me["expiryDate"].startswith("2030-04-09")


def test_a_lost_dispute_revokes_like_a_refund(demo_brand, alice, shop, paid):
    jobs.on_payment_event(paid)
    jobs.on_payment_event({**paid, "event": "PAYMENT.STATUS.RESERVED",
                                 "status": "Reserved", "fulfil": False})
    [lic] = licenses_of(demo_brand["id"])
    assert (lic.type, lic.status) == ("Refunded", "Inactive")
    assert alice.ok("GET", "v1/users/me")["packageId"] == shop["basic"]


def test_a_refund_that_overtakes_the_success_leaves_nothing_issued(demo_brand, alice, shop,
                                                                   paid):
    jobs.on_payment_event(refund_payload(paid))
    jobs.on_payment_event(paid)
    assert licenses_of(demo_brand["id"]) == []
    assert alice.ok("GET", "v1/users/me")["packageId"] is None


# -- the money moving after the payment: disputes, partial refunds, any order -------------------

@pytest.fixture
def bought(demo_brand, alice, shop, clock):
    """A Stripe payment of 20.00 for PRO (30 days) by alice, not yet paid."""
    ps.verify_sender()
    gw = ps.make_gateway(demo_brand, "stripe")
    pay = ps.make_payment(demo_brand, gw, amount=2000, user_id=user_id_of(alice),
                          email="alice@example.com", package_id=shop["pro"],
                          price_id=shop["pro_price"], subscription_type_id="D30")
    return gw, pay


def deliver(client, gw: str, body: bytes) -> str:
    """A signed webhook, then the outbox drained as the worker would (fulfilment runs)."""
    resp = ps.post_stripe(client, gw, body)
    assert resp.status_code == 200, resp.body
    ps.drain_outbox()
    return resp.json_body["data"]["outcome"]


def live_licenses(brand_id: str) -> list[tuple[str, str]]:
    return [(i.type, i.status) for i in licenses_of(brand_id) if i.type != "Refunded"]


def test_a_won_dispute_gives_back_the_license_as_it_was(client, demo_brand, alice, shop, clock,
                                                        admin, bought):
    gw, pay = bought
    deliver(client, gw, ps.pi_event(pay.id, amount=2000))
    [lic] = licenses_of(demo_brand["id"])
    before = admin.ok("GET", f"v1/licenses/{lic.id}")
    me = alice.ok("GET", "v1/users/me")
    assert me["packageId"] == shop["pro"]

    deliver(client, gw, ps.dispute_event(amount=2000))
    assert ps.payment(demo_brand["id"], pay.id).status == "Reserved"
    taken = admin.ok("GET", f"v1/licenses/{lic.id}")
    assert (taken["type"], taken["status"]) == ("Refunded", "Inactive")
    assert alice.ok("GET", "v1/users/me")["packageId"] == shop["basic"]

    clock.move(days=20)  # the bank decides weeks later: the money comes back
    deliver(client, gw, ps.dispute_event("charge.dispute.closed", "won", amount=2000))
    assert ps.payment(demo_brand["id"], pay.id).status == "CanceledReversal"
    back = admin.ok("GET", f"v1/licenses/{lic.id}")
    assert (back["type"], back["status"]) == (before["type"], before["status"])
    now = alice.ok("GET", "v1/users/me")
    assert (now["packageId"], now["expiryDate"]) == (shop["pro"], me["expiryDate"])
    [record] = licensing_items(m.FulfilmentItem)
    assert [h["action"] for h in record.history] == ["Issued", "Revoked", "Restored"]
    assert len(mails(demo_brand["id"], "PAYMENT.RECEIPT-SENT.DIRECT-APPLIED")) == 1

    # Restored, it is revoked again as any license is when the money goes back.
    deliver(client, gw, ps.refund_event(amount=2000, refunded=2000, pi_id="pi_core_1"))
    assert live_licenses(demo_brand["id"]) == []


def test_a_dispute_closed_before_it_was_opened_ends_as_in_order(client, demo_brand, alice, shop,
                                                                clock, bought):
    gw, pay = bought
    deliver(client, gw, ps.pi_event(pay.id, amount=2000))
    closed = deliver(client, gw, ps.dispute_event("charge.dispute.closed", "won", amount=2000))
    opened = deliver(client, gw, ps.dispute_event(amount=2000))  # late: the same dispute
    assert (closed, opened) == ("applied", "ignored")
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "CanceledReversal" and p.disputes == {"dp_core_1": "won"}
    assert live_licenses(demo_brand["id"]) == [("Normal", "Used")]
    assert alice.ok("GET", "v1/users/me")["packageId"] == shop["pro"]


def test_a_partial_refund_before_the_success_leaves_license_and_receipt(client, demo_brand, alice,
                                                                       shop, clock, bought):
    gw, pay = bought
    deliver(client, gw, ps.refund_event(amount=2000, refunded=500, payment_id=pay.id))
    deliver(client, gw, ps.pi_event(pay.id, amount=2000))
    p = ps.payment(demo_brand["id"], pay.id)
    assert (p.status, p.refunded_minor, p.amount_gross_minor) == ("Refunded", 500, 2000)
    assert live_licenses(demo_brand["id"]) == [("Normal", "Used")]
    assert alice.ok("GET", "v1/users/me")["packageId"] == shop["pro"]
    sent = sorted(x["subject"] for x in ps.sent_mails(demo_brand["id"]))
    # payment received, 5.00 refunded, the license receipt, the invoice's receipt
    assert len(sent) == 4, sent
    assert any("is active" in x for x in sent) and any("refunded" in x for x in sent)


@pytest.mark.parametrize("policy", ["Keep", "Revoke"])
@pytest.mark.parametrize("refund_first", [False, True])
def test_a_partial_refund_keeps_or_revokes_the_license_by_brand_setting(
        client, demo_brand, alice, shop, clock, admin, bought, policy, refund_first):
    gw, pay = bought
    assert admin.ok("GET", "v1/licenses/settings")["licenseOnPartialRefund"] == "Keep"
    if policy == "Revoke":
        admin.ok("PUT", "v1/licenses/settings", {"licenseOnPartialRefund": "Revoke"})
    events = [ps.pi_event(pay.id, amount=2000),
              ps.refund_event(amount=2000, refunded=500, payment_id=pay.id)]
    for body in reversed(events) if refund_first else events:
        deliver(client, gw, body)
    assert ps.payment(demo_brand["id"], pay.id).refunded_minor == 500
    kept = policy == "Keep"
    assert live_licenses(demo_brand["id"]) == ([("Normal", "Used")] if kept else [])
    assert (alice.ok("GET", "v1/users/me")["packageId"] == shop["pro"]) is kept
    # The rest refunded later: revoked either way.
    deliver(client, gw, ps.refund_event(amount=2000, refunded=2000, payment_id=pay.id))
    assert live_licenses(demo_brand["id"]) == []


def test_a_queued_license_already_waiting_sends_the_new_one_by_mail(demo_brand, alice, shop,
                                                                    clock, admin):
    set_policy(demo_brand["id"], licenseChangePolicy="Queue")
    pro = new_license(admin, shop["pro"])[0]
    gold = new_license(admin, shop["gold"])[0]
    alice.ok("POST", f"v1/licenses/apply?licenseCode={pro['code']}")
    alice.ok("POST", f"v1/licenses/apply?licenseCode={gold['code']}")  # queued
    jobs.on_payment_event(success_payload(demo_brand, user_id_of(alice), shop["gold"],
                                                shop["gold_price"], amount=3000))
    issued = [i for i in licenses_of(demo_brand["id"]) if i.source == "Payment"]
    assert [(i.type, i.status) for i in issued] == [("MailDelivery", "Active")]
    assert len(mails(demo_brand["id"], "PAYMENT.RECEIPT-SENT.MAIL-DELIVERY")) == 1


def test_downloads_are_granted_once_and_withdrawn_on_refund(demo_brand, paid, monkeypatch):
    from chalicelib.licensing import downloads

    calls = []
    monkeypatch.setattr(downloads, "grant_for_payment",
                        lambda b, p: calls.append(("grant", p["paymentId"])) or [])
    monkeypatch.setattr(downloads, "revoke_for_payment",
                        lambda b, pid: calls.append(("revoke", pid)) or 0)
    jobs.on_payment_event(paid)
    jobs.on_payment_event(paid)
    jobs.on_payment_event(refund_payload(paid))
    assert calls == [("grant", paid["paymentId"]), ("revoke", paid["paymentId"])]


# -- buying licenses to hand out -----------------------------------------------------------------

PAYPAL = {"appIntegrationId": "paypal", "name": "PayPal",
          "returnLink": "https://demo.test/paid", "cancelLink": "https://demo.test/cancel",
          "paypalReceiverEmail": "seller@demo.test", "paypalMode": "sandbox", "testMode": True}


def test_purchase_checkout_link_issues_prepaid_licenses_to_hand_out(api, admin, alice, shop,
                                                                    demo_brand, clock):
    from urllib.parse import parse_qs, urlsplit

    from chalicelib.payments import service
    from chalicelib.payments.inbound import intake

    admin.ok("POST", "v1/app-integrations/payment-gateway", PAYPAL)
    body = {"packageId": shop["pro"], "subscriptionTypeId": "D30", "quantity": 3,
            "startDate": T0.isoformat(), "endDate": (T0 + timedelta(days=365)).isoformat(),
            "returnURL": "https://demo.test/thanks"}
    url = alice.ok("POST", "v1/licenses/purchase/checkout-link", body)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["amount"] == "60.00" and query["return"].startswith("https://demo.test/thanks")
    payment = service.get_payment(demo_brand["id"], query["custom"])
    assert payment.quote["quantity"] == 3 and payment.quote["purpose"] == "license-purchase"
    # Paid: the fulfilment issues three Prepaid licenses owned by the buyer, none applied.
    payload = intake.event_payload(payment, {"status": "Completed",
                                             "amount_gross_minor": 6000}, None, "Completed",
                                   None)
    jobs.on_payment_event({**payload, "brandId": demo_brand["id"], "eventId": "e1"})
    issued = licenses_of(demo_brand["id"])
    assert sorted((i.type, i.status, i.assigned_user_id, int(i.amount_minor)) for i in issued) \
        == [("Prepaid", "Active", user_id_of(alice), 2000)] * 3
    assert alice.ok("GET", "v1/users/me")["packageId"] is None
    [mail] = mails(demo_brand["id"], "PAYMENT.RECEIPT-SENT.MAIL-DELIVERY")
    assert sorted(mail.payload["context"]["license"]["codes"].split("\n")) == sorted(
        i.code for i in issued)
    ps.verify_sender()
    ps.drain_outbox()
    [sent] = [s for s in ps.sent_mails(demo_brand["id"]) if "license code" in s["subject"]]
    assert all(i.code in sent["body"] for i in issued) and "codes for" in sent["body"]
    # The buyer hands one out.
    register_and_login(api, "carol", email="carol@example.com")
    assert alice.ok("POST", f"v1/licenses/apply-to-login-name?licenseCode={issued[0].code}"
                            "&loginName=carol") is True
    carol = login(api, "carol")
    assert carol.ok("GET", "v1/users/me")["packageId"] == shop["pro"]
    # The purchase is refunded: every license it paid for goes, with what it gave.
    jobs.on_payment_event({**payload, "brandId": demo_brand["id"], "eventId": "e2",
                                 "event": "PAYMENT.PROCESSED.REFUNDED", "status": "Refunded"})
    assert {(i.type, i.status) for i in licenses_of(demo_brand["id"])} == {
        ("Refunded", "Inactive")}
    assert carol.ok("GET", "v1/users/me")["packageId"] == shop["basic"]


def test_purchase_bad_input_writes_no_payment(admin, alice, shop, clock, demo_brand):
    from chalicelib.payments import models as pm

    admin.ok("POST", "v1/app-integrations/payment-gateway", PAYPAL)
    good = {"packageId": shop["pro"], "subscriptionTypeId": "D30", "quantity": 2}
    for body in ({**good, "quantity": 0}, {**good, "quantity": 41},
                 {**good, "subscriptionTypeId": "D90"}, {**good, "packageId": "nope"},
                 {**good, "startDate": T0.isoformat(), "endDate": T0.isoformat()},
                 {k: v for k, v in good.items() if k != "packageId"}):
        resp = alice.post("v1/licenses/purchase/checkout-link", body)
        assert 400 <= resp.status_code < 500, (body, resp.body)
    assert admin.ok("GET", "v1/payments")["totalItems"] == 0
    assert [p for p in pm.PaymentItem.scan()] == []


def test_a_purchase_over_the_money_ceiling_is_a_400(admin, alice, shop, clock, demo_brand):
    """quantity x price is bounded like any amount (money.check_minor): 2 x 10^12 USD is
    refused naming quantity, and no payment is written."""
    from chalicelib.catalog import service as catalog
    from chalicelib.payments import models as pm

    admin.ok("POST", "v1/app-integrations/payment-gateway", PAYPAL)
    catalog.create_price(demo_brand["id"], {
        "packageId": shop["gold"], "subscriptionTypeId": "D365", "code": "GOLD-MAX",
        "name": "max", "amount": "1000000000000", "currency": "USD"})
    body = {"packageId": shop["gold"], "subscriptionTypeId": "D365", "quantity": 2}
    resp = alice.post("v1/licenses/purchase/checkout-link", body)
    assert resp.status_code == 400, resp.body
    e = resp.json_body["errors"][0]
    assert (e["field"], e["code"]) == ("quantity", "AMOUNT_TOO_LARGE")
    assert [p for p in pm.PaymentItem.scan()] == []
    url = alice.ok("POST", "v1/licenses/purchase/checkout-link", {**body, "quantity": 1})
    assert "amount=1000000000000.00" in url
