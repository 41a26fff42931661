"""The log of received gateway notifications (as dj-stripe and Lago keep one): the rows, listed
and read.

A notification that intake applies (or records in the payment's history) is written as its
event's dedupe row (``as_dedupe_row``: one item, not two, in intake's transaction), with an id
that names that row (``event_id``: ``ev_`` + the gateway and event id, URL-safe base64), so
reading it is still one GetItem. The others (rejected, not ready, error, duplicate, unknown
payment, ignored event types) keep their own ``NOTIF`` row under a random id. Both are in the
brand's listing (gsi1), and read, listed and replayed alike.

A replay (receive.replay) runs the stored raw notification through the same verification and
intake again. It is safe because of the dedupe row: a replay of an applied notification is a
``duplicate``; one that found no payment (``unknown_payment``) or could not be read (``error``)
is applied now if it can be. Stripe replays check the stored signature without the 300 s
freshness window (the bytes are what Stripe signed; only the time has passed); PayPal replays
skip the postback when PayPal already answered VERIFIED for the message.
"""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from typing import Any

from chalicelib import settings
from chalicelib.http.errors import NotFound
from chalicelib.http.paging import page
from chalicelib.payments import models as m
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction

REJECTED_KEEP_DAYS = 30
REJECTED_MAX_BODY = 8 * 1024
# A notification to a gateway not ready yet is kept whole enough to replay once it is (a Stripe
# signature covers the whole body).
NOT_READY_MAX_BODY = 64 * 1024
# Unverified notifications (rejected or not_ready) stored per gateway per UTC hour; beyond it
# they are only counted.
REJECTED_PER_HOUR = 50
LIST_LIMIT = 5000  # newest notifications a listing looks at


def new(brand_id: str, gateway: str, gateway_id: str, raw: bytes,
        headers: dict[str, str] | None = None) -> Any:
    """An unsaved notification row (intake writes it in its transaction, with the outcome)."""
    now = settings.now()
    nid = ids.new_id()
    return m.NotificationItem(
        m.notif_pk(brand_id, nid), m.NOTIF_SK, gsi1pk=m.notifs_gsi(brand_id),
        gsi1sk=f"{m.stamp(now)}#{nid}", id=nid, brand_id=brand_id, gateway=gateway,
        gateway_id=gateway_id, outcome="received", raw_body_z=bytes(raw),
        headers={k: v for k, v in (headers or {}).items() if v}, attempts=1, received_date=now)


EVENT_ID_PREFIX = "ev_"  # never in ids.new_id's letters and digits


def event_id(gateway: str, dedupe_key: str) -> str:
    """The id of the notification that applies an event: its row is the event's dedupe row
    (``as_dedupe_row``), and the id names that row's key."""
    raw = f"{gateway}\n{dedupe_key}".encode()
    return EVENT_ID_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _event_key(brand_id: str, notification_id: str) -> tuple[str, str] | None:
    """The dedupe row's key an ``event_id`` names, or None for another id."""
    if not notification_id.startswith(EVENT_ID_PREFIX):
        return None
    body = notification_id[len(EVENT_ID_PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    gateway, sep, dedupe_key = raw.partition("\n")
    if not sep:
        return None
    return m.dedupe_pk(brand_id, gateway, dedupe_key), m.DEDUPE_SK


def as_dedupe_row(item: Any, gateway: str, dedupe_key: str, write_id: str) -> Any:
    """A copy of the unsaved notification ``item`` keyed as its event's dedupe row, with the
    event's notification id: intake writes it (must not exist) as the first operation of the
    event's transaction, so one item is both the notification and the dedupe row."""
    row = item.copy()
    nid = event_id(gateway, dedupe_key)
    row.pk, row.sk = m.dedupe_pk(item.brand_id, gateway, dedupe_key), m.DEDUPE_SK
    row.id, row.write_id = nid, write_id
    row.gsi1sk = f"{m.stamp(item.received_date)}#{nid}"
    return row


def save_outcome(item: Any, outcome: str, detail: str) -> None:
    item.outcome = outcome
    item.detail = detail[:1000]
    item.modified_date = settings.now()
    item.save()


def save_unverified(item: Any, outcome: str, detail: str) -> bool:
    """Keep a notification nobody could verify (``rejected``: bad signature or PayPal INVALID;
    ``not_ready``: the gateway can't verify yet), within the gateway's hourly allowance: the
    row (body cut to ``REJECTED_MAX_BODY`` / ``NOT_READY_MAX_BODY``, expiring after
    ``REJECTED_KEEP_DAYS``) and the hour's counter are one transaction, conditioned on the
    counter's ``stored`` being under ``REJECTED_PER_HOUR``. Over it, only the counter's
    ``received`` grows. True when stored."""
    now = settings.now()
    expires = int((now + timedelta(days=REJECTED_KEEP_DAYS)).timestamp())
    cut = NOT_READY_MAX_BODY if outcome == "not_ready" else REJECTED_MAX_BODY
    item.raw_body_z, item.raw_body = item.body[:cut], None
    item.ttl = expires
    item.outcome, item.detail, item.modified_date = outcome, detail[:1000], now
    c = m.RejectedCountItem
    counter = c(m.rejected_pk(item.brand_id, item.gateway_id), m.rejected_sk(now))
    counted = [c.received.add(1), c.gateway_id.set(item.gateway_id), c.ttl.set(expires)]
    try:
        with transaction() as tx:
            tx.save(item)
            tx.update(counter, actions=[*counted, c.stored.add(1)],
                      condition=c.stored.does_not_exist() | (c.stored < REJECTED_PER_HOUR))
    except ConditionFailed:
        counter.update(actions=counted)
        return False
    return True


def to_dto(item: Any, full: bool = False) -> dict[str, Any]:
    dto = {
        "id": item.id, "createdDate": item.received_date, "modifiedDate": item.modified_date,
        "gateway": item.gateway, "gatewayId": item.gateway_id, "eventType": item.event_type,
        "eventId": item.dedupe_key, "paymentId": item.payment_id, "outcome": item.outcome,
        "verified": bool(item.verified), "detail": item.detail, "attempts": int(item.attempts),
    }
    if full:
        dto["rawBody"] = item.body.decode("utf-8", "replace")
        dto["headers"] = dict(item.headers or {})
    return dto


def get_item(brand_id: str, notification_id: str) -> Any:
    key = _event_key(brand_id, notification_id) or (m.notif_pk(brand_id, notification_id),
                                                     m.NOTIF_SK)
    try:
        item = m.NotificationItem.get(*key, consistent_read=True)
    except m.NotificationItem.DoesNotExist:
        item = None
    if item is not None and item.id == notification_id:  # not a bare DedupeItem
        return item
    raise NotFound(f"Notification {notification_id} was not found.",
                   code="NOTIFICATION_NOT_FOUND")


def get(brand_id: str, notification_id: str) -> dict[str, Any]:
    return to_dto(get_item(brand_id, notification_id), full=True)


def list_notifications(brand_id: str, query: dict[str, Any]) -> dict[str, Any]:
    """One Query of the brand's notifications (newest first, date range on the index key)."""
    cond = ids.stamp_range(m.NotificationItem.gsi1sk, query.get("createdDateFrom"),
                  query.get("createdDateTo"))
    items = m.NotificationItem.gsi1.query(m.notifs_gsi(brand_id), cond,
                                          scan_index_forward=False, limit=LIST_LIMIT)
    rows = []
    for item in items:
        dto = to_dto(item)
        if all(query.get(k) in (None, dto[k]) for k in ("outcome", "gateway", "paymentId",
                                                          "gatewayId", "eventType")):
            rows.append(dto)
    return page(rows, query, sortable=["outcome", "gateway", "eventType", "paymentId"],
                keyword_fields=["eventType", "eventId", "paymentId", "detail", "outcome"])
