"""The outbox (ARCHITECTURE.md, "Side effects go through an outbox").

A service that causes a side effect (a mail today; a webhook or an invoice PDF later) builds an
outbox row and saves it in ITS OWN transaction, then publishes it to SQS after the commit::

    rows = [outbox.mail(brand_id, "USER.PASSWORD.CHANGED", to, context)]
    with transaction() as tx:
        ...                         # the change itself
        outbox.add(tx, rows)
    outbox.publish(rows)

If the process dies between the commit and the send, the row is still in the sparse ``due``
index and ``jobs.sweep_outbox`` publishes it later. The consumer (``jobs.consume_outbox_batch``)
is idempotent by the outbox id, so a row published twice acts once.

A row's due time is when the sweeper next looks at it: ``outbox_sweep_after_seconds`` after it
was written (the publish right after the commit normally makes that look unnecessary), then,
after each publish of its own, ``lost_after``: a message on the queue can't be lost before SQS
could have given up on it (visibility timeout x max receives), so publishing it again sooner
only adds copies behind the same backlog.

One change's several effects may be one ``bundle`` row (``bundle``), which the consumer runs
effect by effect, each once.

Each kind has one handler in ``KINDS``, registered by the context that owns the kind
(``register_kind``, at the import of the module that defines the handler: ``mail`` here in notify,
``password-reset`` by identity, ``payment-event`` and ``payment-coupon`` by payments). The consumer
(``jobs.py``) imports those contexts' services, so it knows every kind. A handler takes the
claimed ``OutboxItem`` and returns a ``Delivery``: what to record on the row and any items to
write in the same transaction that marks the row Sent.

A writer on a cold path may ``declare_kind`` instead: the kind is known where its rows are
written (``row`` refuses an unknown one) without importing its handler, which the owner
registers in a module its service imports (payments: ``effects.py`` declares, ``kinds.py``
registers), so the consumer still has it. ``unregistered_kinds`` names any declared kind
with no handler (a test imports the consumer and expects none).
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib import settings
from chalicelib.notify.models import PENDING, SENT, OutboxItem, outbox_pk
from chalicelib.store import aws, ids, schema
from chalicelib.store.ids import stamp

log = logging.getLogger("jfw.outbox")

QUEUE = "outbox"
SHARDS = 8


@dataclass
class Delivery:
    """What a handler did: ``result`` is stored on the row, ``writes`` saved with it (new items,
    each must not exist yet); ``payload``, when set, replaces the row's payload (to drop what
    must not be kept)."""

    result: dict[str, Any]
    writes: list[Any] = field(default_factory=list)
    payload: dict[str, Any] | None = None


Handler = Callable[[OutboxItem], Delivery]
Subscriber = Callable[[dict[str, Any]], Any]


class Subscribers:
    """The functions an event kind (``user-event``, ``license-event``, ``payment-event``) hands
    each row's payload to, so its owner imports none of the contexts that act on it. A row is
    delivered at least once: each must be idempotent (by ``payload["eventId"]``, the row's id).
    """

    def __init__(self) -> None:
        self.handlers: list[Subscriber] = []

    def add(self, handler: Subscriber) -> None:
        if handler not in self.handlers:
            self.handlers.append(handler)

    def hand_out(self, item: OutboxItem) -> tuple[dict[str, Any], dict[str, Any]]:
        """Give the row's payload (with ``eventId`` and ``brandId``) to every subscriber; the
        payload and the result to record (the event, the subscribers by name)."""
        payload = dict(item.payload or {})
        payload.setdefault("eventId", item.id)
        payload.setdefault("brandId", item.brand_id)
        for handler in self.handlers:
            handler(payload)
        return payload, {"event": payload.get("event"),
                         "subscribers": [f"{h.__module__}:{h.__qualname__}"
                                         for h in self.handlers]}

    def deliver(self, item: OutboxItem) -> Delivery:
        """The kind's handler when handing out is all it does (``user-event``,
        ``license-event``)."""
        return Delivery(result=self.hand_out(item)[1])
# Called once when the consumer gives a row up (Failed, after the queue's max receives), with
# the row and its last error; returns new items to write (e.g. a Failed delivery-log row).
GiveUpHook = Callable[[OutboxItem, str], list[Any]]

# kind -> its handler; filled by the owning contexts through ``register_kind``.
KINDS: dict[str, Handler] = {}
GIVE_UP: dict[str, GiveUpHook] = {}
# Kinds whose rows may be written where the handler isn't imported (``declare_kind``).
DECLARED: set[str] = set()


def register_kind(kind: str, handler: Handler, on_give_up: GiveUpHook | None = None) -> str:
    """Add a kind and its handler (takes the claimed OutboxItem, returns a Delivery), and
    optionally what to record when its rows are given up; returns ``kind``, for the owner to
    keep as the name its rows are written with."""
    KINDS[kind] = handler
    if on_give_up is not None:
        GIVE_UP[kind] = on_give_up
    return kind


def declare_kind(kind: str) -> str:
    """Make ``kind`` known to ``row`` without its handler (registered with ``register_kind`` by
    a module the consumer imports); returns ``kind``."""
    DECLARED.add(kind)
    return kind


def unregistered_kinds() -> set[str]:
    """Declared kinds whose handler is not registered (in the consumer: none)."""
    return DECLARED - KINDS.keys()


def shard_of(outbox_id: str) -> str:
    return f"OUTBOX#{zlib.crc32(outbox_id.encode()) % SHARDS}"


def due_sort_key(moment: datetime, outbox_id: str) -> str:
    return f"{stamp(moment)}#{outbox_id}"


MAX_LOST_AFTER = timedelta(days=1)


def lost_after(publishes: int = 1) -> timedelta:
    """How long after its ``publishes``-th publish a row's message may still be on its way:
    the queue's visibility timeout x max receives (store/schema.py), doubled for each earlier
    publish (consumers that lag by hours get a row again a few times, not once per sweep),
    at most a day (SQS keeps a message four days)."""
    window = settings.get().queue_visibility_seconds * schema.queue(QUEUE).max_receives
    return min(MAX_LOST_AFTER, timedelta(seconds=window * 2 ** max(0, publishes - 1)))


def row(brand_id: str, kind: str, payload: dict[str, Any]) -> OutboxItem:
    """A new Pending outbox row (an ``OutboxItem``), due now; save it with ``add``."""
    if kind not in KINDS and kind not in DECLARED and kind != BUNDLE:
        raise ValueError(f"unknown outbox kind {kind!r}; register it with "
                         "notify.service.register_kind")
    now = settings.now()
    outbox_id = ids.new_id()
    return OutboxItem(
        outbox_pk(brand_id, outbox_id), "OUTBOX",
        id=outbox_id, brand_id=brand_id, kind=kind, payload=payload, status=PENDING,
        attempts=0, created_date=now,
        due_pk=shard_of(outbox_id),
        due_sk=due_sort_key(now + timedelta(seconds=settings.get().outbox_sweep_after_seconds),
                            outbox_id),
    )


def mail(brand_id: str, event_code: str, to: str, context: dict[str, Any],
         language_code: str | None = None, secrets: list[str] | None = None,
         country_code: str | None = None) -> OutboxItem:
    """An outbox row that sends the event's mail to ``to``; ``context`` feeds the template
    (``brand`` is added at send time from the brand's current settings).

    ``secrets`` are values in the context that must not outlive the send (a reset token): once
    sent, the row keeps no context, and the sent-mail log shows them as ``[redacted]`` (except
    in the local stack, where a developer needs the link).
    """
    payload: dict[str, Any] = {"eventCode": event_code, "to": to, "context": context,
                               "languageCode": language_code}
    if secrets:
        payload["secrets"] = list(secrets)
    if country_code:  # a country-specific brand template is preferred (templates.template_for)
        payload["countryCode"] = country_code
    return row(brand_id, "mail", payload)


# -- bundles ---------------------------------------------------------------------------------

BUNDLE = "bundle"


def bundle(brand_id: str, rows: list[OutboxItem]) -> list[OutboxItem]:
    """``rows`` (the effects of ONE change) as one ``bundle`` row: one item in the change's
    transaction instead of one per effect. Fewer than two rows are returned as they are.

    The consumer (jobs.py) runs a bundle's effects in order, each through its own kind's handler
    with its own id (``<bundle id>-<index>``, ``effects``), and records each effect done on the
    bundle row (``result["effects"][index]``) in the transaction that writes what the effect's
    handler returned, so a bundle delivered again, or retried after one effect failed, never
    repeats an effect that succeeded. The bundle is Sent with its last effect; given up, each
    effect not done gets its own kind's give-up hook.
    """
    if len(rows) < 2:
        return list(rows)
    effects = [{"kind": r.kind, "payload": r.payload} for r in rows]
    carrier = rows[0]  # a new row already: it becomes the bundle (no other row is made)
    carrier.kind, carrier.payload = BUNDLE, {"effects": effects}
    return [carrier]


def effects(item: OutboxItem) -> list[OutboxItem]:
    """The effects of a row as rows of their own kinds: a bundle's (unsaved views with the
    bundle's key and status, Sent once done, their own id and result), or the row itself."""
    if item.kind != BUNDLE:
        return [item]
    done = (item.result or {}).get("effects") or {}
    return [OutboxItem(item.pk, item.sk, id=f"{item.id}-{i}", brand_id=item.brand_id,
                       kind=e["kind"], payload=e.get("payload") or {},
                       status=SENT if str(i) in done else item.status,
                       attempts=item.attempts, result=done.get(str(i)),
                       created_date=item.created_date, sent_date=item.sent_date)
            for i, e in enumerate((item.payload or {}).get("effects") or [])]


_NEW = OutboxItem.pk.does_not_exist()  # a condition is only read when serialised: one will do


def add(tx: Any, rows: Iterable[OutboxItem]) -> None:
    """Save the rows inside the caller's transaction."""
    for item in rows:
        tx.save(item, condition=_NEW)


def message_body(item: OutboxItem) -> str:
    return json.dumps({"outboxId": item.id, "brandId": item.brand_id, "kind": item.kind})


def publish(rows: Iterable[OutboxItem]) -> int:
    """Send one SQS message per row (after the commit). Returns how many SQS accepted.

    A failed send is logged, not raised: the change is committed, and the sweeper publishes any
    row still unsent after ``settings.outbox_sweep_after_seconds``.
    """
    rows = list(rows)
    sent = 0
    for start in range(0, len(rows), 10):
        chunk = rows[start:start + 10]
        try:
            resp = aws.client("sqs").send_message_batch(
                QueueUrl=aws.queue_url(QUEUE),
                Entries=[{"Id": str(i), "MessageBody": message_body(item)}
                         for i, item in enumerate(chunk)],
            )
        except Exception:  # noqa: BLE001 - the sweeper retries; the caller's change stands
            log.warning("outbox publish failed for %s; the sweeper will retry",
                        [r.id for r in chunk], exc_info=True)
            continue
        sent += len(resp.get("Successful", []))
        for failure in resp.get("Failed", []):
            log.warning("outbox publish of %s refused: %s; the sweeper will retry",
                        chunk[int(failure["Id"])].id, failure.get("Message"))
    return sent
