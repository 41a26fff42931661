"""The arithmetic of a conversion, on integers (no DB, no floats): unit-tested on its own.

- ``check_rate``: what a rate may be: a finite Decimal > 0, at least ``MIN_RATE``, at most
  ``MAX_RATE``, with at most ``MAX_DIGITS`` significant digits (12, so any rate a bank quotes
  fits, and a stored rate is exactly the one set).
- ``convert_minor``: ``amount`` minor units of one currency x ``rate`` -> minor units of the
  other, ROUNDED DOWN (towards zero) to the target's minor unit: a conversion never credits a
  fraction of a minor unit that was not there, so the brand never creates money.
- ``fee_minor``: the brand's fee, a percent of the amount taken, rounded half-up to the
  original currency's minor unit (money.percent_of, the house's one percent rule).
- ``split_credit``: the credit shared between the paid and granted parts in the proportion the
  debit took them; the paid share is rounded down and the granted share takes the remainder,
  so rounding never turns granted money into paid (refundable) money.
"""

from __future__ import annotations

from decimal import Decimal

from chalicelib import money
from chalicelib.http.errors import BadRequest

MAX_DIGITS = 12
MIN_RATE = Decimal("1E-9")
MAX_RATE = Decimal("1E9")


def check_rate(value: Decimal | int | str, field: str = "rate") -> Decimal:
    """``value`` as a normalised Decimal rate, or a 400 naming ``field``."""
    try:
        rate = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise BadRequest(f"{field} must be a number.", field=field) from None
    if not rate.is_finite() or rate <= 0:
        raise BadRequest(f"{field} must be a number greater than 0.", field=field,
                         code="RATE_INVALID")
    if rate < MIN_RATE or rate > MAX_RATE:
        raise BadRequest(f"{field} must be between {MIN_RATE:f} and {MAX_RATE:f}.",
                         field=field, code="RATE_OUT_OF_RANGE")
    # Counted on the digits: normalize() would first round to the context's 28 digits.
    digits = "".join(map(str, rate.as_tuple().digits)).strip("0")
    if len(digits) > MAX_DIGITS:
        raise BadRequest(f"{field} may have at most {MAX_DIGITS} significant digits.",
                         field=field, code="RATE_PRECISION")
    return Decimal(as_text(rate))


def as_text(rate: Decimal) -> str:
    """The rate as plain decimal text (never exponent notation): how it is stored."""
    return format(rate.normalize(), "f")


def convert_minor(amount_minor: int, from_code: str, to_code: str, rate: Decimal) -> int:
    """``amount_minor`` of ``from_code`` at ``rate`` in minor units of ``to_code``, rounded
    down; exact whatever the sizes (integers only)."""
    if amount_minor < 0:
        raise ValueError("amount_minor must not be negative")
    _, digits, exp10 = rate.as_tuple()
    numerator = int(amount_minor) * int("".join(map(str, digits)))
    shift = int(exp10) + money.exponent(to_code) - money.exponent(from_code)
    if shift >= 0:
        return numerator * 10 ** shift
    return numerator // 10 ** -shift


def fee_minor(total_minor: int, percent: Decimal) -> int:
    return money.percent_of(int(total_minor), percent)


def split_credit(credit_minor: int, paid_taken: int, granted_taken: int) -> tuple[int, int]:
    """``(paid, granted)`` shares of ``credit_minor`` in the proportion ``paid_taken`` :
    ``granted_taken``."""
    taken = paid_taken + granted_taken
    if taken <= 0:
        return 0, 0
    paid = credit_minor * paid_taken // taken
    return paid, credit_minor - paid
