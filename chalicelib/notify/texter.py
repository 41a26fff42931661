"""The ``sms`` outbox kind: render the event's text for the brand and send it through SNS.

A row names its recipient either by phone number (``to``, E.164: a verification code goes to
the number being verified) or by user (``userId``: the user's confirmed number, read when the
text is sent through the lookup identity registers, ``set_phone_lookup``). At send time the
brand's switch is asked again (``eventsettings.channels``), so turning texts off stops rows
written before. The text is cut at ``segments.MAX_SEGMENTS`` segments; the delivery log gets a
``Sms`` row (``tracking.record``), with ``secrets`` redacted outside the local stages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from chalicelib import settings
from chalicelib.notify import (
    catalog,
    eventsettings,
    mailer,
    phonetemplates,
    segments,
    templates,
    tracking,
)
from chalicelib.notify.models import OutboxItem
from chalicelib.notify.outbox import Delivery, register_kind, row
from chalicelib.store import aws

log = logging.getLogger("jfw.sms")

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$")  # SNS's alphanumeric sender ID

# (brand id, user id) -> the user's confirmed phone number (E.164) or None. Identity owns users
# and registers it (identity/phoneverify.py); it imports notify, so notify can't import it.
_phone_lookup: list[Callable[[str, str], str | None]] = []


def set_phone_lookup(lookup: Callable[[str, str], str | None]) -> None:
    _phone_lookup[:] = [lookup]


class TextError(Exception):
    """A text that can't be sent as asked (bad payload, unknown event)."""


def is_e164(number: str | None) -> bool:
    return bool(number and E164.match(number))


def text(brand_id: str, event_code: str, *, context: dict[str, Any], to: str | None = None,
         user_id: str | None = None, language_code: str | None = None,
         secrets: list[str] | None = None) -> OutboxItem:
    """An outbox row that texts the event to ``to`` (or to the user's confirmed number)."""
    if not to and not user_id:
        raise ValueError("a text needs a phone number or a user")
    payload: dict[str, Any] = {"eventCode": event_code, "to": to, "userId": user_id,
                               "context": context, "languageCode": language_code}
    if secrets:
        payload["secrets"] = list(secrets)
    return row(brand_id, SMS, payload)


def may_text(event_code: str) -> bool:
    """Whether the event has a text at all (no read: the brand's choice is asked later)."""
    event = catalog.event(event_code)
    return bool(event and event.sms)


def texts_for(brand_id: str, event_code: str, user: Any, context: dict[str, Any],
              language_code: str | None = None,
              secrets: list[str] | None = None) -> list[OutboxItem]:
    """0 or 1 ``sms`` rows for a user told about an event: one when the event has a text, the
    brand has texting it on, and the user has a confirmed phone number.

    ``user`` is identity's user item (its number is checked now) or a user id (checked when the
    text is sent: a caller with no user at hand pays no read for it). One GetItem (the brand's
    setting) for an event with a text; none for the others. ``secrets``: values of the context
    the text's log must not keep (a reset token), as for mail.
    """
    event = catalog.event(event_code)
    if event is None or not event.sms or not user:
        return []
    if not eventsettings.channels(brand_id, event_code).sms:
        return []
    if isinstance(user, str):
        return [text(brand_id, event_code, context=context, user_id=user,
                     language_code=language_code, secrets=secrets)]
    phone = getattr(user, "phone_number", None)
    if not is_e164(phone) or getattr(user, "confirmed_phone", None) != phone:
        return []
    return [text(brand_id, event_code, context=context, to=phone, user_id=user.id,
                 language_code=language_code or getattr(user, "language_code", None),
                 secrets=secrets)]


def sender_id(brand: dict) -> str | None:
    """The brand's abbreviation as SNS sender ID when it is a valid one (some countries show
    it; others ignore it)."""
    abbr = (brand.get("abbr") or "").strip()
    return abbr if SENDER_ID.match(abbr) else None


def compose(brand: dict, payload: dict[str, Any]) -> tuple[phonetemplates.TextTemplate, str]:
    """The template used and the text, rendered and cut to the segment limit. A brand text that
    fails to render falls back to the default (as mail does)."""
    event_code = str(payload.get("eventCode") or "")
    context = {**(payload.get("context") or {}), "brand": templates.brand_vars(brand)}
    template = phonetemplates.template_for(brand["id"], event_code, payload.get("languageCode"))
    try:
        body = templates.render_text(template.content, context, html=False)
    except templates.TemplateError as e:
        if template.source == "default":
            raise
        log.warning("brand text for %s set aside: %s (brand %s)", event_code, e, brand["id"])
        event = catalog.event(event_code)
        assert event is not None and event.sms
        template = phonetemplates.TextTemplate(event_code, event.sms, "default")
        body = templates.render_text(template.content, context, html=False)
    return template, segments.cut(body.strip())


def deliver(item: OutboxItem) -> Delivery:
    """Send one ``sms`` outbox row; the log row is returned to be written with it."""
    payload = item.payload or {}
    event_code = payload.get("eventCode")
    event = catalog.event(event_code) if isinstance(event_code, str) else None
    if event is None or not event.sms:
        raise TextError(f"the outbox payload names no event with a text: {event_code!r}")
    if not eventsettings.channels(item.brand_id, event.code).sms:
        return Delivery(result={"skipped": "texts turned off"}, payload=_kept(payload))
    to = payload.get("to")
    if not to and payload.get("userId"):
        if not _phone_lookup:
            raise TextError("no phone lookup: import chalicelib.identity.service")
        to = _phone_lookup[0](item.brand_id, str(payload["userId"]))
    if not is_e164(to):
        return Delivery(result={"skipped": "no confirmed phone number"}, payload=_kept(payload))
    brand = mailer._brand(item.brand_id)  # noqa: SLF001 - notify's own brand lookup
    template, body = compose(brand, payload)
    attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
    sender = sender_id(brand)
    if sender:
        attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender}
    resp = aws.client("sns").publish(PhoneNumber=to, Message=body, MessageAttributes=attributes)
    message_id = resp["MessageId"]
    secrets = [v for v in payload.get("secrets") or [] if isinstance(v, str) and v]
    logged = body
    if secrets and not settings.get().is_local:
        for value in secrets:
            logged = logged.replace(value, "[redacted]")
    count = segments.count(body)
    log_row = tracking.record(
        brand_id=item.brand_id, outbox_id=item.id, channel=tracking.SMS, to=str(to),
        sender=sender or "SNS", subject=None, body=logged, event_code=event.code,
        message_id=message_id, template_source=template.source,
        language_code=template.language_code, now=settings.now())
    return Delivery(result={"messageId": message_id, "segments": count.segments,
                            "encoding": count.encoding},
                    writes=[log_row], payload=_kept(payload) if secrets else None)


def _kept(payload: dict[str, Any]) -> dict[str, Any] | None:
    """A payload with secrets keeps no context once done."""
    if not payload.get("secrets"):
        return None
    return {k: v for k, v in payload.items() if k not in ("context", "secrets")}


def all_sent_texts(to: str | None = None, limit: int = 100) -> list[dict]:
    """Every brand's sent texts, newest first; local and test stages only (gsi1 ``SENTTEXT``)."""
    return tracking.all_sent(tracking.SMS, to=to, limit=limit)


SMS = register_kind("sms", deliver)
