"""Fixtures of the invoicing tests: a shop (BASIC free, PRO at 20.00 USD / 30 days) with a
PayPal gateway in test mode (its checkout only builds URLs), and a buyer."""

from __future__ import annotations

import pytest

from tests.helpers.api import Api, register_and_login
from tests.helpers.checkout import PAYPAL_BODY


@pytest.fixture
def buyer(api) -> Api:
    return register_and_login(api, "bob", email="bob@shop-buyers.com")


@pytest.fixture
def shop(demo_brand) -> dict:
    from chalicelib.catalog import service

    b = demo_brand["id"]
    basic = service.create_package(b, {"code": "BASIC", "name": "Basic", "isFree": True})
    pro = service.create_package(b, {"code": "PRO", "name": "Pro"})
    usd = service.create_price(b, {"packageId": pro["id"], "subscriptionTypeId": "D30",
                                   "code": "PRO-30", "name": "PRO-30", "amount": "20.00",
                                   "currency": "USD"})
    return {"basic": basic["id"], "pro": pro["id"], "usd": usd["id"]}


@pytest.fixture
def paypal(admin) -> dict:
    return admin.ok("POST", "v1/app-integrations/payment-gateway", PAYPAL_BODY)


@pytest.fixture(autouse=True)
def _mail(mail_env):
    yield
