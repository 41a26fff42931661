"""The mails an invoice sends its buyer, each once per invoice.

They are outbox rows written in the transaction that issues the invoice (invoices.issue), with
the link they carry (links.py): a payment event delivered again finds the invoice issued and
writes no mail, and a transaction that fails mails nothing.

- ``PAYMENT.INVOICE-EXPORTED.SUCCESS``: an invoice to pay was issued (exported as a document):
  its date, total, due date and the link to its PDF. Only an unpaid invoice: one issued already
  paid would otherwise mail the buyer twice for one purchase.
- ``PAYMENT.RECEIPT-EXPORTED.SUCCESS``: the receipt of a paid invoice: its number, what was
  paid, when and how, and the link to the invoice's PDF (as Stripe mails one receipt).

The link is a bearer secret: the outbox row keeps it only until the mail is sent (``secrets``),
and the sent-mail log shows it redacted.
"""

from __future__ import annotations

from typing import Any

from chalicelib import money, settings
from chalicelib.invoicing import links
from chalicelib.invoicing import models as m
from chalicelib.notify import service as notify

INVOICE_EXPORTED = "PAYMENT.INVOICE-EXPORTED.SUCCESS"
RECEIPT_EXPORTED = "PAYMENT.RECEIPT-EXPORTED.SUCCESS"
EVENTS = (INVOICE_EXPORTED, RECEIPT_EXPORTED)


def _amount(minor: Any, currency: str) -> str:
    return str(money.to_decimal(int(minor or 0), currency))


def context(invoice: m.InvoiceItem, link: str, expires: Any) -> dict[str, Any]:
    user = invoice.user or {}
    pay = invoice.payment or {}
    c = invoice.currency
    return {
        "user": notify.user_vars(username=user.get("username"),
                                 email_address=user.get("emailAddress"),
                                 first_name=user.get("firstName"),
                                 last_name=user.get("lastName"),
                                 nick_name=user.get("nickName")),
        "invoice": {"code": invoice.code, "name": invoice.name, "type": invoice.type,
                    "status": invoice.status, "date": notify.mail_date(invoice.invoice_date),
                    "due_date": notify.mail_date(invoice.due_date),
                    "total": _amount(invoice.total_minor, c),
                    "amount_paid": _amount(invoice.paid_minor, c),
                    "amount_due": _amount(int(invoice.total_minor) - int(invoice.paid_minor), c),
                    "currency_code": c, "link": link,
                    "link_expiry_date": notify.mail_date(expires)},
        "payment": {"code": pay.get("code"), "method": pay.get("paymentType"),
                    "date": notify.mail_date(invoice.invoice_date), "currency_code": c,
                    "amount": _amount(invoice.paid_minor, c)},
    }


def for_issue(invoice: m.InvoiceItem,
              events: tuple[str, ...] = EVENTS) -> tuple[list[Any], list[m.InvoiceLinkItem]]:
    """(outbox rows, link items) to write in the transaction issuing ``invoice``: ``events``
    that apply to it (a receipt when it is Paid, else the invoice), one link for all. Nothing
    without the buyer's address."""
    to = (invoice.user or {}).get("emailAddress")
    events = tuple(e for e in events if (e == RECEIPT_EXPORTED) == (invoice.status == "Paid"))
    if not to or not events:
        return [], []
    item, link = links.new(invoice.brand_id, invoice.id, settings.now())
    ctx = context(invoice, link, item.expires_at)
    return [notify.mail(invoice.brand_id, e, to, ctx, secrets=[link]) for e in events], [item]


def add(tx: Any, rows: list[Any], items: list[m.InvoiceLinkItem]) -> None:
    for item in items:
        tx.save(item, condition=m.InvoiceLinkItem.pk.does_not_exist())
    notify.add(tx, rows)
