"""Checkout through Stripe, against localstripe (started here on a free 127.0.0.1 port): the
PaymentIntent, our hosted page, the buyer's card as the page's Stripe.js stand-in pays with it,
the signed webhook through our notification route, an admin's refund at Stripe, and a switch to
another gateway cancelling the PaymentIntent."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode, urlsplit

import pytest

from chalicelib import settings
from chalicelib.payments import service
from tests.helpers import checkout as support
from tests.helpers.checkout import PAYPAL_BODY, assert_page_obeys_its_csp, outbox_rows, payments_of
from tests.localstripe import (
    PLAIN_CARD,
    Receiver,
    for_pi,
    pay_as_the_browser,
    register_webhook,
    running_localstripe,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("checkout_localstripe")]


GW = "v1/app-integrations/payment-gateway"
SECRET = "whsec_checkout_localstripe"
STRIPE = {**support.STRIPE_BODY, "publicKey": "pk_test_local", "privateKey": "sk_test_local",
          "webhookSecret": SECRET}


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory):
    with running_localstripe(tmp_path_factory.mktemp("localstripe")) as ls:
        receiver = Receiver()
        register_webhook(ls["base"], "checkout-tests", receiver.url, SECRET,
                         ["payment_intent.succeeded"])
        try:
            yield {**ls, "receiver": receiver}
        finally:
            receiver.close()


@pytest.fixture
def stripe_base(localstripe, monkeypatch, aws_env):
    monkeypatch.setenv("JFW_STRIPE_API_BASE", localstripe["base"])
    settings.reload()
    yield localstripe["base"]
    monkeypatch.undo()
    settings.reload()


@pytest.fixture
def sk(stripe_base):
    import stripe

    return stripe.StripeClient("sk_test_local", base_addresses={"api": stripe_base},
                               max_network_retries=0)


@pytest.fixture
def gateway(admin, stripe_base) -> dict:
    return admin.ok("POST", GW, STRIPE)


def pay_as_the_page(stripe_base: str, page_html: str, card: str = PLAIN_CARD,
                    authenticate: bool | None = None) -> dict:
    """What the page's Stripe.js does with ``card`` typed (tests/localstripe.py), with the
    config the page holds."""
    config = json.loads(re.search(r'<script id="checkout-config" type="application/json">'
                                  r"(.*?)</script>", page_html, re.S).group(1))
    return pay_as_the_browser(stripe_base, config, card, authenticate)


def pay(api, buyer, shop, stripe_base, demo_brand, price: str = "usd"):
    """Checkout link -> hosted page -> paid with 4242: the PaymentIntent succeeded."""
    link = buyer.ok("POST", f"v1/prices/{shop[price]}/generate-checkout-link")
    parts = urlsplit(link)
    page = api.client.http.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200, page.body
    payment = service.get_payment(demo_brand["id"], parts.path.rsplit("/", 1)[1])
    pi = pay_as_the_page(stripe_base, page.body.decode())
    assert pi["status"] == "succeeded" and pi["id"] == payment.merchant_ref_no
    return link, page, payment


def test_stripe_checkout_makes_a_payment_intent_and_our_page_pays_it(api, buyer, shop, gateway,
                                                                     stripe_base, sk,
                                                                     localstripe, demo_brand):
    link, page, payment = pay(api, buyer, shop, stripe_base, demo_brand)
    assert link == (f"http://127.0.0.1:8000/api/checkout/{payment.id}?brandId={demo_brand['id']}")
    assert payment.status == "Created" and payment.gateway_type == "stripe"
    assert payment.merchant_ref_no.startswith("pi_") and payment.amount_minor == 2000

    pi = sk.v1.payment_intents.retrieve(payment.merchant_ref_no)
    assert (pi.amount, pi.currency, pi.status) == (2000, "usd", "succeeded")
    assert pi.metadata["payment_code"] == payment.id

    html = page.body.decode()
    assert page.headers["Content-Type"].startswith("text/html")
    stand_in = ("http://127.0.0.1:8000/api/checkout/assets/stripe-local.js?"
                f"{urlencode({'api': stripe_base})}")
    assert f'src="{stand_in}"' in html
    # Our Stripe.js stand-in loads from this API and calls localstripe: the policy allows it.
    assert_page_obeys_its_csp(page, "http://127.0.0.1:8000", stripe_base)
    script = api.client.http.get("/api/checkout/assets/stripe-local.js")
    assert script.status_code == 200 and b"confirmCardPayment" in script.body
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert "pk_test_local" in html and payment.gateway_data["clientSecret"] in html
    assert "sk_test_local" not in html and SECRET not in html
    assert 'Pay <span id="pay-amount">20.00 USD</span>' in html and '<h1 id="product">Pro</h1>' \
        in html
    assert f"https://demo.test/paid?paymentId={payment.id}" in html

    # Back from paying, before the notification: the page waits and reloads.
    waiting = api.client.http.get(f"{urlsplit(link).path}?{urlsplit(link).query}&paid=true")
    assert waiting.status_code == 200 and b"waiting for the payment provider" in waiting.body
    assert b'http-equiv="refresh"' in waiting.body

    # localstripe's signed webhook, delivered to our notification route: Completed + mail.
    headers, raw = localstripe["receiver"].wait_for(for_pi("payment_intent.succeeded", pi.id))
    resp = api.client.http.post(f"/api/v1/ipn/stripe/{gateway['id']}", body=raw, headers={
        "Content-Type": headers["Content-Type"], "Stripe-Signature": headers["Stripe-Signature"]})
    assert resp.status_code == 200, resp.body
    done = service.get_payment(demo_brand["id"], payment.id)
    assert done.status == "Completed" and done.amount_gross_minor == 2000
    mails = [r.payload for r in outbox_rows(demo_brand["id"], "mail")]
    assert [(m["eventCode"], m["to"]) for m in mails] == [
        ("PAYMENT.PROCESSED.SUCCESS", "bob@shop-buyers.com")]

    # The page of a paid payment no longer offers to pay.
    again = api.client.http.get(urlsplit(link).path + "?" + urlsplit(link).query)
    assert again.status_code == 200 and b"Payment received" in again.body and b"Stripe(" not in \
        again.body
    assert f'<strong id="reference">{payment.code}</strong>'.encode() in again.body


def test_amounts_in_a_zero_decimal_currency(api, buyer, shop, gateway, stripe_base, sk,
                                            demo_brand):
    buyer.ok("POST", f"v1/prices/{shop['jpy']}/generate-checkout-link")
    [payment] = payments_of(demo_brand["id"])
    pi = sk.v1.payment_intents.retrieve(payment.merchant_ref_no)
    assert (pi.amount, pi.currency, pi.status) == (3000, "jpy", "requires_payment_method")
    assert payment.amount_minor == 3000 and payment.currency == "JPY"


def test_an_admin_refunds_a_stripe_payment_at_stripe(api, admin, buyer, shop, gateway,
                                                     stripe_base, sk, demo_brand):
    from chalicelib.payments.gateways import stripe as gw
    from chalicelib.payments.inbound import intake

    _, _, payment = pay(api, buyer, shop, stripe_base, demo_brand)
    pi = gw.fetch_payment_intent("sk_test_local", payment.merchant_ref_no, stripe_base)
    intake.apply(demo_brand["id"], gw.event_from_payment_intent(pi, settings.now()), "N1")
    assert service.get_payment(demo_brand["id"], payment.id).status == "Completed"

    data = admin.ok("POST", f"v1/payments/{payment.id}/refund",
                    headers={"Idempotency-Key": "refund-1"})
    assert data["status"] == "Refunded" and data["manualRefund"] is False
    assert data["refundedAmount"] == 20
    charge = sk.v1.payment_intents.retrieve(payment.merchant_ref_no).latest_charge
    charge = sk.v1.charges.retrieve(charge) if isinstance(charge, str) else charge
    assert charge["amount_refunded"] == 2000
    again = admin.post(f"v1/payments/{payment.id}/refund", headers={"Idempotency-Key": "refund-1"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    refund_mails = [r for r in outbox_rows(demo_brand["id"], "mail")
                    if r.payload["eventCode"] == "PAYMENT.PROCESSED.REFUNDED"]
    assert len(refund_mails) == 1
    resp = admin.post(f"v1/payments/{payment.id}/refund")
    assert resp.status_code == 409


def test_moving_a_payment_to_paypal_cancels_its_payment_intent(admin, buyer, shop, gateway, sk,
                                                               demo_brand):
    buyer.ok("POST", f"v1/prices/{shop['usd']}/generate-checkout-link")
    [payment] = payments_of(demo_brand["id"])
    pp = admin.ok("POST", GW, PAYPAL_BODY)
    moved = buyer.ok("POST", f"v1/payments/{payment.id}/generate-checkout-link"
                             f"?appIntegrationId={pp['id']}")["checkoutLink"]
    assert moved.startswith("https://www.sandbox.paypal.com/cgi-bin/webscr?")
    assert sk.v1.payment_intents.retrieve(payment.merchant_ref_no).status == "canceled"
    after = service.get_payment(demo_brand["id"], payment.id)
    assert after.gateway_type == "paypal" and after.merchant_ref_no is None
