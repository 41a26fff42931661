"""The conversion arithmetic (wallet/rates/rounding.py): exact, rounded down, parts split so
rounding never makes granted money paid."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.http.errors import BadRequest
from chalicelib.wallet.rates.rounding import (
    as_text,
    check_rate,
    convert_minor,
    fee_minor,
    split_credit,
)


@pytest.mark.parametrize(("amount", "frm", "to", "rate", "expected"), [
    (1001, "USD", "JPY", "151.237", 1513),      # 1513.88237 -> 1513
    (199, "USD", "KWD", "0.30712", 611),        # 0.6111688 KWD -> 0.611
    (151, "JPY", "USD", "0.0066", 99),          # 0.9966 -> 0.99
    (1001, "KWD", "JPY", "492.4449", 492),      # 492.9373449 -> 492
    (492, "JPY", "KWD", "0.00203", 998),        # 0.99876 -> 0.998
    (2, "JPY", "KWD", "0.0002", 0),             # 0.0004 -> 0
    (100, "USD", "EUR", "1", 100),
    (1, "USD", "EUR", "0.999999999999", 0),     # never rounds up
    (10 ** 15, "USD", "JPY", "999999999", 10 ** 13 * 999999999),  # exact at any size
])
def test_convert_minor_rounds_down_exactly(amount, frm, to, rate, expected):
    assert convert_minor(amount, frm, to, Decimal(rate)) == expected


def test_fee_is_half_up_on_the_minor_unit():
    assert fee_minor(10000, Decimal(1)) == 100
    assert fee_minor(50, Decimal(1)) == 1      # 0.5 -> 1
    assert fee_minor(49, Decimal(1)) == 0
    assert fee_minor(999, Decimal("2.5")) == 25  # 24.975 -> 25
    assert fee_minor(999, Decimal(0)) == 0


@pytest.mark.parametrize(("credit", "paid", "granted", "expected"), [
    (15356, 2000, 3000, (6142, 9214)),
    (100, 100, 0, (100, 0)),
    (100, 0, 100, (0, 100)),
    (1, 1, 1, (0, 1)),           # the odd minor unit stays granted
    (0, 5, 5, (0, 0)),
])
def test_split_credit_keeps_the_proportion_and_favours_granted(credit, paid, granted,
                                                               expected):
    assert split_credit(credit, paid, granted) == expected
    assert sum(split_credit(credit, paid, granted)) == credit


@pytest.mark.parametrize("rate", ["0", "-1", "1E10", "1E-10", "1.23456789012345", "NaN",
                                  "Infinity", "1.0000000000000000000000000000001"])
def test_bad_rates(rate):
    with pytest.raises(BadRequest):
        check_rate(Decimal(rate))


def test_a_rate_is_kept_exactly_as_plain_text():
    assert as_text(check_rate(Decimal("151.2370"))) == "151.237"
    assert as_text(check_rate(Decimal("1E+3"))) == "1000"
    assert as_text(check_rate(Decimal("0.000000001"))) == "0.000000001"
    assert as_text(check_rate(Decimal("123456.789012"))) == "123456.789012"
