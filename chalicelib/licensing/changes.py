"""What happens to licenses, for the contexts above licensing: the ``license-event`` outbox kind.

Every transaction that creates or changes licenses (made, changed, activated, deactivated,
deleted, applied, expired, issued for a payment, revoked, restored) writes ONE ``license-event``
row naming them (``licenseIds``), so the change and the row commit together. The outbox
consumer hands the payload to every subscriber in ``SUBSCRIBERS`` (added with ``subscribe``:
the reports context's license counters), so licensing imports none of them. The row says
which licenses changed, not how: a subscriber reads them (``state``), and as a row is delivered
at least once and rows may arrive in any order, it acts on a license's ``version`` newer than
what it has seen. With no subscriber the row is simply marked Sent.
"""

from __future__ import annotations

from typing import Any

from chalicelib.notify import service as notify
from chalicelib.webhooks import service as webhooks

SUBSCRIBERS = notify.Subscribers()
subscribe = SUBSCRIBERS.add  # a ``license-event`` subscriber: a function taking the payload dict


def add(tx: Any, brand_id: str, license_ids: list[str]) -> list[notify.OutboxItem]:
    """The row saying ``license_ids`` changed, saved in the caller's transaction (one
    operation); publish what it returns after the commit."""
    rows = [notify.row(brand_id, LICENSE_EVENT, {"event": "LICENSE.STATE.CHANGED",
                                                 "licenseIds": list(license_ids)})]
    notify.add(tx, rows)
    return rows


deliver = SUBSCRIBERS.deliver


LICENSE_EVENT = notify.register_kind("license-event", webhooks.forwarding(deliver))
