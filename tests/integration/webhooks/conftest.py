"""Fixtures of the webhook tests: a receiver on 127.0.0.1, the demo brand's admin with an
endpoint pointed at it, and a Stripe gateway to complete payments through."""

from __future__ import annotations

import pytest

from tests.helpers import payments as ps
from tests.helpers.webhooks import Receiver


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def endpoint(admin, receiver) -> dict:
    return admin.ok("POST", "v1/webhook-endpoints", {
        "url": receiver.url, "description": "orders",
        "enabledEvents": ["PAYMENT.PROCESSED.SUCCESS", "PAYMENT.PROCESSED.REFUNDED"]})


@pytest.fixture
def gw(demo_brand):
    return ps.make_gateway(demo_brand, "stripe")


@pytest.fixture
def complete_payment(client, demo_brand, gw):
    """Complete a new payment through a signed Stripe notification; the payment."""

    def run(amount: int = 1999):
        pay = ps.make_payment(demo_brand, gw, amount=amount, user_id="u1", package_id="pkg1",
                              price_id="price1")
        resp = ps.post_stripe(client, gw, ps.pi_event(pay.id, amount=amount,
                                                      pi_id=f"pi_{pay.id}"))
        assert resp.status_code == 200, resp.body
        return pay

    return run
