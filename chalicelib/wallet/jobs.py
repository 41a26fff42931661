"""Wallet's entry points run by a timer or the outbox, not by a route:

- ``run_reconciliation``: the scheduled job ``wallet-reconciliation`` (store/schema.py
  SCHEDULES, every 60 minutes): proves the ledgers of the wallets changed since their last
  check, and of those whose full audit came (reconcile.py).
"""

from __future__ import annotations

from typing import Any

from chalicelib.wallet import reconcile


def run_reconciliation(event: Any = None, context: Any = None) -> dict:
    """Scheduled: counts of the run (wallets checked, rows and items read, failures...)."""
    return reconcile.run()
