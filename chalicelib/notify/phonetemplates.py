"""Text-message templates: the event's default text (catalog ``Event.sms``) and a brand's own
text per event x language (``PhoneTemplateItem``), JFW's "phone templates".

A text is plain Liquid (no HTML, no autoescaping), rendered in the same sandbox as mail
(``templates.render_text``). Saving refuses HTML, bad Liquid and a text that can't fit
``segments.MAX_SEGMENTS`` segments; rendering cuts what still grows past it (``texter.py``).
An Inactive brand template is kept but not used: the default applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chalicelib import settings
from chalicelib.http.errors import BadRequest, NotFound
from chalicelib.notify import catalog, segments, templates
from chalicelib.notify.catalog import Event
from chalicelib.notify.models import PhoneTemplateItem, phone_template_pk
from chalicelib.store import ids

ACTIVE, INACTIVE = "Active", "Inactive"  # JFW's PhoneTemplateStatus
STATUSES = (INACTIVE, ACTIVE)
MAX_CONTENT_CHARS = 2_000  # of the template source; the rendered text is bound by segments
DEFAULT_LANGUAGE = templates.DEFAULT_LANGUAGE
_HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z!][^>]*>")


@dataclass(frozen=True)
class TextTemplate:
    event_code: str
    content: str
    source: str  # "default" or "brand"
    language_code: str = DEFAULT_LANGUAGE


def textable() -> list[Event]:
    """The events that can send a text, in catalog order."""
    return [e for e in catalog.EVENTS.values() if e.sms]


def event_for_texts(event_id_or_code: str) -> Event:
    """The event an API caller names (id or code) that can send a text, else 404."""
    event = catalog.event_by_id(event_id_or_code)
    if event is None or not event.sms:
        raise NotFound("No event that sends a text message has this id.", code="EVENT_NOT_FOUND")
    return event


def check(content: str) -> None:
    """Refuse a text that is not plain text, not valid Liquid or too long (400, field content)."""
    if not content.strip():
        raise BadRequest("The text is empty.", code="PHONE_TEMPLATE_INVALID", field="content")
    if len(content) > MAX_CONTENT_CHARS:
        raise BadRequest(f"The text is longer than {MAX_CONTENT_CHARS} characters.",
                         code="PHONE_TEMPLATE_INVALID", field="content")
    if _HTML_TAG.search(content):
        raise BadRequest("A text message is plain text: remove the HTML tags.",
                         code="PHONE_TEMPLATE_INVALID", field="content")
    try:
        templates.check("", content)
        # Placeholders render empty here: a lower bound of the text's length.
        fixed = templates.render_text(content, {}, html=False)
    except templates.TemplateError as e:
        raise BadRequest(str(e).replace("The body", "The text"), code="PHONE_TEMPLATE_INVALID",
                         field="content") from None
    found = segments.count(fixed)
    if found.segments > segments.MAX_SEGMENTS:
        raise BadRequest(f"The text takes {found.segments} SMS segments ({found.encoding}, "
                         f"{found.units} units) without its placeholders; at most "
                         f"{segments.MAX_SEGMENTS} are sent.", code="PHONE_TEMPLATE_TOO_LONG",
                         field="content")


def _language(language_code: str | None) -> str:
    code = (language_code or DEFAULT_LANGUAGE).strip().lower()
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", code):
        raise BadRequest("languageCode must be an ISO 639-1 code such as 'en'.",
                         code="LANGUAGE_INVALID", field="languageCode")
    return code


def _items(brand_id: str, event_code: str) -> dict[str, PhoneTemplateItem]:
    return {i.language_code: i for i in PhoneTemplateItem.query(
        phone_template_pk(brand_id, event_code), PhoneTemplateItem.sk.startswith("LANG#"))}


def template_for(brand_id: str, event_code: str,
                 language_code: str | None = None) -> TextTemplate:
    """The brand's active text for the event (its language, else English), else the default."""
    event = catalog.event(event_code)
    if event is None or not event.sms:
        raise templates.TemplateError(f"No text message is defined for the event {event_code}.")
    wanted = (language_code or DEFAULT_LANGUAGE).lower()
    found = {k: v for k, v in _items(brand_id, event_code).items() if v.status == ACTIVE}
    item = found.get(wanted) or found.get(DEFAULT_LANGUAGE)
    if item is None:
        return TextTemplate(event_code, event.sms, "default")
    return TextTemplate(event_code, item.content, "brand", item.language_code)


# -- what the routes answer --------------------------------------------------------------------

def default_dto(event: Event, language_code: str | None) -> dict[str, Any]:
    """JFW's ``{languageCode, content}``: the built-in text (the same for every language)."""
    return {"languageCode": _language(language_code), "content": event.sms}


def _dto(item: PhoneTemplateItem | None, event: Event, event_dto: dict,
         language_code: str) -> dict[str, Any]:
    if item is None:  # no text of the brand's own: the default, as the brand's users get it
        return {"id": None, "createdDate": None, "modifiedDate": None, "event": event_dto,
                "languageCode": language_code, "content": event.sms, "status": ACTIVE,
                "isDefault": True}
    return {"id": item.id, "createdDate": item.created_date, "modifiedDate": item.modified_date,
            "event": event_dto, "languageCode": item.language_code, "content": item.content,
            "status": item.status, "isDefault": False}


def read(brand_id: str, event: Event, event_dto: dict,
         language_code: str | None) -> dict[str, Any]:
    language = _language(language_code)
    return _dto(_items(brand_id, event.code).get(language), event, event_dto, language)


def save(brand_id: str, event: Event, event_dto: dict, *, language_code: str | None,
         content: str, status: str | None) -> dict[str, Any]:
    """Create or replace the brand's text for the event and language (one item, one put)."""
    language = _language(language_code)
    check(content)
    now = settings.now()
    old = _items(brand_id, event.code).get(language)
    item = PhoneTemplateItem(
        phone_template_pk(brand_id, event.code), f"LANG#{language}",
        id=old.id if old else ids.new_id(), brand_id=brand_id, event_code=event.code,
        language_code=language, content=content, status=status or ACTIVE,
        created_date=old.created_date if old else now, modified_date=now)
    item.save()
    return _dto(item, event, event_dto, language)


def delete(brand_id: str, event: Event, language_code: str | None) -> bool:
    """Remove the brand's text for the language (the default applies again); 404 if none."""
    language = _language(language_code)
    try:
        PhoneTemplateItem(phone_template_pk(brand_id, event.code), f"LANG#{language}").delete(
            condition=PhoneTemplateItem.pk.exists())
    except Exception as e:  # noqa: BLE001 - only the condition is expected
        if getattr(e, "cause_response_code", None) == "ConditionalCheckFailedException":
            raise NotFound(f"The brand has no {language} text for {event.code}.",
                           code="PHONE_TEMPLATE_NOT_FOUND") from None
        raise
    return True
