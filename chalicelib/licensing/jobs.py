"""Licensing's entry points run by a timer or the outbox, not by a route:

- ``run_expiry``: the scheduled job ``license-expiry`` (store/schema.py SCHEDULES, every 10
  minutes);
- ``on_payment_event``: the ``payment-event`` subscriber (payments/jobs.py SUBSCRIBERS names it
  through service.py).
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib.identity import service as identity
from chalicelib.licensing import expiry, fulfilment

log = logging.getLogger("jfw.licensing")


def run_expiry(event: Any = None, context: Any = None) -> dict:
    """Expire what is due, send the reminders that have come (expiry.py)."""
    return expiry.run()


def on_payment_event(payload: dict[str, Any]) -> None:
    """The ``payment-event`` subscriber (payments/jobs.py SUBSCRIBERS, delivered by the outbox):
    give the buyer what the payment bought, or take it back (fulfilment.py: a repeat delivery
    changes nothing)."""
    brand_id = payload.get("brandId")
    event = payload.get("event") or ""
    if not brand_id or not payload.get("paymentId"):
        log.warning("payment event without brandId/paymentId ignored: %s", event)
        return
    if not payload.get("packageId"):
        return  # a payment that buys no package (a wallet top-up): nothing to fulfil
    want = fulfilment.wanted(identity.get_brand(brand_id), payload)
    if want is True:
        fulfilment.fulfil(brand_id, payload)
    elif want is False:
        fulfilment.revoke(brand_id, payload)
