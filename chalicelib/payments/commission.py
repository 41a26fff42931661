"""Commission rates (JFW v6.9.3 §20 ``v1/commission-rates``; types Discount and Commission by
quantity range) and the commission of a completed payment.

JFW publishes the fields but not the rules; ours:
- A rate covers the quantities ``quantityFrom..quantityTo`` (inclusive; a missing bound is open:
  0 and no limit). Within one type, the ranges of non-default rates must not overlap.
- ``isDefault``: at most one per type; it applies when no other rate of its type covers the
  quantity.
- ``get-discount?quantity=n``: the Discount percentage for n (0 when none applies).
- ``split(brand_id, payment)``, called by the intake when a payment completes: ``commission`` is
  the Commission percentage for quantity 1 (one purchase) of the payment's gross, rounded
  half-up to the minor unit (money.percent_of); ``sharedAmount`` (JFW's reseller share) is that
  commission when the buyer was referred (``payment.referrer_id``: it goes to the referrer), else
  0 (the commission stays with the brand). Commission follows the money that comes in, once: a
  wallet top-up's payment has its commission; a payment a wallet pays in full has none (its
  money came in with the top-up), and one a wallet pays in part has it on the gateway's part.

Items (models.py): the rate, and the brand's commission head whose version every write checks
and raises in the same transaction, so two concurrent writes can't create overlapping ranges or
two defaults.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DeleteError

from chalicelib import money, settings
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.http.paging import cut
from chalicelib.payments import models as m
from chalicelib.payments.constants import COMMISSION_TYPES
from chalicelib.payments.models import CommissionHead, CommissionRateItem
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction

TYPES = COMMISSION_TYPES
CACHE_SECONDS = 30.0
UNBOUNDED = 10**18


def to_dto(item: CommissionRateItem) -> dict[str, Any]:
    return {"id": item.id, "brandId": item.brand_id, "user": None, "type": item.type,
            "description": item.description,
            "quantityFrom": int(item.quantity_from) if item.quantity_from is not None else None,
            "quantityTo": int(item.quantity_to) if item.quantity_to is not None else None,
            "unit": item.unit, "percentage": Decimal(item.percentage),
            "isDefault": bool(item.is_default), "createdDate": item.created_date,
            "modifiedDate": item.modified_date}


# -- reading -------------------------------------------------------------------------------------

_cache: dict[str, tuple[float, list[CommissionRateItem]]] = {}


def clear_cache() -> None:
    _cache.clear()


def rates(brand_id: str, cached: bool = False) -> list[CommissionRateItem]:
    """The brand's rates (one Query); ``cached``: kept ``CACHE_SECONDS`` in memory (the intake's
    hot path)."""
    if cached:
        hit = _cache.get(brand_id)
        if hit and hit[0] > time.monotonic():
            return hit[1]
    items = list(CommissionRateItem.gsi1.query(m.commission_rates_gsi(brand_id)))
    _cache[brand_id] = (time.monotonic() + CACHE_SECONDS, items)
    return items


def _get(brand_id: str, rate_id: str) -> CommissionRateItem:
    try:
        return CommissionRateItem.get(m.commission_rate_pk(brand_id, rate_id), m.COMMRATE_SK,
                                      consistent_read=True)
    except CommissionRateItem.DoesNotExist:
        raise NotFound(f"Commission rate {rate_id} was not found.",
                       code="COMMISSION_RATE_NOT_FOUND") from None


def get(brand_id: str, rate_id: str) -> dict[str, Any]:
    return to_dto(_get(brand_id, rate_id))


def list_rates(brand_id: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    """A plain array (JFW), filtered and sorted; ``pageNumber``/``pageSize`` cut it when sent."""
    rows = [to_dto(i) for i in rates(brand_id)
            if (not query.get("type") or i.type == query["type"])
            and (not query.get("unit") or (i.unit or "").lower() == query["unit"].lower())
            and ("isDefault" not in query or bool(i.is_default) == query["isDefault"])]
    field = query.get("sortDataField") or "quantityFrom"
    if field not in ("id", "createdDate", "quantityFrom", "quantityTo", "percentage", "type"):
        raise BadRequest("sortDataField must be one of id, createdDate, quantityFrom, "
                         "quantityTo, percentage, type.", field="sortDataField")
    rows.sort(key=lambda r: (r["type"] if field != "type" else "",
                             r[field] is not None, r[field] if r[field] is not None else 0,
                             r["id"]), reverse=query.get("sortOrder") == "desc")
    return cut(rows, query)


def _bounds(item: CommissionRateItem | dict) -> tuple[int, int]:
    lo = item["quantityFrom"] if isinstance(item, dict) else item.quantity_from
    hi = item["quantityTo"] if isinstance(item, dict) else item.quantity_to
    return int(lo or 0), int(hi) if hi is not None else UNBOUNDED


def rate_for(items: list[CommissionRateItem], kind: str, quantity: int
             ) -> CommissionRateItem | None:
    """The rate of ``kind`` covering ``quantity``, else the type's default, else None."""
    default = None
    for item in items:
        if item.type != kind:
            continue
        if item.is_default:
            default = item
            continue
        lo, hi = _bounds(item)
        if lo <= quantity <= hi:
            return item
    return default


def get_discount(brand_id: str, quantity: int) -> Decimal:
    if quantity < 0:
        raise BadRequest("quantity must be 0 or more.", field="quantity")
    item = rate_for(rates(brand_id), "Discount", quantity)
    return Decimal(item.percentage) if item else Decimal(0)


def split(brand_id: str, payment: Any) -> dict[str, int]:
    """``{commission_minor, shared_amount_minor}`` of a completing payment (see the module
    doc)."""
    if getattr(payment, "gateway_type", None) == "wallet":
        # Money counted once: the commission was taken when it came in (the top-up's payment).
        return {"commission_minor": 0, "shared_amount_minor": 0}
    item = rate_for(rates(brand_id, cached=True), "Commission", 1)
    gross = int(payment.amount_gross_minor or payment.amount_minor or 0)
    commission = money.percent_of(gross, Decimal(item.percentage)) if item else 0
    shared = commission if getattr(payment, "referrer_id", None) else 0
    return {"commission_minor": commission, "shared_amount_minor": shared}


# -- writing -------------------------------------------------------------------------------------

def _check(items: list[CommissionRateItem], data: dict[str, Any], own_id: str | None) -> None:
    others = [i for i in items if i.type == data["type"] and i.id != own_id]
    if data["isDefault"]:
        taken = next((i for i in others if i.is_default), None)
        if taken is not None:
            raise Conflict(f"{data['type']} rate {taken.id} is already the default; change it "
                           "first.", code="COMMISSION_RATE_DEFAULT_EXISTS", field="isDefault")
        return
    lo, hi = _bounds(data)
    for other in others:
        if other.is_default:
            continue
        o_lo, o_hi = _bounds(other)
        if lo <= o_hi and o_lo <= hi:
            shown = f"{o_lo}-{'' if o_hi == UNBOUNDED else o_hi}"
            raise Conflict(f"The quantities {lo}-{'' if hi == UNBOUNDED else hi} overlap "
                           f"{data['type']} rate {other.id} ({shown}).",
                           code="COMMISSION_RATE_OVERLAP", field="quantityFrom")


def _write(brand_id: str, data: dict[str, Any], rate_id: str | None) -> CommissionRateItem:
    try:
        head = CommissionHead.get(m.commission_head_pk(brand_id), m.HEAD_SK, consistent_read=True)
    except CommissionHead.DoesNotExist:
        head = None
    items = rates(brand_id)
    current = _get(brand_id, rate_id) if rate_id else None
    _check(items, data, rate_id)
    now = settings.now()
    new_id = rate_id or ids.new_id()
    item = CommissionRateItem(
        m.commission_rate_pk(brand_id, new_id), m.COMMRATE_SK,
        gsi1pk=m.commission_rates_gsi(brand_id), gsi1sk=new_id, id=new_id,
        brand_id=brand_id, type=data["type"], unit=data.get("unit"),
        quantity_from=data.get("quantityFrom"), quantity_to=data.get("quantityTo"),
        percentage=str(data["percentage"]), description=data.get("description"),
        is_default=bool(data["isDefault"]),
        created_date=current.created_date if current else now, modified_date=now)
    try:
        with transaction() as tx:
            if head is None:
                tx.save(CommissionHead(m.commission_head_pk(brand_id), m.HEAD_SK, version=1),
                        condition=CommissionHead.pk.does_not_exist())
            else:
                tx.update(head, actions=[CommissionHead.version.set(head.version + 1)],
                          condition=CommissionHead.version == head.version)
            tx.save(item, condition=CommissionRateItem.pk.exists() if current
                    else CommissionRateItem.pk.does_not_exist())
    except ConditionFailed:
        raise Conflict("The brand's commission rates changed while saving; try again.",
                       code="COMMISSION_RATE_CONFLICT") from None
    finally:
        clear_cache()
    return item


def create(brand_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return to_dto(_write(brand_id, data, None))


def update(brand_id: str, rate_id: str, data: dict[str, Any]) -> bool:
    _write(brand_id, data, rate_id)
    return True


def delete(brand_id: str, rate_id: str) -> bool:
    item = _get(brand_id, rate_id)
    try:
        item.delete(condition=CommissionRateItem.pk.exists())
    except DeleteError:
        raise NotFound(f"Commission rate {rate_id} was not found.",
                       code="COMMISSION_RATE_NOT_FOUND") from None
    finally:
        clear_cache()
    return True
