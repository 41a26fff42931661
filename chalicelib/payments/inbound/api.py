"""Webhook handlers: ``POST /api/v1/ipn/stripe/{gatewayId}`` and ``/api/v1/ipn/paypal/{gatewayId}``;
and the notification log (``v1/payments/notifications``: list, read, replay).

No Brand-URL and no Auth-Key: the gateway id in the URL names the gateway, whose row names the
brand; trust comes from the signature (Stripe) or the postback (PayPal). Hot path for Stripe:
HMAC (no network), one read of the payment, one transaction, one SQS send.

Answers: 200 for everything the gateway should stop resending (applied, duplicate, ignored,
mismatch, unknown payment, unreadable); 400 for an unverifiable notification; 404 for an unknown
gateway id; 409 GATEWAY_NOT_READY while the gateway has no webhook secret / PayPal receiver; 503
when PayPal's verification URL can't be reached or the payment stayed busy (the gateway
resends).
"""

from __future__ import annotations

from typing import Any

from chalicelib.http.context import RequestContext
from chalicelib.payments.gateways import webhook
from chalicelib.payments.gateways.stripe import SIGNATURE_HEADER
from chalicelib.payments.inbound import intake, notifications, receive


def stripe_webhook(ctx: RequestContext, gatewayId: str) -> dict[str, Any]:  # noqa: N803
    gw = webhook.get(gatewayId, "stripe")
    signature = ctx.header(SIGNATURE_HEADER)
    item = notifications.new(gw.brand_id, "stripe", gw.id, ctx.raw_body,
                             {"stripe-signature": signature or ""})
    return _answer(item, lambda: receive.stripe_notification(gw, ctx.raw_body, signature, item))


def paypal_ipn(ctx: RequestContext, gatewayId: str) -> dict[str, Any]:  # noqa: N803
    gw = webhook.get(gatewayId, "paypal")
    item = notifications.new(gw.brand_id, "paypal", gw.id, ctx.raw_body)
    return _answer(item, lambda: receive.paypal_notification(gw, ctx.raw_body, item))


def _answer(item: Any, run: Any) -> dict[str, Any]:
    try:
        outcome = run()
    except intake.Busy as e:
        notifications.save_outcome(item, "error", str(e))
        raise receive.Unavailable("The payment is being changed by another notification; "
                                  "send this one again.") from None
    return {"notificationId": outcome.notification_id or item.id, "outcome": outcome.outcome,
            "paymentId": outcome.payment_id, "status": outcome.status}


# -- the notification log ------------------------------------------------------------------------

def list_notifications(ctx: RequestContext) -> dict[str, Any]:
    return notifications.list_notifications(ctx.brand_id, ctx.query)


def get_notification(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return notifications.get(ctx.brand_id, id)


def replay_notification(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return receive.replay(ctx.brand_id, id)
