"""Handlers of coupons, quotes and quota usage: turn validated input into service calls."""

from __future__ import annotations

from typing import Any

from chalicelib import money
from chalicelib.catalog import coupons, quotas, quotes
from chalicelib.catalog.coupon_schemas import CouponBody
from chalicelib.http.context import RequestContext

# body field -> stored attribute, for the fields stored as they come
_PLAIN = {"name": "name", "code": "code", "percentage": "percentage", "quantity": "quantity",
          "maxRedemptionsPerUser": "per_user_limit", "startDate": "start_date",
          "endDate": "end_date", "description": "description", "tags": "tags"}
_FLAGS = {"autoApplyToPrice": "auto_apply_to_price", "testMode": "test_mode"}


def terms(body: CouponBody, *, creating: bool) -> dict[str, Any]:
    """The stored terms a body sets: all of them on create (with defaults), only the fields
    sent on update (null clears)."""
    sent = body.model_fields_set
    out: dict[str, Any] = {}
    for field, attr in _PLAIN.items():
        if creating or field in sent:
            out[attr] = getattr(body, field)
    if creating and "maxRedemptionsPerUser" not in sent:
        out["per_user_limit"] = 1  # once per user unless the brand says otherwise
    if creating or "amountOff" in sent or "currencyCode" in sent:
        if body.amountOff is None:
            out["amount_off_minor"], out["currency"] = None, None
        else:
            money.exponent(body.currencyCode or "", field="currencyCode")
            out["amount_off_minor"] = money.to_minor(body.amountOff, body.currencyCode or "",
                                                     field="amountOff")
            out["currency"] = body.currencyCode
    if creating or "packageIds" in sent:
        out["package_ids"] = list(dict.fromkeys(body.packageIds or []))
    for field, attr in _FLAGS.items():
        if creating or (field in sent and getattr(body, field) is not None):
            out[attr] = bool(getattr(body, field))
    if creating or (body.status is not None):
        out["status"] = body.status or "Active"
    return out


def list_coupons(ctx: RequestContext) -> dict:
    return coupons.list_coupons(ctx.brand_id, ctx.query)


def get_coupon(ctx: RequestContext, id: str) -> dict:  # noqa: A002 - the path parameter
    return coupons.get(ctx.brand_id, id)


def create_coupon(ctx: RequestContext) -> dict:
    return coupons.create(ctx.brand_id, terms(ctx.body, creating=True))


def update_coupon(ctx: RequestContext, id: str) -> dict:  # noqa: A002
    return coupons.update(ctx.brand_id, id, terms(ctx.body, creating=False))


def delete_coupon(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    return coupons.delete(ctx.brand_id, id)


def calculate(ctx: RequestContext, packageId: str) -> dict:  # noqa: N803 - JFW's name
    """The SDK sends the same fields in the body and the query string; the body wins."""
    body, query = ctx.body, ctx.query

    def pick(name: str) -> Any:
        value = getattr(body, name, None) if body is not None else None
        return value if value not in (None, "") else query.get(name)

    caller = ctx.caller
    user_id = caller.user_id if caller is not None and caller.brand_id == ctx.brand_id else None
    return quotes.calculate(ctx.brand, packageId, body_package_id=pick("packageId"),
                            price_id=pick("priceId"), coupon_code=pick("couponCode"),
                            wallet_id=pick("walletId"), user_id=user_id)


def my_quota_usages(ctx: RequestContext) -> list[dict]:
    return quotas.usages(ctx.brand_id, ctx.caller.user_id)


def consume_quota(ctx: RequestContext) -> dict:
    b = ctx.body
    return quotas.consume(ctx.brand_id, b.userId, feature_id=b.featureId,
                          feature_code=b.featureCode, amount=b.amount)


def check_quota(ctx: RequestContext) -> dict:
    q = ctx.query
    return quotas.check(ctx.brand_id, q.get("userId") or ctx.caller.user_id,
                        feature_id=q.get("featureId"), feature_code=q.get("featureCode"),
                        amount=q.get("amount", 1))
