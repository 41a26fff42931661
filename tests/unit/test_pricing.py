"""Property tests of the pricing rules (chalicelib/catalog/pricing.py)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from chalicelib import money
from chalicelib.catalog import pricing

# Amounts up to 10^12 minor units: far beyond any real price, small enough to stay exact.
amounts = st.integers(min_value=0, max_value=10**12)
percentages = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2)
tax_rates = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=3)
seconds = st.integers(min_value=0, max_value=10 * 365 * 86400)
durations = st.integers(min_value=1, max_value=10 * 365 * 86400)
currencies = st.sampled_from(["JPY", "USD", "KWD"])  # exponents 0, 2, 3


@st.composite
def coupons(draw) -> dict:
    kind = draw(st.sampled_from(["none", "percent", "amount"]))
    if kind == "percent":
        return {"percentage": draw(percentages)}
    if kind == "amount":
        return {"amount_off": draw(amounts)}
    return {}


@st.composite
def quote_args(draw) -> dict:
    return {
        "subtotal": draw(amounts),
        **draw(coupons()),
        "current_price": draw(amounts),
        "remaining_seconds": draw(seconds),
        "duration_seconds": draw(durations),
        "tax_rate": draw(tax_rates),
    }


def _half_up(value: Decimal, exp: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-exp), rounding=ROUND_HALF_UP)


@given(amounts, coupons())
def test_discount_is_between_zero_and_subtotal(subtotal, coupon):
    d = pricing.discount_for(subtotal, **coupon)
    assert 0 <= d <= subtotal


@given(quote_args())
def test_total_is_never_negative_and_adds_up(args):
    q = pricing.quote(**args)
    assert q.total >= 0
    assert 0 <= q.prorate <= q.subtotal - q.discount
    assert q.tax >= 0
    assert q.total == q.subtotal - q.discount - q.prorate + q.tax


@given(amounts, tax_rates, seconds, durations, amounts)
def test_hundred_percent_coupon_gives_zero(subtotal, tax_rate, remaining, duration, current):
    q = pricing.quote(subtotal, percentage=Decimal(100), tax_rate=tax_rate,
                      current_price=current, remaining_seconds=remaining,
                      duration_seconds=duration)
    assert q.discount == subtotal
    assert q.prorate == 0 and q.tax == 0 and q.total == 0


@given(quote_args(), currencies)
def test_same_quote_twice_is_identical(args, currency):
    first, second = pricing.quote(**args), pricing.quote(**args)
    assert first == second
    assert pricing.to_wire(first, currency) == pricing.to_wire(second, currency)


@given(amounts, percentages, currencies)
def test_percent_discount_is_half_up_to_the_minor_unit_in_every_currency(minor, pct, currency):
    """Computed on minor units, shown in the currency: equals the decimal amount times the
    percentage rounded half-up to the currency's exponent (the same rule, scaled)."""
    exp = money.exponent(currency)
    d = pricing.discount_for(minor, percentage=pct)
    expected = _half_up(money.to_decimal(minor, currency) * pct / 100, exp)
    assert money.to_decimal(d, currency) == expected


@given(amounts, tax_rates, currencies)
def test_tax_is_half_up_to_the_minor_unit_in_every_currency(minor, rate, currency):
    exp = money.exponent(currency)
    tax = pricing.tax_for(minor, rate)
    assert money.to_decimal(tax, currency) == _half_up(money.to_decimal(minor, currency)
                                                       * rate / 100, exp)


@given(quote_args(), currencies)
def test_wire_amounts_have_exactly_the_currency_decimals_and_round_trip(args, currency):
    q = pricing.quote(**args)
    # to_minor refuses amounts over the ceiling (10^12 major units): a quote never has one.
    assume(max(q.subtotal, q.discount, q.prorate, q.total, q.tax) <= money.max_minor(currency))
    wire = pricing.to_wire(q, currency)
    exp = money.exponent(currency)
    for field, minor in (("subtotal", q.subtotal), ("discount", q.discount),
                         ("prorateAmount", q.prorate), ("total", q.total)):
        value = wire[field]
        assert value.as_tuple().exponent == -exp, (field, value)
        assert money.to_minor(value, currency) == minor
    assert money.to_minor(wire["tax"]["amount"], currency) == q.tax
    assert wire["currency"] == currency


@given(amounts, seconds, durations, amounts)
def test_proration_is_exact_half_up(price, remaining, duration, cap):
    credit = pricing.prorate_credit(price, remaining, duration, cap)
    half_up = int(Fraction(price * remaining, duration) + Fraction(1, 2))  # floor(x + 1/2)
    assert credit == min(cap, half_up)


@given(amounts, percentages, percentages)
def test_bigger_percentage_never_gives_a_smaller_discount(subtotal, a, b):
    lo, hi = sorted([a, b])
    assert (pricing.discount_for(subtotal, percentage=lo)
            <= pricing.discount_for(subtotal, percentage=hi))


@given(amounts, st.lists(st.tuples(st.text(min_size=1, max_size=5), st.one_of(
    st.none(), percentages)), min_size=1, max_size=6))
def test_best_discount_is_the_largest_and_order_independent(subtotal, raw):
    offers = [(key, pct, None if pct is not None else 100) for key, pct in raw]
    best = pricing.best_discount(subtotal, offers)
    assert best is not None
    key, amount = best
    assert amount == max(pricing.discount_for(subtotal, percentage=p, amount_off=a)
                         for _, p, a in offers)
    assert pricing.best_discount(subtotal, list(reversed(offers))) == best


def test_examples_by_hand():
    # 9.99 USD, 15 % off: 1.4985 -> 1.50; 8.49 left; 10 % tax 0.849 -> 0.85; total 9.34.
    q = pricing.quote(999, percentage=Decimal(15), tax_rate=Decimal(10))
    assert (q.discount, q.tax, q.total) == (150, 85, 934)
    # 1000 JPY, 33.3 % off: 333 exactly; 1 yen half-up cases.
    assert pricing.discount_for(1000, percentage=Decimal("33.3")) == 333
    assert pricing.discount_for(5, percentage=Decimal(10)) == 1  # 0.5 -> 1
    assert pricing.discount_for(4, percentage=Decimal(10)) == 0  # 0.4 -> 0
    # A fixed amount larger than the price stops at the price.
    assert pricing.discount_for(500, amount_off=800) == 500
    # 30 days left of a 20.00 price over 60 days: 10.00 credit, at most what is left to pay.
    assert pricing.prorate_credit(2000, 30 * 86400, 60 * 86400, cap=5000) == 1000
    assert pricing.prorate_credit(2000, 30 * 86400, 60 * 86400, cap=700) == 700
    # 1 of 3 seconds of 1 unit: 0.333 -> 0; 2 of 3 seconds: 0.667 -> 1; 1 of 2: 0.5 -> 1.
    assert [pricing.prorate_credit(1, r, d, 10) for r, d in ((1, 3), (2, 3), (1, 2))] == [0, 1, 1]


@pytest.mark.parametrize("kwargs", [
    {"percentage": Decimal(0)}, {"percentage": Decimal("100.01")}, {"amount_off": -1},
    {"percentage": Decimal(5), "amount_off": 5},
])
def test_bad_coupon_terms_are_refused(kwargs):
    with pytest.raises(ValueError):
        pricing.discount_for(100, **kwargs)
