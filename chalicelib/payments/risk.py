"""Risk levels of a payment (JFW's Security -> Risk Levels; JFW publishes only the name and the
``Payment.Risk_Mark`` column, so the levels and rules are ours).

A payment's ``riskMark`` is a score from 0 to 100 made of simple signals; its ``riskLevel`` is
``Low`` (below 30), ``Medium`` (30-59) or ``High`` (60 and up). A High payment is ``held``: the
gateway may take the money, but the success event says ``fulfil: false`` until an admin approves
it (``POST v1/payments/{id}/approve``) or refunds it (``POST v1/payments/{id}/refund``).

The signals at checkout are in checkout/risk.py (``assess_checkout``: failures, velocity with
the brand's thresholds, black-list proximity, a price mismatch). Here, the levels and the
signals on a gateway event (``assess_event``; ``mismatches``, which the intake applies):
amount, currency, receiver, gateway or test mode different from our payment: 100. This module
is on a cold webhook's path (intake) and imports no other context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.payments.constants import RISK_LEVELS

LEVELS = RISK_LEVELS
HOLD_LEVEL = "High"
MEDIUM_AT, HIGH_AT = 30, 60
MAX_MARK = 100


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
