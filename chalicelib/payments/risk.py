"""Risk levels of a payment (JFW's Security -> Risk Levels; JFW publishes only the name and the
``Payment.Risk_Mark`` column, so the levels and rules are ours).

A payment's ``riskMark`` is a score from 0 to 100 made of simple signals; its ``riskLevel`` is
``Low`` (below 30), ``Medium`` (30-59) or ``High`` (60 and up). A High payment is ``held``: the
gateway may take the money, but the success event says ``fulfil: false`` until an admin approves
it (``POST v1/payments/{id}/approve``) or refunds it (``POST v1/payments/{id}/refund``).

Signals at checkout (``assess_checkout``), each with its points:
- repeated failures: each Failed payment of the buyer in the last 24 h, 20 (at most 60);
- velocity: payments the buyer started in the last hour before this one: from the brand's
  ``riskVelocityMedium`` (default 3) -> 30, from ``riskVelocityHigh`` (default 6) -> 60, so by
  default a buyer's 7th payment within an hour is High and held (brand settings, 0: no rule);
- black-list proximity: the buyer's e-mail domain is the domain of a blocked address, or their
  IP is in the /24 (/64) of a blocked IP: 30 each (at most 60). A buyer ON the list never gets
  here: checkout refuses them (blacklist.py);
- amount or currency mismatch against the price: the payment's currency is not the price's, or
  its amount is more than the price with the brand's tax: 100.
Signals on a gateway event (``assess_event``; ``mismatches``, which the intake applies): amount,
currency, receiver, gateway or test mode different from our payment: 100.

Reading the buyer's recent payments is one Query of the payments' ``buyer`` index over the last
24 h (status and creation date only): its cost follows the buyer's own payments. (It was the
brand's payment listing filtered to the buyer: under bench/stack.py's soak every checkout read
every payment of the brand's day, and the checkouts fell minutes behind.) Payments made before
the index existed are not in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from chalicelib import money, settings
from chalicelib.identity import service as identity
from chalicelib.payments import models as m
from chalicelib.payments.constants import RISK_LEVELS

LEVELS = RISK_LEVELS
HOLD_LEVEL = "High"
MEDIUM_AT, HIGH_AT = 30, 60
MAX_MARK = 100
FAILURE_POINTS, FAILURE_CAP = 20, 60
PROXIMITY_POINTS, PROXIMITY_CAP = 30, 60


@dataclass(frozen=True)
class Assessment:
    mark: int
    reasons: list[str] = field(default_factory=list)

    @property
    def level(self) -> str:
        return level_for(self.mark)

    @property
    def held(self) -> bool:
        return self.level == HOLD_LEVEL


def level_for(mark: int) -> str:
    if mark >= HIGH_AT:
        return "High"
    if mark >= MEDIUM_AT:
        return "Medium"
    return "Low"


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


def assess_event(payment: Any, event: Any, live_gateway: bool = False) -> tuple[int, list[str]]:
    """``(risk_mark, reasons)`` for a verified gateway event about ``payment``: the payment's
    own mark, raised to 100 when the event is not about our payment (``mismatches``, the checks
    the intake applies: amount, currency, receiver, gateway)."""
    reasons = mismatches(payment, event, live_gateway)
    return (MAX_MARK if reasons else int(payment.risk_mark or 0)), reasons


def mismatches(payment: Any, event: Any, live_gateway: bool) -> list[str]:
    """Why this verified event can't be about this payment (empty when it can)."""
    reasons = []
    if event.receiver_matches is False:
        reasons.append(f"receiver {event.receiver or '-'} is not this gateway's account")
    if payment.gateway_type and payment.gateway_type != event.gateway:
        reasons.append(f"the payment was made through {payment.gateway_type}, not "
                       f"{event.gateway}")
    if event.currency and event.currency != payment.currency:
        reasons.append(f"currency {event.currency} differs from the payment's "
                       f"{payment.currency}")
    elif event.kind in ("payment.succeeded", "payment.pending") and \
            event.amount_minor is not None and event.amount_minor != payment.amount_minor:
        reasons.append(f"amount {event.amount_minor} differs from the payment's "
                       f"{payment.amount_minor} (minor units)")
    elif event.kind == "payment.refunded":
        total = refunded_total(payment, event)
        limit = payment.amount_gross_minor or payment.amount_minor
        if total > limit:
            reasons.append(f"refunds total {total}, more than the {limit} paid (minor units)")
    if live_gateway and event.test_mode:
        reasons.append("a test-mode notification was sent to a live gateway")
    return reasons


def refunded_total(payment: Any, event: Any) -> int:
    if event.refunded_minor is not None:  # Stripe: the charge's running total
        return max(int(payment.refunded_minor or 0), event.refunded_minor)
    return int(payment.refunded_minor or 0) + int(event.amount_minor or 0)
