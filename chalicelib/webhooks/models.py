"""Webhook items, all in the ``webhooks`` table.

Access patterns (pk / sk):
- endpoint .............. ``B#<b>#WHE`` / ``<endpointId>``: a brand's endpoints are one Query
                          (the fan-out of every event reads it once); the signing secret sealed
                          (store/secrets.py, context ``webhook:<endpointId>:secret``), and while a
                          rolled secret is still honoured the previous one and its end
- delivery .............. ``B#<b>#WHD#<endpointId>`` / ``<deliveryId>``: one event sent to one
                          endpoint, with its attempts (newest last, at most ``MAX_ATTEMPTS_KEPT``);
                          an endpoint's deliveries are one Query, a delivery one GetItem. The
                          id is derived from the event's outbox row and the endpoint, so a
                          fan-out run twice writes it once. Sparse ``due`` index while an
                          attempt is due: duePk ``WHDUE#<n>``, dueSk ``<when>#<b>#<endpointId>#
                          <deliveryId>`` (the retry job reads only what is due). Kept 30 days
                          after its last change (``ttl``).
"""

from __future__ import annotations

import zlib
from datetime import datetime

from pynamodb.attributes import (
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.store.base import BaseModel, DueIndex, table_meta
from chalicelib.store.ids import stamp

Meta = table_meta("webhooks")

DUE_SHARDS = 4
DUE_PREFIX = "WHDUE#"
MAX_ATTEMPTS_KEPT = 30


def endpoints_pk(brand_id: str) -> str:
    return f"B#{brand_id}#WHE"


def deliveries_pk(brand_id: str, endpoint_id: str) -> str:
    return f"B#{brand_id}#WHD#{endpoint_id}"


def due_shard(delivery_id: str) -> str:
    return f"{DUE_PREFIX}{zlib.crc32(delivery_id.encode()) % DUE_SHARDS}"


def due_shards() -> list[str]:
    return [f"{DUE_PREFIX}{n}" for n in range(DUE_SHARDS)]


def due_sk(moment: datetime, brand_id: str, endpoint_id: str, delivery_id: str) -> str:
    return f"{stamp(moment)}#{brand_id}#{endpoint_id}#{delivery_id}"


class WebhookRecord(BaseModel):
    """Base of every webhooks item; queries of it return the stored subclass."""

    Meta = Meta
    kind = DiscriminatorAttribute()
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    due_pk = UnicodeAttribute(attr_name="duePk", null=True)
    due_sk = UnicodeAttribute(attr_name="dueSk", null=True)
    due = DueIndex()


class EndpointItem(WebhookRecord, discriminator="WHE"):
    url = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    enabled_events = ListAttribute(attr_name="enabledEvents", of=UnicodeAttribute)
    status = UnicodeAttribute()  # Enabled | Disabled
    status_reason = UnicodeAttribute(attr_name="statusReason", null=True)
    secret = UnicodeAttribute()  # sealed
    previous_secret = UnicodeAttribute(attr_name="previousSecret", null=True)  # sealed
    previous_until = UTCDateTimeAttribute(attr_name="previousUntil", null=True)
    created_by = UnicodeAttribute(attr_name="createdBy", null=True)
    updated_date = UTCDateTimeAttribute(attr_name="updatedDate", null=True)
    last_success_date = UTCDateTimeAttribute(attr_name="lastSuccessDate", null=True)
    version = NumberAttribute(default=1)


class DeliveryItem(WebhookRecord, discriminator="WHD"):
    endpoint_id = UnicodeAttribute(attr_name="endpointId")
    event = UnicodeAttribute()  # the event code, e.g. PAYMENT.PROCESSED.SUCCESS
    body = UnicodeAttribute()  # the exact JSON sent (signed as is)
    status = UnicodeAttribute()  # Pending | Succeeded | Failed
    attempts = JSONAttribute(default=list)  # [{date, statusCode, response, durationMs, error}]
    first_attempt_date = UTCDateTimeAttribute(attr_name="firstAttemptDate", null=True)
    next_attempt_date = UTCDateTimeAttribute(attr_name="nextAttemptDate", null=True)
    claim_id = UnicodeAttribute(attr_name="claimId", null=True)
    lease_until = UTCDateTimeAttribute(attr_name="leaseUntil", null=True)
    updated_date = UTCDateTimeAttribute(attr_name="updatedDate", null=True)
