"""Webhooks' public face: what other contexts use so brands hear about their events.

A context whose changes brands follow registers its event row's outbox handler wrapped in
``forwarding`` (one line at the registration)::

    PAYMENT_EVENT = notify.register_kind("payment-event", webhooks.forwarding(deliver))

and each row of that kind is then also fanned out to the brand's webhook endpoints that want
its ``event`` code, in the transaction that marks the row Sent (deliveries.py says why there).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalicelib.webhooks import deliveries
from chalicelib.webhooks.constants import PING
from chalicelib.webhooks.deliveries import WEBHOOK, fan_out

__all__ = ["PING", "WEBHOOK", "fan_out", "forwarding"]


def forwarding(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``handler`` (an outbox kind's, returning a ``notify.Delivery``), plus the fan-out of the
    row's ``event`` to the brand's endpoints, written with the row's Sent mark."""

    @functools.wraps(handler)
    def run(item: Any) -> Any:
        done = handler(item)
        payload = dict(item.payload or {})
        hooks = fan_out(item.brand_id, payload.get("event"), deliveries.event_data(payload),
                        item.id)
        if hooks:
            done.writes = [*done.writes, *hooks]
        return done

    return run
