"""Payment use cases other contexts call: create a payment, read one.

``create_payment`` writes the payment (status ``Created``) and its first history row in one
transaction, and puts the payment in the janitor's ``due`` index (first check after the brand's
``paymentCheckAfterMinutes``, default 15), so a notification that never arrives is noticed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib import settings
from chalicelib.http.errors import NotFound
from chalicelib.payments import effects  # noqa: F401 - registers payments' outbox kinds
from chalicelib.store import ids

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


def create_payment(brand: dict | str, **fields: Any) -> Any:
    """Create a payment in ``Created`` and return the saved ``PaymentItem``.

    ``brand`` is the brand DTO (its ``setting`` gives the janitor delay) or a brand id.
    ``fields`` are ``PaymentItem`` attribute names (amount_minor and currency are required;
    ``id`` and ``code`` are generated when absent).
    """
    from chalicelib.payments import models as m
    from chalicelib.store.tx import transaction

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
        version=1, history_seq=1, created_date=now, modified_date=now, **fields,
    )
    hist = m.PaymentHistoryItem(
        item.pk, m.history_sk(now, 1), id=ids.new_id(), payment_id=payment_id,
        from_status=None, to_status="Created", applied=True, source="checkout",
        note="payment created", amount_minor=item.amount_minor, currency=item.currency,
        created_date=now,
    )
    with transaction() as tx:
        tx.save(item, condition=m.PaymentItem.pk.does_not_exist())
        tx.save(hist, condition=m.PaymentHistoryItem.pk.does_not_exist())
        if item.merchant_ref_no and item.gateway_type:
            tx.save(m.MerchantRefItem(m.mref_pk(brand_id, item.gateway_type,
                                                item.merchant_ref_no), m.MREF_SK,
                                      payment_id=payment_id, created_date=now))
    return item


def record_merchant_ref(brand_id: str, payment_id: str, gateway: str, merchant_ref: str,
                        **gateway_data: Any) -> None:
    """Remember the gateway's id of a payment (the Stripe PaymentIntent made for it) on the
    payment and in the gateway-reference row, in one transaction. Lets the janitor ask Stripe
    about it and a refund that names only the PaymentIntent find its payment. ``gateway_data``
    (e.g. client_secret) is merged into the payment's ``gatewayData``."""
    from chalicelib.payments import models as m
    from chalicelib.store.tx import transaction

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
    from chalicelib.payments import models as m

    try:
        return m.PaymentItem.get(m.payment_pk(brand_id, payment_id), m.PAYMENT_SK,
                                 consistent_read=True)
    except m.PaymentItem.DoesNotExist:
        raise NotFound(f"Payment {payment_id} was not found.", code="PAYMENT_NOT_FOUND") from None


def find_payment(brand_id: str, payment_id: str) -> Any | None:
    from chalicelib.payments import models as m

    try:
        return m.PaymentItem.get(m.payment_pk(brand_id, payment_id), m.PAYMENT_SK,
                                 consistent_read=True)
    except m.PaymentItem.DoesNotExist:
        return None
