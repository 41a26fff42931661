"""Saved cards: a buyer's consent at checkout (``saveCardForRenewals``), the card remembered
once the payment completed, a user's list and deletion, and which card a renewal charges.

How a card gets saved:
1. the checkout (checkout/start.py) creates the Stripe PaymentIntent with a Stripe Customer
   (the user's existing one at that gateway, else a new one) and
   ``setup_future_usage="off_session"``, and keeps the consent on the payment (``saveCard``);
2. the payment's completion (intake's transaction, effects.py) writes a ``saved-card`` outbox
   row naming the PaymentIntent's customer and PaymentMethod: nothing is saved before the
   payment completed, and the row commits with the completion or not at all;
3. the outbox consumer runs ``remember``: it reads the PaymentMethod at Stripe (a webhook's
   PaymentIntent carries only its id; the card's brand, last 4 digits and expiry come from the
   PaymentMethod), checks it is attached to that customer, and writes the card row. Stripe
   being unreachable makes the row fail and retry; a second delivery writes the same row.

One card per brand x user x gateway (models.py); a newer completion replaces an older card (the
write is conditioned on ``savedDate``, so saves applied out of order keep the newest), and the
replaced PaymentMethod is detached from the customer at Stripe.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DeleteError, PutError

from chalicelib import settings
from chalicelib.http.errors import ApiError, NotFound
from chalicelib.notify import service as notify
from chalicelib.payments.cards import models as m
from chalicelib.payments.gateways import stripe as stripe_gateway
from chalicelib.payments.gateways.events import GatewayEvent
from chalicelib.payments.gateways.webhook import get_for_webhook

log = logging.getLogger("jfw.payments")


def card_id(gateway_id: str, payment_method_id: str) -> str:
    return "card" + hashlib.sha256(f"{gateway_id}:{payment_method_id}".encode()).hexdigest()[:20]


def ref_id(value: Any) -> str | None:
    """A Stripe reference that may be expanded (an object) or not (its id)."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


# -- reading ---------------------------------------------------------------------------------

def list_cards(brand_id: str, user_id: str) -> list[Any]:
    """The user's saved cards, newest first (one Query of their partition)."""
    cards = list(m.SavedCardItem.query(m.cards_pk(brand_id, user_id),
                                       m.SavedCardItem.sk.startswith(m.CARD_PREFIX),
                                       consistent_read=True))
    return sorted(cards, key=lambda c: c.saved_date, reverse=True)


def find(brand_id: str, user_id: str, gateway_id: str) -> Any | None:
    try:
        return m.SavedCardItem.get(m.cards_pk(brand_id, user_id), m.card_sk(gateway_id),
                                   consistent_read=True)
    except m.SavedCardItem.DoesNotExist:
        return None


def customer_of(brand_id: str, user_id: str, gateway_id: str) -> str | None:
    """The Stripe Customer the user already has at this gateway (a later consented checkout
    reuses it), or None."""
    card = find(brand_id, user_id, gateway_id)
    return card.customer_id if card is not None else None


def expired(card: Any, now: datetime) -> bool:
    """A card is good through the last day of its expiry month."""
    if card.exp_year is None or card.exp_month is None:
        return False
    return (now.year, now.month) > (int(card.exp_year), int(card.exp_month))


def for_charge(brand_id: str, user_id: str, usable: Any = None) -> Any | None:
    """The card a renewal charges: the most recently saved one that has not expired and whose
    gateway ``usable(gateway_id)`` says can take it (default: any)."""
    now = settings.now()
    for card in list_cards(brand_id, user_id):
        if not expired(card, now) and (usable is None or usable(card.gateway_id)):
            return card
    return None


def to_dto(card: Any) -> dict[str, Any]:
    return {"id": card.id, "appIntegrationId": card.gateway_id, "gateway": card.gateway_type,
            "brand": card.card_brand, "last4": card.last4,
            "expMonth": int(card.exp_month) if card.exp_month is not None else None,
            "expYear": int(card.exp_year) if card.exp_year is not None else None,
            "expired": expired(card, settings.now()), "paymentId": card.payment_id,
            "savedDate": card.saved_date.isoformat(),
            "createdDate": card.created_date.isoformat()}


def owned(brand_id: str, user_id: str, id: str) -> Any:  # noqa: A002
    """The user's card ``id``, or 404 (another user's card is not theirs to see)."""
    for card in list_cards(brand_id, user_id):
        if card.id == id:
            return card
    raise NotFound(f"Saved card {id} was not found.", code="SAVED_CARD_NOT_FOUND")


# -- saving ----------------------------------------------------------------------------------

def consent_row(payment: Any, event: GatewayEvent) -> Any | None:
    """The ``saved-card`` outbox row of a completing payment whose buyer consented, written in
    the completion's transaction (effects.py); None when there is nothing to save: no consent,
    not Stripe, or a PaymentIntent that names no customer or PaymentMethod."""
    if not payment.save_card or event.gateway != "stripe" or not payment.user_id:
        return None
    raw = event.raw if isinstance(event.raw, dict) else {}
    if isinstance(raw.get("data"), dict):  # a webhook's event; the janitor's is the object
        raw = raw["data"].get("object") or {}
    customer = ref_id(raw.get("customer")) or (payment.gateway_data or {}).get("customerId")
    method = ref_id(raw.get("payment_method"))
    if not customer or not method or not payment.gateway_id:
        return None
    return notify.row(payment.brand_id, SAVED_CARD, {
        "userId": payment.user_id, "gatewayId": payment.gateway_id, "customerId": customer,
        "paymentMethodId": method, "paymentId": payment.id,
        "savedAt": event.occurred_at.isoformat()})


def remember(item: Any) -> Any:
    """The ``saved-card`` outbox kind: read the PaymentMethod at Stripe and keep the card."""
    p = item.payload or {}
    try:
        gateway = get_for_webhook(p["gatewayId"])
    except NotFound:
        return notify.Delivery(result={"saved": False, "reason": "the gateway is gone"})
    if not gateway.get("privateKey"):
        return notify.Delivery(result={"saved": False, "reason": "the gateway has no key"})
    method = fetch_method(gateway["privateKey"], p["paymentMethodId"])
    if method is None or method.get("type") != "card":
        return notify.Delivery(result={"saved": False, "reason": "not a card"})
    if ref_id(method.get("customer")) != p["customerId"]:
        # setup_future_usage attaches the card to the customer when the payment succeeds; a
        # card that isn't attached can't be charged off-session.
        return notify.Delivery(result={"saved": False,
                                       "reason": "not attached to the customer"})
    card = save(item.brand_id, p["userId"], p["gatewayId"], p["customerId"], method,
                p["paymentId"], datetime.fromisoformat(p["savedAt"]))
    return notify.Delivery(result={"saved": card is not None,
                                   **({"cardId": card.id} if card is not None else
                                      {"reason": "a newer card is saved"})})


def fetch_method(api_key: str, payment_method_id: str) -> dict[str, Any] | None:
    """The PaymentMethod as plain data; None when Stripe says it doesn't exist. Raises when
    Stripe can't be asked (the outbox retries)."""
    import stripe  # heavy optional library: loaded only when a Stripe call is made

    try:
        method = stripe_gateway.client(api_key).v1.payment_methods.retrieve(payment_method_id)
    except stripe.InvalidRequestError as e:
        if e.http_status == 404:
            return None
        raise
    return method.to_dict()


def save(brand_id: str, user_id: str, gateway_id: str, customer_id: str, method: dict,
         payment_id: str, saved_at: datetime) -> Any | None:
    """Write the card row (replacing an older card at the same gateway); None when a card
    saved by a later completion is there already."""
    card = method.get("card") or {}
    new_id = card_id(gateway_id, method["id"])
    old = find(brand_id, user_id, gateway_id)
    item = m.SavedCardItem(
        m.cards_pk(brand_id, user_id), m.card_sk(gateway_id),
        id=new_id, brand_id=brand_id, user_id=user_id,
        gateway_id=gateway_id, customer_id=customer_id, payment_method_id=method["id"],
        card_brand=card.get("brand"), last4=card.get("last4"), exp_month=card.get("exp_month"),
        exp_year=card.get("exp_year"), payment_id=payment_id, saved_date=saved_at,
        created_date=old.created_date if old is not None and old.id == new_id
        else settings.now())
    S = m.SavedCardItem  # noqa: N806
    try:
        item.save(condition=S.pk.does_not_exist() | (S.saved_date <= saved_at))
    except PutError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        newer = find(brand_id, user_id, gateway_id)
        if newer is None or newer.payment_method_id != method["id"]:
            detach(gateway_id, method["id"])  # not kept: not left chargeable either
        return None
    if old is not None and old.payment_method_id != method["id"]:
        detach(gateway_id, old.payment_method_id)
    return item


# -- deleting --------------------------------------------------------------------------------

def delete(brand_id: str, user_id: str, id: str) -> bool:  # noqa: A002
    """Forget the user's card ``id`` (404 when it isn't theirs) and detach it from its Stripe
    customer, so nobody can charge it off-session any more."""
    card = owned(brand_id, user_id, id)
    try:
        card.delete(condition=m.SavedCardItem.id == card.id)
    except DeleteError as e:
        if e.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound(f"Saved card {id} was not found.",
                           code="SAVED_CARD_NOT_FOUND") from None
        raise
    detach(card.gateway_id, card.payment_method_id)
    return True


def forget(brand_id: str, user_id: str | None, id: str | None) -> None:  # noqa: A002
    """Drop the user's card ``id`` if it is still the saved one (Stripe no longer has it)."""
    if not user_id or not id:
        return
    for card in list_cards(brand_id, user_id):
        if card.id == id:
            try:
                card.delete(condition=m.SavedCardItem.id == id)
            except DeleteError as e:
                if e.cause_response_code != "ConditionalCheckFailedException":
                    raise
            log.info("saved card %s of user %s forgotten: Stripe no longer has it", id, user_id)


def detach(gateway_id: str, payment_method_id: str) -> None:
    """Best effort: our row is what lets a renewal charge a card; the detach at Stripe is
    tidiness and privacy on top (a failure is logged, not raised)."""
    import stripe  # heavy optional library: loaded only when a Stripe call is made

    try:
        key = get_for_webhook(gateway_id).get("privateKey")
        if key:
            stripe_gateway.client(key).v1.payment_methods.detach(payment_method_id)
    except (stripe.StripeError, ApiError):
        log.warning("saved card: could not detach %s at gateway %s", payment_method_id,
                    gateway_id, exc_info=True)


SAVED_CARD = notify.register_kind("saved-card", remember)
