"""Phone-template handlers and the dev text list."""

from __future__ import annotations

from typing import Any

from chalicelib.http.context import RequestContext
from chalicelib.notify import eventsettings, phonetemplates, texter
from chalicelib.notify.catalog import Event
from chalicelib.notify.events import event_dto

DEV_TEXTS_LIMIT = 200


def _event(brand_id: str, e: Event) -> dict[str, Any]:
    return event_dto(e, eventsettings.channels(brand_id, e.code))


def textable_events(ctx: RequestContext) -> list[dict]:
    chosen = eventsettings.all_channels(ctx.brand_id)  # one Query for every event
    return [event_dto(e, chosen[e.code]) for e in phonetemplates.textable()]


def get_phone_template(ctx: RequestContext, id: str) -> dict:  # noqa: A002 - the path's name
    event = phonetemplates.event_for_texts(id)
    return phonetemplates.read(ctx.brand_id, event, _event(ctx.brand_id, event),
                               ctx.query.get("languageCode"))


def default_phone_template(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    event = phonetemplates.event_for_texts(id)
    return phonetemplates.default_dto(event, ctx.query.get("languageCode"))


def put_phone_template(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    event = phonetemplates.event_for_texts(id)
    b = ctx.body
    return phonetemplates.save(ctx.brand_id, event, _event(ctx.brand_id, event),
                               language_code=b.languageCode, content=b.content, status=b.status)


def delete_phone_template(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    event = phonetemplates.event_for_texts(id)
    return phonetemplates.delete(ctx.brand_id, event, ctx.query.get("languageCode"))


def dev_texts(ctx: RequestContext) -> list[dict]:
    """Every text sent in this local stack, newest first (optionally only those to ``to``)."""
    return texter.all_sent_texts(to=ctx.query.get("to"), limit=DEV_TEXTS_LIMIT)
