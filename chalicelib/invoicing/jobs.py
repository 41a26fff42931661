"""Invoicing's entry points run by a timer, not by a route:

- ``run_renewals``: the scheduled job ``invoice-renewals`` (store/schema.py SCHEDULES, every 10
  minutes): provisional invoices of the subscriptions whose renewal point came, their
  reminders and their overdue marks (renewals.py), reading only the sparse ``due`` index.
"""

from __future__ import annotations

from typing import Any

from chalicelib.invoicing import renewals


def run_renewals(event: Any = None, context: Any = None) -> dict:
    """Scheduled: counts of the run (due items read, invoices created, reminders...)."""
    return renewals.run()
