"""Money: an integer of minor units plus an ISO 4217 code inside the system.

The API edge speaks JFW's decimal ``amount``; conversion uses the currency's exponent
(JPY 0, USD 2, KWD 3) with ``Decimal``. Floats never touch money. Rounding is half-up to the
minor unit, in one place: ``percent_of``.

Every amount that comes in (a price, a coupon's amount off, a license's amount, a payment's
total) passes ``to_minor``, the one rule for what an amount may be: a finite decimal, not
negative, at most ``MAX_AMOUNT`` major units and a signed 64-bit count of minor units, with no
more decimals than the currency has. An amount computed inside (quantity x unit price, a total
with tax) passes ``check_minor``, the same bounds on minor units.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from chalicelib.currency_table import CURRENCIES
from chalicelib.http.errors import BadRequest

MAX_AMOUNT = Decimal(10) ** 12  # major units: far above any real charge, far below overflow
MAX_INT64 = 2 ** 63 - 1


@lru_cache(maxsize=1)
def currencies() -> dict[str, dict]:
    """Tradable ISO 4217 currencies: code -> {code, name, numericCode, exponent}
    (currency_table.py: the ``iso4217`` library's list, written out for a cold start)."""
    return {code: {"code": code, "name": name, "numericCode": number, "exponent": exp}
            for code, number, exp, name in CURRENCIES}


def exponent(currency: str, field: str = "currency") -> int:
    info = currencies().get((currency or "").upper())
    if info is None:
        raise BadRequest(f"'{currency}' is not an ISO 4217 currency code.", field=field,
                         code="CURRENCY_INVALID")
    return info["exponent"]


def max_minor(currency: str) -> int:
    """The largest amount of ``currency`` the system takes, in minor units."""
    return min(int(MAX_AMOUNT) * 10 ** exponent(currency), MAX_INT64)


def to_minor(amount: Decimal | int | float | str, currency: str, field: str = "amount") -> int:
    """A decimal amount in ``currency`` -> minor units. A 400 naming ``field`` when it is not a
    finite number, is negative, is over the ceiling (AMOUNT_TOO_LARGE) or has more decimals
    than the currency has (AMOUNT_PRECISION: 9.999 USD, 1000.5 JPY)."""
    exp = exponent(currency)
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except InvalidOperation:
        raise BadRequest(f"{field} must be a number.", field=field) from None
    if not value.is_finite():
        raise BadRequest(f"{field} must be a finite number.", field=field)
    if value < 0:
        raise BadRequest(f"{field} must be 0 or more.", field=field, code="AMOUNT_NEGATIVE")
    if value > MAX_AMOUNT:
        raise _too_large(field, currency)
    # Exactly, on the digits: Decimal arithmetic would round to the context's 28 digits, so
    # 9.990000000000000000000000000001 would pass as 9.99.
    _, digits, exponent10 = value.as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    if not text:
        return 0
    exp10 = int(exponent10) + len(digits) - len(text)  # finite: the exponent is an int
    if exp10 + exp < 0:
        raise BadRequest(f"{field} {_shown(value)} has more decimals than {currency.upper()} "
                         f"allows ({exp}).", field=field, code="AMOUNT_PRECISION")
    return check_minor(int(text) * 10 ** (exp10 + exp), currency, field)


def check_minor(minor: int, currency: str, field: str = "amount", what: str | None = None
                ) -> int:
    """``minor`` units of ``currency`` computed inside (a quantity times a price, a total with
    tax) within the bounds ``to_minor`` puts on amounts that come in; a 400 naming ``field``
    and saying ``what`` the amount is (default: the field)."""
    what = what or field
    if minor < 0:
        raise BadRequest(f"{what} must be 0 or more.", field=field, code="AMOUNT_NEGATIVE")
    if minor > max_minor(currency):
        raise _too_large(field, currency, what)
    return minor


def _too_large(field: str, currency: str, what: str | None = None) -> BadRequest:
    ceiling = to_decimal(max_minor(currency), currency)
    if ceiling == ceiling.to_integral_value():
        ceiling = ceiling.to_integral_value()
    return BadRequest(f"{what or field} must be at most {ceiling} {currency.upper()}.",
                      field=field, code="AMOUNT_TOO_LARGE")


def _shown(value: Decimal) -> str:
    text = str(value)
    return text if len(text) <= 40 else f"{text[:20]}...{text[-10:]}"


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units -> the decimal JFW sends on the wire (exactly the currency's decimals).

    Built from the digits, not by arithmetic: exact for any stored integer (DynamoDB keeps 38
    digits), so a row stored before the ceiling existed still reads instead of failing the
    whole listing it is part of."""
    return Decimal(f"{int(minor)}E-{exponent(currency)}")


def percent_of(minor: int, percent: Decimal | int | str) -> int:
    """``percent`` % of ``minor`` units, rounded half-up (away from zero) to the minor unit.

    On integers, so the result is exact whatever the size of ``minor``."""
    value = percent if isinstance(percent, Decimal) else Decimal(str(percent))
    if not value.is_finite():
        raise ValueError(f"percent {percent!r} is not a finite number")
    sign, digits, exponent10 = value.as_tuple()
    exp10 = int(exponent10)
    numerator = int(minor) * int("".join(map(str, digits))) * (-1 if sign else 1)
    denominator = 100
    if exp10 >= 0:
        numerator *= 10 ** exp10
    else:
        denominator *= 10 ** -exp10
    quotient = (2 * abs(numerator) + denominator) // (2 * denominator)
    return -quotient if numerator < 0 else quotient
