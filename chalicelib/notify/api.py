"""Notify handlers."""

from __future__ import annotations

from chalicelib.http.context import RequestContext
from chalicelib.notify import mailer

DEV_MAILS_LIMIT = 200


def dev_mails(ctx: RequestContext) -> list[dict]:
    """Every mail sent in this local stack, newest first (optionally only those to ``to``)."""
    return mailer.all_sent_mails(to=ctx.query.get("to"), limit=DEV_MAILS_LIMIT)
