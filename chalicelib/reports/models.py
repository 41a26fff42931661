"""Reports items, all in the ``reports`` table. Every figure is a counter, so a report reads
a handful of items whatever the brand's size.

Access patterns (pk / sk):
- sales counter ......... ``B#<b>#SALES`` / ``TOTAL#<mode>#<currency>`` (all time) and
                          ``DAY#<yyyy-mm-dd>#<mode>#<currency>`` (the payment's day, UTC):
                          payments, sells, revenueMinor; ``mode`` L (live) or T (test). The
                          summary is two Queries of this partition (``TOTAL#``, ``DAY#<today>#``)
- counted payment ....... ``B#<b>#RPAY#<paymentId>`` / ``COUNTED``: what the sales counters hold
                          of the payment and the payment version it came from; changed in the
                          transaction that moves the counters, conditioned on that version, so
                          an event delivered twice or late counts once

Money is integer minor units of the counter's ``currency``.
"""

from __future__ import annotations

from pynamodb.attributes import (
    DiscriminatorAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from chalicelib.store.base import BaseModel, table_meta

Meta = table_meta("reports")

COUNTED_SK = "COUNTED"
TOTAL_PREFIX = "TOTAL#"
DAY_PREFIX = "DAY#"


def sales_pk(brand_id: str) -> str:
    return f"B#{brand_id}#SALES"


def total_sk(mode: str, currency: str) -> str:
    return f"{TOTAL_PREFIX}{mode}#{currency}"


def day_prefix(day: str) -> str:
    return f"{DAY_PREFIX}{day}#"


def day_sk(day: str, mode: str, currency: str) -> str:
    return f"{day_prefix(day)}{mode}#{currency}"


def counted_payment_pk(brand_id: str, payment_id: str) -> str:
    return f"B#{brand_id}#RPAY#{payment_id}"


class ReportsRecord(BaseModel):
    """Base of every reports item; queries of it return the stored subclass."""

    Meta = Meta
    kind = DiscriminatorAttribute()


class SalesCounterItem(ReportsRecord, discriminator="SALES"):
    """Created by the first ADD that reaches it (no put): counters only ever move by deltas."""

    currency = UnicodeAttribute(null=True)
    mode = UnicodeAttribute(null=True)
    day = UnicodeAttribute(null=True)
    payments = NumberAttribute(default=0)
    sells = NumberAttribute(default=0)
    revenue_minor = NumberAttribute(attr_name="revenueMinor", default=0)


class CountedPaymentItem(ReportsRecord, discriminator="RPAY"):
    payment_version = NumberAttribute(attr_name="paymentVersion")
    # What the counters hold of it: {"currency", "mode", "day", "payments", "sells", "revenue"}
    counted = JSONAttribute()
