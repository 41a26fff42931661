"""``POST v1/wallets/add-money/checkout-link``: add money to a wallet through the brand's gateway.

The payment is made by payments' one checkout (the same black list, gateway choice, risk and
gateway link). Nothing is credited then: the wallet is credited when the payment completes, by
the payment event (shares.py), once however often it is delivered. Its quote carries
``purpose`` "wallet-top-up" and the wallet; the payment's ``paymentType`` is ``WalletTopUp``.
No coupon applies to a top-up (as Lago and Stripe: credits are bought at face value).

The wallet is the buyer's wallet in that currency whose test mode is the payment's (a test
gateway fills test wallets), opened when missing. The return and cancel links must open one of
the brand's own pages (its domains or ``domainWhiteListURLs``), so the buyer is never sent
elsewhere. The amount is bounded by the brand setting ``walletTopUpMax`` (major units, default
10000).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib import money
from chalicelib.http.errors import BadRequest, Conflict
from chalicelib.identity import service as identity
from chalicelib.payments import service as payments
from chalicelib.wallet import wallets
from chalicelib.wallet.funds.shares import TOP_UP

DEFAULT_MAX = Decimal(10000)


def maximum(brand: dict, currency: str) -> int:
    value = (brand.get("setting") or {}).get("walletTopUpMax")
    try:
        limit = Decimal(str(value)) if value not in (None, "") else DEFAULT_MAX
    except ArithmeticError:
        limit = DEFAULT_MAX
    return money.to_minor(limit.quantize(Decimal(1)), currency)


def checkout_link(brand: dict, caller: Any, *, currency: str, amount: Decimal,
                  return_link: str, cancel_link: str, test_mode: bool | None = None,
                  app_integration_id: str | None = None, headers: dict[str, str] | None = None,
                  source_ip: str | None = None) -> str:
    brand_id = brand["id"]
    currency = wallets.currency_of(currency)
    minor = money.to_minor(amount, currency, field="amount")
    if minor <= 0:
        raise BadRequest("amount must be more than 0.", field="amount")
    if minor > maximum(brand, currency):
        raise BadRequest(f"amount is more than this brand's largest top-up "
                         f"({money.to_decimal(maximum(brand, currency), currency)} {currency}).",
                         code="AMOUNT_TOO_LARGE", field="amount")
    identity.check_brand_link(brand, return_link, "returnLink")
    identity.check_brand_link(brand, cancel_link, "cancelLink")
    shown = money.to_decimal(minor, currency)

    def order(user: Any, gateway: dict) -> payments.Order:
        gateway_test = bool(gateway.get("testMode"))
        if test_mode is not None and test_mode != gateway_test:
            raise Conflict(f"The brand's gateway is in {'test' if gateway_test else 'live'} "
                           f"mode: send testMode={'true' if gateway_test else 'false'}.",
                           code="WALLET_TEST_MODE_MISMATCH")
        wallet = wallets.open_wallet(brand_id, user.id, currency, gateway_test)
        if wallet.status != "Open":
            raise Conflict(f"Your {currency} wallet is {wallet.status}: it can't take money.",
                           code="WALLET_NOT_OPEN")
        price = {"id": None, "currency": currency, "amountMinor": minor, "packageId": None,
                 "name": "Wallet top-up"}
        return payments.Order(
            price=price, quote={"purpose": TOP_UP, "walletId": wallet.id,
                                "currency": currency, "total": str(shown)},
            amount=minor, currency=currency, name=f"Wallet top-up {shown} {currency}",
            nothing_to_pay="Nothing to pay.", test_mode=gateway_test,
            fields={"payment_type": "WalletTopUp"})

    _, url = payments.checkout(brand, caller, order, app_integration_id=app_integration_id,
                               headers=headers, source_ip=source_ip, return_link=return_link,
                               cancel_link=cancel_link)
    assert url is not None
    return url
