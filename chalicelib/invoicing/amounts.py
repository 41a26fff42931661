"""What an invoice says, from the payment's stored quote (pure, integer minor units).

A quote (catalog/quotes.py, kept on the payment) is per unit: ``subtotal``, ``discount``
(the coupon's), ``prorateAmount`` (the upgrade credit), ``tax`` {percent, amount} and ``total``
= subtotal - discount - proration + tax, already rounded to the minor unit by the catalog's one
rule (catalog/pricing.py). A licence purchase buys ``quantity`` units at that quote, so every
figure is the unit's times the quantity: nothing is rounded twice and the sum stays exact.

The invoice's total is what was paid: the gateway's gross plus the wallet's part (all of it
when the wallet paid alone). When the quote's figures don't add up to that (the gateway took
another amount: a mismatch payments flags), the invoice shows one line of what was paid, no
tax split, and says why, rather than figures that don't add up.

A wallet top-up sells credit: one line, no tax (tax is charged on the invoice of what the
credit later buys, so it is never charged twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib import money

TOP_UP = "WalletTopUp"


@dataclass(frozen=True)
class Figures:
    quantity: int
    unit_subtotal: int
    subtotal: int
    discount: int
    prorate: int
    tax_percent: Decimal | None
    tax: int
    total: int
    wallet: int
    purpose: str = "Purchase"
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def gateway(self) -> int:
        return self.total - self.wallet


def _minor(value: Any, currency: str) -> int:
    if value in (None, ""):
        return 0
    return money.to_minor(Decimal(str(value)), currency)


def _percent(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def paid(payload: dict[str, Any]) -> tuple[int, int]:
    """``(total paid, wallet part)`` of a completed payment, in minor units."""
    quote = payload.get("quote") or {}
    wallet = int(quote.get("walletMinor") or payload.get("walletMinor") or 0)
    if "gatewayMinor" in quote:
        gateway_asked = int(quote.get("gatewayMinor") or 0)
    else:
        gateway_asked = int(payload.get("amountMinor") or 0)
    if gateway_asked == 0:
        return wallet, wallet  # the wallet paid alone
    gross = payload.get("amountGrossMinor")
    gateway = int(gross) if gross is not None else gateway_asked
    return gateway + wallet, wallet


def figures(payload: dict[str, Any]) -> Figures:
    """The invoice's figures for a completed payment (see the module docstring)."""
    currency = payload.get("currency") or "USD"
    quote = payload.get("quote") or {}
    total, wallet = paid(payload)
    if payload.get("paymentType") == TOP_UP or quote.get("purpose") == TOP_UP:
        return Figures(quantity=1, unit_subtotal=total, subtotal=total, discount=0, prorate=0,
                       tax_percent=None, tax=0, total=total, wallet=wallet, purpose=TOP_UP)
    quantity = max(1, int(quote.get("quantity") or 1))
    unit = _minor(quote.get("subtotal"), currency)
    discount = _minor(quote.get("discount"), currency) * quantity
    prorate = _minor(quote.get("prorateAmount"), currency) * quantity
    tax_info = quote.get("tax") or {}
    tax = _minor(tax_info.get("amount"), currency) * quantity
    subtotal = unit * quantity
    if "subtotal" in quote and subtotal - discount - prorate + tax == total:
        return Figures(quantity=quantity, unit_subtotal=unit, subtotal=subtotal,
                       discount=discount, prorate=prorate,
                       tax_percent=_percent(tax_info.get("percent")), tax=tax, total=total,
                       wallet=wallet)
    note = None if "subtotal" not in quote else (
        f"Amounts as charged: the quote came to "
        f"{money.to_decimal(subtotal - discount - prorate + tax, currency)} {currency}.")
    return Figures(quantity=1, unit_subtotal=total, subtotal=total, discount=0, prorate=0,
                   tax_percent=None, tax=0, total=total, wallet=wallet, note=note)


def credited_tax(credited: int, total: int, tax: int) -> int:
    """The tax part of ``credited`` out of an invoice of ``total`` with ``tax``, half-up: each
    credit note's tax is the difference of this before and after it, so the notes of a fully
    credited invoice give back exactly its tax."""
    if total <= 0 or tax <= 0 or credited <= 0:
        return 0
    credited = min(credited, total)
    return (2 * credited * tax + total) // (2 * total)
