"""Request bodies of coupons, quotes and quota usage (JFW v6.9.3 field names plus ours).

Unknown fields are ignored. For PUT v1/coupons/{id} a field left out keeps its value and a field
sent as null clears it (as the brand PUTs do)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from chalicelib.http.schemas import Body, Name, Percent, Text

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9_-]+$")]
CouponCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                              pattern=r"^[A-Za-z0-9_-]+$")]
Tags = Annotated[str, StringConstraints(max_length=200)]
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
    tags: Tags | None = None
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
