"""The outbox's consumer (SQS ``outbox`` queue) and sweeper (schedule ``outbox-sweeper``).

Consumer, per message, idempotent by the outbox id (a ``bundle`` row, outbox.bundle, by the
outbox id and each effect's index: ``_process_bundle``):
1. claim the row: Pending (or Failed, or Sending whose lease ran out) -> Sending, with a lease
   as long as the queue's visibility timeout, in one conditional update; a Sent row is
   acknowledged without acting, a row another consumer holds is retried later;
2. run the kind's handler (for a mail: render and send through SES);
3. success: one transaction marks the row Sent (out of the due index, the handler's result
   kept) and writes the handler's rows (the sent-mail log);
   failure: the claim is released with the error and the attempt counted, and the record is
   reported in ``batchItemFailures`` so SQS retries it; after the queue's max receives SQS moves
   it to the dead-letter queue, and the row becomes Failed (the sweeper leaves it alone).

The consumer runs every context's kinds: it imports the services of the contexts that own some
(identity, payments) or subscribe to them (licensing, wallet, invoicing, reports), and
importing them registers their handlers (``outbox.KINDS``) and subscribers and, for identity,
the brand lookup mails are sent with.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import settings
from chalicelib.identity import service as identity  # noqa: F401 - password-reset, brands
from chalicelib.invoicing import service as invoicing  # noqa: F401 - payment-event subscriber
from chalicelib.licensing import service as licensing  # noqa: F401 - payment-event subscriber
from chalicelib.notify import outbox
from chalicelib.notify.models import FAILED, PENDING, SENDING, SENT, OutboxItem, outbox_pk
from chalicelib.payments import service as payments  # noqa: F401 - payment-event, payment-coupon
from chalicelib.reports import service as reports  # noqa: F401 - payment-event subscriber
from chalicelib.store import ids, schema
from chalicelib.store.tx import ConditionFailed, transaction
from chalicelib.wallet import service as wallet  # noqa: F401 - user-event, payment-event subscribers

log = logging.getLogger("jfw.outbox")

# A Sent row is kept longer than SQS keeps any message (14 days at most), so a late duplicate
# always finds it.
SENT_RETENTION_DAYS = 30
MAX_ERROR_CHARS = 1000
SWEEP_LIMIT_PER_SHARD = 500


class Busy(Exception):
    """Another consumer holds the row's lease; retry after it ends."""


def _max_attempts() -> int:
    return schema.queue(outbox.QUEUE).max_receives


def consume_outbox_batch(event: dict, context: Any = None) -> dict:
    """Lambda handler for the SQS ``outbox`` queue (ReportBatchItemFailures)."""
    failures = []
    for record in event.get("Records") or []:
        message_id = record.get("messageId", "")
        try:
            body = json.loads(record.get("body") or "")
            outbox_id, brand_id = body["outboxId"], body["brandId"]
        except (ValueError, KeyError, TypeError):
            log.error("outbox message %s is not an outbox reference: %r", message_id,
                      record.get("body"))
            failures.append({"itemIdentifier": message_id})
            continue
        try:
            process(brand_id, outbox_id)
        except Exception:  # noqa: BLE001 - one bad record must not fail the others
            log.warning("outbox %s (message %s) not done; SQS will retry", outbox_id,
                        message_id, exc_info=True)
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def process(brand_id: str, outbox_id: str) -> str:
    """Act on one outbox row once. Returns "sent", "already-sent" or "missing"; raises when the
    row was not done (handler failure, or another consumer holds it)."""
    item = _claim(brand_id, outbox_id)
    if isinstance(item, str):
        return item
    claim_id = item.claim_id
    if item.kind == outbox.BUNDLE:
        return _process_bundle(item, claim_id)
    try:
        handler = outbox.KINDS[item.kind]
        delivery = handler(item)
    except Exception as e:  # noqa: BLE001 - any handler failure is recorded, then retried
        _release(item, claim_id, f"{type(e).__name__}: {e}")
        raise
    _mark_sent(item, claim_id, delivery)
    return "sent"


def _process_bundle(item: OutboxItem, claim_id: str | None) -> str:
    """Run each of a bundle's effects not done yet (outbox.bundle), in order, a failing one not
    stopping the others (a mail SES refuses must not hold back fulfilment); then ONE
    transaction records those that succeeded done (``result["effects"][index]``) with
    everything their handlers returned. All done: the same transaction marks the bundle Sent.
    Else the claim is released with the errors and the failure raised, so SQS retries the
    bundle, and only the effects not done run again."""
    effects = [dict(e) for e in (item.payload or {}).get("effects") or []]
    done = dict((item.result or {}).get("effects") or {})
    writes: list[Any] = []
    errors: list[str] = []
    changed, progressed, problem = False, False, None
    first: Exception | None = None
    for index, effect in enumerate(outbox.effects(item)):
        if str(index) in done:
            continue
        try:
            delivery = outbox.KINDS[effect.kind](effect)
        except Exception as e:  # noqa: BLE001 - recorded, then retried
            log.warning("outbox %s: effect %s (%s) failed", item.id, index, effect.kind,
                        exc_info=True)
            errors.append(f"effect {index} ({effect.kind}) {type(e).__name__}: {e}")
            first = first or e
            continue
        done[str(index)] = delivery.result
        writes += delivery.writes
        problem = problem or delivery.result.get("templateProblem")
        if delivery.payload is not None:
            effects[index]["payload"] = delivery.payload
            changed = True
        progressed = True
    if progressed or not errors:
        step = outbox.Delivery(result={"effects": done}, writes=writes,
                               payload={"effects": effects} if changed else None)
        if not _mark_sent(item, claim_id, step, final=not errors, problem=problem):
            return "sent"  # our claim was lost: the consumer that holds it records its own
    if first is not None:
        _release(item, claim_id, "; ".join(errors))
        raise first
    return "sent"


def _claim(brand_id: str, outbox_id: str) -> OutboxItem | str:
    now = settings.now()
    lease = now + timedelta(seconds=settings.get().queue_visibility_seconds)
    item = OutboxItem(outbox_pk(brand_id, outbox_id), "OUTBOX")
    claimable = ((OutboxItem.status == PENDING) | (OutboxItem.status == FAILED)
                 | ((OutboxItem.status == SENDING) & (OutboxItem.lease_until < now)))
    try:
        item.update(
            actions=[OutboxItem.status.set(SENDING), OutboxItem.claim_id.set(ids.new_id()),
                     OutboxItem.lease_until.set(lease), OutboxItem.attempts.add(1)],
            condition=OutboxItem.pk.exists() & claimable,
        )
        return item
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
    try:
        current = OutboxItem.get(outbox_pk(brand_id, outbox_id), "OUTBOX", consistent_read=True)
    except DoesNotExist:
        log.warning("outbox %s of brand %s does not exist; message dropped", outbox_id, brand_id)
        return "missing"
    if current.status == SENT:
        return "already-sent"
    raise Busy(f"outbox {outbox_id} is {current.status} until {current.lease_until}")


def _release(item: OutboxItem, claim_id: str | None, error: str) -> None:
    now = settings.now()
    give_up = (item.attempts or 0) >= _max_attempts()
    actions = [OutboxItem.status.set(FAILED if give_up else PENDING),
               OutboxItem.last_error.set(error[:MAX_ERROR_CHARS]),
               OutboxItem.claim_id.remove(), OutboxItem.lease_until.remove()]
    if give_up:
        actions += [OutboxItem.due_pk.remove(), OutboxItem.due_sk.remove()]
    else:
        # SQS retries it; the sweeper only steps in if this retry is lost too.
        actions.append(OutboxItem.due_sk.set(outbox.due_sort_key(now + outbox.lost_after(),
                                                                 item.id)))
    try:
        item.update(actions=actions, condition=OutboxItem.claim_id == claim_id)
    except UpdateError:
        log.warning("outbox %s: could not release the claim", item.id, exc_info=True)
        return
    if give_up:
        _gave_up(item, error)


def _gave_up(item: OutboxItem, error: str) -> None:
    """The kind's give-up hook (a mail's Failed log row), once: only the consumer whose release
    made the row Failed gets here. Its failure is logged; the row stays Failed either way."""
    for effect in outbox.effects(item):  # a bundle: each effect not done, by its own kind
        hook = outbox.GIVE_UP.get(effect.kind)
        if hook is None or effect.status == SENT:
            continue
        try:
            for write in hook(effect, error[:MAX_ERROR_CHARS]):
                write.save(condition=type(write).pk.does_not_exist())
        except Exception:  # noqa: BLE001 - the record of a failure must not fail the consumer
            log.warning("outbox %s: give-up hook of %s failed", effect.id, effect.kind,
                        exc_info=True)


def _mark_sent(item: OutboxItem, claim_id: str | None, delivery: outbox.Delivery, *,
               final: bool = True, problem: Any = None) -> bool:
    """Record the handler's result and writes in one transaction, and (``final``) mark the row
    Sent; a bundle's effects before its last are recorded with ``final=False``. False when our
    claim was lost."""
    now = settings.now()
    actions = [OutboxItem.result.set(delivery.result)]
    if final:
        actions += [OutboxItem.status.set(SENT), OutboxItem.sent_date.set(now),
                    OutboxItem.claim_id.remove(), OutboxItem.lease_until.remove(),
                    OutboxItem.due_pk.remove(), OutboxItem.due_sk.remove(),
                    OutboxItem.ttl.set(int((now + timedelta(days=SENT_RETENTION_DAYS))
                                           .timestamp()))]
    if delivery.payload is not None:
        actions.append(OutboxItem.payload.set(delivery.payload))
    problem = problem or delivery.result.get("templateProblem")
    if problem:
        actions.append(OutboxItem.last_error.set(str(problem)[:MAX_ERROR_CHARS]))
    try:
        with transaction() as tx:
            tx.update(item, actions=actions, condition=OutboxItem.claim_id == claim_id)
            for write in delivery.writes:
                tx.save(write, condition=type(write).pk.does_not_exist())
    except ConditionFailed:
        # Our lease ran out and another consumer claimed the row: it records its own send.
        log.error("outbox %s was sent but its claim was lost; another attempt may send again",
                  item.id)
        return False
    # Follow-up outbox rows a handler wrote (a wallet event's mail): on the queue now, not at
    # the next sweep.
    outbox.publish([w for w in delivery.writes if isinstance(w, OutboxItem)])
    return True


# -- sweeper -----------------------------------------------------------------------------------

def sweep_outbox(event: Any = None, context: Any = None) -> dict:
    """Publish rows that are due: written ``outbox_sweep_after_seconds`` ago and still unsent
    (the publish after the commit may have been lost), or published by the sweeper and unsent
    ``outbox.lost_after`` later (doubling each time).

    Reads the sparse ``due`` index shard by shard (never a Scan). Each row published gets its
    next due time before it is sent, so the next runs leave it alone until then: consumers
    that lag behind a backlog don't make every sweep send every queued row again.
    """
    now = settings.now()
    cutoff = ids.stamp(now)
    late = []
    for shard in range(outbox.SHARDS):
        for item in OutboxItem.due.query(f"OUTBOX#{shard}", OutboxItem.due_sk < cutoff,
                                         limit=SWEEP_LIMIT_PER_SHARD):
            if item.status == SENDING and item.lease_until and item.lease_until > now:
                continue  # a consumer is on it right now
            publishes = int(item.publishes or 0) + 1
            due = now + outbox.lost_after(publishes)
            try:
                item.update(actions=[OutboxItem.due_sk.set(outbox.due_sort_key(due, item.id)),
                                     OutboxItem.publishes.set(publishes)],
                            condition=OutboxItem.due_pk.exists() & (OutboxItem.status != SENT)
                            & (OutboxItem.due_sk == item.due_sk))
            except UpdateError as e:
                if e.cause_response_code != "ConditionalCheckFailedException":
                    raise
                continue  # sent meanwhile, or another sweeper took it
            late.append(item)
    published = outbox.publish(late)
    if late:
        log.info("outbox sweeper: %d late rows, %d published", len(late), published)
    return {"late": len(late), "published": published}
