"""Fixtures of the payments tests: the checkout's buyer, shop and PayPal gateway (the Admin
"boss" is tests/integration/conftest.py's)."""

from __future__ import annotations

import pytest

from chalicelib import settings
from tests.helpers.api import Api, register_and_login
from tests.helpers.checkout import PAYPAL_BODY, SIMULATOR_URL


@pytest.fixture
def simulator_setting(monkeypatch):
    """JFW_PAYPAL_SIMULATOR_URL set for the test (settings are read once: reload)."""
    monkeypatch.setenv("JFW_PAYPAL_SIMULATOR_URL", SIMULATOR_URL)
    settings.reload()
    yield SIMULATOR_URL
    monkeypatch.delenv("JFW_PAYPAL_SIMULATOR_URL")
    settings.reload()


@pytest.fixture
def buyer(api) -> Api:
    return register_and_login(api, "bob", email="bob@shop-buyers.com")


@pytest.fixture
def shop(demo_brand) -> dict:
    """BASIC (the brand's default, free) and PRO with a 30-day USD price and a EUR price."""
    from chalicelib.catalog import service

    b = demo_brand["id"]
    basic = service.create_package(b, {"code": "BASIC", "name": "Basic", "isFree": True})
    pro = service.create_package(b, {"code": "PRO", "name": "Pro"})

    def price(code: str, amount: str, currency: str) -> str:
        return service.create_price(b, {"packageId": pro["id"], "subscriptionTypeId": "D30",
                                        "code": code, "name": code, "amount": amount,
                                        "currency": currency})["id"]

    return {"basic": basic["id"], "pro": pro["id"], "usd": price("PRO-30", "20.00", "USD"),
            "eur": price("PRO-30-EUR", "18.00", "EUR"), "jpy": price("PRO-30-JPY", "3000",
                                                                     "JPY")}


@pytest.fixture
def paypal(admin) -> dict:
    return admin.ok("POST", "v1/app-integrations/payment-gateway", PAYPAL_BODY)
