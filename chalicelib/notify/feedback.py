"""SES feedback through SNS (``POST v1/ses/notifications``): bounces, complaints, deliveries.

SES (a configuration set's event destination, or an identity's notification topic) publishes to
our SNS topic, which POSTs each message here. The message is verified first (snsverify.py); a
SubscriptionConfirmation of our topic is confirmed by GETting its SubscribeURL; a replay of a
MessageId already handled changes nothing.

A notification names the SES message id: its sent-mail row (tracking.py, found through the
``SESMSG#`` pointer written with it) gets the new status, and the address may be suppressed
(suppressions.py): a Permanent bounce for every brand, a complaint for the row's brand,
transient bounces counted.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import settings
from chalicelib.http.errors import ApiError, BadRequest, Forbidden
from chalicelib.notify import snsverify, suppressions, tracking
from chalicelib.notify.models import (
    SentMailItem,
    SesMessageItem,
    SnsMessageItem,
    sent_mail_pk,
    ses_message_pk,
)

log = logging.getLogger("jfw.feedback")

SEEN_DAYS = 14
MAX_ADDRESS = 320
MAX_RECIPIENTS = 50
MAX_REASON = 500

# Which statuses a notification may replace: a later, stronger signal wins, never the reverse.
_REPLACES = {
    tracking.DELIVERED: (tracking.SENT,),
    tracking.BOUNCED: (tracking.SENT, tracking.DELIVERED),
    tracking.COMPLAINED: (tracking.SENT, tracking.DELIVERED, tracking.BOUNCED),
}


class SnsUnreachable(ApiError):
    status, code = 503, "SNS_UNREACHABLE"


def receive(raw: bytes) -> dict[str, Any]:
    """Verify and act on one SNS message; what was done, for the reply."""
    try:
        message = json.loads(raw or b"")
    except ValueError:
        raise BadRequest("The body is not an SNS message (JSON).") from None
    if not isinstance(message, dict):
        raise BadRequest("The body is not an SNS message (a JSON object).")
    message_id = message.get("MessageId")
    if not isinstance(message_id, str) or not 0 < len(message_id) <= 100:
        raise BadRequest("MessageId is missing.", field="MessageId")
    try:
        snsverify.verify(message)
    except snsverify.Refused as e:
        log.warning("SNS message %s refused: %s", message_id, e)
        raise Forbidden(f"SNS message refused: {e}.") from None
    except snsverify.Unreachable as e:
        raise SnsUnreachable(f"SNS could not be reached to check the message: {e}.") from None
    if _seen(message_id):
        return {"handled": "replay", "messageId": message_id}
    kind = message["Type"]
    if kind == "SubscriptionConfirmation":
        try:
            snsverify.fetch(message.get("SubscribeURL"), 64 * 1024)
        except snsverify.Refused as e:
            raise Forbidden(f"SubscribeURL refused: {e}.") from None
        except snsverify.Unreachable as e:
            raise SnsUnreachable(f"Could not confirm the subscription: {e}.") from None
        handled = "subscribed"
    elif kind == "Notification":
        handled = apply(_ses_event(message.get("Message")))
    else:
        handled = "ignored"
    _mark_seen(message_id, message["TopicArn"])
    return {"handled": handled, "messageId": message_id}


def _ses_event(text: Any) -> dict[str, Any]:
    try:
        event = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        event = None
    if not isinstance(event, dict):
        raise BadRequest("The notification's Message is not an SES event (JSON object).")
    return event


def _seen(message_id: str) -> bool:
    try:
        SnsMessageItem.get(f"SNSMSG#{message_id}", "SNSMSG", consistent_read=True)
        return True
    except SnsMessageItem.DoesNotExist:
        return False


def _mark_seen(message_id: str, topic_arn: str) -> None:
    now = settings.now()
    item = SnsMessageItem(f"SNSMSG#{message_id}", "SNSMSG", topic_arn=topic_arn,
                          received_date=now,
                          ttl=int((now + timedelta(days=SEEN_DAYS)).timestamp()))
    try:
        item.save(condition=SnsMessageItem.pk.does_not_exist())
    except PutError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        # the same message, acted on at the same time: our effects are idempotent


def _addresses(recipients: Any, key: str = "emailAddress") -> list[str]:
    out = []
    for r in (recipients if isinstance(recipients, list) else [])[:MAX_RECIPIENTS]:
        address = r.get(key) if isinstance(r, dict) else r
        if isinstance(address, str) and "@" in address and len(address) <= MAX_ADDRESS:
            out.append(address.strip())
    return out


def apply(event: dict[str, Any]) -> str:
    """Act on one SES event (notificationType or, from a configuration set, eventType)."""
    kind = event.get("notificationType") or event.get("eventType")
    mail = event.get("mail") if isinstance(event.get("mail"), dict) else {}
    ses_id = mail.get("messageId")
    if not isinstance(ses_id, str) or not 0 < len(ses_id) <= 200:
        raise BadRequest("The SES event names no mail.messageId.")
    try:
        pointer = SesMessageItem.get(ses_message_pk(ses_id), "SESMSG")
    except SesMessageItem.DoesNotExist:
        log.info("SES %s for message %s: not a mail we logged", kind, ses_id)
        return "unknown mail"
    if kind == "Bounce":
        bounce = event.get("bounce") if isinstance(event.get("bounce"), dict) else {}
        bounce_type = str(bounce.get("bounceType") or "Undetermined")
        recipients = bounce.get("bouncedRecipients") or []
        diagnostic = next((r.get("diagnosticCode") for r in recipients
                           if isinstance(r, dict) and r.get("diagnosticCode")), None)
        reason = f"{bounce_type}/{bounce.get('bounceSubType') or 'General'}" + (
            f": {diagnostic}" if diagnostic else "")
        _set_status(pointer, tracking.BOUNCED, reason)
        for address in _addresses(recipients):
            if bounce_type == "Permanent":
                suppressions.suppress(pointer.brand_id, address,
                                      scope=suppressions.ALL_BRANDS,
                                      reason=suppressions.BOUNCE, detail=reason)
            else:
                feedback_id = str(bounce.get("feedbackId") or ses_id)
                suppressions.transient_bounce(pointer.brand_id, address, feedback_id, reason)
        return "bounce"
    if kind == "Complaint":
        complaint = event.get("complaint") if isinstance(event.get("complaint"), dict) else {}
        reason = "Complaint" + (f": {complaint['complaintFeedbackType']}"
                                if complaint.get("complaintFeedbackType") else "")
        _set_status(pointer, tracking.COMPLAINED, reason)
        for address in _addresses(complaint.get("complainedRecipients")):
            suppressions.suppress(pointer.brand_id, address, scope=suppressions.BRAND,
                                  reason=suppressions.COMPLAINT, detail=reason)
        return "complaint"
    if kind == "Delivery":
        _set_status(pointer, tracking.DELIVERED, None)
        return "delivery"
    return "ignored"


def _set_status(pointer: SesMessageItem, status: str, reason: str | None) -> None:
    row = SentMailItem(sent_mail_pk(pointer.brand_id), pointer.log_sk)
    allowed = SentMailItem.status.does_not_exist()
    for before in _REPLACES[status]:
        allowed = allowed | (SentMailItem.status == before)
    actions = [SentMailItem.status.set(status), SentMailItem.status_date.set(settings.now())]
    actions.append(SentMailItem.status_reason.set(reason[:MAX_REASON]) if reason
                   else SentMailItem.status_reason.remove())
    try:
        row.update(actions=actions, condition=SentMailItem.pk.exists() & allowed)
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        # a stronger status is there already (or the row expired): nothing to change
