"""Stripe webhooks: the signature over the raw body, and every event type's normalisation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.payments.gateways import stripe as gw
from chalicelib.payments.gateways.events import MalformedNotification, SignatureError

SECRET = "whsec_test_current"
OLD_SECRET = "whsec_test_previous"
NOW = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
TS = int(NOW.timestamp())


def pi_object(**over) -> dict:
    pi = {"id": "pi_123", "object": "payment_intent", "amount": 1999, "currency": "usd",
          "status": "succeeded", "metadata": {"payment_code": "PAY-1"},
          "latest_charge": "ch_123", "livemode": False}
    pi.update(over)
    return pi


def event(type_: str, obj: dict, event_id: str = "evt_1", created: int = TS,
          livemode: bool = False) -> dict:
    return {"id": event_id, "object": "event", "api_version": "2024-06-20", "created": created,
            "type": type_, "livemode": livemode, "data": {"object": obj}}


def body_of(evt: dict) -> bytes:
    # Stripe sends pretty-printed JSON; the signature covers these exact bytes.
    return json.dumps(evt, indent=2).encode()


def signed(evt: dict, secret: str = SECRET, ts: int = TS) -> tuple[bytes, str]:
    body = body_of(evt)
    return body, gw.sign(body, secret, ts)


def parse(evt: dict) -> object:
    body, header = signed(evt)
    return gw.verify_and_parse(body, header, [SECRET], NOW)


# --- signature -----------------------------------------------------------------------------------

def test_valid_signature_gives_the_event():
    body, header = signed(event("payment_intent.succeeded", pi_object()))
    ev = gw.verify_and_parse(body, header, [SECRET], NOW)
    assert ev.gateway == "stripe" and ev.dedupe_key == "evt_1"
    assert ev.kind == "payment.succeeded"


def test_any_of_several_v1_values_is_accepted():
    body = body_of(event("payment_intent.succeeded", pi_object()))
    good = gw.sign(body, SECRET, TS).split("v1=")[1]
    header = f"t={TS},v1={'0' * 64},v0=deadbeef,v1={good}"
    assert gw.verify_and_parse(body, header, [SECRET], NOW).dedupe_key == "evt_1"


def test_secret_rotation_accepts_old_and_new_secret():
    body, header = signed(event("payment_intent.succeeded", pi_object()), secret=OLD_SECRET)
    assert gw.verify_and_parse(body, header, [SECRET, OLD_SECRET], NOW).kind == "payment.succeeded"
    with pytest.raises(SignatureError, match="No signature matches"):
        gw.verify_and_parse(body, header, [SECRET], NOW)


def test_stale_timestamp_is_rejected_and_says_how_old():
    body, header = signed(event("payment_intent.succeeded", pi_object()), ts=TS - 301)
    with pytest.raises(SignatureError, match=r"signed 301 s ago, more than the 300 s"):
        gw.verify_and_parse(body, header, [SECRET], NOW)


def test_timestamp_exactly_at_tolerance_passes_and_tolerance_is_configurable():
    body, header = signed(event("payment_intent.succeeded", pi_object()), ts=TS - 300)
    assert gw.verify_and_parse(body, header, [SECRET], NOW).kind == "payment.succeeded"
    with pytest.raises(SignatureError, match="Stale"):
        gw.verify_and_parse(body, header, [SECRET], NOW, tolerance=60)


def test_future_timestamp_beyond_tolerance_is_rejected():
    body, header = signed(event("payment_intent.succeeded", pi_object()), ts=TS + 400)
    with pytest.raises(SignatureError, match="400 s in the future"):
        gw.verify_and_parse(body, header, [SECRET], NOW)


def test_body_changed_by_one_byte_is_rejected():
    body, header = signed(event("payment_intent.succeeded", pi_object()))
    i = body.index(b"1999")
    tampered = body[:i] + b"0" + body[i + 1:]
    with pytest.raises(SignatureError, match="No signature matches"):
        gw.verify_and_parse(tampered, header, [SECRET], NOW)


def test_wrong_secret_is_rejected():
    body, header = signed(event("payment_intent.succeeded", pi_object()), secret="whsec_other")
    with pytest.raises(SignatureError, match="another webhook secret"):
        gw.verify_and_parse(body, header, [SECRET], NOW)


def test_reserialised_body_fails_because_the_raw_bytes_are_signed():
    evt = event("payment_intent.succeeded", pi_object())
    body, header = signed(evt)
    same_json = json.dumps(json.loads(body), separators=(",", ":")).encode()
    assert json.loads(same_json) == json.loads(body)
    with pytest.raises(SignatureError):
        gw.verify_and_parse(same_json, header, [SECRET], NOW)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header_is_rejected(header):
    body = body_of(event("payment_intent.succeeded", pi_object()))
    with pytest.raises(SignatureError, match="Missing Stripe-Signature header"):
        gw.verify_and_parse(body, header, [SECRET], NOW)


@pytest.mark.parametrize(("header", "says"), [
    ("garbage", "is not key=value"),
    ("t=abc,v1=00", "no t=<unix time>"),
    ("v1=00", "no t=<unix time>"),
    (f"t={TS}", "no v1 signature"),
    (f"t={TS},v0=00", "no v1 signature"),
])
def test_malformed_header_is_rejected(header, says):
    body = body_of(event("payment_intent.succeeded", pi_object()))
    with pytest.raises(SignatureError, match=says):
        gw.verify_and_parse(body, header, [SECRET], NOW)


def test_no_configured_secret_is_a_signature_error():
    body, header = signed(event("payment_intent.succeeded", pi_object()))
    with pytest.raises(SignatureError, match="No webhook signing secret"):
        gw.verify_and_parse(body, header, ["", ""], NOW)


def test_body_must_be_bytes():
    body, header = signed(event("payment_intent.succeeded", pi_object()))
    with pytest.raises(TypeError):
        gw.verify_and_parse(body.decode(), header, [SECRET], NOW)  # type: ignore[arg-type]


def test_signed_body_that_is_not_json_is_malformed():
    body = b"not json"
    with pytest.raises(MalformedNotification, match="not JSON"):
        gw.verify_and_parse(body, gw.sign(body, SECRET, TS), [SECRET], NOW)


def test_sign_agrees_with_the_stripe_library_both_ways():
    import time

    import stripe

    now = int(time.time())
    body = body_of(event("payment_intent.succeeded", pi_object(), created=now))
    assert stripe.WebhookSignature.verify_header(body, gw.sign(body, SECRET, now), SECRET, 300)
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), SECRET, now)
    ev = gw.verify_and_parse(body, header, [SECRET], datetime.fromtimestamp(now, UTC))
    assert ev.merchant_ref == "pi_123"


# --- normalisation -------------------------------------------------------------------------------

def test_payment_intent_succeeded():
    ev = parse(event("payment_intent.succeeded", pi_object(amount_received=1999)))
    assert (ev.kind, ev.jfw_status) == ("payment.succeeded", "Completed")
    assert ev.payment_ref == "PAY-1" and ev.merchant_ref == "pi_123"
    assert ev.parent_merchant_ref is None
    assert (ev.amount_minor, ev.currency) == (1999, "USD")
    assert ev.fee_minor is None  # latest_charge is only an id: the fee isn't in the payload
    assert ev.refunded_minor is None and ev.receiver is None and ev.receiver_matches is None
    assert ev.occurred_at == NOW and ev.event_type == "payment_intent.succeeded"
    assert ev.test_mode is True
    assert ev.raw["data"]["object"]["id"] == "pi_123"


def test_succeeded_amount_is_what_was_received():
    ev = parse(event("payment_intent.succeeded", pi_object(amount=2000, amount_received=1500)))
    assert ev.amount_minor == 1500


def test_fee_comes_from_an_expanded_balance_transaction():
    charge = {"id": "ch_1", "object": "charge", "amount": 1999, "currency": "usd",
              "balance_transaction": {"id": "txn_1", "fee": 88, "currency": "usd"}}
    ev = parse(event("payment_intent.succeeded", pi_object(latest_charge=charge)))
    assert ev.fee_minor == 88


def test_localstripe_shaped_payload_with_charges_list():
    charge = {"id": "ch_1", "object": "charge", "amount": 1999, "currency": "usd",
              "balance_transaction": "txn_1", "payment_intent": "pi_123"}
    pi = pi_object(latest_charge=charge, charges={"object": "list", "data": [charge]})
    ev = parse(event("payment_intent.succeeded", pi))
    assert ev.fee_minor is None and ev.amount_minor == 1999


@pytest.mark.parametrize(("type_", "pi_status", "kind", "status"), [
    ("payment_intent.processing", "processing", "payment.pending", "Pending"),
    # The PaymentIntent takes another card: the payment stays open.
    ("payment_intent.payment_failed", "requires_payment_method", "payment.failed", None),
    ("payment_intent.payment_failed", "canceled", "payment.failed", "Failed"),
    ("payment_intent.canceled", "canceled", "payment.canceled", "Voided"),
])
def test_other_payment_intent_events(type_, pi_status, kind, status):
    ev = parse(event(type_, pi_object(status=pi_status)))
    assert (ev.kind, ev.jfw_status) == (kind, status)
    assert ev.payment_ref == "PAY-1" and ev.merchant_ref == "pi_123" and ev.amount_minor == 1999


@pytest.mark.parametrize(("error", "failure"), [
    ({"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
      "message": "Your card has insufficient funds."},
     "card_declined (insufficient_funds): Your card has insufficient funds."),
    ({"type": "invalid_request_error", "code": "payment_intent_authentication_failure",
      "message": "We are unable to authenticate your payment method."},
     "payment_intent_authentication_failure: We are unable to authenticate your payment "
     "method."),
    (None, None),
])
def test_a_failed_payment_says_why(error, failure):
    ev = parse(event("payment_intent.payment_failed", pi_object(
        status="requires_payment_method", last_payment_error=error)))
    assert ev.failure == failure


def test_charge_refunded_partially():
    charge = {"id": "ch_9", "object": "charge", "amount": 1999, "amount_refunded": 500,
              "refunded": False, "currency": "eur", "payment_intent": "pi_123",
              "metadata": {}, "balance_transaction": "txn_9"}
    ev = parse(event("charge.refunded", charge, event_id="evt_r"))
    assert (ev.kind, ev.jfw_status) == ("payment.refunded", "Refunded")
    assert ev.merchant_ref == "ch_9" and ev.parent_merchant_ref == "pi_123"
    assert (ev.amount_minor, ev.refunded_minor, ev.currency) == (1999, 500, "EUR")
    assert ev.payment_ref is None  # the charge doesn't carry the PaymentIntent's metadata
    assert ev.dedupe_key == "evt_r"


def test_charge_refunded_carries_payment_code_when_the_charge_has_it():
    charge = {"id": "ch_9", "amount": 1000, "amount_refunded": 1000, "refunded": True,
              "currency": "usd", "payment_intent": {"id": "pi_7"},
              "metadata": {"payment_code": "PAY-7"}}
    ev = parse(event("charge.refunded", charge))
    assert ev.payment_ref == "PAY-7" and ev.parent_merchant_ref == "pi_7"
    assert ev.refunded_minor == 1000


def dispute(**over) -> dict:
    d = {"id": "dp_1", "object": "dispute", "amount": 1999, "currency": "usd",
         "charge": "ch_1", "payment_intent": "pi_123", "status": "needs_response",
         "reason": "fraudulent",
         "balance_transactions": [{"id": "txn_d", "amount": -1999, "fee": 1500,
                                   "currency": "usd"}]}
    d.update(over)
    return d


def test_dispute_created():
    ev = parse(event("charge.dispute.created", dispute()))
    assert (ev.kind, ev.jfw_status) == ("dispute.created", "Reserved")
    assert ev.merchant_ref == "dp_1" and ev.parent_merchant_ref == "pi_123"
    assert (ev.amount_minor, ev.currency, ev.fee_minor) == (1999, "USD", 1500)


def test_dispute_without_payment_intent_points_at_the_charge():
    ev = parse(event("charge.dispute.created", dispute(payment_intent=None,
                                                       balance_transactions=[])))
    assert ev.parent_merchant_ref == "ch_1" and ev.fee_minor is None


@pytest.mark.parametrize(("outcome", "status"), [
    ("won", "CanceledReversal"), ("warning_closed", "CanceledReversal"), ("lost", "Reserved")])
def test_dispute_closed_status_follows_its_outcome(outcome, status):
    ev = parse(event("charge.dispute.closed", dispute(status=outcome)))
    assert (ev.kind, ev.jfw_status) == ("dispute.closed", status)


@pytest.mark.parametrize("type_", ["customer.created", "charge.succeeded",
                                   "payment_intent.created", "invoice.paid",
                                   "payment_intent.requires_action"])
def test_other_event_types_are_ignored(type_):
    ev = parse(event(type_, {"id": "x_1", "object": "whatever"}, event_id="evt_ign"))
    assert ev.kind == "ignored" and ev.ignored
    assert ev.dedupe_key == "evt_ign" and ev.event_type == type_
    assert ev.jfw_status is None and ev.amount_minor is None


def test_jpy_amount_is_already_minor_units():
    ev = parse(event("payment_intent.succeeded", pi_object(amount=500, currency="jpy")))
    assert (ev.amount_minor, ev.currency) == (500, "JPY")


def test_three_decimal_currency():
    ev = parse(event("payment_intent.succeeded", pi_object(amount=12340, currency="kwd")))
    assert (ev.amount_minor, ev.currency) == (12340, "KWD")


def test_isk_is_two_decimal_at_stripe_and_zero_decimal_here():
    ev = parse(event("payment_intent.succeeded", pi_object(amount=150000, currency="isk")))
    assert (ev.amount_minor, ev.currency) == (1500, "ISK")
    assert gw.to_stripe_amount(1500, "isk") == 150000 and gw.to_stripe_amount(1999, "USD") == 1999
    with pytest.raises(MalformedNotification, match="multiple of 100"):
        parse(event("payment_intent.succeeded", pi_object(amount=150050, currency="isk")))


@pytest.mark.parametrize(("obj", "says"), [
    (pi_object(currency="zzz"), "not an ISO 4217"),
    (pi_object(amount=-5), "whole number"),
    (pi_object(amount="19.99"), "whole number"),
    (pi_object(id=None), "PaymentIntent id"),
])
def test_unusable_objects_are_malformed(obj, says):
    with pytest.raises(MalformedNotification, match=says):
        parse(event("payment_intent.succeeded", obj))


def test_event_without_id_or_object_is_malformed():
    with pytest.raises(MalformedNotification, match="'id' and a 'type'"):
        parse({"type": "payment_intent.succeeded", "created": TS})
    with pytest.raises(MalformedNotification, match="no data.object"):
        parse({"id": "evt_x", "type": "payment_intent.succeeded", "created": TS, "data": {}})
    with pytest.raises(MalformedNotification, match="unix time"):
        parse({"id": "evt_x", "type": "payment_intent.succeeded", "data": {}})


def test_live_event_is_not_test_mode():
    assert parse(event("payment_intent.succeeded", pi_object(), livemode=True)).test_mode is False


@pytest.mark.parametrize(("status", "error", "kind", "jfw"), [
    ("succeeded", None, "payment.succeeded", "Completed"),
    ("processing", None, "payment.pending", "Pending"),
    ("canceled", None, "payment.canceled", "Voided"),
    ("requires_payment_method", {"code": "card_declined"}, "payment.failed", "Failed"),
    ("requires_payment_method", None, "ignored", None),
    ("requires_action", None, "ignored", None),
])
def test_payment_intent_read_by_the_janitor(status, error, kind, jfw):
    later = NOW + timedelta(hours=1)
    ev = gw.event_from_payment_intent(pi_object(status=status, last_payment_error=error), later)
    assert (ev.kind, ev.jfw_status) == (kind, jfw)
    assert ev.dedupe_key == f"poll:pi_123:{status}" and ev.occurred_at == later
    assert ev.payment_ref == "PAY-1" and ev.amount_minor == 1999
