"""An admin's decision on a held (high-risk) payment: approve it, or refund it.

- ``approve``: the payment is released (``held`` false), in one transaction with a history row;
  when it is already Completed, a ``payment-event`` outbox row with ``fulfil: true`` goes with it,
  so fulfilment (licensing) acts on it now. A payment still open is simply released: its
  completion will fulfil as usual.
- ``refund`` (any Completed payment, held or not):
  - Stripe: a refund of the whole PaymentIntent at Stripe (Idempotency-Key ``refund-<payment>``),
    then applied at once through the intake as a ``payment.refunded`` event (dedupe key
    ``refund:<re_id>``): status Refunded, a transaction record, the customer's refund mail. Stripe's
    own ``charge.refunded`` webhook later reports the same total and changes nothing more.
  - a wallet's payment: a ``payment.refunded`` event of the whole amount through the intake;
    the wallet context gives the money back to the wallet when it hears it.
  - PayPal: this server can't refund through PayPal Payments Standard. The payment is marked for
    a manual refund (``gatewayData.manualRefund``, a history row) and stays held; the admin
    refunds it in PayPal, whose ``Refunded`` IPN then moves it to Refunded.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from chalicelib import settings
from chalicelib.http.errors import Conflict
from chalicelib.notify import service as notify
from chalicelib.payments import effects, ledger, records
from chalicelib.payments.checkout.start import GatewayFailed, stripe_client
from chalicelib.payments.gateways import stripe as gw
from chalicelib.payments.gateways import wallet as wallet_gateway
from chalicelib.payments.gateways.events import GatewayEvent
from chalicelib.payments.gateways.webhook import get_for_webhook
from chalicelib.payments.inbound import intake
from chalicelib.store.tx import ConditionFailed


def _commit(payment: Any, changes: dict[str, Any], note: str, rows: list[Any]) -> None:
    """The change and its history row, through ledger.change; the rows published after."""
    now = settings.now()
    history = ledger.history_row(payment, now, note=note, source="admin")
    try:
        ledger.change(payment, history, changes, rows=rows, now=now)
    except ConditionFailed:
        raise Conflict("The payment changed meanwhile; read it again and retry.",
                       code="PAYMENT_CHANGED") from None
    if rows:
        notify.publish(rows)


def approve(brand_id: str, payment_id: str, admin_id: str) -> dict:
    payment = ledger.get_payment(brand_id, payment_id)
    if not payment.held:
        raise Conflict(f"Payment {payment_id} is not held; there is nothing to approve.",
                       code="PAYMENT_NOT_HELD")
    if payment.status not in ("Created", "Pending", "Completed"):
        raise Conflict(f"Payment {payment_id} is {payment.status}; only an open or Completed "
                       "payment can be approved.", code="PAYMENT_NOT_APPROVABLE")
    rows = []
    if payment.status == "Completed":
        # Released: the event says what the payment is, with held false, so fulfilment acts.
        after = {**effects.snapshot(payment), "status": "Completed", "held": False}
        payload = effects.event_payload(payment, after, None, "Completed", None)
        payload.update(approvedBy=admin_id, previousStatus="Completed")
        rows.append(notify.row(brand_id, effects.PAYMENT_EVENT, payload))
    _commit(payment, {"held": False}, f"approved by admin {admin_id}: released for "
            "fulfilment", rows)
    return records.get_payment(brand_id, payment_id)


def refund(brand_id: str, payment_id: str, admin_id: str) -> dict:
    payment = ledger.get_payment(brand_id, payment_id)
    if payment.status != "Completed":
        raise Conflict(f"Payment {payment_id} is {payment.status}; only a Completed payment can "
                       "be refunded.", code="PAYMENT_NOT_REFUNDABLE")
    if payment.gateway_type == "stripe":
        _refund_stripe(brand_id, payment, admin_id)
        manual = False
    elif payment.gateway_type == wallet_gateway.NAME:
        # The wallet hears the refund as a payment event and takes the money back in.
        intake.apply(brand_id, wallet_gateway.refund_event(payment, admin_id),
                     f"admin:{admin_id}", source="admin")
        manual = False
    else:
        _mark_manual_refund(payment, admin_id)
        manual = True
    return {**records.get_payment(brand_id, payment_id), "manualRefund": manual}


def _refund_stripe(brand_id: str, payment: Any, admin_id: str) -> None:
    import stripe  # heavy optional library: loaded only when a refund is made


    if not payment.merchant_ref_no:
        raise Conflict(f"Payment {payment.id} has no PaymentIntent to refund.",
                       code="PAYMENT_NOT_REFUNDABLE")
    config = get_for_webhook(payment.gateway_id)
    client = stripe_client(config["privateKey"])
    try:
        refund = client.v1.refunds.create(params={"payment_intent": payment.merchant_ref_no},
                                          options={"idempotency_key": f"refund-{payment.id}"})
    except stripe.StripeError as e:
        raise GatewayFailed(f"Stripe refused the refund: {e.user_message or e}") from None
    gross = int(payment.amount_gross_minor or payment.amount_minor)
    refunded = gw.from_stripe_amount(refund.amount, payment.currency) if isinstance(
        refund.amount, int) else gross
    now = settings.now()
    event = GatewayEvent(
        gateway="stripe", dedupe_key=f"refund:{refund.id}", kind="payment.refunded",
        event_type="admin.refund", occurred_at=now.astimezone(UTC), payment_ref=payment.id,
        merchant_ref=refund.id, parent_merchant_ref=payment.merchant_ref_no,
        amount_minor=refunded, refunded_minor=refunded, currency=payment.currency,
        jfw_status="Refunded", test_mode=bool(payment.test_mode))
    intake.apply(brand_id, event, f"admin:{admin_id}", live_gateway=not config["testMode"],
                 source="admin")


def _mark_manual_refund(payment: Any, admin_id: str) -> None:
    data = dict(payment.gateway_data or {})
    data["manualRefund"] = {"requestedBy": admin_id,
                            "requestedAt": settings.now().isoformat()}
    _commit(payment, {"gateway_data": data, "held": True},
            f"refund requested by admin {admin_id}: refund it in PayPal; its Refunded IPN "
            "completes it", [])
