"""Phone-template handlers and the dev text list."""

from __future__ import annotations

from typing import Any

from chalicelib.http.context import RequestContext
from chalicelib.notify import phonetemplates, texter
from chalicelib.notify.catalog import Event

DEV_TEXTS_LIMIT = 200


def _event(e: Event) -> dict[str, Any]:
    """A minimal IEvent (the events API's ``event_dto`` replaces it once merged)."""
    return {"id": e.id, "guid": e.id, "createdDate": None, "groupCodeName": e.group,
            "code": e.code, "name": e.name, "description": e.description,
            "trackingLevel": e.tracking_level, "tags": None, "zOrder": None,
            "status": "Active", "isSystem": True}


def textable_events(ctx: RequestContext) -> list[dict]:
    return [_event(e) for e in phonetemplates.textable()]


def get_phone_template(ctx: RequestContext, id: str) -> dict:  # noqa: A002 - the path's name
    event = phonetemplates.event_for_texts(id)
    return phonetemplates.read(ctx.brand_id, event, _event(event), ctx.query.get("languageCode"))


def default_phone_template(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    event = phonetemplates.event_for_texts(id)
    return phonetemplates.default_dto(event, ctx.query.get("languageCode"))


def put_phone_template(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    event = phonetemplates.event_for_texts(id)
    b = ctx.body
    return phonetemplates.save(ctx.brand_id, event, _event(event), language_code=b.languageCode,
                               content=b.content, status=b.status)


def delete_phone_template(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    event = phonetemplates.event_for_texts(id)
    return phonetemplates.delete(ctx.brand_id, event, ctx.query.get("languageCode"))


def dev_texts(ctx: RequestContext) -> list[dict]:
    """Every text sent in this local stack, newest first (optionally only those to ``to``)."""
    return texter.all_sent_texts(to=ctx.query.get("to"), limit=DEV_TEXTS_LIMIT)
