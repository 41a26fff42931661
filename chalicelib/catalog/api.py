"""Catalog handlers: the dispatcher has parsed and authorised; here we call the service.

Catalogue reads are public (JFW apps show pricing pages to anonymous visitors): a caller without
the resource's READ permission sees only Active packages, features and subscription types, and
prices whose package and type are Active. Writes need the resource's permission (routes.py).
PUT updates the fields the body sends; fields left out keep their values.
"""

from __future__ import annotations

from typing import Any

from chalicelib.catalog import constants, features, packages, prices, subscription_types
from chalicelib.http.context import RequestContext


def _public(ctx: RequestContext, resource: str) -> bool:
    from chalicelib.identity import service as identity

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


# -- constants -----------------------------------------------------------------------------------

def constant(ctx: RequestContext) -> list[str]:
    return list(constants.CONSTANTS[ctx.path.removeprefix("/api/v1/constants/")])


def currencies(ctx: RequestContext) -> list[dict]:
    from chalicelib import money

    return [{"code": c["code"], "name": c["name"], "exponent": c["exponent"]}
            for c in sorted(money.currencies().values(), key=lambda c: c["code"])]
