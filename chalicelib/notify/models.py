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
- sent row by SES id ...... ``SESMSG#<SES message id>`` / ``SESMSG``: the brand and sort key of
                            the row (feedback.py finds it from a bounce in one GetItem)
- suppressed address ...... ``SUPPRESS#<address>`` / ``ALL`` (every brand) or ``B#<brand>``; its
                            transient bounces ``SOFT``; a brand's list: gsi1
                            ``B#<brand>#SUPPRESSIONS`` / ``<id>`` (suppressions.py)
- SNS message seen ........ ``SNSMSG#<MessageId>`` / ``SNSMSG`` (a replay is a no-op; 14 days)
- brand event setting .... ``B#<brand>#EVENTSETTING`` / ``<EVENT.CODE>`` (mail on/off, SMS on/off)
- brand e-mail template ... ``B#<brand>#TEMPLATE#<EVENT.CODE>`` / ``LANG#<language>#<COUNTRY|->``
                            (one per event x language x country: the mailer's one Query);
                            a brand's templates: gsi1 ``B#<brand>#TEMPLATES`` by event + language
- e-mail template by id ... ``B#<brand>#EMAILTEMPLATE#<id>`` / ``EMAILTEMPLATE``: a copy of the
                            template, written in the same transaction (GET by id: one GetItem)
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
    sender = UnicodeAttribute(null=True)  # none on a Failed or Skipped row
    subject = UnicodeAttribute(null=True)  # texts have none
    body = UnicodeAttribute(null=True)  # none on a Failed or Skipped row
    event_code = UnicodeAttribute(attr_name="eventCode")
    message_id = UnicodeAttribute(attr_name="messageId", null=True)  # the provider's, once sent
    template_source = UnicodeAttribute(attr_name="templateSource", default="default")
    language_code = UnicodeAttribute(attr_name="languageCode", null=True)
    sent_date = UTCDateTimeAttribute(attr_name="sentDate")
    # Delivery status (tracking.py): Sent, then Delivered / Bounced / Complained from SES
    # feedback (feedback.py); Failed (the outbox gave up) and Skipped (suppressed) rows never left.
    status = UnicodeAttribute(null=True)  # None on rows written before: Sent
    status_reason = UnicodeAttribute(attr_name="statusReason", null=True)
    status_date = UTCDateTimeAttribute(attr_name="statusDate", null=True)


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


# -- delivery feedback (trk: tracking.py, feedback.py, suppressions.py) -------------------------

def ses_message_pk(message_id: str) -> str:
    return f"SESMSG#{message_id}"


def suppression_pk(address: str) -> str:
    return f"SUPPRESS#{address.strip().casefold()}"


def suppressions_gsi_pk(brand_id: str) -> str:
    return f"B#{brand_id}#SUPPRESSIONS"


class SesMessageItem(BaseModel):
    """Which sent-mail row an SES message id belongs to; written with the row."""

    Meta = Meta
    brand_id = UnicodeAttribute(attr_name="brandId")
    log_sk = UnicodeAttribute(attr_name="logSk")
    to = UnicodeAttribute()


class SuppressionItem(BaseModel):
    """An address no mail goes to: for every brand (sk ``ALL``: a hard bounce, or transient
    bounces for a while) or for one brand (sk ``B#<brand>``: a complaint). ``brand_id`` is the
    brand whose mail caused it (whose admins list and lift it)."""

    Meta = Meta
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    address = UnicodeAttribute()
    scope = UnicodeAttribute()  # AllBrands | Brand
    reason = UnicodeAttribute()  # Bounce | Complaint | TransientBounces
    detail = UnicodeAttribute(null=True)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    expires_date = UTCDateTimeAttribute(attr_name="expiresDate", null=True)


class SoftBounceItem(BaseModel):
    """An address's recent transient bounces: SES feedback id -> when (idempotent by id)."""

    Meta = Meta
    bounces = JSONAttribute(default=dict)
    version = NumberAttribute(default=0)  # optimistic lock: two bounces at once both count


class SnsMessageItem(BaseModel):
    """An SNS message already acted on (``ttl``: kept 14 days, longer than SNS retries)."""

    Meta = Meta
    topic_arn = UnicodeAttribute(attr_name="topicArn")
    received_date = UTCDateTimeAttribute(attr_name="receivedDate")


def template_sk(language_code: str, country_code: str | None) -> str:
    """A brand template's sort key: one per language x country (``-``: any country)."""
    return f"LANG#{language_code.lower()}#{(country_code or '-').upper()}"


def template_id_key(brand_id: str, template_id: str) -> tuple[str, str]:
    """The by-id copy of a brand template (``TemplateItem`` too, without gsi1)."""
    return f"B#{brand_id}#EMAILTEMPLATE#{template_id}", "EMAILTEMPLATE"


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
