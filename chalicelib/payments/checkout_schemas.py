"""Request bodies of checkout, the black list and commission rates (JFW v6.9.3 names where JFW
has them). Unknown fields are ignored."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from chalicelib.http.schemas import Body, Percent, Text

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9_-]+$")]
CouponCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


class UpgradeCheckoutBody(Body):
    """``POST v1/packages/{packageId}/upgrade/checkout``. Wallets don't exist yet: walletId and
    refundWalletId are accepted and not used (the reply's wallet amounts are 0)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"priceId": "Kd12AnplKdMd5s"},
        {"priceId": "Kd12AnplKdMd5s", "couponCode": "SPRING25", "appIntegrationId": "stripe"},
    ]})

    priceId: Id
    walletId: Id | None = None
    refundWalletId: Id | None = None
    couponCode: CouponCode | None = None
    appIntegrationId: Id | None = None


class BlackListBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"type": "Email", "value": "fraud@example.com", "description": "chargebacks"},
        {"type": "IP", "value": "203.0.113.0/24", "status": "Active"},
        {"type": "Country", "value": "KP"},
    ]})

    type: Literal["Email", "IP", "Country"]
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=254)]
    description: Text | None = None
    notes: Text | None = None
    status: Literal["Active", "Inactive"] | None = None


Quantity = Annotated[int, Field(ge=0, le=10**9)]


class CommissionRateBody(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"type": "Commission", "unit": "License", "quantityFrom": 1, "percentage": 10},
        {"type": "Discount", "unit": "License", "quantityFrom": 10, "quantityTo": 49,
         "percentage": 5, "description": "volume", "isDefault": False},
    ]})

    type: Literal["Discount", "Commission"] = "Commission"
    unit: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=50)]
    quantityFrom: Quantity | None = None
    quantityTo: Quantity | None = None
    percentage: Percent
    description: Text | None = None
    isDefault: bool = False

    @model_validator(mode="after")
    def _range(self) -> CommissionRateBody:
        if self.quantityFrom is not None and self.quantityTo is not None and \
                self.quantityTo < self.quantityFrom:
            raise ValueError("quantityTo must not be less than quantityFrom")
        return self
