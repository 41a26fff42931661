"""Invoicing's front door: the one module other contexts (and the outbox consumer, devstack,
bench) import, as ``from chalicelib.invoicing import service as invoicing``.

- an invoice (type Post, status Paid) for every completed payment, numbered in the brand's
  gapless sequence, and credit notes for what the payment gives back: issued by the
  ``payment-event`` subscriber registered here (payment_events.py);
- reading: ``find_for_payment`` (a payment's invoice item), ``read`` (an invoice and its
  credit notes), ``invoice_dto`` (IInvoice) - e.g. for the PDF (pdf.py) and the reports.
"""

from chalicelib.invoicing.invoices import find_for_payment, read
from chalicelib.invoicing.invoices import to_dto as invoice_dto
from chalicelib.invoicing.payment_events import on_payment_event
from chalicelib.payments import service as payments

__all__ = ["find_for_payment", "invoice_dto", "on_payment_event", "read"]

payments.subscribe(on_payment_event)
