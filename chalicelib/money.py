"""Money: an integer of minor units plus an ISO 4217 code inside the system.

The API edge speaks JFW's decimal ``amount``; conversion uses the currency's exponent
(JPY 0, USD 2, KWD 3) with ``Decimal``. Floats never touch money. Rounding is half-up to the
minor unit, in one place: ``percent_of``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from chalicelib.http.errors import BadRequest


@lru_cache(maxsize=1)
def currencies() -> dict[str, dict]:
    """Tradable ISO 4217 currencies: code -> {code, name, numericCode, exponent}."""
    import iso4217

    return {
        c.code: {"code": c.code, "name": c.currency_name, "numericCode": c.number,
                 "exponent": c.exponent}
        for c in iso4217.Currency
        if c.exponent is not None
    }


def exponent(currency: str, field: str = "currency") -> int:
    info = currencies().get((currency or "").upper())
    if info is None:
        raise BadRequest(f"'{currency}' is not an ISO 4217 currency code.", field=field,
                         code="CURRENCY_INVALID")
    return info["exponent"]


def to_minor(amount: Decimal | int | float | str, currency: str, field: str = "amount") -> int:
    """A decimal amount in ``currency`` -> minor units; more decimals than the currency has is a
    400 (9.999 USD, 1000.5 JPY)."""
    exp = exponent(currency)
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except InvalidOperation:
        raise BadRequest(f"{field} must be a number.", field=field) from None
    if not value.is_finite():
        raise BadRequest(f"{field} must be a finite number.", field=field)
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise BadRequest(f"{field} {value} has more decimals than {currency.upper()} allows "
                         f"({exp}).", field=field, code="AMOUNT_PRECISION")
    return int(scaled)


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units -> the decimal JFW sends on the wire (exactly the currency's decimals)."""
    exp = exponent(currency)
    return Decimal(minor).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))


def percent_of(minor: int, percent: Decimal | int | str) -> int:
    """``percent`` % of ``minor`` units, rounded half-up to the minor unit."""
    return int((Decimal(minor) * Decimal(str(percent)) / 100).quantize(Decimal(1),
                                                                       rounding=ROUND_HALF_UP))
