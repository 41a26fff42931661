"""Wallet earning events: amounts granted to a user's wallet when something happens
(JFW's IWalletEarningEvent; README, "Wallets").

- An earning event names its trigger (``eventId``, one of ``EARNING_TRIGGERS``), an amount and
  currency, a ``type`` (JFW's Earning | Redeem) and a status. Active events of type
  ``Earning`` whose trigger fires are granted; ``Redeem`` ones are listed (what a brand shows
  users they can redeem) and never granted by a trigger.
- A grant credits the ``granted`` part of the user's wallet in the event's currency (opened
  for them when they have none, in the test mode of what caused it) with a WalletEarningCoin
  row, through ledger.post with the reference ``EARN#<earning id>#<user id>#<reference>``: at
  most once per (user, earning event, reference), however often the trigger is delivered.
- Triggers arrive through the outbox, at least once: identity's ``user-event`` (a registration;
  identity writes the row in the registration's transaction) and payments' ``payment-event``
  (a completed payment of a referred buyer). The subscribers are ``on_user_event`` and
  ``on_payment_event``, registered by wallet/service.py.
- Deleting an event marks it Deleted (kept: ledger rows name it) and frees its code.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib import money, settings
from chalicelib.http import paging
from chalicelib.http.errors import ApiError, BadRequest, Conflict, NotFound
from chalicelib.identity import service as identity
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction
from chalicelib.wallet import ledger, wallets
from chalicelib.wallet.redeem import models as m
from chalicelib.wallet.redeem.constants import (
    EARNING_STATUSES,
    EARNING_TRIGGERS,
    EARNING_TYPES,
    PAYMENT_REFERRAL_COMPLETED,
    USER_REFERRAL_REGISTERED,
    USER_REGISTERED,
)

log = logging.getLogger("jfw.wallet")

E = m.EarningEventItem
MAX_EVENTS_PER_BRAND = 500


def _get(brand_id: str, earning_id: str) -> Any:
    try:
        item = E.get(m.earning_pk(brand_id, earning_id), m.EARNING_SK, consistent_read=True)
    except E.DoesNotExist:
        item = None
    if item is None or item.status == "Deleted":
        raise NotFound(f"Earning event {earning_id} was not found.",
                       code="EARNING_EVENT_NOT_FOUND")
    return item


def to_dto(e: Any) -> dict[str, Any]:
    return {
        "id": e.id, "createdDate": e.created_date.isoformat(), "eventId": e.event_id,
        "code": e.code, "name": e.name,
        "amount": money.to_decimal(int(e.amount_minor), e.currency),
        "currencyCode": e.currency, "type": e.type, "description": e.description,
        "status": e.status, "modifiedDate": e.modified_date.isoformat(),
    }


def _all(brand_id: str) -> list[Any]:
    return [e for e in E.gsi1.query(m.earnings_gsi(brand_id), limit=MAX_EVENTS_PER_BRAND)
            if e.status != "Deleted"]


def list_events(brand_id: str, query: dict[str, Any], see_all: bool) -> dict[str, Any]:
    """JFW's list (default type Earning). Users see Active events; an EARNING-EVENT.READ holder
    may filter by ``status`` (all but Deleted by default)."""
    kind = query.get("type") or "Earning"
    status = query.get("status") if see_all else "Active"
    rows = [to_dto(e) for e in _all(brand_id) if e.type == kind
            and (status is None or e.status == status)
            and (not query.get("eventId") or e.event_id == query["eventId"])]
    return paging.page(rows, query, sortable=("code", "name", "amount", "eventId", "status"),
                       keyword_fields=("code", "name", "description", "eventId"))


def get_event(brand_id: str, earning_id: str) -> dict[str, Any]:
    return to_dto(_get(brand_id, earning_id))


def _fields(body: Any, currency_default: str | None = None) -> dict[str, Any]:
    if body.eventId not in EARNING_TRIGGERS:
        raise BadRequest(f"eventId must be one of {', '.join(EARNING_TRIGGERS)}.",
                         field="eventId")
    if body.type not in EARNING_TYPES:
        raise BadRequest(f"type must be one of {', '.join(EARNING_TYPES)}.", field="type")
    if body.status not in EARNING_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(EARNING_STATUSES)}.",
                         field="status")
    currency = wallets.currency_of(body.currencyCode)
    amount = money.to_minor(body.amount, currency, "amount")
    if amount <= 0:
        raise BadRequest("amount must be more than 0.", field="amount")
    return dict(event_id=body.eventId, code=body.code.strip().upper(), name=body.name,
                amount_minor=amount, currency=currency, type=body.type,
                description=body.description, status=body.status)


def _code_taken(code: str) -> Conflict:
    return Conflict(f"The code '{code}' is already used by another earning event.",
                    code="EARNING_EVENT_CODE_TAKEN", field="code")


def create_event(brand_id: str, body: Any) -> dict[str, Any]:
    fields = _fields(body)
    now = settings.now()
    earning_id = ids.new_id()
    item = E(m.earning_pk(brand_id, earning_id), m.EARNING_SK, id=earning_id,
             brand_id=brand_id, gsi1pk=m.earnings_gsi(brand_id),
             gsi1sk=f"{ids.stamp(now)}#{earning_id}", created_date=now, modified_date=now,
             **fields)
    try:
        with transaction() as tx:
            tx.save(m.EarningCodeItem(m.earning_code_pk(brand_id, item.code), m.UNIQUE_SK,
                                      earning_id=earning_id, created_date=now),
                    condition=m.EarningCodeItem.pk.does_not_exist())
            tx.save(item, condition=E.pk.does_not_exist())
    except ConditionFailed as e:
        if e.failed(0):
            raise _code_taken(item.code) from None
        raise
    return to_dto(item)


def update_event(brand_id: str, earning_id: str, body: Any) -> dict[str, Any]:
    item = _get(brand_id, earning_id)
    fields = _fields(body)
    now = settings.now()
    old_code, read_modified = item.code, item.modified_date
    for key, value in fields.items():
        setattr(item, key, value)
    item.modified_date = now
    try:
        with transaction() as tx:
            if item.code != old_code:
                tx.save(m.EarningCodeItem(m.earning_code_pk(brand_id, item.code), m.UNIQUE_SK,
                                          earning_id=earning_id, created_date=now),
                        condition=m.EarningCodeItem.pk.does_not_exist())
                tx.delete(m.EarningCodeItem(m.earning_code_pk(brand_id, old_code),
                                            m.UNIQUE_SK))
            tx.save(item, condition=(E.modified_date == read_modified) & (E.status != "Deleted"))
    except ConditionFailed as e:
        if item.code != old_code and e.failed(0):
            raise _code_taken(item.code) from None
        raise Conflict(f"Earning event {earning_id} changed meanwhile; read it and try again.",
                       code="EARNING_EVENT_CHANGED") from None
    return to_dto(item)


def delete_event(brand_id: str, earning_id: str) -> bool:
    item = _get(brand_id, earning_id)
    try:
        with transaction() as tx:
            tx.delete(m.EarningCodeItem(m.earning_code_pk(brand_id, item.code), m.UNIQUE_SK),
                      condition=m.EarningCodeItem.earning_id == item.id)
            tx.update(item, actions=[E.status.set("Deleted"),
                                     E.modified_date.set(settings.now())],
                      condition=E.status != "Deleted")
    except ConditionFailed:
        return True  # deleted meanwhile
    return True


# -- granting ------------------------------------------------------------------------------------

def grant(brand_id: str, event: Any, user_id: str, reference: str,
          test_mode: bool = False) -> bool:
    """Credit ``event``'s amount to the user's wallet once per reference; False when it was
    granted before."""
    wallet = wallets.open_wallet(brand_id, user_id, event.currency, test_mode)
    ref = f"EARN#{event.id}#{user_id}#{reference}"
    move = ledger.Move(wallet.id, int(event.amount_minor), "WalletEarningCoin", part="granted",
                       ref_object="WalletEarningEvent", ref_id=event.id,
                       description=event.name, notes=f"{event.event_id} {reference}")
    try:
        ledger.post(brand_id, [move], ref=ref)
    except ledger.Duplicate:
        return False
    return True


def fire(brand_id: str, trigger: str, user_id: str, reference: str,
         test_mode: bool = False) -> list[str]:
    """Grant every Active Earning event of ``trigger`` to the user; the ids granted now."""
    granted = []
    for event in _all(brand_id):
        if event.event_id != trigger or event.type != "Earning" or event.status != "Active":
            continue
        try:
            if grant(brand_id, event, user_id, reference, test_mode):
                granted.append(event.id)
        except ledger.WalletNotOpen as e:
            # A Closed wallet is replaced by open_wallet; this is one closed meanwhile. The
            # outbox retries the delivery, which opens a new one.
            raise RuntimeError(e.message) from None
    return granted


def _user_exists(brand_id: str, user_id: str) -> bool:
    try:
        return identity.get_user_item(brand_id, user_id).status != "Deleted"
    except NotFound:
        return False


def on_user_event(payload: dict[str, Any]) -> None:
    """identity's ``user-event`` subscriber: a registration grants USER.REGISTERED to the user
    and USER.REFERRAL.REGISTERED to their referrer."""
    if payload.get("event") != USER_REGISTERED:
        return
    brand_id, user_id = payload["brandId"], payload["userId"]
    _safely(fire, brand_id, USER_REGISTERED, user_id, user_id)
    referrer = payload.get("referrerId")
    if referrer and referrer != user_id and _user_exists(brand_id, referrer):
        _safely(fire, brand_id, USER_REFERRAL_REGISTERED, referrer, user_id)


def on_payment_event(payload: dict[str, Any]) -> None:
    """payments' ``payment-event`` subscriber: a referred buyer's payment that completed (and
    is not held) grants PAYMENT.REFERRAL.COMPLETED to the referrer, once per payment."""
    if payload.get("event") != "PAYMENT.PROCESSED.SUCCESS" or not payload.get("fulfil"):
        return
    if payload.get("paymentType") == "WalletTopUp":
        return  # buying credit is not a purchase: the purchase made with it earns
    brand_id, referrer = payload.get("brandId"), payload.get("referrerId")
    if not brand_id or not referrer or referrer == payload.get("userId"):
        return
    if not _user_exists(brand_id, referrer):
        return
    _safely(fire, brand_id, PAYMENT_REFERRAL_COMPLETED, referrer, payload["paymentId"],
            bool(payload.get("testMode")))


def _safely(fn: Any, brand_id: str, trigger: str, user_id: str, reference: str,
            test_mode: bool = False) -> None:
    """A refusal that retrying can't change (an ApiError: a currency no longer valid) is
    logged, not retried; anything else fails the delivery so the outbox tries again."""
    try:
        fn(brand_id, trigger, user_id, reference, test_mode)
    except ApiError as e:
        if isinstance(e, ledger.Busy):
            raise
        log.warning("earning %s for user %s (%s) not granted: %s", trigger, user_id,
                    reference, e.message)
