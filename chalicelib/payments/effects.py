"""What a payment change causes, as outbox rows written in intake's transaction (as one
``bundle`` row, notify.bundle: each effect still runs once, by its own kind): the customer's
mail (PAYMENT.PROCESSED.SUCCESS / FAILED / REFUNDED / CANCELLED), the ``payment-event`` row with
everything fulfilment (licensing) needs, the coupon redemption, the card the buyer consented to
keep (``saved-card``, cards/saved.py), and on a mismatch the PAYMENT.RISK.FLAGGED event (and a
mail to the brand's support address when it has one).

The kinds of those rows (``payment-event``, ``payment-coupon``) are only declared here
(``notify.declare_kind``); what the outbox consumer does with them is ``kinds.py``, which
payments' service imports (so the consumer has it). This module is on a cold webhook's path
(intake), and imports no other context than notify: the consumer's side needs the catalog
(the coupon), the webhooks (the fan-out) and identity (the risk mail's support address).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from chalicelib import money, settings
from chalicelib.notify import service as notify
from chalicelib.payments.cards import saved
from chalicelib.payments.gateways.events import GatewayEvent

# The outbox kinds payments owns (written here and by review.py; handlers: kinds.py).
PAYMENT_EVENT = notify.declare_kind("payment-event")
PAYMENT_COUPON = notify.declare_kind("payment-coupon")
RISK_MAIL = "PAYMENT.RISK.FLAGGED"

MAIL_FOR = {"Completed": "PAYMENT.PROCESSED.SUCCESS", "Failed": "PAYMENT.PROCESSED.FAILED",
            "Denied": "PAYMENT.PROCESSED.FAILED", "Refunded": "PAYMENT.PROCESSED.REFUNDED",
            "Voided": "PAYMENT.PROCESSED.CANCELLED"}


def snapshot(payment: Any) -> dict[str, Any]:
    """The payment's amounts and status, to be updated into what they are after the change."""
    names = ("amount_gross_minor", "amount_fee_minor", "amount_net_minor", "commission_minor",
             "shared_amount_minor", "refunded_minor", "payment_date", "status")
    return {n: getattr(payment, n) for n in names}


def effect_rows(payment: Any, after: dict[str, Any], event: GatewayEvent, to: str | None,
                refunded_now: int, notification_id: str | None, *,
                completed_now: bool = False) -> list[Any]:
    """One mail per fact the buyer is told about (a completion, each refund that adds; no mail
    for disputes: the cardholder's bank tells them), so the same events mail the same in any
    order; a ``payment-event`` row whenever the payment's money changed (fulfilment follows it).
    ``completed_now``: a completion that came after a refund or dispute (``to`` stays None)."""

    completed_now = completed_now or to == "Completed"
    money = event.kind in ("payment.refunded", "dispute.created", "dispute.closed")
    rows = []
    if event.kind == "payment.refunded":
        mail_code: str | None = MAIL_FOR["Refunded"]
    elif completed_now:
        mail_code = MAIL_FOR["Completed"]
    else:
        mail_code = MAIL_FOR.get(to) if to and not money else None
    context = mail_context(payment, after, refunded_now) if mail_code else None
    if mail_code and payment.user_email:
        rows.append(notify.mail(payment.brand_id, mail_code, payment.user_email, context,
                                language_code=payment.language_code))
    if to or money or completed_now:
        payload = event_payload(payment, after, event, to, notification_id,
                                completed_now=completed_now)
        if mail_code and payment.user_id and notify.may_text(mail_code):
            # The text (where the brand texts the event and the user confirmed a phone) is
            # decided by the payment-event consumer: no read on the notification's hot path.
            payload["text"] = {"event": mail_code, "userId": payment.user_id,
                               "languageCode": payment.language_code,
                               "context": context}
        rows.append(notify.row(payment.brand_id, PAYMENT_EVENT, payload))
    if completed_now and payment.coupon_id and payment.user_id and \
            not payment.coupon_redeemed:
        rows.append(notify.row(payment.brand_id, PAYMENT_COUPON,
                               {"paymentId": payment.id, "couponId": payment.coupon_id,
                                "userId": payment.user_id}))
    card = saved.consent_row(payment, event) if completed_now else None
    if card is not None:
        rows.append(card)
    return rows


def mail_context(payment: Any, after: dict[str, Any], refunded_now: int = 0) -> dict[str, Any]:
    when = after.get("payment_date") or settings.now()
    return {
        "user": notify.user_vars(username=payment.user_name, email_address=payment.user_email),
        "payment": {
            "code": payment.code, "name": payment.name, "status": after.get("status"),
            "amount": str(money.to_decimal(int(after.get("amount_gross_minor")
                                               or payment.amount_minor), payment.currency)),
            "refunded_amount": str(money.to_decimal(refunded_now, payment.currency)),
            "currency_code": payment.currency, "merchant_ref_no": payment.merchant_ref_no,
            "date": notify.mail_date(when),
        },
    }


EVENT_CODES = {"Completed": "PAYMENT.PROCESSED.SUCCESS", "Failed": "PAYMENT.PROCESSED.FAILED",
               "Denied": "PAYMENT.PROCESSED.FAILED", "Refunded": "PAYMENT.PROCESSED.REFUNDED",
               "Voided": "PAYMENT.PROCESSED.CANCELLED"}


def event_payload(payment: Any, after: dict[str, Any], event: GatewayEvent | None,
                  to: str | None, notification_id: str | None, *,
                  completed_now: bool = False) -> dict[str, Any]:
    """Everything the licensing issue needs to fulfil (or take back) the payment: what happened
    (``event``), and the payment as it is after it (``status``, ``completed``, amounts and
    ``refundedMinor``), with its ``paymentVersion`` so a subscriber can tell an older event."""
    status = after.get("status") or payment.status
    completed_now = completed_now or to == "Completed"
    kind = event.kind if event else ""
    if completed_now:
        code = EVENT_CODES["Completed"]
    elif kind == "payment.refunded":
        code = EVENT_CODES["Refunded"]
    elif kind.startswith("dispute."):
        code = f"PAYMENT.STATUS.{status.upper()}"
    else:
        code = EVENT_CODES.get(to or status) or f"PAYMENT.STATUS.{status.upper()}"
    when = after.get("payment_date")
    held = bool(after.get("held", payment.held))
    return {
        "event": code, "paymentId": payment.id, "paymentCode": payment.code,
        "status": status, "previousStatus": payment.status,
        "fulfil": completed_now and not held,
        "completed": after.get("amount_gross_minor") is not None,
        "paymentVersion": int(payment.version or 0) + 1,
        "held": held, "userId": payment.user_id, "userEmail": payment.user_email,
        "packageId": payment.package_id, "priceId": payment.price_id,
        "subscriptionTypeId": payment.subscription_type_id, "couponId": payment.coupon_id,
        "referrerId": payment.referrer_id, "currency": payment.currency,
        "amountMinor": int(payment.amount_minor),
        **{_camel(k): (int(v) if v is not None else None) for k, v in after.items()
           if k.endswith("_minor")},
        "walletId": payment.wallet_id,
        "walletMinor": int(payment.wallet_minor) if payment.wallet_minor is not None else None,
        "paymentType": payment.payment_type,
        "invoiceId": payment.invoice_id,
        "quote": payment.quote or {}, "merchantRefNo": payment.merchant_ref_no
        or (event.merchant_ref if event else None),
        "paymentDate": when.isoformat() if when else None, "testMode": bool(payment.test_mode),
        "gateway": event.gateway if event else payment.gateway_type,
        "gatewayEventId": event.dedupe_key if event else None,
        "notificationId": notification_id,
    }


@cache
def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def risk_rows(payment: Any, event: GatewayEvent, reasons: list[str],
              notification_id: str | None) -> list[Any]:
    """PAYMENT.RISK.FLAGGED: a payment-event row, carrying (``mail``) the context of the mail
    to the brand's support address, which the consumer sends when the brand has one
    (``kinds.py``: no brand read on the notification's path; admins' own addresses are not
    read at all)."""
    after = {**snapshot(payment), "status": payment.status}
    payload = event_payload(payment, after, event, None, notification_id)
    payload.update(event=RISK_MAIL, reasons=reasons, fulfil=False, held=True)
    context = mail_context(payment, after)
    context["risk"] = {"reasons": "; ".join(reasons), "gateway": event.gateway,
                       "notification_id": notification_id}
    payload["mail"] = {"event": RISK_MAIL, "context": context}
    return [notify.row(payment.brand_id, PAYMENT_EVENT, payload)]
