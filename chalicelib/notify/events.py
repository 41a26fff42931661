"""The events API (JFW v6.9.3 ``v1/events``): the catalog's events in the SDK's IEvent shape, with
the brand's channel choices, and the one change a brand makes to an event (mail / text on or
off, eventsettings.py).

Events are the platform's (notify/catalog.py), the same in every brand: ``isSystem`` is always
true, ``createdDate`` null, ``id`` = ``guid`` = the uuid5 of the code (stable across deploys).
``status`` says whether the event sends anything for this brand (Active: its mail or its text
is on). Beyond JFW's fields: ``mailEnabled``, ``smsEnabled`` and ``placeholders`` (the event's
own template variables; every template also sees ``brand.*`` and ``user.*``).
"""

from __future__ import annotations

from typing import Any

from chalicelib.http import paging
from chalicelib.http.errors import BadRequest, NotFound
from chalicelib.notify import catalog, eventsettings
from chalicelib.notify.catalog import Event
from chalicelib.notify.eventsettings import Channels

ACTIVE, INACTIVE = "Active", "Inactive"
EVENT_STATUSES = (INACTIVE, ACTIVE)  # JFW's EventStatus
# Mails a brand can't turn off: without them a user can't get back into their account.
ALWAYS_MAILED = frozenset({catalog.PASSWORD_RESET_REQUESTED.code})
MAX_FILTER_CHARS = 200
_TEXT_FILTERS = (("groupCodeName", "groupCodeName"), ("code", "code"), ("name", "name"),
                 ("description", "description"), ("tags", "tags"))


def sends_mail(event: Event) -> bool:
    return event.mail and bool(event.subject and event.body)


def can_text(event: Event) -> bool:
    return bool(event.sms)


def webhook_only(event: Event) -> bool:
    """An event only webhooks carry (catalog.WEBHOOK_ONLY_EVENTS): always Active."""
    return not sends_mail(event) and not can_text(event)


def _z_orders() -> dict[str, int]:
    """Display order: by group, then code (computed per call: contexts append events)."""
    ordered = sorted(catalog.EVENTS.values(), key=lambda e: (e.group, e.code))
    return {e.code: i + 1 for i, e in enumerate(ordered)}


def event_dto(event: Event, channels: Channels | None = None,
              z_order: int | None = None) -> dict[str, Any]:
    """An event in JFW's IEvent shape plus ``mailEnabled``, ``smsEnabled``, ``placeholders``.

    ``channels``: the brand's (eventsettings.channels); None shows the event's defaults.
    """
    ch = channels or eventsettings.defaults(event.code)
    mail_on = sends_mail(event) and ch.mail
    sms_on = can_text(event) and ch.sms
    return {
        "id": event.id,
        "createdDate": None,
        "guid": event.id,
        "groupCodeName": event.group,
        "code": event.code,
        "name": event.name,
        "description": event.description,
        "trackingLevel": event.tracking_level,
        "tags": None,
        "zOrder": z_order if z_order is not None else _z_orders().get(event.code),
        "status": ACTIVE if mail_on or sms_on or webhook_only(event) else INACTIVE,
        "isSystem": True,
        "mailEnabled": mail_on,
        "smsEnabled": sms_on,
        "placeholders": list(event.placeholders),
    }


def find(event_id_or_code: str) -> Event:
    """The event a caller names by id (JFW's way) or code; 404 otherwise."""
    event = catalog.event_by_id(event_id_or_code.strip()) if event_id_or_code else None
    if event is None:
        raise NotFound(f"No event {event_id_or_code!r}.", code="EVENT_NOT_FOUND")
    return event


def all_events(brand_id: str) -> list[dict[str, Any]]:
    """Every event with the brand's channels: one Query (eventsettings.all_channels)."""
    channels = eventsettings.all_channels(brand_id)
    z = _z_orders()
    return [event_dto(e, channels.get(e.code), z[e.code]) for e in catalog.EVENTS.values()]


def list_events(brand_id: str, query: dict[str, Any]) -> dict[str, Any]:
    """JFW's filters (text ones: case-insensitive "contains"), keywords, paging and sort;
    by default in display order (``zOrder`` ascending)."""
    q = dict(query)
    for name, _ in _TEXT_FILTERS + (("keywords", ""),):
        if len(str(q.get(name) or "")) > MAX_FILTER_CHARS:
            raise BadRequest(f"{name} is longer than {MAX_FILTER_CHARS} characters.", field=name)
    if "sortDataField" not in q:
        q["sortDataField"] = "zOrder"
        q.setdefault("sortOrder", "asc")
    rows = []
    for row in all_events(brand_id):
        if any(q.get(name) and q[name].lower() not in str(row.get(field) or "").lower()
               for name, field in _TEXT_FILTERS):
            continue
        if q.get("zOrder") is not None and row["zOrder"] != q["zOrder"]:
            continue
        if q.get("status") and row["status"] != q["status"]:
            continue
        if q.get("isSystem") is not None and row["isSystem"] != q["isSystem"]:
            continue
        rows.append(row)
    return paging.page(rows, q, sortable=("zOrder", "code", "name", "groupCodeName",
                                          "trackingLevel", "status"),
                       keyword_fields=("code", "name", "description", "groupCodeName"))


def get_event(brand_id: str, event_id_or_code: str) -> dict[str, Any]:
    event = find(event_id_or_code)
    return event_dto(event, eventsettings.channels(brand_id, event.code))


def mail_events(brand_id: str) -> list[dict[str, Any]]:
    """The events that send a mail (JFW's ``v1/events/email-templates``), in display order."""
    return sorted((e for e in all_events(brand_id)
                   if sends_mail(catalog.EVENTS[e["code"]])), key=lambda e: e["zOrder"])


def update_event(brand_id: str, event_id_or_code: str, *, mail: bool | None = None,
                 sms: bool | None = None) -> dict[str, Any]:
    """Turn the event's mail and/or text on or off for the brand."""
    event = find(event_id_or_code)
    if mail is None and sms is None:
        raise BadRequest("Send mailEnabled, smsEnabled or both.", field="mailEnabled")
    if mail is not None and not sends_mail(event):
        raise BadRequest(f"{event.code} sends no mail.", field="mailEnabled")
    if sms is not None and not can_text(event):
        raise BadRequest(f"{event.code} has no text message.", field="smsEnabled")
    if mail is False and event.code in ALWAYS_MAILED:
        raise BadRequest(f"The {event.code} mail can't be turned off: without it a user can't "
                         "get back into their account.", code="EVENT_MAIL_REQUIRED",
                         field="mailEnabled")
    return event_dto(event, eventsettings.save(brand_id, event.code, mail=mail, sms=sms))


def mail_on(brand_id: str, code: str) -> bool:
    """Whether the brand mails the event (the mailer asks before it sends)."""
    if code in ALWAYS_MAILED:
        return True
    return eventsettings.channels(brand_id, code).mail
