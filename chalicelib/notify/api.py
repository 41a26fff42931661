"""Notify handlers."""

from __future__ import annotations

from chalicelib.http.context import RequestContext
from chalicelib.notify import feedback, mailer, suppressions, trackingemails

DEV_MAILS_LIMIT = 200


def dev_mails(ctx: RequestContext) -> list[dict]:
    """Every mail sent in this local stack, newest first (optionally only those to ``to``)."""
    return mailer.all_sent_mails(to=ctx.query.get("to"), limit=DEV_MAILS_LIMIT)


# -- delivery tracking and SES feedback ---------------------------------------------------------

def list_tracking_emails(ctx: RequestContext) -> dict:
    return trackingemails.list_rows(ctx.brand_id, ctx.query)


def get_tracking_email(ctx: RequestContext, id: str) -> dict:  # noqa: A002 - the path's name
    return trackingemails.get(ctx.brand_id, id)


def list_suppressions(ctx: RequestContext) -> dict:
    return suppressions.list_for(ctx.brand_id, ctx.query)


def delete_suppression(ctx: RequestContext, id: str) -> bool:  # noqa: A002 - the path's name
    return suppressions.lift(ctx.brand_id, id)


def ses_notifications(ctx: RequestContext) -> dict:
    """SNS's POST (Content-Type text/plain, JSON inside): verified, then acted on once."""
    return feedback.receive(ctx.raw_body)
