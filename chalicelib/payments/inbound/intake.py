"""Apply a verified gateway event to its payment: one read, ONE transaction, one SQS send.

``apply`` reads the payment (one GetItem; a refund or dispute that names only the gateway's
parent reference reads the ``MREF`` row first), asks the state machine (states.py) what the
event does, and commits in one transaction:

- the dedupe row (``GWEVENT#<gateway>#<dedupeKey>``, must not exist: a duplicate fails here and
  changes nothing; it is the transaction's first operation, so its failure is recognised). A
  new notification IS this row, with its outcome (notifications.as_dedupe_row; its id,
  ``notifications.event_id``, names the row); without one (janitor, review) or on a replay of
  a stored notification, a ``DedupeItem``, and the stored notification after it. It carries
  the transaction's ClientRequestToken: when a lost reply made botocore send the committed
  transaction again and the retry fails on this row, the row names our own write, and the
  event is answered "applied" and published, not taken for a duplicate,
- the gateway-reference row, only when the payment didn't know the reference yet,
- a history row (also for events that change nothing: "ignored: out of order"), carrying the
  gateway's transaction record the event reports (``txn_record``; records.py lists them),
- ONE outbox row (``notify.bundle``) with the effects (effects.py): the customer's mail, a
  ``payment-event`` for fulfilment, the coupon redemption, the saved card,
- the payment update, conditioned on the ``version`` it was read at (ledger.change, the one
  writer of a payment's changes, which also writes the history row). A concurrent delivery
  makes it fail; the read and the transaction are retried (``MAX_ATTEMPTS``, then 503 so the
  gateway resends),

then publishes the outbox rows (one SQS batch send). If the process dies before the send, the
outbox sweeper publishes them later.

So a Stripe success on a payment that knows its PaymentIntent writes 4 items: the notification
(= dedupe row), the history row, the outbox bundle, the payment.

Outcomes (kept on the notification): ``applied``, ``ignored`` (event type we don't act on, or
history-only), ``duplicate``, ``mismatch`` (amount, currency, receiver or test mode differ from
our payment: stored, ``riskMark`` raised, the payment held and NOT completed, admins told),
``unknown_payment`` (no payment of ours: kept, so an admin can replay it later; answered 200,
since a 4xx/5xx would only make Stripe retry for three days something that can't succeed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import settings
from chalicelib.notify import service as notify
from chalicelib.payments import commission, ledger, risk, states
from chalicelib.payments import models as m
from chalicelib.payments.effects import (  # noqa: F401 - event_payload, mail_context: API
    effect_rows,
    event_payload,
    mail_context,
    risk_rows,
    snapshot,
)
from chalicelib.payments.gateways.events import GatewayEvent
from chalicelib.payments.inbound import notifications
from chalicelib.payments.ledger import find_payment as by_id
from chalicelib.payments.risk import mismatches, refunded_total
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, is_own, new_token

MAX_ATTEMPTS = 5
TXN_TYPES = {"payment.succeeded": "Payment", "payment.pending": "Authorization",
             "payment.failed": "Payment", "payment.canceled": "Void",
             "payment.refunded": "Refund", "dispute.created": "Reversal",
             "dispute.closed": "Reversal"}


class Busy(Exception):
    """The payment kept changing under us; nothing was written. Answer 503 so the gateway
    retries."""


@dataclass
class Outcome:
    outcome: str
    detail: str
    payment_id: str | None = None
    status: str | None = None
    published: int = 0
    notification_id: str | None = None  # where the notification was kept (its id may change)


@dataclass
class _Plan:
    outcome: str
    detail: str
    changes: dict[str, Any]
    history: Any
    rows: list[Any] = field(default_factory=list)
    extra: list[Any] = field(default_factory=list)
    to_status: str | None = None
    decision: states.Decision | None = None


def apply(brand_id: str, event: GatewayEvent, notification_id: str | None, *,
          notification: Any = None, live_gateway: bool = False, source: str | None = None,
          stored: bool = False) -> Outcome:
    """Apply one verified event. ``notification`` (a NotificationItem) is written in the same
    transaction with its outcome: when it is new (not ``stored``: a replay's row is), as the
    event's dedupe row itself, under the id ``notifications.event_id`` (the Outcome's
    ``notification_id``), unless it is only recorded (duplicate, unknown payment, ignored type);
    ``live_gateway``: a test-mode event is a mismatch."""
    merged = notification is not None and not stored
    applied_id = notifications.event_id(event.gateway, event.dedupe_key) if merged \
        else notification_id
    if event.ignored:
        return _record_only(notification, "ignored", f"event type {event.event_type} is not "
                            "acted on", None)
    for attempt in range(MAX_ATTEMPTS):
        payment = find_payment(brand_id, event)
        if payment is None:
            return _record_only(notification, "unknown_payment",
                                f"no payment matches reference {event.payment_ref or '-'} / "
                                f"{event.parent_merchant_ref or event.merchant_ref or '-'}", None)
        plan = _plan(payment, event, applied_id, live_gateway, source or event.gateway)
        plan.rows = notify.bundle(brand_id, plan.rows)  # one outbox item for all the effects
        token = new_token()
        try:
            _commit(brand_id, payment, event, notification_id, notification, plan, token,
                    merged)
        except ConditionFailed as e:
            if e.failed(0):  # the dedupe row exists: a duplicate, or our own retried write
                if not is_own(_dedupe_row(brand_id, event), token):
                    return _record_only(notification, "duplicate",
                                        f"event {event.dedupe_key} was already received",
                                        payment)
            elif isinstance(e, ledger.PaymentChanged):
                _pause(attempt)
                continue
            else:
                raise
        except TransactWriteError as e:  # DynamoDB's own conflict with a concurrent write
            if "TransactionConflict" not in [r.code for r in e.cancellation_reasons or [] if r]:
                raise
            _pause(attempt)
            continue
        published = _publish(plan.rows)
        return Outcome(plan.outcome, plan.detail, payment.id, plan.to_status or payment.status,
                       published, applied_id)
    raise Busy(f"payment changed {MAX_ATTEMPTS} times while applying {event.dedupe_key}")


def _dedupe_row(brand_id: str, event: GatewayEvent) -> Any:
    try:
        return m.DedupeItem.get(m.dedupe_pk(brand_id, event.gateway, event.dedupe_key),
                                m.DEDUPE_SK, consistent_read=True)
    except m.DedupeItem.DoesNotExist:
        return None


def _pause(attempt: int) -> None:
    time.sleep(0.005 * (2 ** attempt))


def _publish(rows: list[Any]) -> int:
    return notify.publish(rows) if rows else 0


def find_payment(brand_id: str, event: GatewayEvent) -> Any:
    """The event's payment (one GetItem), found by our reference, else by the gateway's."""
    if event.payment_ref:
        payment = by_id(brand_id, event.payment_ref)
        if payment is not None:
            return payment
    for ref in (event.parent_merchant_ref, event.merchant_ref):
        if not ref:
            continue
        try:
            row = m.MerchantRefItem.get(m.mref_pk(brand_id, event.gateway, ref), m.MREF_SK,
                                        consistent_read=True)
        except m.MerchantRefItem.DoesNotExist:
            continue
        return by_id(brand_id, row.payment_id)
    return None


# -- deciding ----------------------------------------------------------------------------------

def _plan(payment: Any, event: GatewayEvent, notification_id: str | None, live_gateway: bool,
          source: str) -> _Plan:
    now = settings.now()
    changes: dict[str, Any] = {}  # ledger.change adds the version, history sequence and date
    reasons = mismatches(payment, event, live_gateway)
    if reasons:
        detail = "mismatch: " + "; ".join(reasons)
        changes.update(risk_mark=max(int(payment.risk_mark or 0), risk.MAX_MARK),
                       risk_level="High", held=True,
                       risk_reasons=[*(payment.risk_reasons or []), *reasons][-20:])
        hist = _history(payment, event, notification_id, source, now, False, detail, None)
        rows = risk_rows(payment, event, reasons, notification_id)
        return _Plan("mismatch", detail, changes, hist, rows)
    if _about_the_money(payment, event):
        return _plan_money(payment, event, notification_id, source, now, changes)
    if event.kind == "payment.failed" and event.jfw_status is None:
        why = event.failure or "no reason given"
        decision = states.Decision(False, f"payment attempt failed ({why}); the payment stays "
                                   "open for another card")
    else:
        decision = states.decide(payment.status, event.jfw_status or payment.status,
                                 expired=bool(payment.expired),
                                 completion_missing=bool(payment.completion_missing))
    hist = _history(payment, event, notification_id, source, now, decision.applied,
                    decision.note, decision.to_status)
    if not decision.applied:
        return _Plan("ignored", decision.note, changes, hist)
    to = decision.to_status
    if decision.completion_missing:
        changes["completion_missing"] = True
    if event.merchant_ref and not payment.merchant_ref_no and event.kind.startswith("payment."):
        changes["merchant_ref_no"] = event.merchant_ref
    after = snapshot(payment)
    if to == "Completed":
        changes.update(_completion_changes(payment, event, after))
    after["status"] = to or payment.status
    rows = effect_rows(payment, after, event, to, 0, notification_id)
    return _Plan("applied", decision.note, changes, hist, rows, to_status=to, decision=decision)


def _about_the_money(payment: Any, event: GatewayEvent) -> bool:
    """Refunds and disputes, and a completion that comes after one of them: facts that add up
    to the status (states.money_status) in any order."""
    if not states.takes_money_events(payment.status):
        return False  # Failed, Denied, Voided, Deleted: the state machine says no
    return event.kind in ("payment.refunded", "dispute.created", "dispute.closed") or (
        event.kind == "payment.succeeded" and payment.status in states.MONEY
        and payment.status != "Completed")


def _plan_money(payment: Any, event: GatewayEvent, notification_id: str | None, source: str,
                now: datetime, changes: dict[str, Any]) -> _Plan:
    completed = payment.amount_gross_minor is not None
    refunded = int(payment.refunded_minor or 0)
    disputes = dict(payment.disputes or {})
    after = snapshot(payment)
    completed_now, refunded_now, ignored, what = False, 0, None, ""
    if event.kind == "payment.succeeded":
        if completed:
            ignored = f"ignored: already completed (the payment is {payment.status})"
        else:
            completed_now = True
            changes.update(_completion_changes(payment, event, after), completion_missing=False)
            what = "late completion"
    elif event.kind == "payment.refunded":
        total = refunded_total(payment, event)
        if total <= refunded:
            # Stripe's charge.refunded reports the running total: after our own refund call (or
            # a replayed older event) it may add nothing.
            ignored = "ignored: this refund is already recorded"
        else:
            refunded_now = total - refunded
            changes["refunded_minor"] = total
            after["refunded_minor"] = total
            what = f"refund of {refunded_now} (minor units), {total} in all"
    else:
        ref = event.dispute_ref or event.merchant_ref or event.dedupe_key
        outcome = (states.DISPUTE_OPEN if event.kind == "dispute.created" else
                   states.DISPUTE_WON if event.jfw_status == "CanceledReversal"
                   else states.DISPUTE_LOST)
        ignored = states.dispute_change(disputes, ref, outcome)
        if not ignored:
            disputes[ref] = outcome
            changes["disputes"] = disputes
        what = f"dispute {ref} {'opened' if outcome == states.DISPUTE_OPEN else outcome}"
    if ignored:
        hist = _history(payment, event, notification_id, source, now, False, ignored, None)
        return _Plan("ignored", ignored, changes, hist)
    status = states.money_status(completed or completed_now, refunded + refunded_now,
                                 disputes) or payment.status
    to = status if status != payment.status else None
    note = f"{what}: {payment.status} -> {status}" if to else f"{what}: stays {status}"
    if not (completed or completed_now):
        note += " (before any completion)"
        changes["completion_missing"] = True
    if event.merchant_ref and not payment.merchant_ref_no and event.kind.startswith("payment."):
        changes["merchant_ref_no"] = event.merchant_ref
    hist = _history(payment, event, notification_id, source, now, True, note, to)
    after["status"] = status
    rows = effect_rows(payment, after, event, to, refunded_now, notification_id,
                       completed_now=completed_now)
    # The money facts' status (states.money_status) is the state machine's decision here.
    return _Plan("applied", note, changes, hist, rows, to_status=to,
                 decision=states.Decision(True, note, to_status=to) if to else None)


def _completion_changes(payment: Any, event: GatewayEvent, after: dict[str, Any]
                        ) -> dict[str, Any]:
    """What the gateway says was received (gross, fee, commission, date), also into ``after``."""
    changes = {**_completion_amounts(payment, event), "payment_date": event.occurred_at}
    after.update(changes)
    return changes


def _completion_amounts(payment: Any, event: GatewayEvent) -> dict[str, Any]:
    gross = event.amount_minor if event.amount_minor is not None else payment.amount_minor
    fee = event.fee_minor
    split = commission_split(payment)
    commission = split.get("commission_minor", 0)
    return {"amount_gross_minor": gross, "amount_fee_minor": fee,
            "commission_minor": commission,
            "shared_amount_minor": split.get("shared_amount_minor", 0),
            "amount_net_minor": gross - (fee or 0) - commission}


def commission_split(payment: Any) -> dict[str, int]:
    """The commission of a completing payment (commission.split)."""
    out = commission.split(payment.brand_id, payment) or {}
    return {"commission_minor": int(out.get("commission_minor") or 0),
            "shared_amount_minor": int(out.get("shared_amount_minor") or 0)}


def _history(payment: Any, event: GatewayEvent, notification_id: str | None, source: str,
             now: datetime, applied: bool, note: str, to_status: str | None) -> Any:
    return ledger.history_row(
        payment, now, note=note, source=source, to_status=to_status, applied=applied,
        event_status=event.jfw_status, event_type=event.event_type, dedupe_key=event.dedupe_key,
        notification_id=notification_id, amount_minor=event.amount_minor,
        currency=event.currency)


# -- writing -------------------------------------------------------------------------------------

def _commit(brand_id: str, payment: Any, event: GatewayEvent, notification_id: str | None,
            notification: Any, plan: _Plan, token: str, merged: bool) -> None:
    """One transaction through ledger.change: the dedupe row first (its failure, index 0, is a
    duplicate), which is the new notification itself when ``merged`` (else a DedupeItem, and
    the stored notification after it), the gateway reference when new, the history row
    (carrying the transaction record), the outbox row(s), and the payment's update."""
    now = settings.now()
    if merged:
        _stamp(notification, plan.outcome, plan.detail, event, payment.id)
        dedupe = notifications.as_dedupe_row(notification, event.gateway, event.dedupe_key,
                                             token)
    elif notification is not None and notification.sk == m.DEDUPE_SK:
        # A replay of a notification that is its event's dedupe row: it fails as a duplicate.
        dedupe, notification = notification, None
    else:
        dedupe = m.DedupeItem(m.dedupe_pk(brand_id, event.gateway, event.dedupe_key),
                              m.DEDUPE_SK, brand_id=brand_id, gateway=event.gateway,
                              dedupe_key=event.dedupe_key, payment_id=payment.id,
                              notification_id=notification_id, outcome=plan.outcome,
                              write_id=token, created_date=now)
    puts: list[tuple[Any, Any]] = [(dedupe, type(dedupe).pk.does_not_exist())]
    if notification is not None and not merged:
        _stamp(notification, plan.outcome, plan.detail, event, payment.id)
        puts.append((notification, None))
    if event.merchant_ref:
        plan.history.txn = txn_record(payment, event)
        # The gateway-reference row is written with the payment's merchant_ref_no (at checkout,
        # or by the first event that names it, in that event's transaction): once the payment
        # has this reference, its row exists and a later event needn't write it again.
        known = payment.merchant_ref_no == event.merchant_ref and payment.gateway_type
        if event.kind.startswith("payment.") and not known:
            puts.append((m.MerchantRefItem(m.mref_pk(brand_id, event.gateway, event.merchant_ref),
                                           m.MREF_SK, payment_id=payment.id, created_date=now),
                         None))
    ledger.change(payment, plan.history, plan.changes, to_status=plan.to_status,
                  decision=plan.decision, puts=puts, rows=plan.rows, token=token, now=now)


def txn_record(payment: Any, event: GatewayEvent) -> dict[str, Any]:
    """The gateway's transaction record an event reports, carried by its history row
    (``PaymentHistoryItem.txn``; records.py lists them as the payment's ``transactions``)."""
    kind = TXN_TYPES.get(event.kind, "Inquiry")
    amount = event.refunded_minor if event.refunded_minor is not None else event.amount_minor
    return {"id": ids.new_id(), "type": kind, "status": event.jfw_status or "Created",
            "merchantRef": event.merchant_ref or "-",
            "parentMerchantRef": event.parent_merchant_ref, "amountMinor": amount,
            "feeMinor": event.fee_minor, "currency": event.currency, "gateway": event.gateway,
            "dedupeKey": event.dedupe_key}


def _stamp(notification: Any, outcome: str, detail: str, event: GatewayEvent | None,
           payment_id: str | None) -> None:
    notification.outcome = outcome
    notification.detail = detail[:1000]
    notification.modified_date = settings.now()
    if event is not None:
        notification.event_type = event.event_type
        notification.dedupe_key = event.dedupe_key
    if payment_id:
        notification.payment_id = payment_id


def _record_only(notification: Any, outcome: str, detail: str, payment: Any) -> Outcome:
    """Keep the notification with its outcome; the payment is untouched."""
    payment_id = payment.id if payment is not None else None
    if notification is not None:
        _stamp(notification, outcome, detail, None, payment_id)
        notification.save()
    return Outcome(outcome, detail, payment_id, payment.status if payment is not None else None)
