"""JFW's "Tracking Email" list: a brand's delivery log (tracking.py rows), read by its admins.

A row's id is its sort key written compactly (``<20 digits of the sent time>-<outbox id>``), so
reading one is a single GetItem in the brand's own partition: another brand's id can't name a
row of ours (it would need our partition), and a malformed id is simply not found.

The reply follows JFW's ITrackingEmail (emailFrom, emailTo, emailSubject, emailBody, sentTime,
notificationChannelType, ...). JFW's ``status`` is a read status (Unread, Read...), which we
don't track, so it is null; our delivery status is ``deliveryStatus`` (tracking.STATUSES) with
``deliveryStatusReason`` and ``deliveryStatusDate``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from chalicelib.http import paging
from chalicelib.http.errors import BadRequest, NotFound
from chalicelib.notify import catalog, tracking
from chalicelib.notify.models import SentMailItem, sent_mail_pk
from chalicelib.store import ids

# The log is read newest first, at most this many rows per request before filtering.
MAX_SCANNED = 5000
SORTABLE = ("sentTime", "emailTo", "eventCode", "deliveryStatus")

_ID = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{6})-([A-Za-z0-9]{1,64})$")


def row_id(sort_key: str) -> str:
    stamp, _, outbox_id = sort_key.partition("#")
    return re.sub(r"\D", "", stamp) + "-" + outbox_id


def sort_key_of(row_id_: str) -> str | None:
    m = _ID.match(row_id_ or "")
    if not m:
        return None
    y, mo, d, h, mi, s, us, outbox_id = m.groups()
    return f"{y}-{mo}-{d}T{h}:{mi}:{s}.{us}Z#{outbox_id}"


def dto(item: SentMailItem) -> dict[str, Any]:
    event = catalog.event(item.event_code)
    return {
        "id": row_id(item.sk),
        "createdDate": item.sent_date,
        "sentTime": item.sent_date,
        "eventId": event.id if event else None,
        "eventCode": item.event_code,
        "notificationType": "System",
        "notificationChannelType": item.channel,
        "emailFrom": item.sender,
        "emailTo": item.to,
        "emailCc": None,
        "emailBcc": None,
        "emailSubject": item.subject,
        "emailBody": item.body,
        "languageCode": item.language_code,
        "countryCode": None,
        "testMode": False,
        "tags": None,
        "status": None,
        "deliveryStatus": item.status or tracking.SENT,
        "deliveryStatusReason": item.status_reason,
        "deliveryStatusDate": item.status_date or item.sent_date,
        "messageId": item.message_id,
        "outboxId": item.outbox_id,
        "templateSource": item.template_source,
    }


def get(brand_id: str, tracking_id: str) -> dict[str, Any]:
    sort_key = sort_key_of(tracking_id)
    if sort_key is None:
        raise NotFound("No such tracking email.")
    try:
        return dto(SentMailItem.get(sent_mail_pk(brand_id), sort_key))
    except SentMailItem.DoesNotExist:
        raise NotFound("No such tracking email.") from None


def _event_code(query: dict[str, Any]) -> str | None:
    """``eventCode``, or JFW's ``eventId`` (an event id or code) as a code."""
    if query.get("eventCode"):
        return query["eventCode"]
    wanted = query.get("eventId")
    if not wanted:
        return None
    event = catalog.event_by_id(wanted)
    return event.code if event else "-"  # an unknown event: nothing matches


def list_rows(brand_id: str, query: dict[str, Any]) -> dict[str, Any]:
    """One page of the brand's log, filtered (to, event, status, channel, time range)."""
    start: datetime | None = query.get("fromDate")
    end: datetime | None = query.get("toDate")
    if start and end and start > end:
        raise BadRequest("fromDate must not be after toDate.", field="fromDate")
    condition = ids.stamp_range(SentMailItem.sk, start, end)
    to = (query.get("to") or query.get("emailTo") or "").strip().casefold()
    event_code = _event_code(query)
    status = query.get("deliveryStatus")
    channel = query.get("channel") or query.get("notificationChannelType")
    subject = (query.get("emailSubject") or "").casefold()
    rows = []
    for item in SentMailItem.query(sent_mail_pk(brand_id), condition, scan_index_forward=False,
                                   limit=MAX_SCANNED):
        if to and to not in item.to.casefold():
            continue
        if event_code and item.event_code != event_code:
            continue
        if status and (item.status or tracking.SENT) != status:
            continue
        if channel and item.channel != channel:
            continue
        if subject and subject not in (item.subject or "").casefold():
            continue
        rows.append(dto(item))
    return paging.page(rows, query, SORTABLE, default_sort="sentTime",
                       keyword_fields=("emailTo", "emailSubject", "eventCode"))
