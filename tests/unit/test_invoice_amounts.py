"""Property tests of an invoice's figures (chalicelib/invoicing/amounts.py) and numbers
(numbering.py): items, discount, proration and tax add up exactly to what was paid in JPY, USD
and KWD; credit notes give back exactly the invoice's tax; number formats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib import money
from chalicelib.catalog import pricing
from chalicelib.invoicing import amounts as figures_of
from chalicelib.invoicing import numbering

prices = st.integers(min_value=0, max_value=10**8)
percentages = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2)
tax_rates = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=3)
currencies = st.sampled_from(["JPY", "USD", "KWD"])


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@st.composite
def payments(draw) -> dict:
    """A completed payment's event as checkout stores the quote (catalog -> to_wire -> the
    payment's quote with its minor-unit totals), with a quantity and a wallet part."""
    currency = draw(currencies)
    coupon = draw(st.sampled_from(["none", "percent", "amount"]))
    terms = ({"percentage": draw(percentages)} if coupon == "percent"
             else {"amount_off": draw(prices)} if coupon == "amount" else {})
    q = pricing.quote(draw(prices), **terms, current_price=draw(prices),
                      remaining_seconds=draw(st.integers(0, 10**6)),
                      duration_seconds=draw(st.integers(1, 10**6)),
                      tax_rate=draw(tax_rates))
    quantity = draw(st.integers(1, 100))
    total = q.total * quantity
    wallet = draw(st.integers(0, total))
    quote = {**_plain(pricing.to_wire(q, currency)), "totalMinor": total,
             "gatewayMinor": total - wallet, "walletMinor": wallet}
    if quantity > 1 or draw(st.booleans()):
        quote.update(purpose="Purchase", quantity=quantity)
    gateway = total - wallet
    return {"currency": currency, "quote": quote, "amountMinor": gateway or total,
            "amountGrossMinor": gateway or total, "walletMinor": wallet or None}


@given(payments())
def test_the_figures_add_up_to_what_was_paid(payload):
    f = figures_of.figures(payload)
    quote = payload["quote"]
    assert f.total == quote["totalMinor"]
    assert f.subtotal - f.discount - f.prorate + f.tax == f.total
    assert f.wallet == quote["walletMinor"] and f.gateway == quote["gatewayMinor"]
    assert f.note is None  # the quote's figures were used, not the fallback line
    assert f.subtotal == f.unit_subtotal * f.quantity
    for v in (f.subtotal, f.discount, f.prorate, f.tax):
        money.to_decimal(v, payload["currency"])  # representable exactly


def test_a_gateway_that_took_another_amount_gets_one_line_of_what_it_took():
    payload = {"currency": "USD", "amountMinor": 2000, "amountGrossMinor": 1900,
               "quote": {"subtotal": "20.00", "discount": "0.00", "prorateAmount": "0.00",
                         "tax": {"percent": "0", "amount": "0.00"}, "total": "20.00",
                         "totalMinor": 2000, "gatewayMinor": 2000, "walletMinor": 0}}
    f = figures_of.figures(payload)
    assert (f.subtotal, f.tax, f.total) == (1900, 0, 1900)
    assert "20.00 USD" in f.note


def test_a_top_up_is_one_untaxed_line():
    f = figures_of.figures({"currency": "KWD", "paymentType": "WalletTopUp",
                            "amountMinor": 5125, "amountGrossMinor": 5125,
                            "quote": {"purpose": "WalletTopUp", "total": "5.125",
                                      "totalMinor": 5125, "gatewayMinor": 5125,
                                      "walletMinor": 0}})
    assert (f.purpose, f.total, f.tax, f.wallet) == ("WalletTopUp", 5125, 0, 0)


@given(st.integers(1, 10**9), st.data())
def test_credit_notes_give_back_exactly_the_tax(total, data):
    tax = data.draw(st.integers(0, total))
    cuts = sorted(data.draw(st.lists(st.integers(1, total), max_size=6)))
    steps, before, parts = [*cuts, total], 0, []
    for credited in steps:
        parts.append(figures_of.credited_tax(credited, total, tax)
                     - figures_of.credited_tax(before, total, tax))
        before = credited
    assert sum(parts) == tax and all(p >= 0 for p in parts)


@pytest.mark.parametrize(("fmt", "n", "shown"), [
    ("INV-{number:06d}", 1, "INV-000001"), ("INV-{number:06d}", 1234567, "INV-1234567"),
    ("{number}", 42, "42"), ("2026/F-{number:04d}", 7, "2026/F-0007"),
])
def test_number_formats(fmt, n, shown):
    assert numbering.valid_format(fmt) and numbering.render(fmt, n) == shown


@pytest.mark.parametrize("fmt", [
    "INV", "{number}{number}", "{0.__class__}", "{number!r}", "{number:6d}", "{number:013d}",
    "{number:x}", "A{name}", "X" * 21 + "{number}", 7, None, "{number:06d}\n",
])
def test_bad_number_formats_are_refused(fmt):
    assert not numbering.valid_format(fmt)
    assert numbering.format_for({"setting": {"invoiceNumberFormat": fmt}}, "INV") in (
        "INV-{number:06d}",)
