"""What the outbox consumer does with the kinds payments owns (effects.py declares them where
their rows are written; this module registers their handlers, and payments' service imports
it, so the consumer, notify/jobs.py, which imports every service, has them):

- ``payment-event``: what happened to a payment, with everything fulfilment needs. It is handed
  to each subscriber in ``SUBSCRIBERS`` (functions taking the payload dict; licensing's service
  subscribes its fulfilment with ``payments.subscribe``, so payments imports no licensing).
  Subscribers must be idempotent by ``payload["eventId"]`` (the outbox row delivers at least
  once). With no subscriber the row is simply marked Sent. The follow-ups it writes (and the
  consumer publishes): the buyer's text (``payload["text"]``) and, for PAYMENT.RISK.FLAGGED,
  the mail to the brand's support address when it has one (``payload["mail"]``). Wrapped in
  ``webhooks.forwarding``: the event also goes to the brand's webhook endpoints.
- ``payment-coupon``: redeem the payment's coupon once the payment completed, idempotent by the
  payment id (``catalog.redeem_coupon(ref=payment id)``). It runs after the commit through the
  outbox rather than inside the payment's transaction because ``coupons.redeem`` is its own
  transaction on another table; the outbox row, written with the completion, makes sure it
  happens, and the ref makes sure it happens once.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.catalog import service as catalog
from chalicelib.http.errors import ApiError, NotFound
from chalicelib.identity import service as identity
from chalicelib.notify import service as notify
from chalicelib.payments import models as m
from chalicelib.payments.effects import PAYMENT_COUPON, PAYMENT_EVENT
from chalicelib.webhooks import service as webhooks

log = logging.getLogger("jfw.payments")

SUBSCRIBERS = notify.Subscribers()
subscribe = SUBSCRIBERS.add  # a ``payment-event`` subscriber: a function taking the payload dict


def deliver_payment_event(item: notify.OutboxItem) -> notify.Delivery:
    payload, result = SUBSCRIBERS.hand_out(item)
    text = payload.get("text") or {}
    texts = notify.texts_for(item.brand_id, text["event"], text.get("userId"),
                             text.get("context") or {}, text.get("languageCode")) if text else []
    mails = _support_mail(item.brand_id, payload["mail"]) if payload.get("mail") else []
    if texts:
        result["texts"] = [t.id for t in texts]
    if mails:
        result["mails"] = [r.id for r in mails]
    return notify.Delivery(result=result, writes=[*texts, *mails])


def _support_mail(brand_id: str, mail: dict[str, Any]) -> list[Any]:
    """The mail to the brand's support address (none when it has none, or is gone)."""
    try:
        brand = identity.get_brand(brand_id)
    except NotFound:  # the event stands without the mail
        log.warning("brand %s not found for the %s mail", brand_id, mail.get("event"))
        return []
    support = ((brand.get("setting") or {}).get("emailSupport") or "").strip()
    if not support:
        return []
    context = {**(mail.get("context") or {}),
               "user": {"name": f"{brand.get('name') or 'support'} team"}}
    return [notify.mail(brand_id, mail["event"], support, context)]


def redeem_coupon(item: notify.OutboxItem) -> notify.Delivery:
    p = item.payload or {}
    try:
        catalog.redeem_coupon(item.brand_id, p["couponId"], p["userId"], ref=p["paymentId"])
    except ApiError as e:
        # The coupon ran out (or was withdrawn) between the quote and the payment: the buyer
        # paid the discounted price and keeps it. Retrying can't change the answer.
        log.warning("payment %s: coupon %s not redeemed: %s", p.get("paymentId"),
                    p.get("couponId"), e.message)
        return notify.Delivery(result={"redeemed": False, "reason": e.message})
    _mark_redeemed(item.brand_id, p["paymentId"])
    return notify.Delivery(result={"redeemed": True})


def _mark_redeemed(brand_id: str, payment_id: str) -> None:
    m.PaymentItem(m.payment_pk(brand_id, payment_id), m.PAYMENT_SK).update(
        actions=[m.PaymentItem.coupon_redeemed.set(True)],
        condition=m.PaymentItem.pk.exists())


notify.register_kind(PAYMENT_EVENT, webhooks.forwarding(deliver_payment_event))
notify.register_kind(PAYMENT_COUPON, redeem_coupon)
