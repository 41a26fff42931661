"""Notify handlers.

Like payments/checkout/api.py, this handler module imports higher contexts' services (identity
for a permission the list narrows by, wallet for ``v1/events?type=``); no service imports it,
so there is no cycle.
"""

from __future__ import annotations

from typing import Any

from chalicelib.http.context import RequestContext
from chalicelib.identity import service as identity
from chalicelib.notify import events, feedback, mailer, suppressions, trackingemails
from chalicelib.wallet import service as wallet

DEV_MAILS_LIMIT = 200


def dev_mails(ctx: RequestContext) -> list[dict]:
    """Every mail sent in this local stack, newest first (optionally only those to ``to``)."""
    return mailer.all_sent_mails(to=ctx.query.get("to"), limit=DEV_MAILS_LIMIT)


# -- events (events.py) ------------------------------------------------------------------------

def list_events(ctx: RequestContext) -> dict[str, Any]:
    """The events (EVENT.READ); with ``type``, or for a caller who may not read events, the
    wallet earning events: JFW's SDK asks for those at this path too (getEventsEarningWallet,
    whose ``type`` is optional, default Earning)."""
    if ctx.query.get("type") or not identity.has_permission(ctx, "EVENT.READ"):
        return wallet.list_earning_events(ctx.brand_id, ctx.query,
                                          identity.has_permission(ctx, "EARNING-EVENT.READ"))
    return events.list_events(ctx.brand_id, ctx.query)


def mail_events(ctx: RequestContext) -> list[dict[str, Any]]:
    return events.mail_events(ctx.brand_id)


def get_event(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return events.get_event(ctx.brand_id, id)


def update_event(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    return events.update_event(ctx.brand_id, id, mail=ctx.body.mailEnabled,
                               sms=ctx.body.smsEnabled)
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
