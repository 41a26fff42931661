"""The catalog's public service: the only module of catalog/ that other contexts import
(``from chalicelib.catalog import service as catalog``).

Packages, features, subscription types and prices (every read is one Query of the brand's
catalogue partition, ``catalogue.load``; ``load`` is public too, for a caller that needs several
things from one snapshot), the price quote a checkout charges (``quote``, ``tax_rate``) and the
coupon a paid checkout redeems (``find_coupon``, ``redeem_coupon``). Callers never touch the
models.
"""

from __future__ import annotations

from chalicelib.catalog.catalogue import Catalogue, load, package_dto, price_dto, subtype_dto
from chalicelib.catalog.coupons import check_usable as check_coupon_usable
from chalicelib.catalog.coupons import find_by_code as find_coupon
from chalicelib.catalog.coupons import redeem as redeem_coupon
from chalicelib.catalog.features import (
    add_feature_packages,
    add_package_features,
    create_feature,
    delete_feature,
    feature_packages,
    get_feature,
    list_features,
    normalise_link,
    package_features,
    remove_feature_packages,
    remove_package_features,
    update_feature,
    update_package_feature,
)
from chalicelib.catalog.packages import (
    create_package,
    default_package,
    delete_package,
    get_package,
    list_packages,
    register_referrer,
    update_package,
)
from chalicelib.catalog.prices import (
    create_price,
    delete_price,
    get_price,
    list_prices,
    prices_for_package,
    update_price,
)
from chalicelib.catalog.quotes import calculate as quote
from chalicelib.catalog.quotes import tax_rate
from chalicelib.catalog.subscription_types import (
    add_months,
    create_subscription_type,
    delete_subscription_type,
    get_subscription_type,
    list_subscription_types,
    subscription_duration,
    subscription_end,
    subscription_type_prices,
    update_subscription_type,
)
from chalicelib.identity import service as identity

__all__ = [
    "Catalogue", "load", "package_dto", "price_dto", "subtype_dto",
    "add_feature_packages", "add_package_features", "create_feature", "delete_feature",
    "feature_packages", "get_feature", "list_features", "normalise_link", "package_features",
    "remove_feature_packages", "remove_package_features", "update_feature",
    "update_package_feature",
    "create_package", "default_package", "delete_package", "get_package", "list_packages",
    "register_referrer", "update_package",
    "create_price", "delete_price", "get_price", "list_prices", "prices_for_package",
    "update_price",
    "add_months", "create_subscription_type", "delete_subscription_type",
    "get_subscription_type", "list_subscription_types", "subscription_duration",
    "subscription_end", "subscription_type_prices", "update_subscription_type",
    "quote", "tax_rate", "find_coupon", "redeem_coupon", "check_coupon_usable",
]


def _package_dtos(brand_id: str, wanted: set[str]) -> dict[str, dict]:
    """Users' packages (identity's DTOs), from one read of the brand's catalogue."""
    cat = load(brand_id)
    return {p: package_dto(cat, cat.packages[p], public=True) for p in wanted if p in cat.packages}


identity.set_package_lookup(_package_dtos)
