"""What a payment counts for in the sales figures (the payments summary and the dashboard):
ONE rule, applied to a payment event by the counters and to a stored payment by the
recomputation, so both give the same figures.

- ``payments``: the payment completed (money came in), whatever it bought: 1, else 0. It stays
  1 after a refund or a dispute, as the money did come in.
- ``sells``: a completed payment that bought something: 1, else 0. A wallet top-up buys credit,
  not a product: not a sell (what the credit buys later is).
- ``revenue``: what came in through a gateway minus what was refunded (gross - refunds), in
  minor units. A purchase paid wholly from a wallet brings no revenue: its money was counted
  at the top-up (a purchase paid partly from a wallet: its gateway part counts).
- Counted statuses: Completed, Refunded (a sell refunded later stays a sell; its revenue
  drops), Reserved (a dispute is open: the money is held, not gone) and CanceledReversal (a
  dispute won). Created, Pending, Failed, Denied, Voided, Deleted count nothing.
- ``day``: the payment's date (UTC), where its figures count for "daily"; a refund lowers the
  revenue of the day the payment was made, not the day of the refund.
- ``mode``: L for live, T for test-mode payments, so either can be asked for apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

COUNTED_STATUSES = ("Completed", "Refunded", "Reserved", "CanceledReversal")
TOP_UP = "WalletTopUp"
WALLET_PAID = "Wallet"  # a payment the wallet paid in full (payments' checkout)
LIVE, TEST = "L", "T"


class Sale(NamedTuple):
    currency: str
    mode: str
    day: str | None
    payments: int
    sells: int
    revenue: int

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


def sale(*, status: str | None, gross_minor: int | None, refunded_minor: int | None,
         payment_type: str | None, currency: str, test_mode: bool,
         payment_date: datetime | None) -> Sale:
    mode = TEST if test_mode else LIVE
    day = payment_date.date().isoformat() if payment_date else None
    if gross_minor is None or status not in COUNTED_STATUSES:
        return Sale(currency, mode, day, 0, 0, 0)
    revenue = 0 if payment_type == WALLET_PAID else int(gross_minor) - int(refunded_minor or 0)
    return Sale(currency, mode, day, 1, 0 if payment_type == TOP_UP else 1, revenue)


def of_event(payload: dict[str, Any]) -> Sale:
    """A payment event says how the payment stands after the change (payments/effects.py)."""
    when = payload.get("paymentDate")
    return sale(status=payload.get("status"), gross_minor=payload.get("amountGrossMinor"),
                refunded_minor=payload.get("refundedMinor"),
                payment_type=payload.get("paymentType"), currency=payload["currency"],
                test_mode=bool(payload.get("testMode")),
                payment_date=datetime.fromisoformat(when) if when else None)


def of_payment(p: Any) -> Sale:
    """A stored payment (payments' PaymentItem)."""
    return sale(status=p.status, gross_minor=p.amount_gross_minor,
                refunded_minor=p.refunded_minor, payment_type=p.payment_type,
                currency=p.currency, test_mode=bool(p.test_mode), payment_date=p.payment_date)
