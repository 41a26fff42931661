"""Coupons: JFW's ICoupon plus a fixed ``amountOff``, a per-user limit and a package restriction.

Storage (catalog table, keys in models.py):
- ``B#<brand>#COUPON#<id>`` / ``COUPON``: the coupon with its ``redeemedCount``; gsi1
  ``B#<brand>#COUPONS`` lists a brand's coupons (one Query).
- ``B#<brand>#COUPON#<id>`` / ``USER#<userId>``: how often that user redeemed it (``count``).
- ``B#<brand>#COUPON#<id>`` / ``REF#<ref>``: one row per redemption (the payment that caused it),
  so redeeming the same ref twice counts once and ``release`` gives back exactly what was taken.
- ``B#<brand>#COUPONCODE#<CODE>`` / ``UNIQUE``: the code, upper-cased (unique per brand, case-
  insensitive), claimed in the same transaction as the coupon.

Status: the stored status is Active, Inactive or Deleted; reads report Expired once ``endDate``
has passed. A deleted coupon is kept (money refers to it) and its code is freed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import money, settings
from chalicelib.catalog import packages, pricing
from chalicelib.catalog.models import (
    CouponCodeItem,
    CouponItem,
    CouponRedemptionItem,
    coupon_code_key,
    coupon_pk,
)
from chalicelib.http.errors import ApiError, BadRequest, Conflict, NotFound
from chalicelib.http.paging import page
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction

SK = "COUPON"
SORTABLE = ("code", "name", "quantity", "redeemedCount", "startDate", "endDate", "status",
            "modifiedDate")
KEYWORD_FIELDS = ("code", "name", "description", "tags")
TEXT_FILTERS = ("name", "code", "description", "tags")


def listing_pk(brand_id: str) -> str:
    return f"B#{brand_id}#COUPONS"


def user_sk(user_id: str) -> str:
    return f"USER#{user_id}"


def ref_sk(ref: str) -> str:
    return f"REF#{ref}"


# -- reading -------------------------------------------------------------------------------------

def status_of(item: CouponItem, now: datetime | None = None) -> str:
    if item.is_deleted or item.status == "Deleted":
        return "Deleted"
    now = now or settings.now()
    if item.end_date is not None and item.end_date <= now:
        return "Expired"
    return item.status


def to_dto(item: CouponItem, now: datetime | None = None) -> dict[str, Any]:
    currency = item.currency
    amount_off = (money.to_decimal(int(item.amount_off_minor), currency)
                  if item.amount_off_minor is not None and currency else None)
    return {
        "id": item.id,
        "createdDate": item.created_date,
        "modifiedDate": item.modified_date,
        "code": item.code,
        "name": item.name,
        "description": item.description,
        "tags": item.tags,
        "percentage": item.percentage,
        "amountOff": amount_off,
        "currencyCode": currency if amount_off is not None else None,
        "quantity": _int(item.quantity),
        "redeemedCount": _int(item.redeemed_count) or 0,
        "maxRedemptionsPerUser": _int(item.per_user_limit),
        "packageIds": list(item.package_ids or []),
        "startDate": item.start_date,
        "endDate": item.end_date,
        "autoApplyToPrice": bool(item.auto_apply_to_price),
        "status": status_of(item, now),
        "testMode": bool(item.test_mode),
    }


def get_item(brand_id: str, coupon_id: str) -> CouponItem:
    try:
        return CouponItem.get(coupon_pk(brand_id, coupon_id), SK)
    except DoesNotExist:
        raise NotFound("Coupon not found.", code="COUPON_NOT_FOUND") from None


def get(brand_id: str, coupon_id: str) -> dict[str, Any]:
    return to_dto(get_item(brand_id, coupon_id))


def find_by_code(brand_id: str, code: str) -> CouponItem | None:
    """The live coupon with this code (any case), or None."""
    try:
        ref = CouponCodeItem.get(*coupon_code_key(brand_id, code))
    except DoesNotExist:
        return None
    try:
        item = CouponItem.get(coupon_pk(brand_id, ref.coupon_id), SK)
    except DoesNotExist:
        return None
    return None if item.is_deleted else item


def all_items(brand_id: str) -> list[CouponItem]:
    return list(CouponItem.gsi1.query(listing_pk(brand_id)))


def list_coupons(brand_id: str, query: dict[str, Any]) -> dict[str, Any]:
    """JFW's paged coupon list; Deleted coupons only when asked for with ``status=Deleted``."""
    now = settings.now()
    rows = [to_dto(i, now) for i in all_items(brand_id)]
    wanted = query.get("status")
    rows = [r for r in rows if r["status"] == wanted] if wanted else \
        [r for r in rows if r["status"] != "Deleted"]
    for field in TEXT_FILTERS:
        if query.get(field):
            needle = query[field].lower()
            rows = [r for r in rows if needle in (r.get(field) or "").lower()]
    for field in ("autoApplyToPrice", "testMode", "quantity"):
        if field in query:
            rows = [r for r in rows if r[field] == query[field]]
    if "percentage" in query:
        pct = Decimal(str(query["percentage"]))
        rows = [r for r in rows if r["percentage"] is not None and r["percentage"] == pct]
    if query.get("createdDateFrom"):
        rows = [r for r in rows if r["createdDate"] >= query["createdDateFrom"]]
    if query.get("createdDateTo"):
        rows = [r for r in rows if r["createdDate"] <= query["createdDateTo"]]
    return page(rows, query, sortable=SORTABLE, keyword_fields=KEYWORD_FIELDS)


# -- writing -------------------------------------------------------------------------------------

def create(brand_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """``values``: validated terms (see api.terms); the code is claimed atomically."""
    _check_terms(brand_id, values)
    now = settings.now()
    coupon_id = ids.new_id()
    item = CouponItem(
        coupon_pk(brand_id, coupon_id), SK,
        id=coupon_id, brand_id=brand_id, redeemed_count=0, created_date=now, modified_date=now,
        gsi1pk=listing_pk(brand_id), gsi1sk=f"{now.isoformat()}#{coupon_id}",
        **values,
    )
    claim = CouponCodeItem(*coupon_code_key(brand_id, values["code"]), coupon_id=coupon_id)
    try:
        with transaction() as tx:
            tx.save(item, condition=CouponItem.pk.does_not_exist())
            tx.save(claim, condition=CouponCodeItem.pk.does_not_exist())
    except ConditionFailed as e:
        if e.failed(1):
            raise _code_taken(values["code"]) from None
        raise Conflict("A coupon with this id already exists; try again.") from None
    return to_dto(item, now)


def update(brand_id: str, coupon_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Set the fields present in ``values`` (None clears); a new code is claimed and the old
    one freed in the same transaction, and the cap can't go below what is already redeemed."""
    item = get_item(brand_id, coupon_id)
    if item.is_deleted:
        raise Conflict("This coupon was deleted and can't be changed.", code="COUPON_DELETED")
    merged = {name: getattr(item, name) for name in _TERMS} | values
    _check_terms(brand_id, merged)
    now = settings.now()
    actions = [CouponItem.modified_date.set(now)]
    for name, value in values.items():
        attr = getattr(CouponItem, name)
        if value is None:
            actions.append(attr.remove())
        else:
            actions.append(attr.set(value))
    condition = (CouponItem.is_deleted == False) & (CouponItem.code == item.code)  # noqa: E712
    if merged.get("quantity") is not None:
        condition &= CouponItem.redeemed_count <= int(merged["quantity"])
    new_code = values.get("code")
    recode = new_code is not None and new_code.upper() != item.code.upper()
    try:
        with transaction() as tx:
            tx.update(item, actions=actions, condition=condition)
            if recode:
                tx.delete(CouponCodeItem(*coupon_code_key(brand_id, item.code)),
                          condition=CouponCodeItem.coupon_id == coupon_id)
                tx.save(CouponCodeItem(*coupon_code_key(brand_id, new_code), coupon_id=coupon_id),
                        condition=CouponCodeItem.pk.does_not_exist())
    except ConditionFailed as e:
        if recode and e.failed(2):
            raise _code_taken(new_code) from None
        fresh = get_item(brand_id, coupon_id)
        quantity = merged.get("quantity")
        if quantity is not None and int(fresh.redeemed_count or 0) > int(quantity):
            raise Conflict(f"quantity {quantity} is below the {int(fresh.redeemed_count)} "
                           "redemptions already made.", code="COUPON_QUANTITY_BELOW_REDEEMED",
                           field="quantity") from None
        raise Conflict("The coupon changed while you were editing it; reload and try again.",
                       code="COUPON_CHANGED") from None
    return get(brand_id, coupon_id)


def delete(brand_id: str, coupon_id: str) -> bool:
    """Soft delete: status Deleted, kept for the payments that used it; the code is freed."""
    item = get_item(brand_id, coupon_id)
    if item.is_deleted:
        return True
    try:
        with transaction() as tx:
            tx.update(item, actions=[CouponItem.is_deleted.set(True),
                                     CouponItem.status.set("Deleted"),
                                     CouponItem.modified_date.set(settings.now())],
                      condition=CouponItem.is_deleted == False)  # noqa: E712
            tx.delete(CouponCodeItem(*coupon_code_key(brand_id, item.code)),
                      condition=CouponCodeItem.coupon_id == coupon_id)
    except ConditionFailed:
        if get_item(brand_id, coupon_id).is_deleted:
            return True
        raise Conflict("The coupon changed while deleting it; try again.",
                       code="COUPON_CHANGED") from None
    return True


_TERMS = ("code", "name", "description", "tags", "percentage", "amount_off_minor", "currency",
          "quantity", "per_user_limit", "package_ids", "start_date", "end_date",
          "auto_apply_to_price", "status", "test_mode")


def _check_terms(brand_id: str, v: dict[str, Any]) -> None:
    """Rules across fields, on the terms as they will be stored."""
    has_pct, has_amount = v.get("percentage") is not None, v.get("amount_off_minor") is not None
    if has_pct == has_amount:
        raise BadRequest("Give exactly one of percentage and amountOff (send the other as null "
                         "to switch).", code="COUPON_DISCOUNT_REQUIRED", field="percentage")
    if has_amount and not v.get("currency"):
        raise BadRequest("amountOff needs its currencyCode.", field="currencyCode")
    if v.get("start_date") is None or v.get("end_date") is None:
        raise BadRequest("startDate and endDate are required.", field="endDate")
    if v["end_date"] <= v["start_date"]:
        raise BadRequest("endDate must be after startDate.", field="endDate")
    if v.get("status") not in ("Active", "Inactive"):
        raise BadRequest("status must be Active or Inactive (Expired follows from endDate; "
                         "Deleted from DELETE).", field="status")
    for package_id in v.get("package_ids") or []:
        try:
            packages.get_package(brand_id, package_id)
        except NotFound:
            raise BadRequest(f"packageIds: the package '{package_id}' does not exist.",
                             code="PACKAGE_NOT_FOUND", field="packageIds") from None


def _code_taken(code: str) -> Conflict:
    return Conflict(f"The coupon code '{code}' is already used in this brand.",
                    code="COUPON_CODE_TAKEN", field="code")


# -- applying ------------------------------------------------------------------------------------

def rejection(item: CouponItem, *, now: datetime, package_id: str | None = None,
              currency: str | None = None, user_count: int | None = None) -> ApiError | None:
    """Why this coupon can't be used here, or None. ``user_count``: the buyer's redemptions of
    it so far (None when the buyer is unknown, e.g. not logged in)."""
    code = item.code
    status = status_of(item, now)
    if status == "Deleted":
        return invalid(code)
    if status == "Inactive":
        return BadRequest(f"The coupon '{code}' is not active.", code="COUPON_INACTIVE",
                          field="couponCode")
    if status == "Expired":
        return BadRequest(f"The coupon '{code}' expired on {item.end_date:%Y-%m-%d %H:%M} UTC.",
                          code="COUPON_EXPIRED", field="couponCode")
    if item.start_date is not None and now < item.start_date:
        return BadRequest(f"The coupon '{code}' is valid from {item.start_date:%Y-%m-%d %H:%M} "
                          "UTC.", code="COUPON_NOT_YET_VALID", field="couponCode")
    if item.quantity is not None and int(item.redeemed_count or 0) >= int(item.quantity):
        return Conflict(f"The coupon '{code}' has been used up.", code="COUPON_EXHAUSTED",
                        field="couponCode")
    if package_id is not None and item.package_ids and package_id not in item.package_ids:
        return BadRequest(f"The coupon '{code}' does not apply to this package.",
                          code="COUPON_NOT_APPLICABLE", field="couponCode")
    if (currency is not None and item.amount_off_minor is not None
            and (item.currency or "").upper() != currency.upper()):
        return BadRequest(f"The coupon '{code}' is an amount in {item.currency} and does not "
                          f"apply to a price in {currency}.", code="COUPON_NOT_APPLICABLE",
                          field="couponCode")
    if (user_count is not None and item.per_user_limit is not None
            and user_count >= int(item.per_user_limit)):
        return Conflict(f"You have already used the coupon '{code}'.",
                        code="COUPON_ALREADY_USED", field="couponCode")
    return None


def invalid(code: str) -> BadRequest:
    return BadRequest(f"The coupon code '{code}' does not exist.", code="COUPON_INVALID",
                      field="couponCode")


def user_redemptions(brand_id: str, coupon_id: str, user_id: str) -> int:
    try:
        row = CouponRedemptionItem.get(coupon_pk(brand_id, coupon_id), user_sk(user_id))
    except DoesNotExist:
        return 0
    return int(row.count or 0)


def applicable(brand_id: str, code: str, *, package_id: str, currency: str,
               user_id: str | None, now: datetime) -> CouponItem:
    """The coupon for ``code`` if this buyer may use it on this package now; else the 4xx that
    says why."""
    item = find_by_code(brand_id, code)
    if item is None:
        raise invalid(code)
    count = user_redemptions(brand_id, item.id, user_id) if user_id else None
    problem = rejection(item, now=now, package_id=package_id, currency=currency,
                        user_count=count)
    if problem is not None:
        raise problem
    return item


def best_auto_apply(brand_id: str, *, package_id: str, currency: str, subtotal: int,
                    user_id: str | None, now: datetime) -> CouponItem | None:
    """The usable ``autoApplyToPrice`` coupon giving the largest discount (ties: lowest code)."""
    usable: dict[str, CouponItem] = {}
    for item in all_items(brand_id):
        if not item.auto_apply_to_price:
            continue
        count = user_redemptions(brand_id, item.id, user_id) if user_id else None
        if rejection(item, now=now, package_id=package_id, currency=currency,
                     user_count=count) is None:
            usable[item.code.upper()] = item
    best = pricing.best_discount(subtotal, _offers(usable))
    return usable[best[0]] if best else None


def _offers(items: dict[str, CouponItem]) -> Iterable[tuple[str, Decimal | None, int | None]]:
    for key, item in items.items():
        yield key, item.percentage, _int(item.amount_off_minor)


def discount_terms(item: CouponItem | None) -> dict[str, Any]:
    """The coupon as keyword arguments of ``pricing.quote``."""
    if item is None:
        return {}
    if item.percentage is not None:
        return {"percentage": item.percentage}
    return {"amount_off": _int(item.amount_off_minor)}


# -- redeeming -----------------------------------------------------------------------------------

def redeem(brand_id: str, coupon_id: str, user_id: str, ref: str) -> dict[str, Any]:
    """Count one use of a coupon by ``user_id`` for ``ref`` (a payment id), atomically.

    One transaction: the ref row (so a retry of the same ref counts once), the coupon's
    ``redeemedCount + 1`` on the condition it is below ``quantity`` and the coupon is live, and
    the user's ``count + 1`` on the condition it is below the per-user limit. Concurrent
    redemptions never go over either cap.
    """
    if not ref:
        raise BadRequest("A redemption needs a reference (the payment id).", field="ref")
    item = get_item(brand_id, coupon_id)
    now = settings.now()
    pk = coupon_pk(brand_id, coupon_id)
    coupon_ok = _usable(item, now)
    user_row = CouponRedemptionItem(pk, user_sk(user_id))
    user_actions = [CouponRedemptionItem.count.add(1), CouponRedemptionItem.user_id.set(user_id),
                    CouponRedemptionItem.coupon_id.set(coupon_id),
                    CouponRedemptionItem.modified_date.set(now)]
    user_ok = None
    if item.per_user_limit is not None:
        user_ok = (CouponRedemptionItem.count.does_not_exist()
                   | (CouponRedemptionItem.count < int(item.per_user_limit)))
    try:
        with transaction() as tx:
            tx.save(CouponRedemptionItem(pk, ref_sk(ref), user_id=user_id, coupon_id=coupon_id,
                                         count=1, created_date=now),
                    condition=CouponRedemptionItem.pk.does_not_exist())
            tx.update(item, actions=[CouponItem.redeemed_count.add(1)], condition=coupon_ok)
            tx.update(user_row, actions=user_actions, condition=user_ok)
    except ConditionFailed as e:
        if e.failed(0):
            done = CouponRedemptionItem.get(pk, ref_sk(ref))
            if done.user_id == user_id:
                return _redemption(coupon_id, user_id, ref)
            raise Conflict(f"The reference '{ref}' already redeemed this coupon for another "
                           "user.", code="COUPON_REF_TAKEN", field="ref") from None
        if e.failed(1):
            fresh = get_item(brand_id, coupon_id)
            raise (rejection(fresh, now=now) or Conflict(
                f"The coupon '{fresh.code}' can't be redeemed now.",
                code="COUPON_UNAVAILABLE")) from None
        raise Conflict(f"You have already used the coupon '{item.code}'.",
                       code="COUPON_ALREADY_USED", field="couponCode") from None
    return _redemption(coupon_id, user_id, ref)


def _usable(item: CouponItem, now: datetime) -> Any:
    """The condition that the coupon is live and not used up, as ``redeem`` checks it."""
    ok = ((CouponItem.is_deleted == False) & (CouponItem.status == "Active")  # noqa: E712
          & (CouponItem.quantity.does_not_exist()
             | (CouponItem.redeemed_count < CouponItem.quantity)))
    if item.start_date is not None:
        ok &= CouponItem.start_date <= now
    if item.end_date is not None:
        ok &= CouponItem.end_date > now
    return ok


def check_usable(tx: Any, item: CouponItem) -> None:
    """Add to ``tx`` the condition that ``item`` is still live and not used up, so a write that
    applies the coupon (a re-quoted payment) fails when it ran out since it was read."""
    tx.condition_check(CouponItem, item.pk, item.sk, condition=_usable(item, settings.now()))


def release(brand_id: str, coupon_id: str, user_id: str, ref: str) -> bool:
    """Give back the redemption ``ref`` made (a failed or cancelled payment). False when there
    is nothing to give back (unknown ref, or already released): safe to call twice."""
    pk = coupon_pk(brand_id, coupon_id)
    try:
        with transaction() as tx:
            tx.delete(CouponRedemptionItem(pk, ref_sk(ref)),
                      condition=CouponRedemptionItem.user_id == user_id)
            tx.update(CouponItem(pk, SK), actions=[CouponItem.redeemed_count.add(-1)],
                      condition=CouponItem.redeemed_count > 0)
            tx.update(CouponRedemptionItem(pk, user_sk(user_id)),
                      actions=[CouponRedemptionItem.count.add(-1),
                               CouponRedemptionItem.modified_date.set(settings.now())],
                      condition=CouponRedemptionItem.count > 0)
    except ConditionFailed as e:
        if e.failed(0):
            return False
        raise
    return True


def _redemption(coupon_id: str, user_id: str, ref: str) -> dict[str, Any]:
    return {"couponId": coupon_id, "userId": user_id, "ref": ref}


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
