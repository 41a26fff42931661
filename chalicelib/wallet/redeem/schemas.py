"""Request bodies of the redeem code and earning event routes. Unknown fields are ignored."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StringConstraints

from chalicelib.http.schemas import Body, Name, Text

CurrencyCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                                pattern=r"^[A-Za-z]{3}$")]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                        pattern=r"^[A-Za-z0-9_.-]+$")]
Tags = Annotated[str, StringConstraints(max_length=1000)]


def _text(value: object) -> object:
    """Dates arrive as ISO 8601 text; a bare number would be read as a Unix time by pydantic."""
    if not isinstance(value, str | datetime):
        raise ValueError("must be an ISO 8601 date-time such as 2030-01-31T00:00:00Z")
    return value


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[datetime, BeforeValidator(_text), AfterValidator(_utc)]


class RedeemBatchBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"amount": 5, "currencyCode": "USD", "quantity": 100, "maxUsesPerCode": 1,
         "perUserOnce": True, "endDate": "2030-12-31T00:00:00Z",
         "description": "Spring campaign"}]})

    amount: Decimal
    currencyCode: CurrencyCode
    quantity: int = Field(ge=1, le=10_000)
    maxUsesPerCode: int = Field(default=1, ge=1, le=1_000_000)
    perUserOnce: bool = True
    startDate: UtcDateTime | None = None
    endDate: UtcDateTime | None = None
    description: Text | None = None
    tags: Tags | None = None
    testMode: bool = False


class EarningEventBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"eventId": "USER.REGISTERED", "code": "WELCOME", "name": "Welcome credit",
         "amount": 2, "currencyCode": "USD", "type": "Earning", "status": "Active"}]})

    eventId: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                              max_length=100)]
    code: Code
    name: Name
    amount: Decimal
    currencyCode: CurrencyCode
    type: str = "Earning"
    description: Text | None = None
    status: str = "Active"
