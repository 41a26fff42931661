"""Request body of a commission rate (JFW v6.9.3 §20). Unknown fields are ignored."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from chalicelib.http.schemas import Body, Percent, Text

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
