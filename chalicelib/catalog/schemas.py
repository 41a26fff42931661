"""Catalog request bodies (pydantic): packages, features, subscription types, prices, coupons,
quotes and quota usage; JFW v6.9.3 field names (plus ours); unknown fields are ignored.

Array bodies are ``RootModel`` lists marked ``__jfw_list__`` (the dispatcher then treats an empty
body as ``[]``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    model_validator,
)

from chalicelib.http.schemas import Body, Name, Percent, Text, Url

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9_-]+$")]
Tags = Annotated[str, StringConstraints(max_length=1000)]
Short = Annotated[str, StringConstraints(max_length=100)]
ZOrder = Annotated[int, Field(ge=-(2 ** 53), le=2 ** 53)]
Status = Literal["Inactive", "Active"]
FeatureType = Literal["Function", "Limitation"]
ResetPolicy = Literal["Lifetime", "Daily", "Weekly", "Monthly", "Yearly", "Custom"]
Unit = Literal["Hour", "Day", "Week", "Month", "Year"]


class PackageBody(Body):
    code: Code
    name: Name
    imageURL: Url | None = None
    patternAvatarURL: Url | None = None
    styles: Text | None = None
    description: Text | None = None
    tags: Tags | None = None
    zOrder: ZOrder = 1
    isDefault: bool = False
    status: Status = "Active"
    # IPackage fields JFW's body does not list; accepted so a brand can set them.
    isFree: bool = False
    tier: Annotated[int, Field(ge=0, le=1_000_000)] = 0


class FeatureBody(Body):
    eventId: Id | None = None
    code: Code
    name: Name
    unit: Short | None = None
    defaultValue: Annotated[int, Field(ge=-1, le=2 ** 31 - 1)] = 0
    helpURL: Url | None = None
    image: Url | None = None
    styles: Text | None = None
    description: Text | None = None
    tags: Tags | None = None
    notes: Text | None = None
    zOrder: ZOrder = 1
    status: Status = "Active"


class FeatureLinkBody(Body):
    """How a package grants a feature (PUT v1/packages/{packageId}/features/{featureId})."""

    type: FeatureType
    title: Name | None = None
    value: Annotated[int, Field(ge=-1, le=2 ** 31 - 1)] | None = None
    isUnlimited: bool | None = None
    resetPolicy: ResetPolicy | None = None
    customIntervalDays: Annotated[int, Field(ge=1, le=36500)] | None = None


class PackageFeatureBody(FeatureLinkBody):
    featureId: Id


class FeaturePackageBody(FeatureLinkBody):
    packageId: Id


class PackageFeaturesBody(RootModel[list[PackageFeatureBody]]):
    __jfw_list__: ClassVar[bool] = True


class FeaturePackagesBody(RootModel[list[FeaturePackageBody]]):
    __jfw_list__: ClassVar[bool] = True


class SubscriptionTypeBody(Body):
    name: Name
    unit: Unit
    quantity: Annotated[int, Field(ge=1, le=100_000)] = 1
    tags: Tags | None = None
    zOrder: ZOrder = 1
    status: Status = "Active"
    isDefault: bool = False
    description: Text | None = None


class PriceBody(Body):
    packageId: Id
    subscriptionTypeId: Id | None = None
    code: Code
    name: Name
    amount: Decimal
    currency: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3,
                                               max_length=3)]
    checkoutLink: Url | None = None
    description: Text | None = None
    tags: Tags | None = None
    zOrder: ZOrder = 1
    # Our addition (JFW's Pricing Flow): Subscription | OneTime; "Usage" is reserved.
    pricingModel: Annotated[str, StringConstraints(max_length=32)] | None = None


# -- coupons, quotes and quota usage ---------------------------------------------------------
# For PUT v1/coupons/{id} a field left out keeps its value and a field sent as null clears it (as
# the brand PUTs do).

CouponCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                              pattern=r"^[A-Za-z0-9_-]+$")]
CouponTags = Annotated[str, StringConstraints(max_length=200)]
CurrencyCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                                pattern=r"^[A-Za-z]{3}$")]
QuoteCouponCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
FeatureCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=100)]


def _text(value: object) -> object:
    """Dates arrive as ISO 8601 text; a bare number would be read as a Unix time by pydantic."""
    if not isinstance(value, str | datetime):
        raise ValueError("must be an ISO 8601 date-time such as 2030-01-31T00:00:00Z")
    return value


def _utc(value: datetime) -> datetime:
    """A date-time without an offset is UTC (the API speaks UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[datetime, BeforeValidator(_text), AfterValidator(_utc)]


class CouponBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "Spring sale", "code": "SPRING25", "percentage": 25, "quantity": 100,
         "startDate": "2030-03-01T00:00:00Z", "endDate": "2030-04-01T00:00:00Z"},
        {"name": "Five off", "code": "FIVE", "amountOff": 5, "currencyCode": "USD",
         "maxRedemptionsPerUser": 1, "packageIds": ["Kd12AnplKdMd5s"],
         "startDate": "2030-03-01T00:00:00Z", "endDate": "2030-04-01T00:00:00Z",
         "autoApplyToPrice": False, "status": "Active", "testMode": False},
    ]})

    name: Name
    code: CouponCode
    percentage: Annotated[Percent, Field(gt=0)] | None = None
    amountOff: Annotated[Decimal, Field(gt=0)] | None = None  # bounds: money.to_minor
    currencyCode: CurrencyCode | None = None
    quantity: Annotated[int, Field(ge=1, le=10**9)] | None = None
    maxRedemptionsPerUser: Annotated[int, Field(ge=1, le=10**6)] | None = None
    packageIds: Annotated[list[Id], Field(max_length=100)] | None = None
    startDate: UtcDateTime
    endDate: UtcDateTime
    autoApplyToPrice: bool | None = None
    description: Text | None = None
    tags: CouponTags | None = None
    status: Literal["Active", "Inactive"] | None = None
    testMode: bool | None = None

    @model_validator(mode="after")
    def _dates(self) -> CouponBody:
        if self.endDate <= self.startDate:
            raise ValueError("endDate must be after startDate")
        if self.percentage is not None and self.amountOff is not None:
            raise ValueError("give percentage or amountOff, not both")
        if (self.amountOff is None) != (self.currencyCode is None):
            raise ValueError("amountOff and currencyCode go together")
        return self


class QuoteBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"packageId": "Kd12AnplKdMd5s", "priceId": "Pr1ceIdExample", "couponCode": "SPRING25"},
    ]})

    packageId: Id | None = None
    priceId: Id | None = None
    walletId: Id | None = None
    couponCode: QuoteCouponCode | None = None


class ConsumeBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"userId": "Us3rIdExample1", "featureCode": "projects", "amount": 1},
    ]})

    userId: Id
    featureId: Id | None = None
    featureCode: FeatureCode | None = None
    amount: Annotated[int, Field(ge=1, le=10**9)] = 1

    @model_validator(mode="after")
    def _feature(self) -> ConsumeBody:
        if not self.featureId and not self.featureCode:
            raise ValueError("give featureId or featureCode")
        return self
