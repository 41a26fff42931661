"""Catalog items, all in the ``catalog`` table.

Access patterns (pk / sk):
- a brand's whole catalogue ... ``B#<brand>#CAT`` / everything below: ONE Query lists packages
  with their features and prices, features, subscription types and prices (ARCHITECTURE.md, "Data").
  - catalogue head .......... ``HEAD``: defaultPackageId, defaultSubscriptionTypeId, version. Every
                              change of a default is conditioned on ``version`` (exactly one).
  - package ................. ``PKG#<id>`` (priceCount/paidPriceCount: live prices referring to it)
  - feature ................. ``FEAT#<id>`` (packageCount: packages it is linked to)
  - package-feature link .... ``PKG#<pkgId>#FEAT#<featId>``
  - subscription type ....... ``SUBTYPE#<id>`` (priceCount)
  - price ................... ``PRICE#<id>``
  Items carry a ``kind`` discriminator, so a Query of the base class returns typed items.
- code uniqueness ............ ``B#<brand>#CATCODE#<KIND>#<code-lower>`` / ``UNIQUE`` (KIND = PKG,
                               FEAT, PRICE, SUBTYPE (its name)); written in the same transaction.
- coupon ..................... ``B#<brand>#COUPON#<id>`` / ``COUPON``; gsi1 ``B#<brand>#COUPONS``
- a user's redemptions ....... ``B#<brand>#COUPON#<id>`` / ``USER#<userId>``
- coupon code ................ ``B#<brand>#COUPONCODE#<CODE-upper>`` / ``UNIQUE`` -> couponId
- quota usage ................ ``B#<brand>#U#<userId>#QUOTA`` / ``<featureId>#<periodKey>``

Money is integer minor units (``amountMinor``) plus the ISO 4217 ``currency``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.constants import NUMBER

from chalicelib.store.base import BaseModel, Gsi1, table_meta

Meta = table_meta("catalog")


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB number read back as an exact ``Decimal`` (percentages; never floats)."""

    attr_type = NUMBER

    def serialize(self, value: Any) -> str:
        return str(Decimal(str(value)))

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


# -- keys ----------------------------------------------------------------------------------------

def cat_pk(brand_id: str) -> str:
    return f"B#{brand_id}#CAT"


def code_key(brand_id: str, kind: str, code: str) -> tuple[str, str]:
    return f"B#{brand_id}#CATCODE#{kind}#{code.strip().lower()}", "UNIQUE"


def coupon_pk(brand_id: str, coupon_id: str) -> str:
    return f"B#{brand_id}#COUPON#{coupon_id}"


def coupon_code_key(brand_id: str, code: str) -> tuple[str, str]:
    return f"B#{brand_id}#COUPONCODE#{code.strip().upper()}", "UNIQUE"


def quota_pk(brand_id: str, user_id: str) -> str:
    return f"B#{brand_id}#U#{user_id}#QUOTA"


HEAD_SK = "HEAD"


def package_sk(package_id: str) -> str:
    return f"PKG#{package_id}"


def feature_sk(feature_id: str) -> str:
    return f"FEAT#{feature_id}"


def link_sk(package_id: str, feature_id: str) -> str:
    return f"PKG#{package_id}#FEAT#{feature_id}"


def subtype_sk(subtype_id: str) -> str:
    return f"SUBTYPE#{subtype_id}"


def price_sk(price_id: str) -> str:
    return f"PRICE#{price_id}"


# -- the catalogue partition ---------------------------------------------------------------------

class CatalogEntry(BaseModel):
    Meta = Meta
    kind = DiscriminatorAttribute()
    created_date = UTCDateTimeAttribute(attr_name="createdDate", null=True)
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class CatalogHead(CatalogEntry, discriminator="HEAD"):
    default_package_id = UnicodeAttribute(attr_name="defaultPackageId", null=True)
    default_subscription_type_id = UnicodeAttribute(attr_name="defaultSubscriptionTypeId",
                                                    null=True)
    version = NumberAttribute(default=0)


class PackageItem(CatalogEntry, discriminator="PKG"):
    id = UnicodeAttribute()
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    image_url = UnicodeAttribute(attr_name="imageURL", null=True)
    pattern_avatar_url = UnicodeAttribute(attr_name="patternAvatarURL", null=True)
    styles = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    tags = UnicodeAttribute(null=True)
    is_free = BooleanAttribute(attr_name="isFree", default=False)
    tier = NumberAttribute(default=0)
    z_order = NumberAttribute(attr_name="zOrder", default=1)
    is_default = BooleanAttribute(attr_name="isDefault", default=False)
    status = UnicodeAttribute(default="Active")
    is_deleted = BooleanAttribute(attr_name="isDeleted", default=False)
    price_count = NumberAttribute(attr_name="priceCount", default=0)
    paid_price_count = NumberAttribute(attr_name="paidPriceCount", default=0)


class FeatureItem(CatalogEntry, discriminator="FEAT"):
    id = UnicodeAttribute()
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    unit = UnicodeAttribute(null=True)
    default_value = NumberAttribute(attr_name="defaultValue", default=0)
    help_url = UnicodeAttribute(attr_name="helpURL", null=True)
    image = UnicodeAttribute(null=True)
    styles = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    tags = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    event_id = UnicodeAttribute(attr_name="eventId", null=True)
    z_order = NumberAttribute(attr_name="zOrder", default=1)
    status = UnicodeAttribute(default="Active")
    is_deleted = BooleanAttribute(attr_name="isDeleted", default=False)
    package_count = NumberAttribute(attr_name="packageCount", default=0)


class PackageFeatureItem(CatalogEntry, discriminator="PKGFEAT"):
    package_id = UnicodeAttribute(attr_name="packageId")
    feature_id = UnicodeAttribute(attr_name="featureId")
    type = UnicodeAttribute()  # Function | Limitation
    title = UnicodeAttribute(null=True)
    value = NumberAttribute(null=True)  # null when unlimited
    is_unlimited = BooleanAttribute(attr_name="isUnlimited", default=False)
    reset_policy = UnicodeAttribute(attr_name="resetPolicy", null=True)
    custom_interval_days = NumberAttribute(attr_name="customIntervalDays", null=True)


class SubscriptionTypeItem(CatalogEntry, discriminator="SUBTYPE"):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    unit = UnicodeAttribute()  # Hour | Day | Week | Month | Year
    quantity = NumberAttribute(default=1)
    tags = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    z_order = NumberAttribute(attr_name="zOrder", default=1)
    status = UnicodeAttribute(default="Active")
    is_default = BooleanAttribute(attr_name="isDefault", default=False)
    is_predefined = BooleanAttribute(attr_name="isPredefined", default=False)
    is_deleted = BooleanAttribute(attr_name="isDeleted", default=False)
    price_count = NumberAttribute(attr_name="priceCount", default=0)


class PriceItem(CatalogEntry, discriminator="PRICE"):
    id = UnicodeAttribute()
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    package_id = UnicodeAttribute(attr_name="packageId")
    subscription_type_id = UnicodeAttribute(attr_name="subscriptionTypeId", null=True)
    pricing_model = UnicodeAttribute(attr_name="pricingModel", default="Subscription")
    amount_minor = NumberAttribute(attr_name="amountMinor")
    currency = UnicodeAttribute()
    checkout_link = UnicodeAttribute(attr_name="checkoutLink", null=True)
    description = UnicodeAttribute(null=True)
    tags = UnicodeAttribute(null=True)
    z_order = NumberAttribute(attr_name="zOrder", default=1)
    is_deleted = BooleanAttribute(attr_name="isDeleted", default=False)


class CatalogCodeItem(BaseModel):
    """Claims a code (or a subscription type's name) inside one brand."""

    Meta = Meta
    kind = UnicodeAttribute()
    object_id = UnicodeAttribute(attr_name="objectId")


# -- coupons and quotas (service code in coupons.py / quotas.py) --------------------------------

class CouponItem(BaseModel):
    Meta = Meta
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    tags = UnicodeAttribute(null=True)
    percentage = DecimalAttribute(null=True)
    amount_off_minor = NumberAttribute(attr_name="amountOffMinor", null=True)
    currency = UnicodeAttribute(null=True)  # of amountOffMinor
    quantity = NumberAttribute(null=True)  # redemption cap; null = no cap
    redeemed_count = NumberAttribute(attr_name="redeemedCount", default=0)
    per_user_limit = NumberAttribute(attr_name="perUserLimit", null=True)
    package_ids = ListAttribute(attr_name="packageIds", of=UnicodeAttribute, default=list)
    start_date = UTCDateTimeAttribute(attr_name="startDate", null=True)
    end_date = UTCDateTimeAttribute(attr_name="endDate", null=True)
    auto_apply_to_price = BooleanAttribute(attr_name="autoApplyToPrice", default=False)
    status = UnicodeAttribute(default="Active")
    test_mode = BooleanAttribute(attr_name="testMode", default=False)
    is_deleted = BooleanAttribute(attr_name="isDeleted", default=False)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class CouponRedemptionItem(BaseModel):
    """How many times one user redeemed one coupon (``count``)."""

    Meta = Meta
    user_id = UnicodeAttribute(attr_name="userId")
    coupon_id = UnicodeAttribute(attr_name="couponId", null=True)
    count = NumberAttribute(default=0)
    created_date = UTCDateTimeAttribute(attr_name="createdDate", null=True)
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)


class CouponCodeItem(BaseModel):
    Meta = Meta
    coupon_id = UnicodeAttribute(attr_name="couponId")


class QuotaUsageItem(BaseModel):
    Meta = Meta
    user_id = UnicodeAttribute(attr_name="userId")
    feature_id = UnicodeAttribute(attr_name="featureId")
    period_key = UnicodeAttribute(attr_name="periodKey")
    used = NumberAttribute(default=0)
    period_start = UTCDateTimeAttribute(attr_name="periodStartDate", null=True)
    period_end = UTCDateTimeAttribute(attr_name="periodEndDate", null=True)
    created_date = UTCDateTimeAttribute(attr_name="createdDate", null=True)
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate", null=True)
