"""The wallet as a gateway: a payment a wallet pays in full.

Its money moves in the wallet context, in the same transaction that creates the payment (the
wallet's debit and the payment commit together or not at all). What is left is to complete the
payment like any other: a ``payment.succeeded`` event through the one intake (the payment's
history, its effects: the buyer's mail, fulfilment, the coupon), deduplicated by the payment id.
A crash between the two leaves a paid ``Created`` payment; the janitor completes it
(``needs_completing``), so the wallet's money never pays for nothing.

An admin's refund of such a payment is a ``payment.refunded`` event of the whole amount; the
wallet context hears it as a payment event and gives the money back to the wallet.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from chalicelib import settings
from chalicelib.payments.gateways.events import GatewayEvent

NAME = "wallet"


def needs_completing(payment: Any) -> bool:
    return payment.gateway_type == NAME and payment.status == "Created"


def paid_event(payment: Any) -> GatewayEvent:
    return GatewayEvent(
        gateway=NAME, dedupe_key=f"wallet-paid:{payment.id}", kind="payment.succeeded",
        event_type="wallet.paid", occurred_at=settings.now().astimezone(UTC),
        payment_ref=payment.id, merchant_ref=f"wallet:{payment.id}",
        amount_minor=int(payment.amount_minor), currency=payment.currency,
        fee_minor=0, jfw_status="Completed", test_mode=bool(payment.test_mode))


def refund_event(payment: Any, admin_id: str) -> GatewayEvent:
    gross = int(payment.amount_gross_minor or payment.amount_minor)
    return GatewayEvent(
        gateway=NAME, dedupe_key=f"wallet-refund:{payment.id}", kind="payment.refunded",
        event_type="admin.refund", occurred_at=settings.now().astimezone(UTC),
        payment_ref=payment.id, merchant_ref=f"wallet-refund:{payment.id}",
        parent_merchant_ref=f"wallet:{payment.id}", amount_minor=gross,
        refunded_minor=gross, currency=payment.currency, jfw_status="Refunded",
        test_mode=bool(payment.test_mode))
