"""Licensing's scheduled job (store/schema.py SCHEDULES: ``license-expiry``, every 10 minutes)."""

from __future__ import annotations

from typing import Any


def run_expiry(event: Any = None, context: Any = None) -> dict:
    """Expire what is due, send the reminders that have come (expiry.py)."""
    from chalicelib.licensing import expiry

    return expiry.run()
