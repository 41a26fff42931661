"""Deliveries: one event POSTed to one endpoint, retried until it is taken or 3 days pass.

How an event gets here (the fan-out): the contexts whose changes brands follow already write
one event row to the outbox in the change's own transaction (``payment-event``,
``license-event``, ``wallet-event``). Their handlers are registered wrapped in
``service.forwarding``, so when the outbox consumer runs such a row, ``fan_out`` reads the
brand's endpoints (one Query) and returns, for each endpoint that wants the event, a delivery
item and an outbox row of kind ``webhook``; the consumer writes them in the transaction that
marks the event row Sent and publishes the ``webhook`` rows right away. Why there and not in
the change's own transaction: the change's hot path (a gateway notification: one read, one
transaction, one SQS send) gains no read and no write; the event row already guarantees the
event isn't lost, and marking it Sent in the same transaction as the deliveries makes the
fan-out happen once (a duplicate message finds the row Sent; delivery ids are derived from
the event row and the endpoint, so even a lost claim writes nothing twice).

Attempts: the ``webhook`` row's handler makes the first attempt; a failure (no answer, or a
status outside 2xx) schedules the next in the sparse ``due`` index after ``DELAYS`` (1m, 5m,
30m, 2h, 5h, 10h, then every 12h), the last one at 3 days after the first; the
``webhook-retries`` job (jobs.py, every minute) makes the due ones. A success stops it. When
the 3 days pass without one, the delivery is Failed and, unless the endpoint took another
delivery meanwhile, the endpoint is Disabled and the brand's admins are mailed
(WEBHOOK.ENDPOINT.DISABLED: whoever created the endpoint, and the brand's support address).
Each attempt holds a short lease on the delivery (``claimId``), so the job, the outbox and a
resend never POST the same delivery at once.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import settings
from chalicelib.http import paging
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.identity import service as identity
from chalicelib.notify import service as notify
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction
from chalicelib.webhooks import endpoints, signing, ssrf, transport
from chalicelib.webhooks.constants import ENABLED, FAILED, PENDING, PING, SUCCEEDED
from chalicelib.webhooks.models import (
    MAX_ATTEMPTS_KEPT,
    DeliveryItem,
    EndpointItem,
    deliveries_pk,
    due_shard,
    due_shards,
    due_sk,
)

log = logging.getLogger("jfw.webhooks")

DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
          timedelta(hours=5), timedelta(hours=10), timedelta(hours=12))
GIVE_UP_AFTER = timedelta(days=3)
LEASE = timedelta(seconds=60)
KEEP = timedelta(days=30)
DUE_LIMIT_PER_SHARD = 100
# An endpoint's deliveries are kept 30 days; a listing reads at most this many of them.
MAX_LISTED = 2000
DISABLED_EVENT = "WEBHOOK.ENDPOINT.DISABLED"
_IDS = uuid.UUID("6f1e4b4c-29c4-4d4e-9a55-3f0c1b0e7a11")
# Keys of an event row's payload that are the outbox's business, not the brand's.
_INTERNAL = {"mail", "fulfil", "eventId", "brandId", "event", "notificationId",
             "gatewayEventId", "quote"}


def delay(failures: int) -> timedelta:
    """The wait after the ``failures``-th failed attempt (1-based)."""
    return DELAYS[min(failures, len(DELAYS)) - 1]


def delivery_id(event_id: str, endpoint_id: str) -> str:
    return "whd_" + uuid.uuid5(_IDS, f"{event_id}:{endpoint_id}").hex[:20]


def event_data(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in _INTERNAL}


def _body(event_id: str, code: str, brand_id: str, data: dict[str, Any],
          when: datetime) -> str:
    return json.dumps({"id": event_id, "type": code, "createdDate": when.isoformat(),
                       "brandId": brand_id, "data": data},
                      separators=(",", ":"), default=str)


def _new(brand_id: str, endpoint_id: str, the_id: str, code: str, body: str, now: datetime,
         *, scheduled: bool = True) -> DeliveryItem:
    item = DeliveryItem(deliveries_pk(brand_id, endpoint_id), the_id, id=the_id,
                        brand_id=brand_id, endpoint_id=endpoint_id, created_date=now,
                        event=code, body=body, status=PENDING, attempts=[],
                        next_attempt_date=now if scheduled else None,
                        ttl=int((now + KEEP).timestamp()))
    if scheduled:  # unscheduled (a test ping): one attempt, no retries
        item.due_pk = due_shard(the_id)
        item.due_sk = due_sk(now, brand_id, endpoint_id, the_id)
    return item


def fan_out(brand_id: str, code: str | None, data: dict[str, Any], event_id: str) -> list[Any]:
    """For an event row being marked Sent: a delivery and a ``webhook`` outbox row per endpoint
    of the brand that takes ``code`` (nothing when none does)."""
    if not code:
        return []
    targets = [e for e in endpoints.for_brand(brand_id)
               if e.status == ENABLED and endpoints.wants(e, code)]
    if not targets:
        return []
    now = settings.now()
    body = _body(event_id, code, brand_id, data, now)
    out: list[Any] = []
    for e in targets:
        item = _new(brand_id, e.id, delivery_id(event_id, e.id), code, body, now)
        out += [item, notify.row(brand_id, WEBHOOK, {"endpointId": e.id, "deliveryId": item.id})]
    return out


def get(brand_id: str, endpoint_id: str, the_id: str) -> DeliveryItem:
    try:
        return DeliveryItem.get(deliveries_pk(brand_id, endpoint_id), the_id,
                                consistent_read=True)
    except DoesNotExist:
        raise NotFound("Webhook delivery not found.") from None


def _claim(item: DeliveryItem, *, manual: bool) -> str | None:
    now = settings.now()
    claim = ids.new_id()
    free = DeliveryItem.lease_until.does_not_exist() | (DeliveryItem.lease_until < now)
    condition = DeliveryItem.pk.exists() & free
    if not manual:
        condition = condition & (DeliveryItem.status == PENDING)
    try:
        item.update(actions=[DeliveryItem.claim_id.set(claim),
                             DeliveryItem.lease_until.set(now + LEASE)], condition=condition)
    except UpdateError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return claim


def _send(endpoint: EndpointItem, item: DeliveryItem) -> transport.Outcome:
    local = settings.get().is_local
    now = settings.now()
    body = item.body.encode()
    try:
        target = ssrf.check_url(endpoint.url, local=local)
        address = ssrf.resolve(target, local=local)
    except BadRequest as e:
        return transport.Outcome(None, "", 0, e.message)
    headers = {
        "Content-Type": "application/json", "User-Agent": "JFW-Webhooks/1",
        signing.HEADER: signing.header(endpoints.signing_secrets(endpoint, now),
                                       int(now.timestamp()), body),
        "JFW-Delivery-Id": item.id, "JFW-Event": item.event,
    }
    return transport.post(target, address, headers, body)


def attempt(brand_id: str, endpoint_id: str, the_id: str, *,
            manual: bool = False) -> DeliveryItem | None:
    """One attempt of the delivery now; None when another attempt holds it. ``manual`` (a
    resend): whatever its status, and without moving its schedule."""
    item = get(brand_id, endpoint_id, the_id)
    if not manual and item.status != PENDING:
        return item
    claim = _claim(item, manual=manual)
    if claim is None:
        return None
    try:
        endpoint: EndpointItem | None = endpoints.get(brand_id, endpoint_id)
    except NotFound:
        endpoint = None
    if endpoint is None or (endpoint.status != ENABLED and not manual):
        why = "the endpoint was deleted" if endpoint is None else "the endpoint is disabled"
        outcome = transport.Outcome(None, "", 0, f"Not sent: {why}.")
        _record(item, claim, outcome, manual=manual, final=True)
        return get(brand_id, endpoint_id, the_id)
    outcome = _send(endpoint, item)
    gave_up = _record(item, claim, outcome, manual=manual)
    now = settings.now()
    if outcome.ok:
        endpoints.mark_success(endpoint, now)
    elif gave_up:
        _disable(endpoints.get(brand_id, endpoint_id), item)
    return get(brand_id, endpoint_id, the_id)


def _record(item: DeliveryItem, claim: str, outcome: transport.Outcome, *, manual: bool,
            final: bool = False) -> bool:
    """Write the attempt; True when the delivery was given up now."""
    now = settings.now()
    entry = {"date": now.isoformat(), "statusCode": outcome.status_code,
             "response": outcome.response, "durationMs": outcome.duration_ms,
             "error": outcome.error, "manual": manual}
    attempts = [*(item.attempts or []), entry][-MAX_ATTEMPTS_KEPT:]
    first = item.first_attempt_date or now
    actions = [DeliveryItem.attempts.set(attempts), DeliveryItem.first_attempt_date.set(first),
               DeliveryItem.claim_id.remove(), DeliveryItem.lease_until.remove(),
               DeliveryItem.updated_date.set(now),
               DeliveryItem.ttl.set(int((now + KEEP).timestamp()))]
    unschedule = [DeliveryItem.due_pk.remove(), DeliveryItem.due_sk.remove(),
                  DeliveryItem.next_attempt_date.remove()]
    gave_up = False
    if outcome.ok:
        actions += [DeliveryItem.status.set(SUCCEEDED), *unschedule]
    elif item.status == PENDING and (final or item.due_pk is None):
        actions += [DeliveryItem.status.set(FAILED), *unschedule]
    elif item.status == PENDING and not manual:
        if now >= first + GIVE_UP_AFTER:
            actions += [DeliveryItem.status.set(FAILED), *unschedule]
            gave_up = True
        else:
            failures = sum(1 for a in attempts if not a.get("manual"))
            due = min(now + delay(failures), first + GIVE_UP_AFTER)
            actions += [DeliveryItem.next_attempt_date.set(due),
                        DeliveryItem.due_sk.set(due_sk(due, item.brand_id, item.endpoint_id,
                                                       item.id))]
    try:
        item.update(actions=actions, condition=DeliveryItem.claim_id == claim)
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        log.error("webhook delivery %s: the claim ran out before the attempt was recorded",
                  item.id)
        return False
    return gave_up


def _disable(endpoint: EndpointItem, item: DeliveryItem) -> None:
    """After a delivery failed for 3 days: disable the endpoint unless it took another delivery
    since this one's first attempt, and mail the brand's admins, once (the update's condition
    says it was still Enabled)."""
    first = item.first_attempt_date or item.created_date
    if endpoint.status != ENABLED or (endpoint.last_success_date
                                      and endpoint.last_success_date >= first):
        return
    reason = (f"No delivery was accepted for 3 days (delivery {item.id} of {item.event}, "
              f"first tried {first.isoformat()}).")
    actions, condition = endpoints.disable(endpoint, reason)
    rows = _disabled_mails(endpoint, reason)
    try:
        with transaction() as tx:
            tx.update(endpoint, actions=actions, condition=condition)
            notify.add(tx, rows)
    except ConditionFailed:
        return  # disabled meanwhile (by an admin, or another delivery): mailed then, if at all
    notify.publish(rows)
    log.warning("webhook endpoint %s of brand %s disabled: %s", endpoint.id, endpoint.brand_id,
                reason)


def _disabled_mails(endpoint: EndpointItem, reason: str) -> list[Any]:
    """One mail to the endpoint's creator and one to the brand's support address (once when
    they are the same)."""
    to: dict[str, dict[str, Any]] = {}
    try:
        brand = identity.get_brand(endpoint.brand_id)
    except NotFound:
        brand = {}
    support = ((brand.get("setting") or {}).get("emailSupport") or "").strip()
    if support:
        to[support.lower()] = {"name": f"{brand.get('name') or 'support'} team"}
    if endpoint.created_by:
        try:
            user = identity.get_user_item(endpoint.brand_id, endpoint.created_by)
        except NotFound:
            user = None
        if user is not None and user.email_address:
            to[user.email_address.lower()] = notify.user_vars(
                username=user.username, email_address=user.email_address,
                first_name=user.first_name, last_name=user.last_name, nick_name=user.nick_name)
    hook = {"id": endpoint.id, "url": endpoint.url, "reason": reason,
            "disabled_date": notify.mail_date(settings.now())}
    return [notify.mail(endpoint.brand_id, DISABLED_EVENT, address,
                        {"user": user_vars, "webhook": hook})
            for address, user_vars in to.items()]


def ping(brand_id: str, endpoint_id: str) -> dict[str, Any]:
    """A WEBHOOK.ENDPOINT.PING delivery, sent now, once (no retries), whatever the endpoint's
    status: to check a receiver before turning the endpoint on."""
    endpoint = endpoints.get(brand_id, endpoint_id)
    now = settings.now()
    event_id = "evt_" + ids.new_id()
    the_id = delivery_id(event_id, endpoint.id)
    body = _body(event_id, PING, brand_id, {"endpointId": endpoint.id, "url": endpoint.url},
                 now)
    _new(brand_id, endpoint.id, the_id, PING, body, now, scheduled=False).save(
        condition=DeliveryItem.pk.does_not_exist())
    done = attempt(brand_id, endpoint.id, the_id, manual=True)
    return dto(done or get(brand_id, endpoint.id, the_id))


def resend(brand_id: str, endpoint_id: str, the_id: str) -> dict[str, Any]:
    """Send the same delivery (same id, same body, signed now) once more, now."""
    endpoints.get(brand_id, endpoint_id)
    done = attempt(brand_id, endpoint_id, the_id, manual=True)
    if done is None:
        raise Conflict("The delivery is being sent right now; try again in a minute.")
    return dto(done)


def dto(item: DeliveryItem) -> dict[str, Any]:
    try:
        payload = json.loads(item.body)
    except ValueError:  # pragma: no cover - we wrote it
        payload = None
    return {
        "id": item.id, "endpointId": item.endpoint_id, "eventId": (payload or {}).get("id"),
        "event": item.event, "status": item.status, "payload": payload,
        "attempts": list(item.attempts or []), "attemptCount": len(item.attempts or []),
        "nextAttemptDate": item.next_attempt_date.isoformat() if item.next_attempt_date
        else None,
        "createdDate": item.created_date.isoformat(),
        "updatedDate": item.updated_date.isoformat() if item.updated_date else None,
    }


def list_deliveries(brand_id: str, endpoint_id: str, query: dict[str, Any]) -> dict[str, Any]:
    endpoints.get(brand_id, endpoint_id)
    rows = [dto(i) for i in DeliveryItem.query(deliveries_pk(brand_id, endpoint_id),
                                                limit=MAX_LISTED)]
    if query.get("status"):
        rows = [r for r in rows if r["status"] == query["status"]]
    if query.get("event"):
        rows = [r for r in rows if r["event"] == query["event"]]
    return paging.page(rows, query, sortable=("status", "event", "updatedDate"),
                       keyword_fields=("event", "id"))


def deliver_row(item: Any) -> Any:
    """The ``webhook`` outbox kind: the delivery's first attempt. A refused POST is the
    delivery's business (its schedule), not the outbox's: the row is done either way."""
    p = item.payload or {}
    try:
        done = attempt(item.brand_id, p["endpointId"], p["deliveryId"])
    except NotFound:
        return notify.Delivery(result={"skipped": "delivery gone"})
    if done is None:
        return notify.Delivery(result={"skipped": "another attempt holds it"})
    return notify.Delivery(result={"status": done.status,
                                   "attempts": len(done.attempts or [])})


def run_due() -> dict[str, int]:
    """The deliveries whose next attempt is due, attempted (the ``webhook-retries`` job)."""
    cutoff = ids.stamp(settings.now()) + "~"  # due at this very moment included
    counts = {"due": 0, "succeeded": 0, "failed": 0, "pending": 0, "busy": 0, "errors": 0}
    for shard in due_shards():
        for due in DeliveryItem.due.query(shard, DeliveryItem.due_sk < cutoff,
                                          limit=DUE_LIMIT_PER_SHARD):
            counts["due"] += 1
            try:
                done = attempt(due.brand_id, due.endpoint_id, due.id)
            except Exception:  # noqa: BLE001 - one delivery must not stop the others
                log.warning("webhook delivery %s: attempt failed", due.id, exc_info=True)
                counts["errors"] += 1
                continue
            if done is None:
                counts["busy"] += 1
            else:
                counts[{SUCCEEDED: "succeeded", FAILED: "failed"}.get(done.status,
                                                                      "pending")] += 1
    return counts


WEBHOOK = notify.register_kind("webhook", deliver_row)
