"""``GET v1/licenses/statistics/monthly``: the licenses of one month (UTC), day by day, per
package x subscription type x currency, as JFW's SDK reads them (ILicenseStatisticsReportSummary),
from the license counters (license_counts.py): ONE Query of the month's partition, however many
licenses the brand has.

- ``days``: every day of the month (up to today in the current month), ``items`` null on a day
  with no license. An item groups the licenses created that day of one package, subscription
  type and currency (amounts of different currencies are never added): ``totalLicenses``,
  ``totalAmount`` (their amounts), ``usedLicenses`` (status Used) and ``unusedLicenses`` (the
  rest), the amounts by type (``totalNormalAmount``: Normal; ``totalRefundAmount``: Refunded,
  i.e. taken back by a refund or a lost dispute; ``totalPostpaidAmount``: Postpaid;
  ``totalMailDeliveryAmount``: MailDelivery), and the counts by status as they are now
  (``notStartedLicenses``, ``inactiveLicenses``, ``activeLicenses``, ``expiredLicenses``).
- ``totalLicenses``: the month's licenses; ``totalLimit``: the same (a brand has no quota of
  licenses here: every license made is one that may be used); ``totalRemaining``: those still
  available to apply (NotStarted or Active, not used).
- Filters: ``packageId``, ``subscriptionTypeId``, ``type``, ``status`` (JFW's); ours: ``month``
  (``yyyy-MM``, default the current month) and ``testMode`` (only test or live licenses; both
  when absent).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from chalicelib import money, settings
from chalicelib.http.errors import BadRequest
from chalicelib.licensing import service as licensing
from chalicelib.reports import models as m

C = m.LicenseCounterItem
AMOUNT_BY_TYPE = {"Normal": "totalNormalAmount", "Refunded": "totalRefundAmount",
                  "Postpaid": "totalPostpaidAmount", "MailDelivery": "totalMailDeliveryAmount"}
COUNT_BY_STATUS = {"NotStarted": "notStartedLicenses", "Inactive": "inactiveLicenses",
                   "Active": "activeLicenses", "Expired": "expiredLicenses"}
AVAILABLE = ("NotStarted", "Active")


def month_of(query: dict[str, Any]) -> tuple[int, int]:
    raw = query.get("month")
    if not raw:
        today = settings.now().date()
        return today.year, today.month
    try:
        year, month = (int(x) for x in str(raw).split("-"))
        date(year, month, 1)
    except ValueError:
        raise BadRequest("month must be yyyy-MM, e.g. 2026-12.", field="month") from None
    return year, month


def _check(query: dict[str, Any]) -> None:
    for name, allowed in (("type", licensing.LICENSE_TYPES),
                          ("status", licensing.LICENSE_STATUSES)):
        if query.get(name) and query[name] not in allowed:
            raise BadRequest(f"{name} must be one of {', '.join(allowed)}.", field=name)


def statistics(brand_id: str, query: dict[str, Any]) -> dict[str, Any]:
    _check(query)
    year, month = month_of(query)
    modes = {None: {"L", "T"}, True: {"T"}, False: {"L"}}[query.get("testMode")]
    wanted = {attr: query[key] for key, attr in (
        ("packageId", "package_id"), ("subscriptionTypeId", "subscription_type_id"),
        ("type", "type"), ("status", "status")) if query.get(key)}
    groups: dict[str, dict[tuple, dict[str, Any]]] = defaultdict(dict)
    totals = {"licenses": 0, "available": 0}
    for c in C.query(m.license_month_pk(brand_id, f"{year:04d}-{month:02d}")):
        n = int(c.licenses or 0)
        if not n and not int(c.amount_minor or 0):
            continue
        if c.mode not in modes or any(getattr(c, a) != v for a, v in wanted.items()):
            continue
        key = (c.package_id, c.subscription_type_id, c.currency)
        item = groups[c.day].setdefault(key, _empty(*key))
        amount = int(c.amount_minor or 0)
        item["totalLicenses"] += n
        item["totalAmount"] += amount
        item["usedLicenses" if c.status == "Used" else "unusedLicenses"] += n
        if c.type in AMOUNT_BY_TYPE:
            item[AMOUNT_BY_TYPE[c.type]] += amount
        if c.status in COUNT_BY_STATUS:
            item[COUNT_BY_STATUS[c.status]] += n
        totals["licenses"] += n
        totals["available"] += n if c.status in AVAILABLE else 0
    return {"totalRemaining": totals["available"], "totalLimit": totals["licenses"],
            "totalLicenses": totals["licenses"], "days": _days(year, month, groups)}


def _empty(package_id: str | None, subtype_id: str | None, currency: str | None
           ) -> dict[str, Any]:
    return {"packageId": package_id, "subscriptionTypeId": subtype_id, "totalLicenses": 0,
            "totalAmount": 0, "currency": currency, "usedLicenses": 0, "unusedLicenses": 0,
            **dict.fromkeys(AMOUNT_BY_TYPE.values(), 0),
            **dict.fromkeys(COUNT_BY_STATUS.values(), 0)}


def _days(year: int, month: int, groups: dict[str, dict[tuple, dict[str, Any]]]
          ) -> list[dict[str, Any]]:
    today = settings.now().date()
    last = calendar.monthrange(year, month)[1]
    if (year, month) == (today.year, today.month):
        last = today.day
    elif (year, month) > (today.year, today.month):
        last = 0
    days = []
    for d in range(1, last + 1):
        items = [_money(i) for _, i in sorted(groups.get(f"{d:02d}", {}).items(),
                                              key=lambda kv: tuple(x or "" for x in kv[0]))]
        days.append({"date": datetime(year, month, d, tzinfo=UTC), "items": items or None})
    return days


def _money(item: dict[str, Any]) -> dict[str, Any]:
    cur = item["currency"]
    for key in ("totalAmount", *AMOUNT_BY_TYPE.values()):
        item[key] = money.to_decimal(item[key], cur)
    return item
