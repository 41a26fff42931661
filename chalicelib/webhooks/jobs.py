"""Webhooks' entry points run by a timer, not by a route:

- ``run_retries``: the scheduled job ``webhook-retries`` (store/schema.py SCHEDULES, every
  minute): the deliveries whose next attempt is due, read from the sparse ``due`` index
  (deliveries.py).
"""

from __future__ import annotations

from typing import Any

from chalicelib.webhooks import deliveries


def run_retries(event: Any = None, context: Any = None) -> dict:
    """Scheduled: counts of the run (due, succeeded, failed, pending, busy, errors)."""
    return deliveries.run_due()
