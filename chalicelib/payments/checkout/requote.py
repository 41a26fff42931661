"""A coupon typed on the hosted checkout page: the payment's price quoted again with it.

``POST /api/checkout/<paymentId>/coupon?brandId=`` (no Auth-Key, like the page). Only a Stripe
payment still ``Created`` and paid by no wallet can change; the quote is catalog's, the same one
checkout ran (coupon, upgrade credit, tax, for the payment's buyer), so the per-user limit and
the coupon's terms are checked as at checkout. The new amount, quote and coupon are written in
ONE transaction conditioned on the payment's version, its status and the amount read, with a
condition check that the coupon is still live and not used up (``catalog.check_coupon_usable``):
the redemption itself is counted when the payment completes (the ``payment-coupon`` outbox row),
as for a coupon given at checkout. Then the PaymentIntent's amount is changed at Stripe; if
Stripe refuses, the payment is put back (conditioned on the new amount) and the answer is a 502.

Coupon codes can be guessed, so tries are counted before anything is read: 10 per payment and
30 per IP address an hour (identity's fixed-window counters); past that a 429.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta
from typing import Any

from chalicelib import money, settings
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import ApiError, Conflict, NotFound
from chalicelib.identity import service as identity
from chalicelib.payments import ledger
from chalicelib.payments import models as m
from chalicelib.payments.checkout.start import GatewayFailed, stripe_client, uses_localstripe
from chalicelib.payments.gateways.stripe import to_stripe_amount
from chalicelib.payments.gateways.webhook import get_for_webhook
from chalicelib.store.tx import ConditionFailed

TRIES_PER_PAYMENT = 10
TRIES_PER_IP = 30
WINDOW = timedelta(hours=1)
_TOO_MANY = "Too many coupon codes tried"


def _count_try(brand_id: str, payment_id: str, source_ip: str | None) -> None:
    identity.rate_limit_check(brand_id, "COUPON-TRY", payment_id, TRIES_PER_PAYMENT, WINDOW,
                              f"{_TOO_MANY} for this payment", "COUPON_TRIES")
    if source_ip:
        identity.rate_limit_check(brand_id, "COUPON-TRY-IP", source_ip, TRIES_PER_IP, WINDOW,
                                  f"{_TOO_MANY} from this address", "COUPON_TRIES")
    identity.rate_limit_hit(brand_id, "COUPON-TRY", payment_id, WINDOW)
    if source_ip:
        identity.rate_limit_hit(brand_id, "COUPON-TRY-IP", source_ip, WINDOW)


def figures(payment: Any) -> dict[str, Any]:
    """What the page shows of a payment's quote, in the payment's currency."""
    q = dict(payment.quote or {})
    cur = payment.currency
    amount = int(payment.amount_minor)
    tax = q.get("tax") or {}
    zero = money.to_decimal(0, cur)
    return {"subtotal": str(q.get("subtotal", money.to_decimal(amount, cur))),
            "discount": str(q.get("discount", zero)), "taxPercent": str(tax.get("percent", "0")),
            "tax": str(tax.get("amount", zero)), "total": str(money.to_decimal(amount, cur)),
            "currency": cur, "couponCode": payment.coupon_code}


def _set_stripe_amount(payment: Any, amount_minor: int) -> None:
    import stripe  # heavy optional library: loaded only when a Stripe call is made

    pi_id = (payment.gateway_data or {}).get("paymentIntentId") or payment.merchant_ref_no
    try:
        key = get_for_webhook(payment.gateway_id).get("privateKey")
        if not key or not pi_id:
            raise GatewayFailed("The payment's Stripe account can't be reached; ask the shop "
                                "for a new link.")
        amount = to_stripe_amount(amount_minor, payment.currency)
        if uses_localstripe():
            _localstripe_update(key, pi_id, amount)
        else:
            stripe_client(key).v1.payment_intents.update(pi_id, params={"amount": amount})
    except stripe.StripeError as e:
        raise GatewayFailed(f"Stripe could not change the amount: "
                            f"{e.user_message or e.__class__.__name__}. Try again.") from None


def _localstripe_update(key: str, pi_id: str, amount: int) -> None:
    """localstripe keeps a form-encoded update's amount as a string, and the webhook it sends
    then carries "1650", which our parser rightly refuses; a JSON body keeps it an integer."""
    request = urllib.request.Request(
        f"{settings.get().stripe_api_base.rstrip('/')}/v1/payment_intents/{pi_id}",
        data=json.dumps({"amount": amount}).encode(), method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 - local only
            reply.read()
    except OSError as e:
        raise GatewayFailed(f"localstripe could not change the amount: {e}. Try again.") \
            from None


def apply_coupon(brand_id: str, payment_id: str, coupon_code: str,
                 source_ip: str | None = None) -> dict[str, Any]:
    """Quote the payment's price again with ``coupon_code`` and keep it: the new figures."""
    payment = ledger.find_payment(brand_id, payment_id) if brand_id else None
    if payment is None:
        raise NotFound(f"Payment {payment_id} was not found.", code="PAYMENT_NOT_FOUND")
    _count_try(brand_id, payment.id, source_ip)
    if (payment.status != "Created" or payment.gateway_type != "stripe"
            or int(payment.wallet_minor or 0) > 0 or not payment.price_id):
        raise Conflict("This payment can't take a coupon any more.", code="PAYMENT_NOT_OPEN")
    brand = identity.get_brand(brand_id)
    quote = catalog.quote(brand, payment.package_id, price_id=payment.price_id,
                          coupon_code=coupon_code, user_id=payment.user_id)
    currency = quote["currency"]
    if currency != payment.currency:
        raise Conflict("The price's currency changed; ask the shop for a new link.",
                       code="PAYMENT_NOT_OPEN")
    amount = money.to_minor(quote["total"], currency)
    if amount <= 0:
        raise Conflict("Nothing to pay: this price costs 0 with this coupon and credit.",
                       code="NOTHING_TO_PAY")
    coupon = catalog.find_coupon(brand_id, quote["couponCode"]) if quote.get(
        "couponCode") else None
    old_amount, old_quote = int(payment.amount_minor), dict(payment.quote or {})
    new_quote = {**old_quote, **_plain(quote), "totalMinor": amount, "gatewayMinor": amount,
                 "walletMinor": 0}
    P = m.PaymentItem  # noqa: N806
    now = settings.now()
    checks = [lambda tx: catalog.check_coupon_usable(tx, coupon)] if coupon else []
    try:
        ledger.change(payment, ledger.history_row(
            payment, now, note=f"Coupon {quote['couponCode']} applied on the checkout page: "
            f"{money.to_decimal(old_amount, currency)} -> {money.to_decimal(amount, currency)} "
            f"{currency}", source="checkout"),
            {"amount_minor": amount, "quote": new_quote,
             "coupon_id": coupon.id if coupon else None,
             "coupon_code": quote.get("couponCode") or None},
            condition=(P.status == "Created") & (P.amount_minor == old_amount),
            checks=checks, now=now)
    except ledger.PaymentChanged:
        raise Conflict("The payment changed meanwhile; reload the page.",
                       code="PAYMENT_CHANGED") from None
    except ConditionFailed:
        raise Conflict(f"The coupon '{coupon_code}' has been used up.",
                       code="COUPON_EXHAUSTED", field="couponCode") from None
    fresh = ledger.get_payment(brand_id, payment.id)
    try:
        _set_stripe_amount(fresh, amount)
    except ApiError:
        _put_back(fresh, old_amount, old_quote, payment.coupon_id, payment.coupon_code)
        raise
    return figures(fresh)


def _put_back(payment: Any, amount: int, quote: dict, coupon_id: str | None,
              coupon_code: str | None) -> None:
    P = m.PaymentItem  # noqa: N806
    now = settings.now()
    try:
        ledger.change(payment, ledger.history_row(
            payment, now, note="Coupon taken back: Stripe refused the new amount",
            source="checkout"),
            {"amount_minor": amount, "quote": quote, "coupon_id": coupon_id or None,
             "coupon_code": coupon_code or None},
            condition=P.status == "Created", now=now)
    except ConditionFailed:
        pass  # it moved on (paid, expired): the gateway's notification tells the amount


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return str(value) if not isinstance(value, (str, int, bool, type(None))) else value
