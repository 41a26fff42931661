"""Money at the API edge: decimals <-> integer minor units by the currency's exponent."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib import money
from chalicelib.http.envelope import dumps
from chalicelib.http.errors import BadRequest


@pytest.mark.parametrize("amount, currency, minor", [
    ("9.99", "USD", 999),
    (9.99, "USD", 999),
    (Decimal("9.990"), "USD", 999),  # trailing zeros are not extra precision
    (10, "usd", 1000),
    (1000, "JPY", 1000),
    ("1000.0", "JPY", 1000),
    ("1.234", "KWD", 1234),
    ("0", "EUR", 0),
    ("-5.5", "USD", -550),  # the sign is the caller's rule (prices refuse it)
])
def test_to_minor(amount, currency, minor):
    assert money.to_minor(amount, currency) == minor


@pytest.mark.parametrize("amount, currency, code", [
    ("9.999", "USD", "AMOUNT_PRECISION"),
    (9.999, "USD", "AMOUNT_PRECISION"),
    ("1000.5", "JPY", "AMOUNT_PRECISION"),
    ("1.2345", "KWD", "AMOUNT_PRECISION"),
    ("5", "XYZ", "CURRENCY_INVALID"),
    ("5", "", "CURRENCY_INVALID"),
    ("abc", "USD", "BAD_REQUEST"),
    ("NaN", "USD", "BAD_REQUEST"),
    ("Infinity", "USD", "BAD_REQUEST"),
])
def test_to_minor_refuses(amount, currency, code):
    with pytest.raises(BadRequest) as e:
        money.to_minor(amount, currency)
    assert e.value.code == code


@pytest.mark.parametrize("minor, currency, text", [
    (999, "USD", "9.99"), (1000, "USD", "10.00"), (1000, "JPY", "1000"),
    (1234, "KWD", "1.234"), (5, "KWD", "0.005"), (0, "USD", "0.00"),
])
def test_to_decimal_has_exactly_the_currency_decimals(minor, currency, text):
    assert str(money.to_decimal(minor, currency)) == text


@pytest.mark.parametrize("minor, percent, result", [
    (1000, 15, 150), (999, 50, 500), (999, "33.3333", 333), (1, 50, 1), (1, 49, 0),
    (5, "10", 1), (4, "12.5", 1), (0, 100, 0), (12345, 100, 12345),
])
def test_percent_of_rounds_half_up(minor, percent, result):
    assert money.percent_of(minor, percent) == result


def test_currencies_carry_iso_exponents():
    cur = money.currencies()
    assert (cur["USD"]["exponent"], cur["JPY"]["exponent"], cur["KWD"]["exponent"]) == (2, 0, 3)
    assert all(isinstance(c["exponent"], int) for c in cur.values())


@given(minor=st.integers(min_value=0, max_value=10 ** 12),
       currency=st.sampled_from(["USD", "JPY", "KWD", "EUR", "BHD", "CLP"]))
def test_round_trip(minor, currency):
    assert money.to_minor(money.to_decimal(minor, currency), currency) == minor
    # What the envelope puts on the wire (a JSON number) converts back to the same minor units.
    wire = json.loads(dumps({"a": money.to_decimal(minor, currency)}))["a"]
    assert money.to_minor(wire, currency) == minor
