"""Money at the API edge: decimals <-> integer minor units by the currency's exponent.

``python -m tests.unit.test_money`` rewrites chalicelib/currency_table.py from the ``iso4217``
library (after upgrading it; ``test_the_currency_table_is_iso4217s`` says when)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

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


# -- the ceiling, the sign and exactness (issue 10: 1e26 was stored, then broke every listing) --

@pytest.mark.parametrize("amount, currency, code", [
    ("1e26", "USD", "AMOUNT_TOO_LARGE"),
    (str(10 ** 12 + 1), "USD", "AMOUNT_TOO_LARGE"),
    ("1000000000000.01", "USD", "AMOUNT_TOO_LARGE"),
    ("1" + "0" * 400, "JPY", "AMOUNT_TOO_LARGE"),
    ("-1", "USD", "AMOUNT_NEGATIVE"),
    ("-0.01", "USD", "AMOUNT_NEGATIVE"),
    ("9.990000000000000000001", "USD", "AMOUNT_PRECISION"),
    # Past the decimal context's 28 digits: arithmetic would round this to 9.99.
    ("9.990000000000000000000000000001", "USD", "AMOUNT_PRECISION"),
    ("1E-999999999", "USD", "AMOUNT_PRECISION"),
    ("1000.5", "JPY", "AMOUNT_PRECISION"),
    ("0.0001", "KWD", "AMOUNT_PRECISION"),
    ("-Infinity", "USD", "BAD_REQUEST"),
])
def test_to_minor_refuses_out_of_range_and_inexact_amounts(amount, currency, code):
    with pytest.raises(BadRequest) as e:
        money.to_minor(amount, currency, field="amountOff")
    assert (e.value.code, e.value.field) == (code, "amountOff")
    assert len(e.value.message) < 200  # a 400-digit amount is not echoed whole


@pytest.mark.parametrize("amount, currency, minor", [
    ("1000000000000", "USD", 10 ** 14),
    ("1000000000000.000", "KWD", 10 ** 15),
    ("0.001", "KWD", 1),
    ("1E+3", "JPY", 1000),
    ("0E-50", "USD", 0),
    ("-0", "USD", 0),
    ("9.99" + "0" * 5000, "USD", 999),  # trailing zeros, however many
])
def test_to_minor_takes_the_ceiling_and_exact_zeros(amount, currency, minor):
    assert money.to_minor(amount, currency) == minor


def test_the_ceiling_fits_every_currency_in_a_signed_64_bit_integer():
    for code, info in money.currencies().items():
        ceiling = money.max_minor(code)
        assert ceiling <= 2 ** 63 - 1
        assert ceiling == min(10 ** (12 + info["exponent"]), 2 ** 63 - 1), code
        assert money.to_minor(money.to_decimal(ceiling, code), code) == ceiling


def test_the_ceiling_message_names_the_currency():
    with pytest.raises(BadRequest) as e:
        money.to_minor("1e26", "usd")
    assert e.value.message == "amount must be at most 1000000000000 USD."


def test_check_minor_bounds_computed_amounts():
    assert money.check_minor(10 ** 14, "USD") == 10 ** 14
    with pytest.raises(BadRequest) as e:
        money.check_minor(10 ** 14 + 1, "USD", field="quantity", what="The total")
    assert (e.value.code, e.value.field) == ("AMOUNT_TOO_LARGE", "quantity")
    assert e.value.message.startswith("The total must be at most")
    with pytest.raises(BadRequest):
        money.check_minor(-1, "USD")


def test_amounts_stored_before_the_ceiling_still_read_exactly():
    """A row written before the ceiling existed (DynamoDB keeps 38 digits) must not fail the
    listing it is in: conversions and the envelope are exact at any size."""
    big = 10 ** 28
    assert str(money.to_decimal(big, "USD")) == "1" + "0" * 26 + ".00"
    assert json.loads(dumps({"a": money.to_decimal(big, "USD")}))["a"] == 10 ** 26
    assert json.loads(dumps({"a": money.to_decimal(10 ** 37 + 5, "USD")}))["a"] == \
        pytest.approx(1e35)
    assert money.percent_of(10 ** 30, "12.5") == 125 * 10 ** 27
    assert money.percent_of(10 ** 30 + 4, "12.5") == 125 * 10 ** 27 + 1  # 0.5 -> up


TABLE = Path(__file__).resolve().parents[2] / "chalicelib" / "currency_table.py"
TABLE_HEAD = '''"""ISO 4217's tradable currencies as the ``iso4217`` library lists them
(code, numeric code, exponent, name), written out so a cold start reads compiled tuples instead
of parsing the library's XML into an Enum (~10 ms); money.currencies() serves them. Generated
by ``python -m tests.unit.test_money``, which tests/unit/test_money.py checks is up to date."""

CURRENCIES: tuple[tuple[str, int, int, str], ...] = (
'''


def iso4217_table() -> str:
    """currency_table.py's text, from the iso4217 library (currencies with an exponent)."""
    import iso4217  # heavy optional: parses its XML; only this check and the generator use it

    rows = [f"    ({c.code!r}, {c.number}, {c.exponent}, {c.currency_name!r}),"
            for c in iso4217.Currency if c.exponent is not None]
    return TABLE_HEAD + "\n".join(rows) + "\n)\n"


def test_the_currency_table_is_iso4217s():
    assert TABLE.read_text() == iso4217_table(), (
        "chalicelib/currency_table.py differs from the iso4217 library: run "
        "python -m tests.unit.test_money")
    assert money.currencies()["JPY"]["exponent"] == 0
    assert money.currencies()["KWD"] == {"code": "KWD", "name": "Kuwaiti Dinar",
                                         "numericCode": 414, "exponent": 3}


if __name__ == "__main__":
    TABLE.write_text(iso4217_table())
