"""A brand's e-mail templates (JFW IEmailTemplate): one per event x language x country.

Storage (notify table, keys in models.py), both written in one transaction:
- the slot ``B#<brand>#TEMPLATE#<EVENT.CODE>`` / ``LANG#<language>#<COUNTRY|->``: what the
  mailer reads (``templates.template_for``, one Query per mail) and the list reads (gsi1
  ``B#<brand>#TEMPLATES``); it must not exist on create, so a duplicate is a 409;
- the copy by id ``B#<brand>#EMAILTEMPLATE#<id>`` / ``EMAILTEMPLATE``: ``GET {id}`` is a GetItem.

Saving checks the Liquid (``templates.check`` with the event's placeholders) and renders both
parts once with sample data, so a template that breaks the sandbox's limits is refused at save
rather than set aside at every send. Preview renders unsaved text the same way; ``test`` mails it
to the caller through the outbox.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import settings
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.http.paging import page
from chalicelib.notify import catalog, events, outbox, samples, templates
from chalicelib.notify.catalog import Event
from chalicelib.notify.events import event_dto
from chalicelib.notify.models import (
    OutboxItem,
    TemplateItem,
    template_id_key,
    template_pk,
    template_sk,
)
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction

SORTABLE = ("languageCode", "countryCode", "subject", "modifiedDate")
KEYWORD_FIELDS = ("subject", "body", "tags")
TEXT_FILTERS = ("subject", "body", "tags")


def listing_pk(brand_id: str) -> str:
    return f"B#{brand_id}#TEMPLATES"


# -- shapes ------------------------------------------------------------------------------------

def to_dto(item: TemplateItem) -> dict[str, Any]:
    event = catalog.event(item.event_code)
    return {
        "id": item.id,
        "createdDate": item.created_date,
        "modifiedDate": item.modified_date,
        "countryCode": item.country_code,
        "languageCode": item.language_code,
        "subject": item.subject,
        "body": item.body,
        "tags": item.tags,
        "event": event_dto(event) if event else None,
    }


def default_dto(event: Event, language_code: str | None = None) -> dict[str, Any]:
    """The built-in template of an event as JFW's ``.../email-templates/default`` answers it."""
    return {"languageCode": (language_code or templates.DEFAULT_LANGUAGE).lower(),
            "subject": event.subject, "body": event.body}


def find_event(event_id_or_code: str, field: str | None = None) -> Event:
    event = catalog.event_by_id(event_id_or_code)
    if event is None or not events.sends_mail(event):  # unknown, or a text / webhook only
        if field:
            raise BadRequest(f"No event '{event_id_or_code}' sends mail.", field=field,
                             code="EVENT_NOT_FOUND")
        raise NotFound("Event not found.", code="EVENT_NOT_FOUND")
    return event


# -- samples -----------------------------------------------------------------------------------

_NUMBERS = {"quantity": 2, "days_left": 7, "expiry_minutes": 30, "reminder_count": 1,
            "max_count": 5}
_MONEY = ("amount", "total", "balance", "refunded_amount", "amount_paid", "amount_due")


def sample_context(event: Event) -> dict[str, Any]:
    """Sample values for every placeholder of the event and a sample user (samples.py; ``brand``
    is the caller's own brand, added by ``render_sample``)."""
    context = samples.context_for(event)
    context.pop("brand", None)
    return context


def render_sample(brand: dict, event: Event, subject: str, body: str) -> templates.Rendered:
    """Check the text against the event and render it with sample data; a 400 names the part."""
    try:
        templates.check(subject, body, event.code)
        context = {**sample_context(event), "brand": templates.brand_vars(brand)}
        tpl = templates.Template(event_code=event.code, subject=subject, body=body,
                                 source="brand")
        return templates.render(tpl, context)
    except templates.TemplateError as e:
        raise BadRequest(str(e), field=e.part, code="TEMPLATE_INVALID") from None


# -- reading -----------------------------------------------------------------------------------

def get_item(brand_id: str, template_id: str) -> TemplateItem:
    try:
        return TemplateItem.get(*template_id_key(brand_id, template_id))
    except DoesNotExist:
        raise NotFound("E-mail template not found.", code="EMAIL_TEMPLATE_NOT_FOUND") from None


def get(brand_id: str, template_id: str) -> dict[str, Any]:
    return to_dto(get_item(brand_id, template_id))


def all_items(brand_id: str) -> list[TemplateItem]:
    return list(TemplateItem.gsi1.query(listing_pk(brand_id)))


def list_templates(brand_id: str, query: dict[str, Any]) -> dict[str, Any]:
    """JFW's paged list, filtered by eventId (id or code), countryCode, languageCode (exact)
    and subject, body, tags (contains, case-insensitive)."""
    items = all_items(brand_id)
    if query.get("eventId"):
        event = catalog.event_by_id(query["eventId"])
        items = [i for i in items if event is not None and i.event_code == event.code]
    for field, attr in (("languageCode", "language_code"), ("countryCode", "country_code")):
        if query.get(field):
            items = [i for i in items if (getattr(i, attr) or "").lower()
                     == query[field].lower()]
    rows = [to_dto(i) for i in items]
    for field in TEXT_FILTERS:
        if query.get(field):
            needle = query[field].lower()
            rows = [r for r in rows if needle in (r.get(field) or "").lower()]
    return page(rows, query, SORTABLE, keyword_fields=KEYWORD_FIELDS)


def for_event(brand_id: str, event: Event, language_code: str | None = None) -> dict[str, Any]:
    """The brand's template for the event in the language (else English), else the default in
    the IEmailTemplate shape (``id`` null, ``isDefault`` true)."""
    wanted = (language_code or templates.DEFAULT_LANGUAGE).lower()
    found = [i for i in TemplateItem.query(template_pk(brand_id, event.code),
                                           TemplateItem.sk.startswith("LANG#"))
             if i.language_code == wanted and not i.country_code]
    if found:
        return {**to_dto(found[0]), "isDefault": False}
    return {"id": None, "createdDate": None, "countryCode": None, "tags": None,
            **default_dto(event, wanted), "event": event_dto(event), "isDefault": True}


def placeholder_keys(event: Event | None = None) -> dict[str, list[str]]:
    """{group: [keys]}: ``brand`` and ``user`` first, then each placeholder root (of one event,
    or of every event)."""
    groups: dict[str, list[str]] = {
        "brand": [f"brand.{k}" for k in templates.brand_vars({})],
        "user": [f"user.{k}" for k in templates.user_vars()],
    }
    chosen = [event] if event else list(catalog.EVENTS.values())
    for e in chosen:
        for p in e.placeholders:
            root = p.partition(".")[0].removesuffix("[]")
            keys = groups.setdefault(root, [])
            if p not in keys:
                keys.append(p)
    return groups


# -- writing -----------------------------------------------------------------------------------

def _items(brand_id: str, template_id: str, event: Event, fields: dict[str, Any],
           created: Any) -> tuple[TemplateItem, TemplateItem]:
    now = settings.now()
    language = fields["language_code"].lower()
    country = fields["country_code"].upper() if fields.get("country_code") else None
    common = dict(id=template_id, brand_id=brand_id, event_code=event.code,
                  language_code=language, country_code=country, subject=fields["subject"],
                  body=fields["body"], tags=fields.get("tags"), created_date=created or now,
                  modified_date=now)
    slot = TemplateItem(template_pk(brand_id, event.code), template_sk(language, country),
                        gsi1pk=listing_pk(brand_id),
                        gsi1sk=f"{event.code}#{language}#{country or '-'}", **common)
    copy = TemplateItem(*template_id_key(brand_id, template_id), **common)
    return slot, copy


def _duplicate(event: Event, fields: dict[str, Any]) -> Conflict:
    country = fields.get("country_code")
    return Conflict(f"A template for {event.code} in '{fields['language_code']}'"
                    f"{' for ' + country.upper() if country else ''} already exists.",
                    code="EMAIL_TEMPLATE_EXISTS")


def create(brand: dict, fields: dict[str, Any]) -> dict[str, Any]:
    """``fields``: event_id, language_code, country_code, subject, body, tags."""
    event = find_event(fields["event_id"], field="eventId")
    render_sample(brand, event, fields["subject"], fields["body"])
    slot, copy = _items(brand["id"], ids.new_id(), event, fields, None)
    try:
        with transaction() as tx:
            tx.save(slot, condition=TemplateItem.pk.does_not_exist())
            tx.save(copy, condition=TemplateItem.pk.does_not_exist())
    except ConditionFailed:
        raise _duplicate(event, fields) from None
    return to_dto(copy)


def update(brand: dict, template_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Replace a template; moving it to an event x language x country taken by another is 409."""
    old = get_item(brand["id"], template_id)
    event = find_event(fields["event_id"], field="eventId")
    render_sample(brand, event, fields["subject"], fields["body"])
    slot, copy = _items(brand["id"], template_id, event, fields, old.created_date)
    old_slot_key = (template_pk(brand["id"], old.event_code),
                    template_sk(old.language_code, old.country_code))
    moved = (slot.pk, slot.sk) != old_slot_key
    try:
        with transaction() as tx:
            if moved:
                tx.delete(TemplateItem(*old_slot_key), condition=TemplateItem.id == template_id)
                tx.save(slot, condition=TemplateItem.pk.does_not_exist())
            else:
                tx.save(slot, condition=TemplateItem.id == template_id)
            tx.save(copy, condition=TemplateItem.id == template_id)
    except ConditionFailed as e:
        if moved and e.failed(1):
            raise _duplicate(event, fields) from None
        raise Conflict("The template changed meanwhile; read it again.",
                       code="EMAIL_TEMPLATE_CHANGED") from None
    return to_dto(copy)


def delete(brand_id: str, template_id: str) -> bool:
    item = get_item(brand_id, template_id)
    try:
        with transaction() as tx:
            tx.delete(TemplateItem(template_pk(brand_id, item.event_code),
                                   template_sk(item.language_code, item.country_code)),
                      condition=TemplateItem.id == template_id)
            tx.delete(TemplateItem(*template_id_key(brand_id, template_id)),
                      condition=TemplateItem.id == template_id)
    except ConditionFailed:
        raise NotFound("E-mail template not found.", code="EMAIL_TEMPLATE_NOT_FOUND") from None
    return True


def save_template(brand_id: str, event_code: str, *, subject: str, body: str,
                  language_code: str = templates.DEFAULT_LANGUAGE,
                  country_code: str | None = None, tags: str | None = None,
                  validate: bool = True) -> dict:
    """Create or replace a brand's template without the API (tests, seeding).

    ``validate=False`` stores it unchecked: only for tests of a template broken some other way.
    """
    event = catalog.event(event_code)
    if event is None:
        raise templates.TemplateError(f"No mail is defined for the event {event_code}.")
    if validate:
        templates.check(subject, body, event_code)
    fields = {"language_code": language_code, "country_code": country_code,
              "subject": subject, "body": body, "tags": tags}
    existing = [i for i in TemplateItem.query(template_pk(brand_id, event_code),
                                              TemplateItem.sk == template_sk(language_code,
                                                                             country_code))]
    template_id = existing[0].id if existing else ids.new_id()
    slot, copy = _items(brand_id, template_id, event, fields,
                        existing[0].created_date if existing else None)
    with transaction() as tx:
        tx.save(slot)
        tx.save(copy)
    return to_dto(copy)


# -- preview and test mail ---------------------------------------------------------------------

def preview(brand: dict, event_id: str, subject: str, body: str) -> dict[str, str]:
    event = find_event(event_id, field="eventId")
    rendered = render_sample(brand, event, subject, body)
    return {"subject": rendered.subject, "body": rendered.body}


def test_mail(brand: dict, event_id: str, subject: str, body: str, to: str,
              language_code: str | None = None) -> OutboxItem:
    """The rendered sample mail to ``to``, as an outbox row (the caller saves and publishes)."""
    event = find_event(event_id, field="eventId")
    render_sample(brand, event, subject, body)
    return outbox.row(brand["id"], "mail", {
        "eventCode": event.code, "to": to, "context": sample_context(event),
        "languageCode": language_code, "template": {"subject": subject, "body": body}})


def send_test_mail(brand: dict, event_id: str, subject: str, body: str, to: str,
                   language_code: str | None = None) -> dict[str, Any]:
    row = test_mail(brand, event_id, subject, body, to, language_code)
    with transaction() as tx:
        outbox.add(tx, [row])
    outbox.publish([row])
    return {"to": to, "outboxId": row.id}
