"""Charging a saved card off-session (a renewal, with nobody at the keyboard):
``charge_saved_card``.

The sequence, so that nothing dangles:
1. the card: the user's most recently saved one that has not expired, at a Stripe gateway the
   brand still takes payments with (cards/saved.py); none -> None, nothing written;
2. the buyer against the black list (listed -> None, nothing written) and the risk assessment,
   as a checkout does (checkout/start.py);
3. the payment, status Created, with the same fields as a checkout's plus the caller's
   (``fields``, e.g. the invoice it pays), written BEFORE Stripe is asked, so the webhook of a
   charge that succeeds at once always finds its payment;
4. a PaymentIntent with the card's customer and PaymentMethod, ``off_session=True,
   confirm=True``, Idempotency-Key = the payment id (a retried call never charges twice);
5. Stripe accepted it (``succeeded`` or ``processing``): its id is recorded on the payment, which
   is returned; the final status comes through the webhook like any payment's. Stripe refused
   at once (``card_declined``, ``authentication_required``, any other error, or a
   PaymentIntent left needing the buyer: localstripe answers ``requires_action`` where Stripe
   raises ``authentication_required``): the payment is marked Failed through ledger.change,
   with the reason, the buyer's PAYMENT.PROCESSED.FAILED mail and the payment event, exactly
   as the webhook's failure would (whichever comes first applies; the other is history only),
   and the answer is None, so the caller falls back to a link the buyer pays.

``key``: the caller's idempotency key (e.g. ``renewal:<invoiceId>``): the payment id is derived
from it, so a second call with the same key charges nothing more: it answers the first call's
payment (None when that one failed; the payment itself, Created, while the first call is still
asking Stripe: its outcome comes as any payment's), or finishes the first call's charge when
that call stopped between writing the payment and asking Stripe (``IN_FLIGHT`` later).

A card Stripe no longer has (``resource_missing``: its customer or PaymentMethod was deleted
at Stripe) is forgotten, so later renewals go straight to the mailed link.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from chalicelib import settings
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import ApiError, Conflict, NotFound
from chalicelib.identity import service as identity
from chalicelib.notify import service as notify
from chalicelib.payments import effects, ledger
from chalicelib.payments import models as m
from chalicelib.payments.cards import saved
from chalicelib.payments.checkout import blacklist, risk
from chalicelib.payments.checkout.start import Order, buyer_fields, stripe_client
from chalicelib.payments.gateways.choice import for_checkout
from chalicelib.payments.gateways.events import GatewayEvent
from chalicelib.payments.gateways.stripe import to_stripe_amount
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed

log = logging.getLogger("jfw.payments")

ACCEPTED = frozenset({"succeeded", "processing"})
MAX_ATTEMPTS = 5
# Longer than a Stripe call with its retries can take: a Created payment younger than this,
# with no PaymentIntent yet, is another call's charge under way, not a stopped one.
IN_FLIGHT = timedelta(minutes=2)


def charge_saved_card(brand: dict, user_id: str, order: Order, *,
                      fields: dict[str, Any] | None = None, key: str | None = None
                      ) -> Any | None:
    """Charge ``order`` to the user's saved card (the module doc): the payment when Stripe
    accepted the charge, None when there is no usable saved card or Stripe refused it."""
    brand_id = brand["id"]
    payment_id = _payment_id(brand_id, key) if key else ids.new_id()
    if key:
        earlier = ledger.find_payment(brand_id, payment_id)
        if earlier is not None:
            return _again(earlier)
    if order.amount <= 0:
        raise Conflict(order.nothing_to_pay, code="NOTHING_TO_PAY")
    try:
        user = identity.get_user_item(brand_id, user_id)
    except NotFound:
        return None
    found = _card(brand_id, user_id)
    if found is None:
        return None
    card, gateway = found
    buyer = blacklist.buyer_of(user.email_address, {}, None)
    try:
        listed = blacklist.check(brand_id, buyer)
    except ApiError:
        log.info("off-session charge for user %s skipped: black-listed", user_id)
        return None
    assessment = risk.assess_checkout(
        brand, user.id, amount_minor=order.amount, currency=order.currency,
        price=order.risk_price or order.price, tax_percent=catalog.tax_rate(brand),
        near_misses=blacklist.near_misses(listed, buyer))
    test_mode = order.test_mode if order.test_mode is not None else bool(gateway.get("testMode"))
    try:
        payment = ledger.create_payment(
            brand, id=payment_id, code=f"PAY{ids.new_code(10)}", name=order.name,
            amount_minor=order.amount, currency=order.currency, gateway_id=gateway["id"],
            gateway_type="stripe", test_mode=test_mode,
            gateway_data={"offSession": True, "savedCardId": card.id,
                          "customerId": card.customer_id,
                          "paymentMethodId": card.payment_method_id},
            **buyer_fields(order.price, order.quote, order.snapshot, user, buyer, assessment,
                           gateway_minor=order.amount, wallet_minor=0),
            **{**order.fields, **(fields or {})})
    except ConditionFailed:  # the same key, at the same time: the other call charges
        return _again(ledger.get_payment(brand_id, payment_id))
    return _charge(payment, gateway)


def _payment_id(brand_id: str, key: str) -> str:
    return "OS" + hashlib.sha256(f"{brand_id}:{key}".encode()).hexdigest()[:20]


def _again(payment: Any) -> Any | None:
    """A second call with the same key: the first call's answer, or its unfinished charge."""
    stopped = payment.created_date + IN_FLIGHT < settings.now()
    if payment.status == "Created" and not payment.merchant_ref_no and stopped:
        try:
            gateway = for_checkout(payment.brand_id, payment.gateway_id)
        except ApiError:
            _refuse(payment, "gateway_unavailable", "the card's gateway takes no payments")
            return None
        return _charge(payment, gateway)
    return None if payment.status in ("Failed", "Denied", "Voided", "Deleted") else payment


def _card(brand_id: str, user_id: str) -> tuple[Any, dict] | None:
    """The newest unexpired saved card whose gateway is an Active Stripe one, with it."""
    now = settings.now()
    for card in saved.list_cards(brand_id, user_id):
        if saved.expired(card, now):
            continue
        try:
            gateway = for_checkout(brand_id, card.gateway_id)
        except ApiError:
            continue
        if gateway["type"] == "stripe" and gateway.get("privateKey"):
            return card, gateway
    return None


def _charge(payment: Any, gateway: dict) -> Any | None:
    import stripe  # heavy optional library: loaded only when a Stripe call is made

    data = payment.gateway_data or {}
    params = {
        "amount": to_stripe_amount(int(payment.amount_minor), payment.currency),
        "currency": payment.currency.lower(), "payment_method_types": ["card"],
        "customer": data["customerId"], "payment_method": data["paymentMethodId"],
        "off_session": True, "confirm": True,
        "metadata": {"payment_code": payment.id, "brand_id": payment.brand_id,
                     "off_session": "true"},
    }
    try:
        pi = stripe_client(gateway["privateKey"]).v1.payment_intents.create(
            params=params, options={"idempotency_key": payment.id})
    except stripe.StripeError as e:
        # Stripe's error names the PaymentIntent it left behind (localstripe's doesn't).
        refused_pi = getattr(getattr(e, "error", None), "payment_intent", None)
        # A 404 is Stripe's resource_missing (localstripe's 404 carries no code).
        reason = e.code or ("resource_missing" if e.http_status == 404
                            else e.__class__.__name__)
        _refuse(payment, reason, e.user_message or str(e) or e.__class__.__name__,
                saved.ref_id(refused_pi))
        if reason == "resource_missing":
            saved.forget(payment.brand_id, payment.user_id, data.get("savedCardId"))
        return None
    if pi.status in ACCEPTED:
        ledger.record_merchant_ref(payment.brand_id, payment.id, "stripe", pi.id)
        return ledger.get_payment(payment.brand_id, payment.id)
    if pi.status == "requires_action":
        reason, message = "authentication_required", "the card asks the buyer to authenticate"
    else:
        last = pi.get("last_payment_error") or {}
        reason = last.get("code") or pi.status
        message = last.get("message") or f"the PaymentIntent is {pi.status}"
    _refuse(payment, reason, message, pi.id)
    return None


def _refuse(payment: Any, reason: str, message: str, pi_id: str | None = None) -> None:
    """Failed, with the reason, through the one payment writer (the module doc)."""
    for _ in range(MAX_ATTEMPTS):
        if payment.status != "Created":
            return  # the webhook's failure (or success) came first
        now = settings.now()
        event = GatewayEvent(
            gateway="stripe", dedupe_key=f"off-session:{payment.id}", kind="payment.failed",
            event_type=f"off_session.{reason}", occurred_at=now, jfw_status="Failed",
            payment_ref=payment.id, merchant_ref=pi_id, amount_minor=int(payment.amount_minor),
            currency=payment.currency, test_mode=bool(payment.test_mode))
        rows = effects.effect_rows(payment, {**effects.snapshot(payment), "status": "Failed"},
                                   event, "Failed", 0, None)
        history = ledger.history_row(
            payment, now, to_status="Failed", source="stripe",
            note=f"off-session charge refused: {reason} ({message})"[:1000],
            event_status="Failed", event_type=event.event_type,
            amount_minor=int(payment.amount_minor), currency=payment.currency)
        changes = {"gateway_data": {**(payment.gateway_data or {}), "declineCode": reason,
                                    "declineMessage": message[:500]}}
        puts = []
        if pi_id and not payment.merchant_ref_no:
            changes["merchant_ref_no"] = pi_id
            puts.append((m.MerchantRefItem(m.mref_pk(payment.brand_id, "stripe", pi_id),
                                           m.MREF_SK, payment_id=payment.id,
                                           created_date=now), None))
        try:
            ledger.change(payment, history, changes, to_status="Failed", rows=rows, puts=puts,
                          now=now)
        except ledger.NotAllowed:
            return
        except ledger.PaymentChanged:
            payment = ledger.get_payment(payment.brand_id, payment.id)
            continue
        notify.publish(rows)
        return
    log.warning("payment %s kept changing; its off-session refusal (%s) was not recorded",
                payment.id, reason)
