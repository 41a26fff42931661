"""Invoicing items, all in the ``invoicing`` table.

Access patterns (pk / sk):
- invoice ............... ``B#<b>#INV#<invoiceId>`` / ``INVOICE``: the document as issued
                          (buyer, payment, items, amounts, number) and what its credit notes
                          credited so far (``creditedMinor``, the condition every note is
                          written on); a brand's invoices: gsi1 ``B#<b>#INVOICES`` /
                          ``<created>#<id>``; a user's: gsi2 ``B#<b>#UINV#<userId>`` /
                          ``<created>#<id>``
- credit note ........... ``B#<b>#INV#<invoiceId>`` / ``CN#<number, 12 digits>``: one Query of
                          the invoice's partition returns the invoice and its notes
- one invoice per ....... ``B#<b>#INVPAY#<paymentId>`` / ``INVOICE`` -> invoiceId, written with
  payment                 the invoice only if absent: a payment event delivered twice (or 20
                          times at once) makes one invoice
- number counter ........ ``B#<b>#SEQ#<INV|CN>[#T]`` / ``COUNTER``: the last number given in
                          that sequence (``#T``: test mode's own, so test payments leave no
                          gaps in the live series); raised by one in the transaction that
                          writes the numbered document, on the condition that it still holds
                          the value read, so numbers are gapless, per brand, never given twice
- mailed link ........... ``B#<b>#INVLINK#<sha256 of the token>`` / ``LINK`` -> invoiceId and
                          when it expires: the token a receipt mail carries (links.py), kept
                          only as its hash; written in the invoice's own transaction
- renewal watch ......... ``B#<b>#RENEW#<userId>`` / ``RENEWAL``: the subscription a user bought
                          (package, subscription type, price) whose next period the renewal job
                          invoices; ``expiryInvoiced`` the license end its last provisional
                          invoice was for (the once-guard, moved in the invoice's transaction)
- what is due ........... sparse ``due`` index, duePk ``INVDUE#<n>`` (8 shards), dueSk
                          ``<when>#<R|I>#<b>#<id>``: a renewal watch at its next check (the
                          renewal point: the end less ``invoiceRenewalDays``), a provisional
                          invoice at its next reminder or its overdue date; removed when there
                          is nothing left to do (renewals.py), so the job reads only what is due

Money is integer minor units of the invoice's ``currency``.
"""

from __future__ import annotations

import zlib
from datetime import datetime

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.store import ids, schema
from chalicelib.store.base import BaseModel, DueIndex, Gsi1, table_meta

Meta = table_meta("invoicing")

INVOICE_SK = "INVOICE"
COUNTER_SK = "COUNTER"
NOTE_PREFIX = "CN#"
LINK_SK = "LINK"
INVOICE_SEQ = "INV"
CREDIT_SEQ = "CN"


def invoice_pk(brand_id: str, invoice_id: str) -> str:
    return f"B#{brand_id}#INV#{invoice_id}"


def invoices_gsi(brand_id: str) -> str:
    return f"B#{brand_id}#INVOICES"


def user_invoices_gsi(brand_id: str, user_id: str) -> str:
    return f"B#{brand_id}#UINV#{user_id}"


def by_payment_pk(brand_id: str, payment_id: str) -> str:
    return f"B#{brand_id}#INVPAY#{payment_id}"


def counter_pk(brand_id: str, sequence: str) -> str:
    return f"B#{brand_id}#SEQ#{sequence}"


def counter_of(sequence: str, test_mode: bool) -> str:
    """The counter a document of ``sequence`` takes its number from: test mode counts apart."""
    return f"{sequence}#T" if test_mode else sequence


def link_pk(brand_id: str, token_digest: str) -> str:
    return f"B#{brand_id}#INVLINK#{token_digest}"


def note_sk(number: int) -> str:
    return f"{NOTE_PREFIX}{number:012d}"


RENEWAL_SK = "RENEWAL"
DUE_SHARDS = 8
DUE_PREFIX = "INVDUE#"


def renewal_pk(brand_id: str, user_id: str) -> str:
    return f"B#{brand_id}#RENEW#{user_id}"


def due_shard(key: str) -> str:
    return f"{DUE_PREFIX}{zlib.crc32(key.encode()) % DUE_SHARDS}"


def due_shards() -> list[str]:
    return [f"{DUE_PREFIX}{n}" for n in range(DUE_SHARDS)]


def due_sk(moment: datetime, what: str, brand_id: str, item_id: str) -> str:
    """``what``: R a renewal watch, I an invoice."""
    return f"{ids.stamp(moment)}#{what}#{brand_id}#{item_id}"


class Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = schema.GSI2.name
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True, attr_name=schema.GSI2.hash_key)
    gsi2sk = UnicodeAttribute(range_key=True, attr_name=schema.GSI2.range_key)


class InvoicingRecord(BaseModel):
    Meta = Meta
    kind = DiscriminatorAttribute()
    due_pk = UnicodeAttribute(null=True, attr_name="duePk")
    due_sk = UnicodeAttribute(null=True, attr_name="dueSk")
    due = DueIndex()


class InvoiceItem(InvoicingRecord, discriminator="Invoice"):
    """An invoice. ``user`` and ``payment`` are IUserBase / IPaymentBase as they were when it
    was issued (a document does not change when the buyer renames themselves); ``payment``'s
    status follows the credit notes. ``items``: [{id, name, quantity, unitMinor, amountMinor}]."""

    gsi1 = Gsi1()
    gsi2 = Gsi2()
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    number = NumberAttribute(null=True)  # None while Provisional (no number yet)
    code = UnicodeAttribute()
    type = UnicodeAttribute(default="Post")  # InvoiceType: Provisional | Post
    status = UnicodeAttribute(default="Paid")  # InvoiceStatus: Unpaid | Paid
    purpose = UnicodeAttribute(default="Purchase")  # Purchase | WalletTopUp
    name = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    tags = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute(null=True, attr_name="userId")
    user = JSONAttribute(default=dict)
    payment_id = UnicodeAttribute(null=True, attr_name="paymentId")
    payment = JSONAttribute(default=dict)
    package_id = UnicodeAttribute(null=True, attr_name="packageId")
    package_code = UnicodeAttribute(null=True, attr_name="packageCode")
    subscription_type_id = UnicodeAttribute(null=True, attr_name="subscriptionTypeId")
    currency = UnicodeAttribute()
    items = JSONAttribute(default=list)
    subtotal_minor = NumberAttribute(attr_name="subtotalMinor")
    discount_minor = NumberAttribute(default=0, attr_name="discountMinor")
    prorate_minor = NumberAttribute(default=0, attr_name="prorateMinor")
    tax_percent = UnicodeAttribute(null=True, attr_name="taxPercent")
    tax_minor = NumberAttribute(default=0, attr_name="taxMinor")
    total_minor = NumberAttribute(attr_name="totalMinor")
    wallet_minor = NumberAttribute(default=0, attr_name="walletMinor")
    paid_minor = NumberAttribute(default=0, attr_name="paidMinor")
    coupon_code = UnicodeAttribute(null=True, attr_name="couponCode")
    credited_minor = NumberAttribute(default=0, attr_name="creditedMinor")
    credit_count = NumberAttribute(default=0, attr_name="creditCount")
    reminded_count = NumberAttribute(default=0, attr_name="reminderedCount")
    invoice_date = UTCDateTimeAttribute(null=True, attr_name="invoiceDate")
    due_date = UTCDateTimeAttribute(null=True, attr_name="dueDate")
    overdue_date = UTCDateTimeAttribute(null=True, attr_name="overdueDate")
    period_start = UTCDateTimeAttribute(null=True, attr_name="billingPeriodStartDate")
    period_end = UTCDateTimeAttribute(null=True, attr_name="billingPeriodEndDate")
    test_mode = BooleanAttribute(default=False, attr_name="testMode")
    # A renewal's provisional invoice (renewals.py): the price it renews, the quote its amount
    # came from (a payment of it stores the same), the reminder offsets done, the payment open
    # for it, and whether it went past its overdueDate unpaid (ours: JFW's status is
    # Unpaid/Paid only). ``version`` conditions every change of it.
    price_id = UnicodeAttribute(null=True, attr_name="priceId")
    quote = JSONAttribute(null=True)
    reminded_days = ListAttribute(of=NumberAttribute, null=True, attr_name="remindedDays")
    open_payment_id = UnicodeAttribute(null=True, attr_name="openPaymentId")
    pay_token = UnicodeAttribute(null=True, attr_name="payToken")  # sealed (paying.py)
    charge_tried = BooleanAttribute(default=False, attr_name="chargeTried")
    announced = BooleanAttribute(default=True)  # a renewal's: mailed (or charged) yet?
    is_overdue = BooleanAttribute(default=False, attr_name="isOverdue")
    overdue_marked = UTCDateTimeAttribute(null=True, attr_name="overdueMarkedDate")
    version = NumberAttribute(default=0)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate")


class CreditNoteItem(InvoicingRecord, discriminator="CreditNote"):
    """A credit note against an invoice: ``amount_minor`` credited by it (``tax_minor`` of it is
    tax), ``credited_after`` the invoice's credited total with it."""

    id = UnicodeAttribute()
    invoice_id = UnicodeAttribute(attr_name="invoiceId")
    number = NumberAttribute()
    code = UnicodeAttribute()
    reason = UnicodeAttribute()  # Refund | DisputeLost
    currency = UnicodeAttribute()
    amount_minor = NumberAttribute(attr_name="amountMinor")
    tax_minor = NumberAttribute(default=0, attr_name="taxMinor")
    credited_after = NumberAttribute(attr_name="creditedAfter")
    payment_version = NumberAttribute(default=0, attr_name="paymentVersion")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class ByPaymentItem(InvoicingRecord, discriminator="ByPayment"):
    invoice_id = UnicodeAttribute(attr_name="invoiceId")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class CounterItem(InvoicingRecord, discriminator="Counter"):
    value = NumberAttribute(default=0)
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate")


class InvoiceLinkItem(InvoicingRecord, discriminator="InvoiceLink"):
    """A mailed link to an invoice's PDF: the token's hash is its key, so the item can't be
    turned back into a link."""

    invoice_id = UnicodeAttribute(attr_name="invoiceId")
    expires_at = UTCDateTimeAttribute(attr_name="expiresAt")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class RenewalItem(InvoicingRecord, discriminator="Renewal"):
    """A user's subscription the renewal job follows (one per brand x user, as licensing's
    SUBSCRIPTION): armed by each completed purchase of a subscription price, checked against
    licensing's subscription when due (renewals.py)."""

    brand_id = UnicodeAttribute(attr_name="brandId")
    user_id = UnicodeAttribute(attr_name="userId")
    package_id = UnicodeAttribute(attr_name="packageId")
    subscription_type_id = UnicodeAttribute(attr_name="subscriptionTypeId")
    price_id = UnicodeAttribute(null=True, attr_name="priceId")
    currency = UnicodeAttribute()
    test_mode = BooleanAttribute(default=False, attr_name="testMode")
    payment_id = UnicodeAttribute(null=True, attr_name="paymentId")
    paid_date = UTCDateTimeAttribute(null=True, attr_name="paidDate")
    expiry_invoiced = UTCDateTimeAttribute(null=True, attr_name="expiryInvoiced")
    invoice_id = UnicodeAttribute(null=True, attr_name="invoiceId")
    version = NumberAttribute(default=1)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate")
