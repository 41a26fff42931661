"""The payment rows: create a payment, read one, remember its gateway reference, and THE writer
of every change to a payment (``change``).

``change`` is the one versioned write: in ONE transaction, the caller's other items (``puts``),
the payment's next history row, the outbox rows, and last the payment's update (version + 1,
history sequence + 1, modifiedDate, the caller's changes), conditioned on the version it was read
at. A status change goes through the state machine: ``to_status`` is asked of ``states.decide``
(refused: ``NotAllowed``, nothing written), unless the caller passes the ``states.Decision`` it
took already (intake: ``states.decide`` for the status an event reports; ``states.money_status``
for refunds and disputes, whose facts only grow). Intake (gateway events), review (an admin's
approve / manual refund), the janitor (expiry) and checkout's relink all write through it.

``create_payment`` writes the payment (status ``Created``) and its first history row in one
transaction, and puts the payment in the janitor's ``due`` index (first check after the brand's
``paymentCheckAfterMinutes``, default 15), so a notification that never arrives is noticed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import settings
from chalicelib.http.errors import NotFound
from chalicelib.notify import service as notify
from chalicelib.payments import models as m
from chalicelib.payments import states
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction

DEFAULT_CHECK_AFTER_MINUTES = 15
DEFAULT_EXPIRE_AFTER_HOURS = 24


def brand_setting(brand: dict | None, name: str, default: int) -> int:
    """A positive integer from the brand's ``setting`` (or the default)."""
    value = ((brand or {}).get("setting") or {}).get(name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def first_check_at(brand: dict | None, created: datetime) -> datetime:
    minutes = brand_setting(brand, "paymentCheckAfterMinutes", DEFAULT_CHECK_AFTER_MINUTES)
    return created + timedelta(minutes=minutes)


def create_payment(brand: dict | str, *,
                   write: Callable[[list[tuple[Any, Any]]], None] | None = None,
                   **fields: Any) -> Any:
    """Create a payment in ``Created`` and return the saved ``PaymentItem``.

    ``brand`` is the brand DTO (its ``setting`` gives the janitor delay) or a brand id.
    ``fields`` are ``PaymentItem`` attribute names (amount_minor and currency are required;
    ``id`` and ``code`` are generated when absent). ``write``: who commits the payment's items
    (``(item, condition)`` pairs), in a transaction of theirs (the wallet, whose debit must
    commit with the payment it pays); by default one transaction here.
    """
    item, items = payment_items(brand, **fields)
    if write is not None:
        write(items)
        return item
    with transaction() as tx:
        for one, condition in items:
            tx.save(one, condition=condition)
    return item


def payment_items(brand: dict | str, **fields: Any) -> tuple[Any, list[tuple[Any, Any]]]:
    """The new payment (``Created``), and every item its creation writes with its condition:
    the payment, its first history row, its gateway-reference row."""
    brand_dto = brand if isinstance(brand, dict) else None
    brand_id = brand["id"] if isinstance(brand, dict) else brand
    if "amount_minor" not in fields or "currency" not in fields:
        raise ValueError("create_payment needs amount_minor and currency")
    now = settings.now()
    payment_id = fields.pop("id", None) or ids.new_id()
    code = fields.pop("code", None) or f"PAY{ids.new_code(10)}"
    fields.pop("status", None)
    fields.pop("brand_id", None)
    due = first_check_at(brand_dto, now)
    item = m.PaymentItem(
        m.payment_pk(brand_id, payment_id), m.PAYMENT_SK,
        id=payment_id, brand_id=brand_id, code=code, status="Created",
        gsi1pk=m.payments_gsi(brand_id), gsi1sk=f"{m.stamp(now)}#{payment_id}",
        due_pk=m.due_shard(payment_id), due_sk=m.due_sort_key(due, payment_id),
        **({"buyer_pk": m.buyer_pk(brand_id, fields["user_id"]),
            "buyer_sk": f"{m.stamp(now)}#{payment_id}"} if fields.get("user_id") else {}),
        version=1, history_seq=1, created_date=now, modified_date=now, **fields,
    )
    hist = m.PaymentHistoryItem(
        item.pk, m.history_sk(now, 1), id=ids.new_id(), payment_id=payment_id,
        from_status=None, to_status="Created", applied=True, source="checkout",
        note="payment created", amount_minor=item.amount_minor, currency=item.currency,
        created_date=now,
    )
    items = [(item, m.PaymentItem.pk.does_not_exist()),
             (hist, m.PaymentHistoryItem.pk.does_not_exist())]
    if item.merchant_ref_no and item.gateway_type:
        items.append((m.MerchantRefItem(m.mref_pk(brand_id, item.gateway_type,
                                                  item.merchant_ref_no), m.MREF_SK,
                                        payment_id=payment_id, created_date=now), None))
    return item, items


def record_merchant_ref(brand_id: str, payment_id: str, gateway: str, merchant_ref: str,
                        **gateway_data: Any) -> None:
    """Remember the gateway's id of a payment (the Stripe PaymentIntent made for it) on the
    payment and in the gateway-reference row, in one transaction. Lets the janitor ask Stripe
    about it and a refund that names only the PaymentIntent find its payment. ``gateway_data``
    (e.g. client_secret) is merged into the payment's ``gatewayData``."""
    now = settings.now()
    payment = get_payment(brand_id, payment_id)
    # ``add``, not a condition: intake's own version condition still sees this write.
    actions = [m.PaymentItem.merchant_ref_no.set(merchant_ref),
               m.PaymentItem.modified_date.set(now), m.PaymentItem.version.add(1)]
    if gateway_data:
        actions.append(m.PaymentItem.gateway_data.set({**(payment.gateway_data or {}),
                                                       **gateway_data}))
    with transaction() as tx:
        tx.save(m.MerchantRefItem(m.mref_pk(brand_id, gateway, merchant_ref), m.MREF_SK,
                                  payment_id=payment_id, created_date=now))
        tx.update(payment, actions=actions, condition=m.PaymentItem.pk.exists())


def get_payment(brand_id: str, payment_id: str) -> Any:
    """The ``PaymentItem`` or NotFound (also for another brand's payment)."""
    try:
        return m.PaymentItem.get(m.payment_pk(brand_id, payment_id), m.PAYMENT_SK,
                                 consistent_read=True)
    except m.PaymentItem.DoesNotExist:
        raise NotFound(f"Payment {payment_id} was not found.", code="PAYMENT_NOT_FOUND") from None


def find_payment(brand_id: str, payment_id: str) -> Any | None:
    try:
        return m.PaymentItem.get(m.payment_pk(brand_id, payment_id), m.PAYMENT_SK,
                                 consistent_read=True)
    except m.PaymentItem.DoesNotExist:
        return None


def set_invoice_no(brand_id: str, payment_id: str, invoice_no: str) -> bool:
    """Invoicing's number of the payment's invoice, set once: an UpdateItem conditioned on the
    payment existing and having none yet (False when it had one, or is gone). The version is
    left alone: the number is not a change of the payment's state, and intake's writes (updates
    of their own attributes, conditioned on the version) keep it."""
    try:
        m.PaymentItem(m.payment_pk(brand_id, payment_id), m.PAYMENT_SK).update(
            actions=[m.PaymentItem.invoice_no.set(invoice_no)],
            condition=m.PaymentItem.pk.exists() & m.PaymentItem.invoice_no.does_not_exist())
    except UpdateError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


# -- the one writer of a payment's changes -------------------------------------------------------

class NotAllowed(Exception):
    """The state machine refuses this status change (``states.decide``); nothing was written."""

    def __init__(self, decision: states.Decision) -> None:
        super().__init__(decision.note)
        self.decision = decision


class PaymentChanged(ConditionFailed):
    """The payment's own condition failed (its version, or the caller's ``condition``): it
    changed since it was read. ``reasons`` as ConditionFailed's, in the order items were added."""


def history_row(payment: Any, now: datetime, *, note: str, source: str,
                to_status: str | None = None, applied: bool = True, **fields: Any) -> Any:
    """The payment's next history row (sequence ``history_seq + 1``), for ``change``."""
    return m.PaymentHistoryItem(
        payment.pk, m.history_sk(now, int(payment.history_seq) + 1), id=ids.new_id(),
        payment_id=payment.id, from_status=payment.status, to_status=to_status, applied=applied,
        note=note, source=source, created_date=now, **fields)


def decide(payment: Any, to_status: str) -> states.Decision:
    """What the state machine says of moving ``payment`` to ``to_status``."""
    return states.decide(payment.status, to_status, expired=bool(payment.expired),
                         completion_missing=bool(payment.completion_missing))


_NEW_HISTORY = m.PaymentHistoryItem.pk.does_not_exist()  # only read when serialised


def change(payment: Any, history: Any, changes: dict[str, Any] | None = None, *,
           to_status: str | None = None, decision: states.Decision | None = None,
           puts: list[tuple[Any, Any]] | None = None, rows: list[Any] | None = None,
           condition: Any = None, token: str | None = None, now: datetime | None = None,
           checks: list[Callable[[Any], None]] | None = None) -> None:
    """Write one change of ``payment`` (see the module doc). ``history``: its next history row
    (``history_row``); ``changes``: the payment's attributes to set, by their Python names (None
    removes one); ``puts``: ``(item, condition)`` saved first, in order; ``rows``: outbox rows
    (published by the caller after the commit). Raises ``NotAllowed`` before writing when the
    state machine refuses ``to_status``; ``PaymentChanged`` when the payment changed since it
    was read; ConditionFailed when another item's condition failed. ``checks``: each adds one
    condition check on another item to the transaction (e.g. the coupon is still usable)."""
    P = m.PaymentItem  # noqa: N806
    now = now or settings.now()
    puts, rows = list(puts or []), list(rows or [])
    update: dict[str, Any] = {"version": payment.version + 1,
                              "history_seq": payment.history_seq + 1, "modified_date": now}
    for name, value in (changes or {}).items():
        if name in update or name == "status":
            raise ValueError(f"ledger.change writes {name} itself")
        update[name] = value
    if to_status is not None:
        decision = decision or decide(payment, to_status)
        if not decision.applied or decision.to_status != to_status:
            raise NotAllowed(decision)
        update["status"] = to_status
        if not states.needs_watch(to_status, payment.gateway_type):
            update["due_pk"] = update["due_sk"] = None
    guard = P.version == payment.version
    if condition is not None:
        guard = guard & condition
    try:
        with transaction(token) as tx:
            for check in checks or []:
                check(tx)
            for item, item_condition in puts:
                tx.save(item, condition=item_condition)
            tx.save(history, condition=_NEW_HISTORY)
            notify.add(tx, rows)
            # PynamoDB sends every put before any update: the payment update comes last.
            tx.set_values(payment, update, condition=guard)
    except ConditionFailed as e:
        if e.failed(len(checks or []) + len(puts) + 1 + len(rows)):
            raise PaymentChanged(e.reasons) from None
        raise
