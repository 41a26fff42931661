"""What invoicing does with a ``payment-event`` (subscribed in service.py): a completed payment
gets its invoice (once: invoices.issue), the payment its ``invoiceNo``, and what it gives back
(refunds, a lost dispute) its credit notes (credits.settle). A renewal's payment (``invoiceId``)
pays its provisional invoice (paying.settle), and every completed subscription purchase arms
the buyer's renewal watch (renewals.arm). Idempotent by construction, not by
``eventId``: every event says how the payment stands, and the invoice converges to it.

A payment the event can't be invoiced from (gone, or figures that are not money: an
``ApiError`` of the rules) is logged and left: raising would hold back the subscribers after
this one (fulfilment) on every retry. Storage errors and lost races raise: the outbox retries."""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.http.errors import ApiError
from chalicelib.invoicing import credits, invoices, paying, renewals
from chalicelib.payments import service as payments

log = logging.getLogger("jfw.invoicing")


def on_payment_event(payload: dict[str, Any]) -> None:
    if payload.get("event") == "PAYMENT.RISK.FLAGGED":
        return  # says nothing new about the money
    if not payload.get("completed") or payload.get("status") not in invoices.INVOICED_STATUSES:
        return
    brand_id, payment_id = payload["brandId"], payload["paymentId"]
    invoice = invoices.find_for_payment(brand_id, payment_id)
    if invoice is None:
        try:
            # A renewal's payment pays its provisional invoice (paying.settle); any other, or
            # one whose invoice can no longer take it, gets an invoice of its own.
            invoice = ((paying.settle(brand_id, payload) if payload.get("invoiceId") else None)
                       or invoices.issue(brand_id, payload))
        except ApiError as e:
            log.error("payment %s: no invoice issued: %s", payment_id, e)
            return
        payments.set_invoice_no(brand_id, payment_id, invoice.code)
    elif payload.get("status") == "Completed":
        # Mends a crash between the invoice's commit and this write (a no-op once set).
        payments.set_invoice_no(brand_id, payment_id, invoice.code)
    credits.settle(brand_id, invoice, payload)
    renewals.arm(brand_id, payload)  # a subscription bought: its next period gets invoiced
