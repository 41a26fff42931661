"""The delivery log (JFW "Tracking Email"): one row per mail or text a provider accepted.

Every channel writes its rows here (``record``), so the admin's list and the local stack's
``v1/dev/mails`` read one log.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib import settings
from chalicelib.notify.models import SentMailItem, SesMessageItem, sent_mail_pk, ses_message_pk
from chalicelib.notify.outbox import stamp

EMAIL, SMS = "Email", "Sms"  # JFW's TrackingEmailNotificationChannelType values we send on

# A row's delivery status: Sent (the provider accepted it), then from SES feedback Delivered,
# Bounced or Complained (feedback.py); Failed (the outbox gave up) and Skipped (the address is
# suppressed) rows never left.
SENT, DELIVERED, BOUNCED, COMPLAINED, FAILED, SKIPPED = (
    "Sent", "Delivered", "Bounced", "Complained", "Failed", "Skipped")
STATUSES = (SENT, DELIVERED, BOUNCED, COMPLAINED, FAILED, SKIPPED)
# How long after a send SES feedback can still find its row (a complaint may come weeks later).
FEEDBACK_WINDOW = timedelta(days=90)


def _dev_partition(channel: str) -> str:
    """gsi1 partition of every brand's rows of a channel (local and test stages only)."""
    return "SENTMAIL" if channel == EMAIL else "SENTTEXT"


def record(*, brand_id: str, outbox_id: str, channel: str, to: str, sender: str | None,
           subject: str | None, body: str | None, event_code: str, message_id: str | None,
           template_source: str, language_code: str | None, now: datetime,
           status: str = SENT, status_reason: str | None = None) -> SentMailItem:
    """The log row of one accepted message (or, with ``status`` Failed or Skipped, of one that
    never left); the caller writes it (with its outbox row)."""
    sort_key = f"{stamp(now)}#{outbox_id}"
    row = SentMailItem(
        sent_mail_pk(brand_id), sort_key,
        brand_id=brand_id, outbox_id=outbox_id, channel=channel, to=to, sender=sender,
        subject=subject, body=body, event_code=event_code, message_id=message_id,
        template_source=template_source, language_code=language_code, sent_date=now,
        status=status, status_reason=status_reason, status_date=now,
    )
    if settings.get().is_local and status == SENT:
        row.gsi1pk, row.gsi1sk = _dev_partition(channel), sort_key
    return row


def pointer(row: SentMailItem) -> SesMessageItem:
    """The item that finds ``row`` from its provider message id (SES feedback names only that);
    written with the row."""
    assert row.message_id
    return SesMessageItem(ses_message_pk(row.message_id), "SESMSG", brand_id=row.brand_id,
                          log_sk=row.sk, to=row.to,
                          ttl=int((row.sent_date + FEEDBACK_WINDOW).timestamp()))


def to_dto(item: Any) -> dict:
    return {"to": item.to, "subject": item.subject, "body": item.body, "time": item.sent_date,
            "eventCode": item.event_code, "messageId": item.message_id,
            "from": item.sender, "brandId": item.brand_id}


def sent_mails(brand_id: str, limit: int = 100) -> list[dict]:
    """A brand's sent mails, newest first."""
    return [to_dto(i) for i in SentMailItem.query(sent_mail_pk(brand_id),
                                                  scan_index_forward=False, limit=limit)
            if i.channel == EMAIL and (i.status or SENT) not in (FAILED, SKIPPED)]


def all_sent(channel: str = EMAIL, to: str | None = None, limit: int = 100) -> list[dict]:
    """Every brand's sent mails (or texts), newest first; local and test stages only."""
    wanted = to.strip().casefold() if to else None
    out: list[dict] = []
    for item in SentMailItem.gsi1.query(_dev_partition(channel), scan_index_forward=False):
        if wanted and item.to.casefold() != wanted:
            continue
        out.append(to_dto(item))
        if len(out) >= limit:
            break
    return out
