"""Credit notes: what a payment gives back (refunds, a lost dispute), against its invoice.

The amount to have credited is a fact of the payment as it stands: its refunded total (which
only grows), or all of the invoice once a dispute is lost (the money is gone). A note credits
the difference between that and what the invoice's notes credited so far, in one transaction
with the invoice's ``creditedMinor`` moved on the condition that it still holds the value read,
and the brand's credit-note counter's next number (its own gapless sequence, ``CN-000001``).
So an event delivered again, or events arriving out of order, credit each minor unit once: an
older event asks for less than is credited and writes nothing.

A note's tax part: the tax of the credited total (amounts.credited_tax) less what earlier notes
gave back, so a fully credited invoice's notes give back exactly its tax.
"""

from __future__ import annotations

import logging
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import settings
from chalicelib.identity import service as identity
from chalicelib.invoicing import amounts, invoices, numbering
from chalicelib.invoicing import models as m
from chalicelib.payments import service as payments
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction

log = logging.getLogger("jfw.invoicing")

REFUND, DISPUTE_LOST = "Refund", "DisputeLost"


def target(payload: dict[str, Any], invoice: m.InvoiceItem) -> tuple[int, str]:
    """(what the invoice's notes should have credited in all, why)."""
    total = int(invoice.total_minor)
    if payload.get("status") == "Reserved":
        payment = payments.find_payment(invoice.brand_id, invoice.payment_id)
        if payment is not None and "lost" in (payment.disputes or {}).values():
            return total, DISPUTE_LOST
    return min(total, int(payload.get("refundedMinor") or 0)), REFUND


def settle(brand_id: str, invoice: m.InvoiceItem,
           payload: dict[str, Any]) -> m.CreditNoteItem | None:
    """A credit note for what the payment now gives back beyond the invoice's notes, if any."""
    want, reason = target(payload, invoice)
    if want <= int(invoice.credited_minor or 0):
        return None
    fmt = numbering.format_for(identity.get_brand(brand_id), m.CREDIT_SEQ)
    counter = m.counter_of(m.CREDIT_SEQ, bool(invoice.test_mode))
    status = payload.get("status")
    for attempt in range(invoices.MAX_TRIES):
        if attempt:
            invoice = invoices.get(brand_id, invoice.id)
        before = int(invoice.credited_minor or 0)
        if want <= before:
            return None
        total, tax = int(invoice.total_minor), int(invoice.tax_minor or 0)
        last = numbering.current(brand_id, counter)
        number = last + 1
        now = settings.now()
        note = m.CreditNoteItem(
            invoice.pk, m.note_sk(number), id=ids.new_id(), invoice_id=invoice.id,
            number=number, code=numbering.render(fmt, number), reason=reason,
            currency=invoice.currency, amount_minor=want - before,
            tax_minor=amounts.credited_tax(want, total, tax)
            - amounts.credited_tax(before, total, tax),
            credited_after=want, payment_version=int(payload.get("paymentVersion") or 0),
            created_date=now)
        snapshot = {**(invoice.payment or {}), **({"status": status} if status else {})}
        try:
            with transaction() as tx:
                numbering.take(tx, brand_id, counter, last)
                tx.update(invoice, actions=[m.InvoiceItem.credited_minor.set(want),
                                            m.InvoiceItem.credit_count.add(1),
                                            m.InvoiceItem.payment.set(snapshot),
                                            m.InvoiceItem.modified_date.set(now)],
                          condition=m.InvoiceItem.credited_minor == before)
                tx.save(note, condition=m.CreditNoteItem.pk.does_not_exist())
        except ConditionFailed:
            invoices.pause(attempt)
            continue
        except TransactWriteError as e:
            if not invoices.conflicted(e):
                raise
            invoices.pause(attempt)
            continue
        log.info("invoice %s: credit note %s for %d", invoice.code, note.code, note.amount_minor)
        return note
    raise invoices.Contention(f"invoice {invoice.id}: no credit note number after "
                              f"{invoices.MAX_TRIES} tries")
