"""The suppression list: addresses the mailer doesn't send to, learnt from SES feedback.

- a hard (Permanent) bounce suppresses the address for every brand, until an admin lifts it;
- a complaint (the recipient marked a mail as spam) suppresses it for that brand only;
- ``SOFT_LIMIT`` transient bounces within ``SOFT_WINDOW`` suppress it for every brand for
  ``SOFT_WINDOW`` (a full mailbox recovers; mailing it on only earns more bounces).

One address's suppressions and its transient bounces share one partition
(``SUPPRESS#<address>``), so the mailer's check is one Query. Each suppression names the brand
whose mail caused it (``brandId``): that brand's admins list it and may lift it
(``GET/DELETE v1/tracking-emails/suppressions``); another brand's suppression answers 404.

A skipped mail still leaves a row in the delivery log (status Skipped), and no SES call.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, PutError

from chalicelib import settings
from chalicelib.http import paging
from chalicelib.http.errors import NotFound
from chalicelib.notify import tracking
from chalicelib.notify.models import (
    OutboxItem,
    SoftBounceItem,
    SuppressionItem,
    suppression_pk,
    suppressions_gsi_pk,
)
from chalicelib.notify.outbox import Delivery
from chalicelib.store import ids

ALL = "ALL"
SOFT = "SOFT"
ALL_BRANDS, BRAND = "AllBrands", "Brand"
BOUNCE, COMPLAINT, TRANSIENT = "Bounce", "Complaint", "TransientBounces"
SOFT_LIMIT = 3
SOFT_WINDOW = timedelta(days=7)
MAX_DETAIL = 500
MAX_LISTED = 5000


def _brand_sk(brand_id: str) -> str:
    return f"B#{brand_id}"


def active(brand_id: str, address: str, now: datetime | None = None) -> SuppressionItem | None:
    """The suppression that stops mail from ``brand_id`` to ``address``, if any."""
    now = now or settings.now()
    for item in SuppressionItem.query(suppression_pk(address)):
        if item.sk not in (ALL, _brand_sk(brand_id)):
            continue  # the transient-bounce counter, or another brand's complaint
        if item.expires_date is None or item.expires_date > now:
            return item
    return None


def skip(item: OutboxItem, to: str, event_code: str) -> Delivery | None:
    """For the mailer: a Delivery that logs the mail as Skipped when ``to`` is suppressed for
    the row's brand (no SES call), else None."""
    found = active(item.brand_id, to)
    if found is None:
        return None
    reason = f"{found.reason}: address suppressed" + (
        " for every brand" if found.scope == ALL_BRANDS else " for this brand")
    row = tracking.record(
        brand_id=item.brand_id, outbox_id=item.id, channel=tracking.EMAIL, to=to, sender=None,
        subject=None, body=None, event_code=event_code, message_id=None,
        template_source="default", language_code=None, now=settings.now(),
        status=tracking.SKIPPED, status_reason=reason)
    return Delivery(result={"skipped": "address suppressed", "suppressionId": found.id},
                    writes=[row])


def suppress(brand_id: str, address: str, *, scope: str, reason: str, detail: str | None,
             expires: datetime | None = None) -> SuppressionItem:
    """Add (or renew) a suppression; a later cause replaces an earlier one of the same scope."""
    now = settings.now()
    item = SuppressionItem(
        suppression_pk(address), ALL if scope == ALL_BRANDS else _brand_sk(brand_id),
        id=ids.new_id(), brand_id=brand_id, address=address.strip().casefold(), scope=scope,
        reason=reason, detail=(detail or "")[:MAX_DETAIL] or None, created_date=now,
        expires_date=expires, gsi1pk=suppressions_gsi_pk(brand_id))
    item.gsi1sk = item.id
    if expires is not None:
        item.ttl = int(expires.timestamp())
    item.save()
    return item


def transient_bounce(brand_id: str, address: str, feedback_id: str,
                     detail: str | None) -> SuppressionItem | None:
    """Count one transient bounce (once per SES feedback id); the ``SOFT_LIMIT``-th within
    ``SOFT_WINDOW`` suppresses the address for every brand for ``SOFT_WINDOW``."""
    now = settings.now()
    recent = _count_soft(address, feedback_id[:200], now)
    if len(recent) < SOFT_LIMIT:
        return None
    current = active(brand_id, address, now)
    if current is not None and current.scope == ALL_BRANDS:
        return current  # already suppressed for everyone (a hard bounce, or this rule)
    return suppress(brand_id, address, scope=ALL_BRANDS, reason=TRANSIENT,
                    detail=f"{len(recent)} transient bounces in {SOFT_WINDOW.days} days; "
                    + (detail or ""), expires=now + SOFT_WINDOW)


def _count_soft(address: str, feedback_id: str, now: datetime, tries: int = 5) -> dict:
    """Add one bounce to the address's recent ones (read, then a conditional write on the
    counter's version, retried if another bounce was counted meanwhile)."""
    cutoff = ids.stamp(now - SOFT_WINDOW)
    for _ in range(tries):
        try:
            counter = SoftBounceItem.get(suppression_pk(address), SOFT, consistent_read=True)
            condition = SoftBounceItem.version == counter.version
        except SoftBounceItem.DoesNotExist:
            counter = SoftBounceItem(suppression_pk(address), SOFT, bounces={}, version=0)
            condition = SoftBounceItem.pk.does_not_exist()
        recent = {k: v for k, v in (counter.bounces or {}).items() if v >= cutoff}
        recent[feedback_id] = ids.stamp(now)
        counter.bounces = recent
        counter.version = int(counter.version or 0) + 1
        counter.ttl = int((now + SOFT_WINDOW).timestamp())
        try:
            counter.save(condition=condition)
            return recent
        except PutError as e:
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise
    raise RuntimeError(f"transient bounces of {address}: too many concurrent writers")


def dto(item: SuppressionItem) -> dict[str, Any]:
    return {"id": item.id, "emailAddress": item.address, "scope": item.scope,
            "reason": item.reason, "detail": item.detail, "createdDate": item.created_date,
            "expiresDate": item.expires_date}


def _owned(brand_id: str) -> list[SuppressionItem]:
    return list(SuppressionItem.gsi1.query(suppressions_gsi_pk(brand_id), limit=MAX_LISTED))


def list_for(brand_id: str, query: dict[str, Any]) -> dict[str, Any]:
    """The suppressions the brand's mail caused that are still in force, one page."""
    now = settings.now()
    wanted = (query.get("emailAddress") or "").strip().casefold()
    rows = [dto(i) for i in _owned(brand_id)
            if (i.expires_date is None or i.expires_date > now)
            and (not wanted or wanted in i.address)
            and (not query.get("reason") or i.reason == query["reason"])]
    return paging.page(rows, query, ("emailAddress", "reason", "expiresDate"),
                       keyword_fields=("emailAddress", "reason", "detail"))


def lift(brand_id: str, suppression_id: str) -> bool:
    """Remove one of the brand's suppressions (the address gets mail again); 404 if the brand
    has none by that id."""
    for item in SuppressionItem.gsi1.query(suppressions_gsi_pk(brand_id),
                                           SuppressionItem.gsi1sk == suppression_id):
        # The index may lag a replacement: delete only the item that still carries this id.
        try:
            item.delete(condition=SuppressionItem.id == suppression_id)
        except DeleteError as e:
            if e.cause_response_code != "ConditionalCheckFailedException":
                raise
            break  # replaced meanwhile (a newer cause): nothing of ours to lift
        if item.sk == ALL and item.reason == TRANSIENT:
            _forget_soft(item.address)
        return True
    raise NotFound("No such suppression.")


def _forget_soft(address: str) -> None:
    SoftBounceItem(suppression_pk(address), SOFT).delete()  # absent: a no-op
