"""Notify handlers.

Like payments/checkout/api.py, this handler module imports higher contexts' services (identity
for a permission the list narrows by, wallet for ``v1/events?type=``); no service imports it,
so there is no cycle.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.http.context import RequestContext
from chalicelib.http.errors import BadRequest
from chalicelib.identity import service as identity
from chalicelib.notify import (
    emailtemplates,
    events,
    feedback,
    mailer,
    suppressions,
    trackingemails,
)
from chalicelib.wallet import service as wallet

DEV_MAILS_LIMIT = 200
TEST_MAILS_PER_HOUR = 20  # per admin: a test mail goes to the caller's own address


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


# -- e-mail templates (emailtemplates.py) --------------------------------------------------------

def _template_fields(ctx: RequestContext) -> dict:
    b = ctx.body
    return {"event_id": b.eventId, "language_code": b.languageCode,
            "country_code": b.countryCode, "subject": b.subject, "body": b.body, "tags": b.tags}


def list_email_templates(ctx: RequestContext) -> dict:
    return emailtemplates.list_templates(ctx.brand_id, ctx.query)


def get_email_template(ctx: RequestContext, id: str) -> dict:  # noqa: A002 - the path parameter
    return emailtemplates.get(ctx.brand_id, id)


def create_email_template(ctx: RequestContext) -> dict:
    return emailtemplates.create(ctx.brand, _template_fields(ctx))


def update_email_template(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    return emailtemplates.update(ctx.brand, id, _template_fields(ctx))


def delete_email_template(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    return emailtemplates.delete(ctx.brand_id, id)


def email_template_placeholder_keys(ctx: RequestContext) -> dict:
    event_id = ctx.query.get("eventId")
    event = emailtemplates.find_event(event_id, field="eventId") if event_id else None
    return emailtemplates.placeholder_keys(event)


def event_default_email_template(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    event = emailtemplates.find_event(id)
    return emailtemplates.default_dto(event, ctx.query.get("languageCode"))


def event_email_template(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    event = emailtemplates.find_event(id)
    return emailtemplates.for_event(ctx.brand_id, event, ctx.query.get("languageCode"))


def preview_email_template(ctx: RequestContext) -> dict:
    b = ctx.body
    return emailtemplates.preview(ctx.brand, b.eventId, b.subject, b.body)


def send_test_email_template(ctx: RequestContext) -> dict:
    """Mail the rendered sample to the calling admin's own address (through the outbox)."""
    b = ctx.body
    user = identity.get_user_item(ctx.brand_id, ctx.caller.user_id)
    if not user.email_address:
        raise BadRequest("Your account has no e-mail address to send the test mail to.",
                         code="NO_EMAIL_ADDRESS")
    identity.rate_limit_check(ctx.brand_id, "TEMPLATE-TEST", user.id, TEST_MAILS_PER_HOUR,
                              timedelta(hours=1), "Too many test mails; try again later.",
                              code="TOO_MANY_TEST_MAILS")
    sent = emailtemplates.send_test_mail(ctx.brand, b.eventId, b.subject, b.body,
                                         user.email_address, b.languageCode)
    identity.rate_limit_hit(ctx.brand_id, "TEMPLATE-TEST", user.id, timedelta(hours=1))
    return sent
