"""The checkout's risk signals (payments/risk.py holds the levels and the gateway events' own).

Signals at checkout (``assess_checkout``), each with its points:
- repeated failures: each Failed payment of the buyer in the last 24 h, 20 (at most 60);
- velocity: payments the buyer started in the last hour before this one: from the brand's
  ``riskVelocityMedium`` (default 3) -> 30, from ``riskVelocityHigh`` (default 6) -> 60, so by
  default a buyer's 7th payment within an hour is High and held (brand settings, 0: no rule;
  the defaults are identity's, which is why this is not in risk.py, on the webhook's path);
- black-list proximity: the buyer's e-mail domain is the domain of a blocked address, or their
  IP is in the /24 (/64) of a blocked IP: 30 each (at most 60). A buyer ON the list never gets
  here: checkout refuses them (blacklist.py);
- amount or currency mismatch against the price: the payment's currency is not the price's, or
  its amount is more than the price with the brand's tax: 100.

Reading the buyer's recent payments is one Query of the payments' ``buyer`` index over the last
24 h (status and creation date only): its cost follows the buyer's own payments. (It was the
brand's payment listing filtered to the buyer: under bench/stack.py's soak every checkout read
every payment of the brand's day, and the checkouts fell minutes behind.) Payments made before
the index existed are not in it.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from chalicelib import money, settings
from chalicelib.identity import service as identity
from chalicelib.payments import models as m
from chalicelib.payments.risk import HIGH_AT, MAX_MARK, MEDIUM_AT, Assessment

FAILURE_POINTS, FAILURE_CAP = 20, 60
PROXIMITY_POINTS, PROXIMITY_CAP = 30, 60


def recent_payments(brand_id: str, user_id: str, hours: int = 24) -> list[Any]:
    """The buyer's payments created in the last ``hours`` (one Query, see the module doc)."""
    since = settings.now() - timedelta(hours=hours)
    return list(m.PaymentItem.buyer.query(
        m.buyer_pk(brand_id, user_id), m.PaymentItem.buyer_sk >= m.stamp(since)))


def velocity_thresholds(brand: dict) -> tuple[int, int]:
    """(Medium, High): the brand's ``riskVelocityMedium`` / ``riskVelocityHigh`` (0: no rule)."""
    setting = brand.get("setting") or {}

    def get(name: str) -> int:
        value = setting.get(name)
        if isinstance(value, int) and value >= 0:
            return value
        return identity.DEFAULT_BRAND_SETTING[name]

    return get("riskVelocityMedium"), get("riskVelocityHigh")


def history_signals(payments: list[Any], velocity: tuple[int, int]) -> tuple[int, list[str]]:
    now = settings.now()
    failed = sum(1 for p in payments if p.status == "Failed")
    last_hour = sum(1 for p in payments if p.created_date >= now - timedelta(hours=1))
    medium_at, high_at = velocity
    points, reasons = 0, []
    if failed:
        points += min(FAILURE_CAP, FAILURE_POINTS * failed)
        reasons.append(f"{failed} failed payment(s) in the last 24 h")
    if high_at and last_hour >= high_at:
        points += HIGH_AT
    elif medium_at and last_hour >= medium_at:
        points += MEDIUM_AT
    if (high_at and last_hour >= high_at) or (medium_at and last_hour >= medium_at):
        reasons.append(f"{last_hour} payments started in the last hour")
    return points, reasons


def price_mismatch(amount_minor: int, currency: str, price: dict, tax_percent: Decimal
                   ) -> list[str]:
    if currency != price["currency"]:
        return [f"currency {currency} is not the price's {price['currency']}"]
    ceiling = int(price["amountMinor"]) + money.percent_of(int(price["amountMinor"]),
                                                           tax_percent)
    if amount_minor > ceiling:
        return [f"amount {amount_minor} is more than the price with tax ({ceiling}, minor units)"]
    return []


def assess_checkout(brand: dict, user_id: str, *, amount_minor: int, currency: str,
                    price: dict, tax_percent: Decimal, near_misses: list[str]) -> Assessment:
    points, reasons = history_signals(recent_payments(brand["id"], user_id),
                                      velocity_thresholds(brand))
    if near_misses:
        points += min(PROXIMITY_CAP, PROXIMITY_POINTS * len(near_misses))
        reasons += [f"close to the black list: {m}" for m in near_misses]
    mismatch = price_mismatch(amount_minor, currency, price, tax_percent)
    if mismatch:
        points += MAX_MARK
        reasons += mismatch
    return Assessment(min(MAX_MARK, points), reasons)
