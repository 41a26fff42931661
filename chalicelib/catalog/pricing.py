"""The pricing rules of a quote, as pure functions on integer minor units (no I/O).

Rounding, the one rule used everywhere: every step is computed on integer minor units and
rounded half-up to the minor unit, in this order:

1. discount  = ``percent_of(subtotal, percentage)`` for a percent coupon, or
               ``min(amountOff, subtotal)`` for a fixed-amount coupon;
2. proration = ``currentPrice * remaining / duration`` (half-up), at most ``subtotal - discount``;
3. tax       = ``percent_of(subtotal - discount - proration, taxRate)``;
4. total     = ``max(0, subtotal - discount - proration + tax)``.

Because the rule works on minor units, it is the same in every currency; only the exponent used
to show the result differs (JPY 0, USD 2, KWD 3 decimals). Discounts apply before tax, as
Stripe and Lago do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chalicelib import money

ZERO = Decimal(0)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Quote:
    """What a buyer pays, in minor units of one currency."""

    subtotal: int
    discount: int
    prorate: int
    tax_percent: Decimal
    tax: int
    wallet_used: int = 0
    refund_wallet: int = 0

    @property
    def taxable(self) -> int:
        return self.subtotal - self.discount - self.prorate

    @property
    def total(self) -> int:
        return max(0, self.taxable + self.tax - self.wallet_used)


def discount_for(subtotal: int, *, percentage: Decimal | None = None,
                 amount_off: int | None = None) -> int:
    """The coupon discount: a percent of the subtotal (half-up) or a fixed amount, never more
    than the subtotal and never negative."""
    _check_subtotal(subtotal)
    if percentage is not None and amount_off is not None:
        raise ValueError("a coupon has either a percentage or an amount off, not both")
    if percentage is not None:
        if not ZERO < percentage <= HUNDRED:
            raise ValueError("percentage must be > 0 and <= 100")
        return min(subtotal, money.percent_of(subtotal, percentage))
    if amount_off is not None:
        if amount_off < 0:
            raise ValueError("amount_off must not be negative")
        return min(subtotal, amount_off)
    return 0


def prorate_credit(current_price: int, remaining_seconds: int, duration_seconds: int,
                   cap: int) -> int:
    """Credit for the unused part of the current subscription: ``current_price * remaining /
    duration`` rounded half-up to the minor unit, between 0 and ``cap``."""
    if current_price <= 0 or remaining_seconds <= 0 or duration_seconds <= 0 or cap <= 0:
        return 0
    # Half-up on exact integers: floor((2 * a * r + d) / (2 * d)).
    credit = (2 * current_price * remaining_seconds + duration_seconds) // (2 * duration_seconds)
    return min(cap, credit)


def tax_for(taxable: int, rate: Decimal) -> int:
    """Tax on the amount after discount and proration, half-up to the minor unit."""
    if rate < ZERO or rate > HUNDRED:
        raise ValueError("tax rate must be between 0 and 100")
    if taxable <= 0 or rate == ZERO:
        return 0
    return money.percent_of(taxable, rate)


def quote(subtotal: int, *, percentage: Decimal | None = None, amount_off: int | None = None,
          current_price: int = 0, remaining_seconds: int = 0, duration_seconds: int = 0,
          tax_rate: Decimal = ZERO) -> Quote:
    """A whole quote, in the order discount -> proration -> tax (see the module docstring)."""
    discount = discount_for(subtotal, percentage=percentage, amount_off=amount_off)
    prorate = prorate_credit(current_price, remaining_seconds, duration_seconds,
                             cap=subtotal - discount)
    tax = tax_for(subtotal - discount - prorate, tax_rate)
    return Quote(subtotal=subtotal, discount=discount, prorate=prorate, tax_percent=tax_rate,
                 tax=tax)


def best_discount(subtotal: int, offers: Iterable[tuple[str, Decimal | None, int | None]]
                  ) -> tuple[str, int] | None:
    """Among ``(key, percentage, amount_off)`` offers, the one giving the largest discount on
    ``subtotal``; ties go to the smallest key, so the same inputs always pick the same offer."""
    best: tuple[int, str] | None = None
    for key, percentage, amount_off in offers:
        d = discount_for(subtotal, percentage=percentage, amount_off=amount_off)
        if best is None or d > best[0] or (d == best[0] and key < best[1]):
            best = (d, key)
    return None if best is None else (best[1], best[0])


def to_wire(q: Quote, currency: str) -> dict[str, Any]:
    """The JFW reply of calculate-total-price-checkout, as decimals in ``currency``."""
    dec = money.to_decimal
    return {
        "subtotal": dec(q.subtotal, currency),
        "discount": dec(q.discount, currency),
        "prorateAmount": dec(q.prorate, currency),
        "walletUsed": dec(q.wallet_used, currency),
        "refundAmountWallet": dec(q.refund_wallet, currency),
        "tax": {"percent": q.tax_percent, "amount": dec(q.tax, currency)},
        "total": dec(q.total, currency),
        "currency": currency,
    }


def _check_subtotal(subtotal: int) -> None:
    if subtotal < 0:
        raise ValueError("subtotal must not be negative")
