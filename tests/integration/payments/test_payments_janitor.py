"""The payment janitor: settles stuck Stripe payments by asking Stripe (localstripe), expires old
ones, reschedules with backoff, and reads only what is due."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest

from chalicelib import settings
from tests.helpers import payments as ps
from tests.localstripe import running_localstripe


@pytest.fixture
def clock(aws_env):
    base = settings.now()
    state = {"now": base}
    settings.set_clock(lambda: state["now"])

    def move(**delta):
        state["now"] = state["now"] + timedelta(**delta)
        return state["now"]

    yield move
    settings.set_clock(None)


def run():
    from chalicelib.payments import janitor

    return janitor.run()


def test_nothing_is_due_before_the_first_check(demo_brand, clock):
    gw = ps.make_gateway(demo_brand, "paypal")
    ps.make_payment(demo_brand, gw, kind="paypal")
    clock(minutes=14)
    assert run()["due"] == 0


def test_an_old_paypal_payment_is_expired_and_a_late_completion_still_applies(
        client, demo_brand, clock):
    from chalicelib.payments.gateways.events import GatewayEvent
    from chalicelib.payments.inbound import intake

    gw = ps.make_gateway(demo_brand, "paypal")
    pay = ps.make_payment(demo_brand, gw, kind="paypal", amount=1000)
    clock(minutes=16)
    assert run()["rescheduled"] == 1  # PayPal can't be asked: wait
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Created" and p.check_count == 1
    clock(hours=25)
    assert run()["expired"] == 1
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Voided" and p.expired and p.due_pk is None
    assert ps.history(demo_brand["id"], pay.id)[-1].note.startswith("expired")
    assert ps.outbox_rows(demo_brand["id"]) == []  # no mail about an abandoned checkout
    assert run()["due"] == 0
    late = GatewayEvent(gateway="paypal", dedupe_key="TXN1:Completed", kind="payment.succeeded",
                        event_type="web_accept:Completed", occurred_at=settings.now(),
                        payment_ref=pay.id, merchant_ref="TXN1", amount_minor=1000,
                        currency="USD", receiver_matches=True, jfw_status="Completed")
    assert intake.apply(demo_brand["id"], late, None).outcome == "applied"
    assert ps.payment(demo_brand["id"], pay.id).status == "Completed"


def test_backoff_is_5_minutes_1_hour_then_daily_never_past_expiry(demo_brand, clock):
    from chalicelib.identity import brands

    brands.update_setting(demo_brand["id"], {"paymentExpireAfterHours": 72})
    gw = ps.make_gateway(demo_brand, "paypal")
    pay = ps.make_payment(brands.get(demo_brand["id"]), gw, kind="paypal")
    created = ps.payment(demo_brand["id"], pay.id).created_date
    checks = []
    while True:
        due_sk = ps.payment(demo_brand["id"], pay.id).due_sk
        if due_sk is None:
            break
        due = _parse(due_sk.split("#")[0])
        checks.append(due - created)
        clock(seconds=(due - settings.now()).total_seconds())
        run()
    assert checks == [timedelta(minutes=15), timedelta(minutes=20),
                      timedelta(hours=1, minutes=20), timedelta(days=1, hours=1, minutes=20),
                      timedelta(days=2, hours=1, minutes=20), timedelta(hours=72)]
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.status == "Voided" and p.check_count == 5


def _parse(stamp: str):
    from datetime import UTC, datetime

    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def test_brand_settings_set_the_delays(demo_brand, clock):
    from chalicelib.identity import brands

    brands.update_setting(demo_brand["id"], {"paymentCheckAfterMinutes": 60,
                                             "paymentExpireAfterHours": 2})
    brand = brands.get(demo_brand["id"])
    gw = ps.make_gateway(demo_brand, "paypal")
    pay = ps.make_payment(brand, gw, kind="paypal")
    clock(minutes=59)
    assert run()["due"] == 0
    clock(hours=2)
    assert run()["expired"] == 1
    assert ps.payment(demo_brand["id"], pay.id).status == "Voided"


def test_stripe_unreachable_reschedules(demo_brand, clock, monkeypatch):
    from chalicelib.payments import service

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setattr(settings, "_settings",
                        settings.get()._replace(stripe_api_base=dead))
    gw = ps.make_gateway(demo_brand, "stripe")
    pay = ps.make_payment(demo_brand, gw)
    service.record_merchant_ref(demo_brand["id"], pay.id, "stripe", "pi_unknown")
    clock(minutes=16)
    assert run()["rescheduled"] == 1
    assert ps.payment(demo_brand["id"], pay.id).status == "Created"


# -- against localstripe -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def localstripe(tmp_path_factory):
    with running_localstripe(tmp_path_factory.mktemp("localstripe")) as ls:
        yield ls["base"]


@pytest.mark.e2e
def test_the_janitor_settles_a_payment_whose_webhook_never_came(
        localstripe, demo_brand, clock, monkeypatch):
    """No webhook is registered: only the janitor's read of the PaymentIntent can settle it."""
    import stripe

    from chalicelib.payments import service

    monkeypatch.setattr(settings, "_settings",
                        settings.get()._replace(stripe_api_base=localstripe))
    gw = ps.make_gateway(demo_brand, "stripe")
    paid = ps.make_payment(demo_brand, gw, amount=1999)
    unpaid = ps.make_payment(demo_brand, gw, amount=1999)
    client = stripe.StripeClient(ps.API_KEY, base_addresses={"api": localstripe},
                                 max_network_retries=0)
    refs = {}
    for p in (paid, unpaid):
        pi = client.v1.payment_intents.create(params={
            "amount": 1999, "currency": "usd", "metadata": {"payment_code": p.id}})
        service.record_merchant_ref(demo_brand["id"], p.id, "stripe", pi.id)
        refs[p.id] = pi.id
    client.v1.payment_intents.update(refs[paid.id], params={"payment_method": "pm_card_visa"})
    assert client.v1.payment_intents.confirm(refs[paid.id]).status == "succeeded"
    clock(minutes=16)
    counts = run()
    assert counts["settled"] == 1 and counts["rescheduled"] == 1
    p = ps.payment(demo_brand["id"], paid.id)
    assert p.status == "Completed" and p.amount_gross_minor == 1999
    assert ps.history(demo_brand["id"], paid.id)[-1].source == "janitor"
    assert ps.mails(demo_brand["id"], "PAYMENT.PROCESSED.SUCCESS")
    assert ps.payment(demo_brand["id"], unpaid.id).status == "Created"
