"""Issuing invoices for completed payments, and reading them.

An invoice (type Post, status Paid) is issued once per payment: its transaction writes the
invoice, the payment's ``ByPaymentItem`` (only if absent: the event delivered again, or 20
times at once, finds it and issues nothing) and the brand's invoice counter's next number
(numbering.py). A lost race on the counter is retried with the counter read again; a lost race
on the payment's row means another delivery issued it.

The same transaction writes the invoice's mails (mails.py: the invoice and its receipt, with
a link to its PDF), so each is sent once per invoice.

The payment's ``invoiceNo`` is set after the commit by payments' own ``set_invoice_no`` (one
UpdateItem conditioned on the payment existing and having no number yet), on every delivery
of a completed payment's event: a crash between the two writes is mended by the next delivery.
"""

from __future__ import annotations

import logging
import random
import time
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DeleteError, DoesNotExist, TransactWriteError

from chalicelib import money, settings
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import ApiError, Conflict, NotFound
from chalicelib.identity import service as identity
from chalicelib.invoicing import amounts, mails, numbering
from chalicelib.invoicing import models as m
from chalicelib.notify import service as notify
from chalicelib.payments import service as payments
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction

log = logging.getLogger("jfw.invoicing")

# A payment whose money moved: it has (or gets) an invoice.
INVOICED_STATUSES = frozenset({"Completed", "Refunded", "Reserved", "CanceledReversal"})
MAX_TRIES = 200


class Contention(Exception):
    """The counter kept moving under us for ``MAX_TRIES`` tries; the outbox delivers again."""


def pause(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.05, 0.002 * (attempt + 1))))  # noqa: S311 - jitter


def conflicted(e: TransactWriteError) -> bool:
    return any(r is not None and r.code == "TransactionConflict"
               for r in (e.cancellation_reasons or []))


def find_for_payment(brand_id: str, payment_id: str) -> m.InvoiceItem | None:
    try:
        row = m.ByPaymentItem.get(m.by_payment_pk(brand_id, payment_id), m.INVOICE_SK,
                                  consistent_read=True)
    except DoesNotExist:
        return None
    return find(brand_id, row.invoice_id)


def find(brand_id: str, invoice_id: str) -> m.InvoiceItem | None:
    try:
        return m.InvoiceItem.get(m.invoice_pk(brand_id, invoice_id), m.INVOICE_SK,
                                 consistent_read=True)
    except DoesNotExist:
        return None


def get(brand_id: str, invoice_id: str) -> m.InvoiceItem:
    item = find(brand_id, invoice_id) if invoice_id else None
    if item is None:
        raise NotFound(f"Invoice '{invoice_id}' not found.", code="INVOICE_NOT_FOUND")
    return item


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _user_snapshot(brand_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    user_id = payload.get("userId")
    base: dict[str, Any] = {"id": user_id, "emailAddress": payload.get("userEmail")}
    if not user_id:
        return base
    try:
        user = identity.get_user_item(brand_id, user_id)
    except ApiError:
        return base
    return {"id": user.id, "createdDate": _iso(user.created_date), "code": user.code,
            "username": user.username, "firstName": user.first_name,
            "lastName": user.last_name, "nickName": user.nick_name,
            "emailAddress": user.email_address, "packageId": user.package_id}


def _payment_snapshot(payment: Any) -> dict[str, Any]:
    return {"id": payment.id, "createdDate": _iso(payment.created_date), "code": payment.code,
            "name": payment.name, "description": payment.description, "notes": payment.notes,
            "paymentType": payment.payment_type or payment.gateway_type,
            "status": payment.status, "currency": payment.currency,
            "grossMinor": payment.amount_gross_minor, "feeMinor": payment.amount_fee_minor,
            "netMinor": payment.amount_net_minor, "commissionMinor": payment.commission_minor,
            "paymentDate": _iso(payment.payment_date)}


payment_snapshot = _payment_snapshot  # also the snapshot of a renewal's payment (paying.py)


def _names(brand_id: str, payload: dict[str, Any], payment: Any) -> tuple[str, str | None]:
    """(the item's name: package x subscription type, the package's code)."""
    package, subtype = None, None
    try:
        if payload.get("packageId"):
            package = catalog.get_package(brand_id, payload["packageId"])
        if payload.get("subscriptionTypeId"):
            subtype = catalog.get_subscription_type(brand_id, payload["subscriptionTypeId"])
    except ApiError:
        pass
    if package is None:
        return payment.name or "Payment", None
    name = package.get("name") or package.get("code") or "Package"
    if subtype is not None:
        name = f"{name} - {subtype.get('name') or subtype.get('code')}"
    return name, package.get("code")


def _items(figures: amounts.Figures, name: str, currency: str) -> list[dict[str, Any]]:
    if figures.purpose == amounts.TOP_UP:
        shown = money.to_decimal(figures.total, currency)
        name = f"Wallet credit {shown} {currency}"
    return [{"id": ids.new_id(), "name": name, "quantity": figures.quantity,
             "unitMinor": figures.unit_subtotal, "amountMinor": figures.subtotal}]


def issue(brand_id: str, payload: dict[str, Any]) -> m.InvoiceItem:
    """The payment's invoice, issued now unless it was before (see the module docstring)."""
    payment_id = payload["paymentId"]
    payment = payments.get_payment(brand_id, payment_id)
    brand = identity.get_brand(brand_id)
    fmt = numbering.format_for(brand, m.INVOICE_SEQ)
    counter = m.counter_of(m.INVOICE_SEQ, bool(payload.get("testMode")))
    figures = amounts.figures(payload)
    currency = payload.get("currency") or payment.currency
    name, package_code = _names(brand_id, payload, payment)
    user = _user_snapshot(brand_id, payload)
    invoice_id = ids.new_id()
    now = settings.now()
    common = dict(
        id=invoice_id, brand_id=brand_id, type="Post", status="Paid", purpose=figures.purpose,
        name=name, description=payment.description, notes=figures.note,
        user_id=payload.get("userId"), user=user, payment_id=payment_id,
        payment=_payment_snapshot(payment), package_id=payload.get("packageId"),
        package_code=package_code, subscription_type_id=payload.get("subscriptionTypeId"),
        currency=currency, items=_items(figures, name, currency),
        subtotal_minor=figures.subtotal, discount_minor=figures.discount,
        prorate_minor=figures.prorate,
        tax_percent=str(figures.tax_percent) if figures.tax_percent is not None else None,
        tax_minor=figures.tax, total_minor=figures.total, wallet_minor=figures.wallet,
        paid_minor=figures.total, coupon_code=(payload.get("quote") or {}).get("couponCode"),
        invoice_date=payment.payment_date or now, test_mode=bool(payload.get("testMode")),
        gsi1pk=m.invoices_gsi(brand_id), gsi1sk=f"{ids.stamp(now)}#{invoice_id}",
        gsi2pk=m.user_invoices_gsi(brand_id, payload["userId"]) if payload.get("userId")
        else None,
        gsi2sk=f"{ids.stamp(now)}#{invoice_id}" if payload.get("userId") else None,
        created_date=now, modified_date=now)
    for attempt in range(MAX_TRIES):
        last = numbering.current(brand_id, counter)
        number = last + 1
        invoice = m.InvoiceItem(m.invoice_pk(brand_id, invoice_id), m.INVOICE_SK,
                                number=number, code=numbering.render(fmt, number), **common)
        rows, links = mails.for_issue(invoice)
        try:
            with transaction() as tx:
                numbering.take(tx, brand_id, counter, last)
                tx.save(m.ByPaymentItem(m.by_payment_pk(brand_id, payment_id), m.INVOICE_SK,
                                        invoice_id=invoice_id, created_date=now),
                        condition=m.ByPaymentItem.pk.does_not_exist())
                tx.save(invoice, condition=m.InvoiceItem.pk.does_not_exist())
                mails.add(tx, rows, links)
        except ConditionFailed as e:
            if e.failed(1):
                found = find_for_payment(brand_id, payment_id)
                if found is not None:
                    return found
            pause(attempt)
            continue
        except TransactWriteError as e:
            if not conflicted(e):
                raise
            pause(attempt)
            continue
        notify.publish(rows)
        log.info("payment %s: invoice %s issued", payment_id, invoice.code)
        return invoice
    raise Contention(f"payment {payment_id}: no invoice number after {MAX_TRIES} tries")


# -- reading ------------------------------------------------------------------------------------

def notes_of(brand_id: str, invoice_id: str) -> list[m.CreditNoteItem]:
    return list(m.CreditNoteItem.query(m.invoice_pk(brand_id, invoice_id),
                                       m.CreditNoteItem.sk.startswith(m.NOTE_PREFIX)))


def _dec(minor: Any, currency: str) -> Decimal | None:
    return money.to_decimal(int(minor), currency) if minor is not None else None


def user_base(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user.get("id"), "createdDate": user.get("createdDate"),
            "code": user.get("code"), "username": user.get("username"),
            "firstName": user.get("firstName"), "lastName": user.get("lastName"),
            "nickName": user.get("nickName"), "avatar": None,
            "emailAddress": user.get("emailAddress"), "packageId": user.get("packageId"),
            "packageCode": None, "roles": None}


def payment_base(p: dict[str, Any], invoice_code: str | None) -> dict[str, Any]:
    c = p.get("currency") or "USD"
    return {"id": p.get("id"), "createdDate": p.get("createdDate"), "code": p.get("code"),
            "name": p.get("name"), "amountGross": _dec(p.get("grossMinor") or 0, c),
            "amountFee": _dec(p.get("feeMinor") or 0, c),
            "amountNet": _dec(p.get("netMinor") or 0, c),
            "commission": _dec(p.get("commissionMinor"), c), "currencyCode": c,
            "description": p.get("description"), "invoiceNo": invoice_code,
            "paymentType": p.get("paymentType"), "notes": p.get("notes"),
            "status": p.get("status"), "paymentDate": p.get("paymentDate")}


def note_dto(n: m.CreditNoteItem) -> dict[str, Any]:
    c = n.currency
    return {"id": n.id, "createdDate": n.created_date, "code": n.code, "number": int(n.number),
            "reason": n.reason, "amount": _dec(n.amount_minor, c),
            "taxAmount": _dec(n.tax_minor, c), "creditedAfter": _dec(n.credited_after, c),
            "currencyCode": c}


def to_dto(i: m.InvoiceItem, notes: list[m.CreditNoteItem] | None = None) -> dict[str, Any]:
    """IInvoice, and ours: number, purpose, prorateAmount, walletAmount, gatewayAmount,
    couponCode, creditedAmount, isOverdue (a renewal's provisional invoice left unpaid past its
    overdueDate) and (when read one by one) creditNotes."""
    c = i.currency
    tax_percent = Decimal(i.tax_percent) if i.tax_percent else None
    discount_rate = (Decimal(int(i.discount_minor)) / Decimal(int(i.subtotal_minor))
                     if i.discount_minor and i.subtotal_minor else None)
    out = {
        "id": i.id, "createdDate": i.created_date, "modifiedDate": i.modified_date,
        "user": user_base(i.user or {}), "payment": payment_base(i.payment or {}, i.code),
        "packageCode": i.package_code, "packageId": i.package_id, "userAddressId": None,
        "subscriptionTypeId": i.subscription_type_id, "type": i.type, "code": i.code,
        "number": int(i.number) if i.number is not None else None, "purpose": i.purpose,
        "name": i.name,
        "subtotalAmount": _dec(i.subtotal_minor, c),
        "discountRate": round(discount_rate, 6) if discount_rate is not None else None,
        "discountAmount": _dec(i.discount_minor, c), "couponCode": i.coupon_code,
        "prorateAmount": _dec(i.prorate_minor, c),
        "taxRate": tax_percent / 100 if tax_percent is not None else None,
        "taxAmount": _dec(i.tax_minor, c), "totalAmount": _dec(i.total_minor, c),
        "amountPaid": _dec(i.paid_minor, c),
        "amountDue": _dec(int(i.total_minor) - int(i.paid_minor), c),
        "walletAmount": _dec(i.wallet_minor, c),
        "gatewayAmount": _dec(int(i.paid_minor) - int(i.wallet_minor), c),
        "creditedAmount": _dec(i.credited_minor, c), "currencyCode": c,
        "description": i.description, "notes": i.notes, "tags": i.tags,
        "reminderedCount": int(i.reminded_count or 0), "deliveryInstructions": None,
        "confirmedDeliveryDate": None, "invoiceDate": i.invoice_date, "dueDate": i.due_date,
        "overdueDate": i.overdue_date, "billingPeriodStartDate": i.period_start,
        "billingPeriodEndDate": i.period_end, "status": i.status,
        "isOverdue": bool(i.is_overdue),
        "testMode": bool(i.test_mode), "userId": i.user_id, "paymentId": i.payment_id,
        "items": [{"id": it.get("id"), "createdDate": i.created_date, "name": it.get("name"),
                   "quantity": it.get("quantity"), "amount": _dec(it.get("amountMinor"), c),
                   "unitAmount": _dec(it.get("unitMinor"), c), "currencyCode": c}
                  for it in (i.items or [])],
    }
    if notes is not None:
        out["creditNotes"] = [note_dto(n) for n in notes]
    return out


def read(brand_id: str, invoice_id: str) -> tuple[m.InvoiceItem, list[m.CreditNoteItem]]:
    """The invoice and its credit notes, in one Query of its partition."""
    invoice, notes = None, []
    for row in m.InvoicingRecord.query(m.invoice_pk(brand_id, invoice_id or "-"),
                                       consistent_read=True):
        if isinstance(row, m.InvoiceItem):
            invoice = row
        elif isinstance(row, m.CreditNoteItem):
            notes.append(row)
    if invoice is None:
        raise NotFound(f"Invoice '{invoice_id}' not found.", code="INVOICE_NOT_FOUND")
    return invoice, notes


_EXACT = {"type": "type", "status": "status", "code": "code", "packageId": "package_id",
          "subscriptionTypeId": "subscription_type_id", "reminderedCount": "reminded_count"}
_CONTAINS = {"name": "name", "description": "description", "notes": "notes", "tags": "tags"}


def _matches(i: m.InvoiceItem, query: dict[str, Any]) -> bool:
    if query.get("deliveryInstructions") or query.get("confirmedDeliveryDate") is not None:
        return False  # no invoice here is delivered: none has either
    for param, attr in _EXACT.items():
        want = query.get(param)
        if want is not None and str(getattr(i, attr)) != str(want):
            return False
    for param, attr in _CONTAINS.items():
        want = query.get(param)
        if want and str(want).lower() not in str(getattr(i, attr) or "").lower():
            return False
    if query.get("testMode") is not None and bool(query["testMode"]) != bool(i.test_mode):
        return False
    for param, attr in (("invoiceDate", "invoice_date"), ("overdueDate", "overdue_date")):
        want = query.get(param)
        value = getattr(i, attr)
        if want is not None and (value is None or value.date() != want.date()):
            return False
    return True


def list_items(brand_id: str, user_id: str | None, query: dict[str, Any]) -> list[m.InvoiceItem]:
    """A user's invoices (gsi2), or the brand's (gsi1) when ``user_id`` is None: one Query."""
    if user_id:
        rows = m.InvoiceItem.gsi2.query(m.user_invoices_gsi(brand_id, user_id))
    else:
        rows = m.InvoiceItem.gsi1.query(m.invoices_gsi(brand_id))
    return [r for r in rows if isinstance(r, m.InvoiceItem) and _matches(r, query)]


def delete(brand_id: str, invoice_id: str) -> bool:
    """Only an unpaid Provisional invoice goes (it has no number yet, so no number is lost);
    a numbered (Post) or Paid one is a document kept for good: 409."""
    invoice = get(brand_id, invoice_id)
    if invoice.type != "Provisional" or invoice.status != "Unpaid":
        raise Conflict(f"Invoice {invoice.code} is {invoice.status} ({invoice.type}): an issued "
                       "invoice is never deleted. A refund is given as a credit note against it.",
                       code="INVOICE_NOT_DELETABLE")
    try:
        invoice.delete(condition=(m.InvoiceItem.status == "Unpaid")
                       & (m.InvoiceItem.type == "Provisional"))
    except DeleteError as e:  # paid meanwhile: the same answer as above
        if e.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"Invoice {invoice.code} was paid meanwhile: it is never deleted.",
                           code="INVOICE_NOT_DELETABLE") from None
        raise
    return True
