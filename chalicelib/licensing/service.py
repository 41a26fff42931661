"""Licensing's public service: the only module of licensing/ that other contexts import
(``from chalicelib.licensing import service as licensing``) or name.

- ``on_payment_event``: the ``payment-event`` subscriber, subscribed to payments here (so the
  outbox consumer, which imports this service, hands it every payment event): what a payment
  gives, issued, revoked or given back (jobs.py, fulfilment.py);
- ``entitlement``: the package a user holds now, with its features, expiry and status
  (subscriptions.py).

Everything else of licensing is reached through its routes (routes.py) and its scheduled job
(jobs.py ``run_expiry``, store/schema.py SCHEDULES).
"""

from __future__ import annotations

from chalicelib.licensing.jobs import on_payment_event
from chalicelib.licensing.subscriptions import entitlement
from chalicelib.payments import service as payments

__all__ = ["entitlement", "on_payment_event"]

payments.subscribe(on_payment_event)
