"""Stripe webhooks through the real route: signature, dedupe, state machine, mails, events."""

from __future__ import annotations

import time

import pytest

from tests.helpers import payments as ps


@pytest.fixture
def gw(demo_brand):
    return ps.make_gateway(demo_brand, "stripe")


@pytest.fixture
def pay(demo_brand, gw):
    return ps.make_payment(demo_brand, gw, user_id="u1", package_id="pkg1", price_id="price1",
                           subscription_type_id="st1")


def status_of(brand, p):
    return ps.payment(brand["id"], p.id).status


def test_success_completes_mails_and_emits_the_fulfilment_event(client, demo_brand, gw, pay):
    body = ps.pi_event(pay.id, fee=88)
    resp = ps.post_stripe(client, gw, body)
    assert resp.status_code == 200, resp.body
    assert resp.json_body["data"]["outcome"] == "applied"
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Completed"
    assert (p.amount_gross_minor, p.amount_fee_minor, p.amount_net_minor) == (1999, 88, 1911)
    assert p.merchant_ref_no == "pi_core_1" and p.payment_date is not None
    assert p.due_pk is None  # out of the janitor's index
    [mail] = ps.mails(demo_brand["id"], "PAYMENT.PROCESSED.SUCCESS")
    assert mail.payload["to"] == "buyer@example.com"
    [ev] = ps.payment_events(demo_brand["id"], "PAYMENT.PROCESSED.SUCCESS")
    assert ev.payload["fulfil"] is True
    assert {k: ev.payload[k] for k in ("paymentId", "userId", "packageId", "priceId",
                                       "subscriptionTypeId", "amountGrossMinor",
                                       "amountNetMinor", "currency")} == {
        "paymentId": pay.id, "userId": "u1", "packageId": "pkg1", "priceId": "price1",
        "subscriptionTypeId": "st1", "amountGrossMinor": 1999, "amountNetMinor": 1911,
        "currency": "USD"}
    hist = ps.history(demo_brand["id"], pay.id)
    assert [(h.from_status, h.to_status) for h in hist] == [(None, "Created"),
                                                            ("Created", "Completed")]


def test_the_success_mail_is_sent_by_the_outbox_consumer(client, demo_brand, gw, pay):
    ps.verify_sender()
    ps.post_stripe(client, gw, ps.pi_event(pay.id))
    assert ps.drain_outbox() >= 2
    sent, receipt = sorted(ps.sent_mails(demo_brand["id"]), key=lambda m: m["subject"])
    assert sent["to"] == "buyer@example.com" and "payment was received" in sent["subject"]
    assert "receipt for invoice INV-000001" in receipt["subject"]
    assert "19.99 USD" in sent["body"]


def test_a_duplicate_answers_200_and_changes_nothing(client, demo_brand, gw, pay):
    body = ps.pi_event(pay.id, event_id="evt_dup")
    assert ps.post_stripe(client, gw, body).json_body["data"]["outcome"] == "applied"
    again = ps.post_stripe(client, gw, body)
    assert again.status_code == 200 and again.json_body["data"]["outcome"] == "duplicate"
    assert len(ps.history(demo_brand["id"], pay.id)) == 2
    assert len(ps.mails(demo_brand["id"])) == 1
    assert len(ps.payment_events(demo_brand["id"])) == 1


@pytest.mark.parametrize("headers", [
    pytest.param(lambda b: ps.signed(b, secret="whsec_someone_else"), id="wrong-secret"),
    pytest.param(lambda b: ps.signed(b, ts=int(time.time()) - 301), id="stale-timestamp"),
    pytest.param(lambda b: {}, id="unsigned"),
])
def test_unverifiable_is_400_and_changes_nothing(client, demo_brand, gw, pay, headers):
    body = ps.pi_event(pay.id)
    resp = ps.post_stripe(client, gw, body, headers(body))
    assert resp.status_code == 400
    assert resp.json_body["errors"][0]["code"] == "NOTIFICATION_REJECTED"
    assert status_of(demo_brand, pay) == "Created"
    assert ps.outbox_rows(demo_brand["id"]) == []


def test_a_tampered_body_is_rejected(client, demo_brand, gw, pay):
    body = ps.pi_event(pay.id, amount=1999)
    headers = ps.signed(body)
    tampered = body.replace(b'"amount": 1999', b'"amount": 1')
    assert tampered != body
    assert ps.post_stripe(client, gw, tampered, headers).status_code == 400
    assert status_of(demo_brand, pay) == "Created"


def test_unknown_gateway_is_404(client, pay):
    body = ps.pi_event(pay.id)
    assert ps.post_stripe(client, "nope", body).status_code == 404


def test_ignored_event_types_answer_200(client, demo_brand, gw, pay):
    body = ps._event("customer.created", {"id": "cus_1"}, None, None, False)
    resp = ps.post_stripe(client, gw, body)
    assert resp.status_code == 200 and resp.json_body["data"]["outcome"] == "ignored"
    assert status_of(demo_brand, pay) == "Created"


def test_unknown_payment_is_kept_and_answered_200(client, demo_brand, gw):
    resp = ps.post_stripe(client, gw, ps.pi_event("NO_SUCH_PAYMENT"))
    assert resp.status_code == 200
    assert resp.json_body["data"]["outcome"] == "unknown_payment"
    assert ps.outbox_rows(demo_brand["id"]) == []


def test_amount_mismatch_is_flagged_not_completed(client, demo_brand, gw, pay):
    resp = ps.post_stripe(client, gw, ps.pi_event(pay.id, amount=1))
    assert resp.status_code == 200 and resp.json_body["data"]["outcome"] == "mismatch"
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Created" and p.risk_mark >= 100 and p.held is True
    assert ps.mails(demo_brand["id"], "PAYMENT.PROCESSED.SUCCESS") == []
    [flag] = ps.payment_events(demo_brand["id"], "PAYMENT.RISK.FLAGGED")
    assert flag.payload["fulfil"] is False and "amount" in flag.payload["reasons"][0]


def test_a_late_pending_after_completed_changes_nothing(client, demo_brand, gw, pay):
    ps.post_stripe(client, gw, ps.pi_event(pay.id))
    resp = ps.post_stripe(client, gw, ps.pi_event(pay.id, type="payment_intent.processing"))
    assert resp.json_body["data"]["outcome"] == "ignored"
    assert status_of(demo_brand, pay) == "Completed"
    last = ps.history(demo_brand["id"], pay.id)[-1]
    assert last.applied is False and last.note.startswith("ignored: out of order")
    assert len(ps.payment_events(demo_brand["id"])) == 1


def test_refund_before_completion_is_applied_and_the_late_completion_counts(
        client, demo_brand, gw, pay):
    refund = ps.refund_event(payment_id=None)  # names only the PaymentIntent...
    resp = ps.post_stripe(client, gw, refund)
    assert resp.json_body["data"]["outcome"] == "unknown_payment"  # ...which we don't know yet
    # A refund that carries our reference is applied at once.
    resp = ps.post_stripe(client, gw, ps.refund_event(payment_id=pay.id))
    assert resp.json_body["data"]["outcome"] == "applied"
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Refunded" and p.completion_missing and p.refunded_minor == 1999
    # The late completion is recorded (the buyer did pay) and changes no status: the same
    # payment, and the same two mails, as when the success came first.
    resp = ps.post_stripe(client, gw, ps.pi_event(pay.id))
    assert resp.json_body["data"]["outcome"] == "applied"
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Refunded" and p.amount_gross_minor == 1999
    assert not p.completion_missing
    assert len(ps.mails(demo_brand["id"], "PAYMENT.PROCESSED.SUCCESS")) == 1
    assert len(ps.mails(demo_brand["id"], "PAYMENT.PROCESSED.REFUNDED")) == 1
    [late] = ps.payment_events(demo_brand["id"], "PAYMENT.PROCESSED.SUCCESS")
    # Fulfilment sees the money is back: status Refunded, all of it refunded.
    assert (late.payload["status"], late.payload["refundedMinor"]) == ("Refunded", 1999)


def test_refund_after_completion_found_by_the_payment_intent(client, demo_brand, gw, pay):
    ps.post_stripe(client, gw, ps.pi_event(pay.id))
    resp = ps.post_stripe(client, gw, ps.refund_event(refunded=500, payment_id=None))
    assert resp.json_body["data"]["outcome"] == "applied"
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Refunded" and p.refunded_minor == 500
    ps.post_stripe(client, gw, ps.refund_event(refunded=1999, payment_id=None))
    assert ps.payment(demo_brand["id"], pay.id).refunded_minor == 1999
    refunds = ps.mails(demo_brand["id"], "PAYMENT.PROCESSED.REFUNDED")
    assert sorted(m.payload["context"]["payment"]["refunded_amount"] for m in refunds) == [
        "14.99", "5.00"]


def test_a_refund_report_that_adds_nothing_is_history_only(client, demo_brand, gw, pay):
    ps.post_stripe(client, gw, ps.pi_event(pay.id))
    ps.post_stripe(client, gw, ps.refund_event(refunded=1999))
    resp = ps.post_stripe(client, gw, ps.refund_event(refunded=1999))  # another event id
    assert resp.json_body["data"]["outcome"] == "ignored"
    assert len(ps.mails(demo_brand["id"], "PAYMENT.PROCESSED.REFUNDED")) == 1
    assert ps.history(demo_brand["id"], pay.id)[-1].note == (
        "ignored: this refund is already recorded")


def test_a_declined_card_fails_mails_and_a_later_success_completes(client, demo_brand, gw, pay):
    resp = ps.post_stripe(client, gw, ps.pi_event(pay.id, type="payment_intent.payment_failed"))
    assert resp.json_body["data"]["outcome"] == "applied"
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Failed" and p.due_pk is not None  # the janitor keeps watching
    assert len(ps.mails(demo_brand["id"], "PAYMENT.PROCESSED.FAILED")) == 1
    ps.post_stripe(client, gw, ps.pi_event(pay.id))  # paid with another card
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Completed" and p.due_pk is None


def test_a_card_declined_on_the_page_leaves_the_payment_open_and_says_why(client, demo_brand,
                                                                         gw, pay):
    """Stripe's PaymentIntent takes another card (requires_payment_method): the decline is
    history, the payment stays Created, nobody is mailed; the next card completes it."""
    declined = {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds."}
    resp = ps.post_stripe(client, gw, ps.pi_event(pay.id, type="payment_intent.payment_failed",
                                                  status="requires_payment_method",
                                                  error=declined))
    assert resp.status_code == 200
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Created" and p.due_pk is not None
    note = ("payment attempt failed (card_declined (insufficient_funds): Your card has "
            "insufficient funds.); the payment stays open for another card")
    last = ps.history(demo_brand["id"], pay.id)[-1]
    assert (last.note, last.event_type, last.applied) == (
        note, "payment_intent.payment_failed", False)
    assert ps.mails(demo_brand["id"], "PAYMENT.PROCESSED.FAILED") == []
    ps.post_stripe(client, gw, ps.pi_event(pay.id))  # paid with another card
    assert ps.payment(demo_brand["id"], pay.id).status == "Completed"
    assert len(ps.mails(demo_brand["id"], "PAYMENT.PROCESSED.SUCCESS")) == 1


def test_a_mismatch_mails_the_brands_support_address(client, demo_brand, gw, pay):
    from chalicelib.identity import brands

    brands.update_setting(demo_brand["id"], {"emailSupport": "help@demo.test"})
    ps.verify_sender()
    ps.post_stripe(client, gw, ps.pi_event(pay.id, currency="eur"))
    ps.drain_outbox()
    [sent] = ps.sent_mails(demo_brand["id"])
    assert sent["to"] == "help@demo.test" and pay.code in sent["subject"]
    assert "currency EUR differs" in sent["body"]


def test_a_dispute_reserves_the_payment_and_a_won_dispute_restores_it(client, demo_brand, gw,
                                                                      pay):
    def dispute(type_, status):
        return ps._event(type_, {"id": "dp_1", "object": "dispute", "amount": 1999,
                                 "currency": "usd", "payment_intent": "pi_core_1",
                                 "charge": "ch_core_1", "status": status,
                                 "balance_transactions": []}, None, None, False)

    ps.post_stripe(client, gw, ps.pi_event(pay.id))
    opened = ps.post_stripe(client, gw, dispute("charge.dispute.created", "needs_response"))
    assert opened.json_body["data"]["outcome"] == "applied"
    assert ps.payment(demo_brand["id"], pay.id).status == "Reserved"
    [ev] = ps.payment_events(demo_brand["id"], "PAYMENT.STATUS.RESERVED")
    assert ev.payload["fulfil"] is False and ev.payload["previousStatus"] == "Completed"
    ps.post_stripe(client, gw, dispute("charge.dispute.closed", "won"))
    assert ps.payment(demo_brand["id"], pay.id).status == "CanceledReversal"
