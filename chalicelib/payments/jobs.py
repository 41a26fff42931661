"""Payments' scheduled job (``payment-janitor``). Payments' outbox kinds (``payment-event``,
``payment-coupon``) are registered, with their handlers, by effects.py, which writes their rows.
"""

from __future__ import annotations

from typing import Any

from chalicelib.payments import janitor


def run_janitor(event: Any = None, context: Any = None) -> dict:
    """Scheduled: re-check payments stuck in Created/Pending (janitor.py)."""
    return janitor.run()
