"""Payments' scheduled job (``payment-janitor``) and outbox kinds.

Outbox kinds (named in ``notify.outbox.KINDS``, so any consumer process knows them):
- ``payment-event``: what happened to a payment, with everything fulfilment needs. It is handed
  to each subscriber in ``SUBSCRIBERS`` ("module:function" taking the payload dict; licensing
  adds its own). Subscribers must be idempotent by ``payload["eventId"]`` (the outbox row
  delivers at least once). With no subscriber the row is simply marked Sent.
- ``payment-coupon``: redeem the payment's coupon once the payment completed, idempotent by the
  payment id (``coupons.redeem(ref=payment id)``). It runs after the commit through the outbox
  rather than inside the payment's transaction because ``coupons.redeem`` is its own
  transaction on another table; the outbox row, written with the completion, makes sure it
  happens, and the ref makes sure it happens once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.notify.models import OutboxItem
    from chalicelib.notify.outbox import Delivery

log = logging.getLogger("jfw.payments")

SUBSCRIBERS: list[str] = ["chalicelib.licensing.service:on_payment_event"]


def subscribe(handler_ref: str) -> None:
    """Add a ``payment-event`` subscriber ("module:function" taking the payload dict)."""
    if handler_ref not in SUBSCRIBERS:
        SUBSCRIBERS.append(handler_ref)


def run_janitor(event: Any = None, context: Any = None) -> dict:
    """Scheduled: re-check payments stuck in Created/Pending (janitor.py)."""
    from chalicelib.payments import janitor

    return janitor.run()


def deliver_payment_event(item: OutboxItem) -> Delivery:
    from chalicelib.http.routing import resolve
    from chalicelib.notify.outbox import Delivery

    payload = dict(item.payload or {})
    payload.setdefault("eventId", item.id)
    payload.setdefault("brandId", item.brand_id)
    for ref in SUBSCRIBERS:
        resolve(ref)(payload)
    return Delivery(result={"event": payload.get("event"), "subscribers": list(SUBSCRIBERS)})


def redeem_coupon(item: OutboxItem) -> Delivery:
    from chalicelib.catalog import service as catalog
    from chalicelib.http.errors import ApiError
    from chalicelib.notify.outbox import Delivery

    p = item.payload or {}
    try:
        catalog.redeem_coupon(item.brand_id, p["couponId"], p["userId"], ref=p["paymentId"])
    except ApiError as e:
        # The coupon ran out (or was withdrawn) between the quote and the payment: the buyer
        # paid the discounted price and keeps it. Retrying can't change the answer.
        log.warning("payment %s: coupon %s not redeemed: %s", p.get("paymentId"),
                    p.get("couponId"), e.message)
        return Delivery(result={"redeemed": False, "reason": e.message})
    _mark_redeemed(item.brand_id, p["paymentId"])
    return Delivery(result={"redeemed": True})


def _mark_redeemed(brand_id: str, payment_id: str) -> None:
    from chalicelib.payments import models as m

    m.PaymentItem(m.payment_pk(brand_id, payment_id), m.PAYMENT_SK).update(
        actions=[m.PaymentItem.coupon_redeemed.set(True)],
        condition=m.PaymentItem.pk.exists())
