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
- license counter ....... ``B#<b>#LICSTAT#<yyyy-mm>`` / ``<dd>#<packageId>#<subtypeId>#<cur>#
                          <mode>#<type>#<status>``: the licenses created that day (UTC) of that
                          group as they stand now (``licenses``, ``amountMinor``); a month's
                          statistics are one Query of its partition
- counted license ....... ``B#<b>#RLIC#<licenseId>`` / ``COUNTED``: the counter that holds the
                          license, the license version it came from and ``rev`` (every write's
                          condition); sparse ``due`` index while its status will change with
                          time alone (NotStarted at startDate, Active at endDate): duePk
                          ``RPTDUE#<n>``, dueSk ``<when>#<b>#<licenseId>``

Money is integer minor units of the counter's ``currency``.
"""

from __future__ import annotations

import zlib
from datetime import datetime

from pynamodb.attributes import (
    DiscriminatorAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from chalicelib.store.base import BaseModel, DueIndex, table_meta
from chalicelib.store.ids import stamp

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


LICENSE_DUE_SHARDS = 4
LICENSE_DUE_PREFIX = "RPTDUE#"


def counted_payment_pk(brand_id: str, payment_id: str) -> str:
    return f"B#{brand_id}#RPAY#{payment_id}"


def license_month_pk(brand_id: str, month: str) -> str:
    return f"B#{brand_id}#LICSTAT#{month}"


def license_bucket_sk(day: str, package_id: str, subtype_id: str | None, currency: str,
                      mode: str, type_: str, status: str) -> str:
    return f"{day}#{package_id}#{subtype_id or '-'}#{currency}#{mode}#{type_}#{status}"


def counted_license_pk(brand_id: str, license_id: str) -> str:
    return f"B#{brand_id}#RLIC#{license_id}"


def license_due_shard(license_id: str) -> str:
    return f"{LICENSE_DUE_PREFIX}{zlib.crc32(license_id.encode()) % LICENSE_DUE_SHARDS}"


def license_due_shards() -> list[str]:
    return [f"{LICENSE_DUE_PREFIX}{n}" for n in range(LICENSE_DUE_SHARDS)]


def license_due_sk(moment: datetime, brand_id: str, license_id: str) -> str:
    return f"{stamp(moment)}#{brand_id}#{license_id}"


class ReportsRecord(BaseModel):
    """Base of every reports item; queries of it return the stored subclass."""

    Meta = Meta
    kind = DiscriminatorAttribute()
    due_pk = UnicodeAttribute(attr_name="duePk", null=True)
    due_sk = UnicodeAttribute(attr_name="dueSk", null=True)
    due = DueIndex()


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


class LicenseCounterItem(ReportsRecord, discriminator="LICSTAT"):
    """Created by the first ADD that reaches it (no put), like the sales counters."""

    day = UnicodeAttribute(null=True)
    package_id = UnicodeAttribute(attr_name="packageId", null=True)
    subscription_type_id = UnicodeAttribute(attr_name="subscriptionTypeId", null=True)
    currency = UnicodeAttribute(null=True)
    mode = UnicodeAttribute(null=True)
    type = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    licenses = NumberAttribute(default=0)
    amount_minor = NumberAttribute(attr_name="amountMinor", default=0)


class CountedLicenseItem(ReportsRecord, discriminator="RLIC"):
    license_version = NumberAttribute(attr_name="licenseVersion")
    rev = NumberAttribute(default=1)
    # The counter holding it: {"month", "sk", "status", "amount"} plus the sk's parts; None
    # when it counts nowhere (deleted).
    counted = JSONAttribute(null=True)
