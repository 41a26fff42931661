"""The sales figures as JFW's SDK reads them: ``GET v1/analytics/payments/summary``
{totalPayments, totalSells, totalRevenue, dailySells, dailyRevenue} and
``GET v1/payments/dashboard`` (the same figures: one rule, one source), read from the counters
(counters.py) in two Queries of one partition, however many payments the brand has.

Revenues of different currencies can't be added, so the head figures are those of one
currency: the brand's (setting ``currencyCode``), else the one with the most sells (then the
most payments); ``currencyCode`` says which, and ``byCurrency`` has every currency's figures.
"Daily" is today, UTC, by the payment's date. ``testMode``: only test (true) or live (false)
payments; both when absent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib import money, settings
from chalicelib.reports import models as m
from chalicelib.reports import sales

C = m.SalesCounterItem
FIGURES = ("totalPayments", "totalSells", "totalRevenue", "dailyPayments", "dailySells",
           "dailyRevenue")


def _modes(test_mode: bool | None) -> set[str]:
    if test_mode is None:
        return {sales.LIVE, sales.TEST}
    return {sales.TEST if test_mode else sales.LIVE}


def summary(brand: dict, test_mode: bool | None = None) -> dict[str, Any]:
    modes = _modes(test_mode)
    pk = m.sales_pk(brand["id"])
    per: dict[str, dict[str, int]] = {}

    def add(c: Any, prefix: str) -> None:
        if c.mode not in modes or not c.currency:
            return
        f = per.setdefault(c.currency, dict.fromkeys(FIGURES, 0))
        f[f"{prefix}Payments"] += int(c.payments or 0)
        f[f"{prefix}Sells"] += int(c.sells or 0)
        f[f"{prefix}Revenue"] += int(c.revenue_minor or 0)

    for c in C.query(pk, C.sk.startswith(m.TOTAL_PREFIX)):
        add(c, "total")
    today = settings.now().date().isoformat()
    for c in C.query(pk, C.sk.startswith(m.day_prefix(today))):
        add(c, "daily")
    per = {cur: f for cur, f in per.items() if any(f.values())}
    by_currency = {cur: _shaped(f, cur) for cur, f in sorted(per.items())}
    main = ((brand.get("setting") or {}).get("currencyCode") or "").upper()
    if main not in per and per:
        main = max(sorted(per), key=lambda c: (per[c]["totalSells"], per[c]["totalPayments"]))
    head = by_currency.get(main) or _shaped(dict.fromkeys(FIGURES, 0), main)
    return {**head, "currencyCode": main or None, "byCurrency": by_currency}


def _shaped(f: dict[str, int], currency: str) -> dict[str, Any]:
    def dec(minor: int) -> Decimal:
        return money.to_decimal(minor, currency) if currency else Decimal(0)

    return {"totalPayments": f["totalPayments"], "totalSells": f["totalSells"],
            "totalRevenue": dec(f["totalRevenue"]), "dailyPayments": f["dailyPayments"],
            "dailySells": f["dailySells"], "dailyRevenue": dec(f["dailyRevenue"])}
