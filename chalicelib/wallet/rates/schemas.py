"""Request bodies of the currency, exchange-rate and conversion routes. Unknown fields are
ignored. Rates and amounts are exact Decimals (JSON numbers arrive as Decimal); their rules
need a currency or a bound, so rounding.check_rate / money.to_minor apply them."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

from chalicelib.http.schemas import Body

Code = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=3,
                                        max_length=3, pattern=r"^[A-Za-z]{3}$")]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                      pattern=r"^[A-Za-z0-9_-]+$")]
FeePercent = Annotated[Decimal, Field(ge=0, le=50, decimal_places=4)]


class RateBody(Body):
    fromCurrencyCode: Code
    toCurrencyCode: Code
    rate: Decimal


class FeeBody(Body):
    walletConvertFeePercent: FeePercent


class ConvertBody(Body):
    originalWalletId: Id
    targetWalletId: Id
    fee: Decimal | None = None
    totalAmount: Decimal
