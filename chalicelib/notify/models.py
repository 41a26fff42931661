"""Notify items, all in the ``notify`` table.

Access patterns (pk / sk):
- outbox row by id ........ ``B#<brand>#OUTBOX#<id>`` / ``OUTBOX`` (the SQS message names it)
- unsent outbox rows ...... sparse index ``due``: duePk ``OUTBOX#<shard 0..7>``, dueSk
                            ``<time the sweeper looks at it>#<id>``; removed once Sent or given
                            up (Failed), so the sweeper reads only what is late
- a brand's sent log ...... ``B#<brand>#SENTMAIL`` / ``<sent time>#<outbox id>`` (newest first:
                            Query with ScanIndexForward false); mails and texts (``channel``).
                            JFW's "Tracking Email" log (tracking.py).
- all sent (dev) .......... gsi1 ``SENTMAIL`` (texts ``SENTTEXT``) / ``<sent time>#<outbox id>``,
                            written only in the local and test stages (``GET /api/v1/dev/mails``)
- brand event setting .... ``B#<brand>#EVENTSETTING`` / ``<EVENT.CODE>`` (mail on/off, SMS on/off)
- brand e-mail template ... ``B#<brand>#TEMPLATE#<EVENT.CODE>`` / ``LANG#<languageCode>``;
                            a brand's templates: gsi1 ``B#<brand>#TEMPLATES`` by event + language
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.store.base import BaseModel, DueIndex, Gsi1, table_meta

Meta = table_meta("notify")

# Outbox row statuses. Pending -> Sending (claimed, with a lease) -> Sent; a failed attempt goes
# back to Pending, and after the queue's max receives to Failed (out of the due index; the SQS
# message is in the dead-letter queue by then, and redriving it retries the row).
PENDING, SENDING, SENT, FAILED = "Pending", "Sending", "Sent", "Failed"


def outbox_pk(brand_id: str, outbox_id: str) -> str:
    return f"B#{brand_id}#OUTBOX#{outbox_id}"


def sent_mail_pk(brand_id: str) -> str:
    return f"B#{brand_id}#SENTMAIL"


def template_pk(brand_id: str, event_code: str) -> str:
    return f"B#{brand_id}#TEMPLATE#{event_code}"


class OutboxItem(BaseModel):
    Meta = Meta
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    kind = UnicodeAttribute()
    payload = JSONAttribute(default=dict)
    status = UnicodeAttribute(default=PENDING)
    attempts = NumberAttribute(default=0)
    publishes = NumberAttribute(default=0)  # how often the sweeper sent it again
    last_error = UnicodeAttribute(attr_name="lastError", null=True)
    claim_id = UnicodeAttribute(attr_name="claimId", null=True)
    lease_until = UTCDateTimeAttribute(attr_name="leaseUntil", null=True)
    result = JSONAttribute(null=True)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    sent_date = UTCDateTimeAttribute(attr_name="sentDate", null=True)
    due_pk = UnicodeAttribute(attr_name="duePk", null=True)
    due_sk = UnicodeAttribute(attr_name="dueSk", null=True)
    due = DueIndex()


class SentMailItem(BaseModel):
    """One mail SES accepted (JFW "Tracking Email"): to, subject, body, time, event, messageId."""

    Meta = Meta
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    brand_id = UnicodeAttribute(attr_name="brandId")
    outbox_id = UnicodeAttribute(attr_name="outboxId")
    channel = UnicodeAttribute(default="Email")  # Email | Sms (tracking.EMAIL / tracking.SMS)
    to = UnicodeAttribute()
    sender = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)  # texts have none
    body = UnicodeAttribute()
    event_code = UnicodeAttribute(attr_name="eventCode")
    message_id = UnicodeAttribute(attr_name="messageId")
    template_source = UnicodeAttribute(attr_name="templateSource", default="default")
    language_code = UnicodeAttribute(attr_name="languageCode", null=True)
    sent_date = UTCDateTimeAttribute(attr_name="sentDate")


class TemplateItem(BaseModel):
    """A brand's own subject and body for one event and language (JFW TrackingEmailPattern)."""

    Meta = Meta
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    event_code = UnicodeAttribute(attr_name="eventCode")
    language_code = UnicodeAttribute(attr_name="languageCode", default="en")
    country_code = UnicodeAttribute(attr_name="countryCode", null=True)
    subject = UnicodeAttribute()
    body = UnicodeAttribute()
    tags = UnicodeAttribute(null=True)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


def event_setting_pk(brand_id: str) -> str:
    return f"B#{brand_id}#EVENTSETTING"


class EventSettingItem(BaseModel):
    """A brand's choice for one event: whether it is mailed and whether it is texted.

    Absent means the event's defaults (eventsettings.py): mailed, texted only when the event
    says so. pk ``B#<brand>#EVENTSETTING``, sk the event code: a brand's settings are one Query.
    """

    Meta = Meta
    brand_id = UnicodeAttribute(attr_name="brandId")
    event_code = UnicodeAttribute(attr_name="eventCode")
    mail_enabled = BooleanAttribute(attr_name="mailEnabled", null=True)
    sms_enabled = BooleanAttribute(attr_name="smsEnabled", null=True)
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate")


# Text messages (issue 15). A brand's own text for one event and language:
# ``B#<brand>#PHONETEMPLATE#<EVENT.CODE>`` / ``LANG#<languageCode>`` (one Query per event).
def phone_template_pk(brand_id: str, event_code: str) -> str:
    return f"B#{brand_id}#PHONETEMPLATE#{event_code}"


class PhoneTemplateItem(BaseModel):
    """A brand's own text message for one event and language (JFW's phone template)."""

    Meta = Meta
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    event_code = UnicodeAttribute(attr_name="eventCode")
    language_code = UnicodeAttribute(attr_name="languageCode", default="en")
    content = UnicodeAttribute()
    status = UnicodeAttribute(default="Active")  # JFW's PhoneTemplateStatus: Active | Inactive
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)
