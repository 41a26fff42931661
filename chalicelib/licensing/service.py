"""Licensing's public service: the only module of licensing/ that other contexts import
(``from chalicelib.licensing import service as licensing``) or name.

- ``on_payment_event``: the ``payment-event`` subscriber, subscribed to payments here (so the
  outbox consumer, which imports this service, hands it every payment event): what a payment
  gives, issued, revoked or given back (jobs.py, fulfilment.py);
- ``entitlement``: the package a user holds now, with its features, expiry and status
  (subscriptions.py);
- ``subscription_of``: the user's SUBSCRIPTION as stored (package, expiry, status), one
  GetItem: invoicing's renewal job compares its provisional invoices with it; ``policy``: the
  brand's licensing settings (licenseGraceDays: when a renewal invoice goes overdue).
- ``subscribe_license_changes``: follow the ``license-event`` rows every license change writes
  (changes.py), reading the licenses named with ``license_states`` (``brand_license_states``:
  all of a brand's, for a recomputation) (licenses.py).

Everything else of licensing is reached through its routes (routes.py) and its scheduled job
(jobs.py ``run_expiry``, store/schema.py SCHEDULES).
"""

from __future__ import annotations

from typing import Any

from chalicelib.licensing.changes import subscribe as subscribe_license_changes
from chalicelib.licensing.constants import LICENSE_STATUSES, LICENSE_TYPES
from chalicelib.licensing.jobs import on_payment_event
from chalicelib.licensing.licenses import brand_states as brand_license_states
from chalicelib.licensing.licenses import states as license_states
from chalicelib.licensing.subscriptions import entitlement, get_item, policy
from chalicelib.payments import service as payments

__all__ = ["LICENSE_STATUSES", "LICENSE_TYPES", "brand_license_states", "entitlement",
           "license_states", "on_payment_event", "policy", "subscribe_license_changes",
           "subscription_of"]


def subscription_of(brand_id: str, user_id: str) -> dict[str, Any] | None:
    """{packageId, expiryDate, status (Active | Grace | Expired)} as stored; None when no
    license ever reached the user."""
    sub = get_item(brand_id, user_id)
    if sub is None:
        return None
    return {"packageId": sub.package_id, "expiryDate": sub.expiry_date, "status": sub.status}

payments.subscribe(on_payment_event)
