"""Paying a provisional invoice, and what its payment does to it.

- ``checkout``: the buyer pays the invoice through payments' one checkout (black list, gateway,
  risk, the gateway's side) or wholly from a wallet; the payment is for exactly the invoice's
  total, stores the invoice's quote (its ``duration``: the period renewed) and carries the
  invoice's id (PaymentItem ``invoice_id``, the payment event's ``invoiceId``). A payment still
  open for the invoice (Created) is answered again rather than a second one made, so a buyer
  clicking twice is not charged twice.
- The pay link in the mails: ``GET /api/invoices/{id}/pay?brandId=..&token=..`` opens the
  checkout (302 to the gateway's page) without a login. The token is random (32 bytes),
  sealed on the invoice (store/secrets.py), compared in constant time, good for that one
  invoice only, and stops working when the invoice is paid, deleted or overdue.
- ``settle``: the payment completed (payment_events.py): in ONE transaction the invoice becomes
  the period's Post invoice, Paid, with the brand's next number (numbering.py; conditioned on
  the counter and on the invoice still Unpaid at the version read), with the payment's
  ``ByPaymentItem`` (a redelivered event finds it and writes nothing). Licensing extends the
  license from its end (a renewal is applied to the buyer, fulfilment.py; in the grace period
  from the old end too, subscriptions.plan_apply). A payment for an invoice that is no longer
  payable (paid by another payment, deleted) gets a Post invoice of its own, as any payment.
"""

from __future__ import annotations

import hmac
import logging
import secrets as pysecrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pynamodb.exceptions import TransactWriteError, UpdateError

from chalicelib import settings
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import ApiError, Conflict, NotFound
from chalicelib.identity import service as identity
from chalicelib.invoicing import amounts, invoices, mails, numbering
from chalicelib.invoicing import models as m
from chalicelib.notify import service as notify
from chalicelib.payments import service as payments
from chalicelib.store import ids
from chalicelib.store import secrets as sealed
from chalicelib.store.tx import ConditionFailed, transaction
from chalicelib.wallet import service as wallet

log = logging.getLogger("jfw.invoicing")

I = m.InvoiceItem  # noqa: E741
RENEWAL = "Renewal"  # the stored quote's purpose


class InvoiceNotPayable(Conflict):
    code = "INVOICE_NOT_PAYABLE"


class LinkGone(ApiError):
    status, code = 410, "INVOICE_LINK_GONE"


# -- the pay link ---------------------------------------------------------------------------------

def _context(invoice_id: str) -> str:
    return f"invoicing:invoice:{invoice_id}:payToken"


def new_pay_token(invoice_id: str) -> tuple[str, str]:
    """(the token for the link, its sealed form stored on the invoice)."""
    token = pysecrets.token_urlsafe(32)
    return token, sealed.encrypt(token, _context(invoice_id))


def open_token(invoice: m.InvoiceItem) -> str | None:
    if not invoice.pay_token:
        return None
    return sealed.decrypt(invoice.pay_token, _context(invoice.id))


def pay_link(invoice: m.InvoiceItem, token: str) -> str:
    query = urlencode({"brandId": invoice.brand_id, "token": token})
    return f"{settings.get().base_url}/api/invoices/{invoice.id}/pay?{query}"


def payable(invoice: m.InvoiceItem) -> None:
    if invoice.type != "Provisional" or invoice.status != "Unpaid":
        raise InvoiceNotPayable(f"Invoice {invoice.code} is {invoice.status} ({invoice.type}): "
                                "only an unpaid provisional invoice is paid this way.")
    if invoice.is_overdue:
        raise InvoiceNotPayable(f"Invoice {invoice.code} is overdue: the subscription it "
                                "renewed has ended. Buy the package again instead.")


@dataclass(frozen=True)
class _Buyer:
    """The invoice's buyer, as payments' checkout asks for a caller: the link's token stands for
    their login for this one invoice."""

    brand_id: str
    user_id: str


def by_link(brand_id: str, invoice_id: str, token: str) -> str:
    """The checkout URL the pay link opens (a 410 when the link no longer works)."""
    invoice = invoices.find(brand_id, invoice_id) if brand_id and invoice_id else None
    stored = open_token(invoice) if invoice is not None else None
    if stored is None or not hmac.compare_digest(stored.encode(), (token or "").encode()):
        raise NotFound("This link is not valid.", code="INVOICE_LINK_INVALID")
    try:
        payable(invoice)
    except InvoiceNotPayable as e:
        raise LinkGone(e.message) from None
    reply = checkout(identity.get_brand(brand_id), _Buyer(brand_id, invoice.user_id or ""),
                     invoice_id)
    if not reply["checkoutLink"]:
        raise LinkGone("This invoice is paid.")
    return reply["checkoutLink"]


# -- checkout -------------------------------------------------------------------------------------

def order_for(brand: dict, invoice: m.InvoiceItem) -> Any:
    """The ``payments.Order`` of the invoice: its amount, quote and buyer-facing name, with the
    invoice's id on the payment (also what an off-session charge of it is made with)."""
    quote = {k: v for k, v in (invoice.quote or {}).items()
             if k not in ("totalMinor", "gatewayMinor", "walletMinor", "priceAmountMinor")}
    price = {"id": invoice.price_id, "packageId": invoice.package_id,
             "subscriptionTypeId": invoice.subscription_type_id,
             "amountMinor": int((invoice.quote or {}).get("priceAmountMinor")
                                or invoice.subtotal_minor),
             "description": invoice.description, "currency": invoice.currency,
             "name": invoice.name}
    coupon = None
    if invoice.coupon_code:
        try:
            coupon = catalog.find_coupon(brand["id"], invoice.coupon_code)
        except ApiError:
            coupon = None
    return payments.Order(
        price=price, quote=quote, amount=int(invoice.total_minor), currency=invoice.currency,
        name=f"{invoice.name} (renewal)", nothing_to_pay="Nothing to pay on this invoice.",
        snapshot={"purpose": RENEWAL, "invoiceId": invoice.id},
        fields={"invoice_id": invoice.id, "coupon_id": coupon.id if coupon else None,
                "coupon_code": invoice.coupon_code})


def checkout(brand: dict, caller: Any, invoice_id: str, *, app_integration_id: str | None = None,
             wallet_id: str | None = None, headers: dict[str, str] | None = None,
             source_ip: str | None = None, return_link: str | None = None,
             cancel_link: str | None = None) -> dict[str, Any]:
    """Pay the caller's own provisional invoice: {checkoutLink (None when a wallet paid it
    all), paymentId, status}."""
    brand_id = brand["id"]
    invoice = invoices.find(brand_id, invoice_id) if invoice_id else None
    if invoice is None or caller is None or invoice.user_id != caller.user_id:
        raise NotFound(f"Invoice '{invoice_id}' not found.", code="INVOICE_NOT_FOUND")
    payable(invoice)
    if invoice.open_payment_id and not wallet_id:
        open_ = payments.find_payment(brand_id, invoice.open_payment_id)
        if (open_ is not None and open_.status == "Created" and open_.checkout_url
                and app_integration_id in (None, open_.gateway_id, open_.gateway_type)):
            return {"checkoutLink": open_.checkout_url, "paymentId": open_.id,
                    "status": open_.status}
    funds = wallet.Funds(brand_id, wallet_id, whole=True) if wallet_id else None
    payment, url = payments.checkout(
        brand, caller, lambda user, gateway: order_for(brand, invoice),
        app_integration_id=app_integration_id, headers=headers, source_ip=source_ip,
        return_link=return_link, cancel_link=cancel_link, funds=funds)
    try:
        invoice.update(actions=[I.open_payment_id.set(payment.id),
                                I.modified_date.set(settings.now())],
                       condition=(I.status == "Unpaid"))
    except UpdateError:
        pass  # paid meanwhile (a wallet's payment completes at once): nothing left open
    return {"checkoutLink": url, "paymentId": payment.id, "status": payment.status}


# -- the payment completed ------------------------------------------------------------------------

def _as_paid(invoice: m.InvoiceItem, *, number: int, code: str, payment_id: str,
             payment: dict[str, Any], figures: Any, invoice_date: Any) -> m.InvoiceItem:
    """A copy of ``invoice`` as ``settle`` leaves it (what its receipt mail says)."""
    view = m.InvoiceItem.from_raw_data(invoice.serialize(null_check=False))
    view.type, view.status, view.number, view.code = "Post", "Paid", number, code
    view.payment_id, view.payment, view.invoice_date = payment_id, payment, invoice_date
    view.total_minor, view.paid_minor = figures.total, figures.total
    view.wallet_minor = figures.wallet
    return view


def settle(brand_id: str, payload: dict[str, Any]) -> m.InvoiceItem | None:
    """The provisional invoice the payment paid, now Post/Paid with its number; None when the
    invoice is no longer payable by it (the caller issues the payment its own invoice)."""
    payment_id = payload["paymentId"]
    done = invoices.find_for_payment(brand_id, payment_id)
    if done is not None:
        return done
    invoice = invoices.find(brand_id, payload.get("invoiceId") or "")
    payment = payments.get_payment(brand_id, payment_id)
    fmt = numbering.format_for(identity.get_brand(brand_id), m.INVOICE_SEQ)
    counter = m.counter_of(m.INVOICE_SEQ, bool(payload.get("testMode")))
    figures = amounts.figures(payload)
    for attempt in range(invoices.MAX_TRIES):
        if (invoice is None or invoice.type != "Provisional" or invoice.status != "Unpaid"
                or invoice.user_id != payload.get("userId")
                or invoice.currency != payload.get("currency")):
            return None
        now = settings.now()
        last = numbering.current(brand_id, counter)
        number = last + 1
        code = numbering.render(fmt, number)
        snapshot = invoices.payment_snapshot(payment)
        paid_date = payment.payment_date or now
        # The receipt (PAYMENT.RECEIPT-EXPORTED.SUCCESS, with the invoice's link) of the Post
        # invoice it becomes, in the same transaction: once per invoice, as invoices.issue.
        rows, links = mails.for_issue(_as_paid(invoice, number=number, code=code,
                                               payment_id=payment_id, payment=snapshot,
                                               figures=figures, invoice_date=paid_date))
        try:
            with transaction() as tx:
                numbering.take(tx, brand_id, counter, last)
                tx.save(m.ByPaymentItem(m.by_payment_pk(brand_id, payment_id), m.INVOICE_SK,
                                        invoice_id=invoice.id, created_date=now),
                        condition=m.ByPaymentItem.pk.does_not_exist())
                tx.update(invoice, actions=[
                    I.type.set("Post"), I.status.set("Paid"), I.number.set(number),
                    I.code.set(code), I.payment_id.set(payment_id), I.payment.set(snapshot),
                    I.items.set([{"id": ids.new_id(), "name": invoice.name,
                                  "quantity": figures.quantity,
                                  "unitMinor": figures.unit_subtotal,
                                  "amountMinor": figures.subtotal}]),
                    I.subtotal_minor.set(figures.subtotal), I.discount_minor.set(figures.discount),
                    I.prorate_minor.set(figures.prorate), I.tax_minor.set(figures.tax),
                    I.total_minor.set(figures.total), I.wallet_minor.set(figures.wallet),
                    I.paid_minor.set(figures.total), I.notes.set(figures.note)
                    if figures.note else I.notes.remove(),
                    I.invoice_date.set(paid_date),
                    I.test_mode.set(bool(payload.get("testMode"))),
                    I.due_pk.remove(), I.due_sk.remove(), I.pay_token.remove(),
                    I.version.set(int(invoice.version or 0) + 1), I.modified_date.set(now)],
                    condition=(I.version == invoice.version) & (I.status == "Unpaid"))
                mails.add(tx, rows, links)
        except ConditionFailed as e:
            if e.failed(1):
                found = invoices.find_for_payment(brand_id, payment_id)
                if found is not None:
                    return found
            invoices.pause(attempt)
            invoice = invoices.find(brand_id, invoice.id)
            continue
        except TransactWriteError as e:
            if not invoices.conflicted(e):
                raise
            invoices.pause(attempt)
            continue
        notify.publish(rows)
        log.info("payment %s paid provisional invoice %s: now %s", payment_id, invoice.id, code)
        return invoices.find(brand_id, invoice.id)
    raise invoices.Contention(f"payment {payment_id}: no invoice number after "
                              f"{invoices.MAX_TRIES} tries")
