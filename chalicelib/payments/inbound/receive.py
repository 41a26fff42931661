"""Verify a raw gateway notification, normalise it, and hand it to intake; used by the webhook
handlers and by ``replay`` (an admin runs a stored notification again).

Every notification that reaches a known gateway is kept (notifications.py) with its outcome:
- ``rejected``: the signature (Stripe) or the postback (PayPal ``INVALID``) failed. Answered
  400 and the payment is not touched. The row is kept for 30 days (``ttl``) with the body cut
  to 8 KiB, so a wrong secret or a skewed clock can be diagnosed; at most
  ``notifications.REJECTED_PER_HOUR`` such rows per gateway per hour, after which they are
  only counted (notifications.save_unverified), so forged traffic can't grow the table.
- ``error``: authentic but unreadable (MalformedNotification): answered 200, since a retry
  would read the same bytes; an admin can replay it after a fix.
- PayPal's verification URL unreachable: kept as ``error`` and answered 503, so PayPal resends.
- ``not_ready``: the gateway has no webhook secret (Stripe) or receiver (PayPal) yet. Answered
  409 GATEWAY_NOT_READY, so the gateway resends; kept like a rejected one (bounded per hour,
  30 days) with up to 64 KiB of the body, so it can be replayed once the gateway is set.
- otherwise intake's outcome (applied, duplicate, ignored, mismatch, unknown_payment).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.http.errors import ApiError, BadRequest, NotFound
from chalicelib.payments.gateways import paypal, stripe, webhook
from chalicelib.payments.gateways.events import (
    GatewayUnavailable,
    MalformedNotification,
    SignatureError,
)
from chalicelib.payments.gateways.webhook import Gateway
from chalicelib.payments.inbound import intake, notifications

# A replay checks that Stripe signed the stored bytes, not that it did so recently.
REPLAY_TOLERANCE_SECONDS = 10 * 365 * 24 * 3600


class Unavailable(ApiError):
    status, code = 503, "GATEWAY_UNAVAILABLE"


class NotReady(ApiError):
    status, code = 409, "GATEWAY_NOT_READY"


def _ready(gw: Gateway, notification: Any, replay: bool) -> None:
    """A gateway that can't verify notifications yet (gateways/webhook.missing_for_notifications)
    answers 409, so the gateway resends them later; the notification is kept (bounded, as a
    rejected one), except on a replay, which leaves its row as it was."""
    if not gw.missing:
        return
    message = (f"Payment gateway {gw.id} can't verify notifications yet: its "
               f"{' and '.join(gw.missing)} is not set. Set it (PUT "
               f"v1/app-integrations/payment-gateway/{gw.id}); the gateway resends.")
    if not replay:
        notifications.save_unverified(notification, "not_ready", message)
    raise NotReady(message)


def stripe_notification(gw: Gateway, raw: bytes, signature: str | None, notification: Any,
                        *, replay: bool = False) -> intake.Outcome:
    _ready(gw, notification, replay)
    # The real wall clock, not settings.now(): Stripe signs with real time.
    now = datetime.now(UTC)
    tolerance = REPLAY_TOLERANCE_SECONDS if replay else stripe.DEFAULT_TOLERANCE_SECONDS
    try:
        event = stripe.verify_and_parse(raw, signature, list(gw.secrets), now, tolerance)
    except SignatureError as e:
        _reject(notification, e.message, replay)
    except MalformedNotification as e:
        return _error(notification, e.message)
    return _apply(gw, event, notification, replay)


def paypal_notification(gw: Gateway, raw: bytes, notification: Any, *,
                        verify: bool = True, replay: bool = False) -> intake.Outcome:
    """``verify=False`` only for a replay of a message PayPal already VERIFIED."""
    _ready(gw, notification, replay)
    if verify:
        if not gw.verify_url:
            raise Unavailable(f"PayPal gateway {gw.id} has no verification URL configured.")
        try:
            ok = paypal.verify_postback(raw, gw.verify_url)
        except GatewayUnavailable as e:
            _error(notification, f"postback failed: {e.message}")
            raise Unavailable(f"{e.message} The notification is kept; PayPal will resend it.",
                              ) from None
        if not ok:
            _reject(notification, "PayPal answered INVALID to the postback: this message was "
                                  "not sent by PayPal, or it was changed on the way.", replay)
    try:
        event = paypal.normalise(paypal.parse(raw), gw.receiver_email, gw.receiver_id)
    except MalformedNotification as e:
        return _error(notification, e.message)
    return _apply(gw, event, notification, replay)


def replay(brand_id: str, notification_id: str) -> dict[str, Any]:
    """Run a stored notification again (notifications.py says why that is safe); returns it with
    its new outcome."""
    item = notifications.get_item(brand_id, notification_id)
    gw = webhook.get(item.gateway_id, item.gateway)
    if gw.brand_id != brand_id:
        raise NotFound(f"Notification {notification_id} was not found.",
                       code="NOTIFICATION_NOT_FOUND")
    item.attempts = int(item.attempts or 1) + 1
    raw = item.body
    if item.gateway == "stripe":
        stripe_notification(gw, raw, (item.headers or {}).get("stripe-signature"), item,
                            replay=True)
    else:
        paypal_notification(gw, raw, item, verify=not item.verified, replay=True)
    return notifications.to_dto(notifications.get_item(brand_id, notification_id))


def _apply(gw: Gateway, event: Any, notification: Any, replay: bool) -> intake.Outcome:
    notification.event_type = event.event_type
    notification.dedupe_key = event.dedupe_key
    notification.outcome = "verified"
    notification.verified = True
    notification.ttl = None  # a replayed rejection that now verifies is kept for good
    return intake.apply(gw.brand_id, event, notification.id, notification=notification,
                        live_gateway=not gw.test_mode, stored=replay)


def _reject(notification: Any, message: str, replay: bool) -> None:
    if replay:  # an admin's replay of a stored row: update it, it is no new traffic
        notifications.save_outcome(notification, "rejected", message)
    else:
        notifications.save_unverified(notification, "rejected", message)
    raise BadRequest(message, code="NOTIFICATION_REJECTED")


def _error(notification: Any, message: str) -> intake.Outcome:
    notifications.save_outcome(notification, "error", message)
    return intake.Outcome("error", message)
