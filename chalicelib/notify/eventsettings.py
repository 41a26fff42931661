"""Which channels an event uses for a brand: mail (on unless turned off) and text (per event).

The outbox consumer asks ``channels`` before it sends, so a brand that turns a mail off stops it
even for rows written before the change.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import settings
from chalicelib.notify import catalog
from chalicelib.notify.models import EventSettingItem, event_setting_pk


@dataclass(frozen=True)
class Channels:
    mail: bool
    sms: bool


def _defaults(code: str) -> Channels:
    event = catalog.event(code)
    return Channels(mail=True, sms=bool(event and event.sms and event.sms_on))


def _merged(code: str, item: EventSettingItem | None) -> Channels:
    default = _defaults(code)
    if item is None:
        return default
    return Channels(
        mail=default.mail if item.mail_enabled is None else item.mail_enabled,
        sms=default.sms if item.sms_enabled is None else item.sms_enabled)


def _get(brand_id: str, code: str) -> EventSettingItem | None:
    try:
        return EventSettingItem.get(event_setting_pk(brand_id), code)
    except EventSettingItem.DoesNotExist:
        return None


def channels(brand_id: str, code: str) -> Channels:
    return _merged(code, _get(brand_id, code))


def all_channels(brand_id: str) -> dict[str, Channels]:
    """Every event's channels for the brand: one Query."""
    found = {i.event_code: i for i in EventSettingItem.query(event_setting_pk(brand_id))}
    return {code: _merged(code, found.get(code)) for code in catalog.EVENTS}


def save(brand_id: str, code: str, *, mail: bool | None = None,
         sms: bool | None = None) -> Channels:
    """Set one or both channels (None leaves it as it is).

    One UpdateItem that SETs only the channels given: two admins changing different channels
    at once both keep their change (a read-modify-write would lose one).
    """
    item = EventSettingItem(event_setting_pk(brand_id), code)
    actions = [EventSettingItem.brand_id.set(brand_id), EventSettingItem.event_code.set(code),
               EventSettingItem.modified_date.set(settings.now())]
    if mail is not None:
        actions.append(EventSettingItem.mail_enabled.set(mail))
    if sms is not None:
        actions.append(EventSettingItem.sms_enabled.set(sms))
    item.update(actions=actions)  # ReturnValues ALL_NEW: the item as it is now
    return _merged(code, item)


def defaults(code: str) -> Channels:
    """The event's channels for a brand that chose nothing."""
    return _defaults(code)
