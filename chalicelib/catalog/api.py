"""Catalog handlers (packages, features, subscription types, prices, coupons, quotes, quota usage):
the dispatcher has parsed and authorised; here we call the rules.

Catalogue reads are public (JFW apps show pricing pages to anonymous visitors): a caller without
the resource's READ permission sees only Active packages, features and subscription types, and
prices whose package and type are Active. Writes need the resource's permission (routes.py).
PUT updates the fields the body sends; fields left out keep their values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib import money
from chalicelib.catalog import (
    constants,
    coupons,
    features,
    packages,
    prices,
    quotas,
    quotes,
    subscription_types,
)
from chalicelib.http.context import RequestContext
from chalicelib.http.errors import Unauthorized
from chalicelib.identity import service as identity
from chalicelib.wallet import service as wallet

if TYPE_CHECKING:  # pydantic stays out of the GET handlers' import
    from chalicelib.catalog.schemas import CouponBody


def _public(ctx: RequestContext, resource: str) -> bool:
    return not identity.has_permission(ctx, f"{resource}.READ")


def _wire_price(p: dict) -> dict:
    return {k: v for k, v in p.items() if k != "amountMinor"}


def _wire_package(p: dict) -> dict:
    return {**p, "prices": [_wire_price(x) for x in p["prices"]]}


def _create(ctx: RequestContext) -> dict[str, Any]:
    return ctx.body.model_dump()


def _update(ctx: RequestContext) -> dict[str, Any]:
    return ctx.body.model_dump(exclude_unset=True)


# -- packages ------------------------------------------------------------------------------------

def list_packages(ctx: RequestContext) -> list[dict]:
    rows = packages.list_packages(ctx.brand_id, ctx.query, _public(ctx, "PACKAGE"))
    return [_wire_package(p) for p in rows]


def get_package(ctx: RequestContext, packageId: str) -> dict:
    return _wire_package(packages.get_package(ctx.brand_id, packageId, _public(ctx, "PACKAGE")))


def create_package(ctx: RequestContext) -> dict:
    return _wire_package(packages.create_package(ctx.brand_id, _create(ctx)))


def update_package(ctx: RequestContext, packageId: str) -> dict:
    return _wire_package(packages.update_package(ctx.brand_id, packageId, _update(ctx)))


def delete_package(ctx: RequestContext, packageId: str) -> bool:
    return packages.delete_package(ctx.brand_id, packageId)


def package_features(ctx: RequestContext, packageId: str) -> list[dict]:
    return features.package_features(ctx.brand_id, packageId, _public(ctx, "PACKAGE"))


def add_package_features(ctx: RequestContext, packageId: str) -> bool:
    entries = [e.model_dump(exclude_unset=True) for e in ctx.body.root]
    return features.add_package_features(ctx.brand_id, packageId, entries)


def update_package_feature(ctx: RequestContext, packageId: str, featureId: str) -> bool:
    return features.update_package_feature(ctx.brand_id, packageId, featureId, _update(ctx))


def remove_package_features(ctx: RequestContext, packageId: str) -> bool:
    return features.remove_package_features(ctx.brand_id, packageId,
                                            ctx.query.get("featureIds") or [])


def package_prices(ctx: RequestContext, packageId: str) -> list[dict]:
    rows = prices.prices_for_package(ctx.brand_id, packageId, _public(ctx, "PACKAGE"))
    return [_wire_price(p) for p in rows]


def calculate(ctx: RequestContext, packageId: str) -> dict:  # noqa: N803 - JFW's name
    """The SDK sends the same fields in the body and the query string; the body wins."""
    body, query = ctx.body, ctx.query

    def pick(name: str) -> Any:
        value = getattr(body, name, None) if body is not None else None
        return value if value not in (None, "") else query.get(name)

    caller = ctx.caller
    user_id = caller.user_id if caller is not None and caller.brand_id == ctx.brand_id else None
    wallet_id = pick("walletId")
    quote = quotes.calculate(ctx.brand, packageId, body_package_id=pick("packageId"),
                             price_id=pick("priceId"), coupon_code=pick("couponCode"),
                             user_id=user_id)
    if not wallet_id:
        return quote
    if user_id is None:
        raise Unauthorized("Log in to use a wallet: send the Auth-Key header.",
                           code="AUTH_KEY_REQUIRED")
    return wallet.Funds(ctx.brand_id, wallet_id).quoted(user_id, quote)


# -- features ------------------------------------------------------------------------------------

def list_features(ctx: RequestContext) -> dict:
    return features.list_features(ctx.brand_id, ctx.query, _public(ctx, "FEATURE"))


def get_feature(ctx: RequestContext, featureId: str) -> dict:
    return features.get_feature(ctx.brand_id, featureId, _public(ctx, "FEATURE"))


def create_feature(ctx: RequestContext) -> dict:
    return features.create_feature(ctx.brand_id, _create(ctx))


def update_feature(ctx: RequestContext, featureId: str) -> dict:
    return features.update_feature(ctx.brand_id, featureId, _update(ctx))


def delete_feature(ctx: RequestContext, featureId: str) -> bool:
    return features.delete_feature(ctx.brand_id, featureId)


def feature_packages(ctx: RequestContext, featureId: str) -> list[dict]:
    rows = features.feature_packages(ctx.brand_id, featureId, _public(ctx, "FEATURE"))
    return [_wire_package(p) for p in rows]


def add_feature_packages(ctx: RequestContext, featureId: str) -> bool:
    entries = [e.model_dump(exclude_unset=True) for e in ctx.body.root]
    return features.add_feature_packages(ctx.brand_id, featureId, entries)


def remove_feature_packages(ctx: RequestContext, featureId: str) -> bool:
    return features.remove_feature_packages(ctx.brand_id, featureId,
                                            ctx.query.get("packageIds") or [])


# -- subscription types --------------------------------------------------------------------------

def list_subscription_types(ctx: RequestContext) -> list[dict]:
    return subscription_types.list_subscription_types(ctx.brand_id, ctx.query,
                                                      _public(ctx, "SUBSCRIPTION-TYPE"))


def get_subscription_type(ctx: RequestContext, subscriptionTypeId: str) -> dict:
    return subscription_types.get_subscription_type(ctx.brand_id, subscriptionTypeId,
                                                    _public(ctx, "SUBSCRIPTION-TYPE"))


def create_subscription_type(ctx: RequestContext) -> dict:
    return subscription_types.create_subscription_type(ctx.brand_id, _create(ctx))


def update_subscription_type(ctx: RequestContext, subscriptionTypeId: str) -> dict:
    return subscription_types.update_subscription_type(ctx.brand_id, subscriptionTypeId,
                                                       _update(ctx))


def delete_subscription_type(ctx: RequestContext, subscriptionTypeId: str) -> bool:
    return subscription_types.delete_subscription_type(ctx.brand_id, subscriptionTypeId)


def subscription_type_prices(ctx: RequestContext, subscriptionTypeId: str) -> list[dict]:
    rows = subscription_types.subscription_type_prices(ctx.brand_id, subscriptionTypeId,
                                                       _public(ctx, "SUBSCRIPTION-TYPE"))
    return [_wire_price(p) for p in rows]


# -- prices --------------------------------------------------------------------------------------

def list_prices(ctx: RequestContext) -> list[dict]:
    rows = prices.list_prices(ctx.brand_id, ctx.query, _public(ctx, "PRICE"))
    return [_wire_price(p) for p in rows]


def get_price(ctx: RequestContext, priceId: str) -> dict:
    return _wire_price(prices.get_price(ctx.brand_id, priceId, _public(ctx, "PRICE")))


def create_price(ctx: RequestContext) -> dict:
    return _wire_price(prices.create_price(ctx.brand_id, _create(ctx)))


def update_price(ctx: RequestContext, priceId: str) -> dict:
    return _wire_price(prices.update_price(ctx.brand_id, priceId, _update(ctx)))


def delete_price(ctx: RequestContext, priceId: str) -> bool:
    return prices.delete_price(ctx.brand_id, priceId)


# -- coupons ---------------------------------------------------------------------------------------

# body field -> stored coupon attribute, for the fields stored as they come
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


# -- quota usage -----------------------------------------------------------------------------------

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


# -- constants -----------------------------------------------------------------------------------

def constant(ctx: RequestContext) -> list[str]:
    return list(constants.CONSTANTS[ctx.path.removeprefix("/api/v1/constants/")])


def currencies(ctx: RequestContext) -> list[dict]:
    return [{"code": c["code"], "name": c["name"], "exponent": c["exponent"]}
            for c in sorted(money.currencies().values(), key=lambda c: c["code"])]
