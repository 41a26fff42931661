"""A coupon typed on the hosted checkout page (checkout/requote.py), against localstripe: the
payment and its PaymentIntent take the new amount; a bad, used-up or 100 % coupon and a paid
payment change nothing; tries are bounded."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from chalicelib import settings
from chalicelib.payments import service
from tests.helpers import checkout as support
from tests.helpers.checkout import error_of
from tests.localstripe import pay_as_the_browser, running_localstripe

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("checkout_localstripe")]

STRIPE = {**support.STRIPE_BODY, "publicKey": "pk_test_local", "privateKey": "sk_test_local",
          "webhookSecret": "whsec_coupon_tests"}


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory):
    with running_localstripe(tmp_path_factory.mktemp("localstripe")) as ls:
        yield ls


@pytest.fixture
def sk(localstripe, monkeypatch, aws_env):
    import stripe

    monkeypatch.setenv("JFW_STRIPE_API_BASE", localstripe["base"])
    settings.reload()
    yield stripe.StripeClient("sk_test_local", base_addresses={"api": localstripe["base"]},
                              max_network_retries=0)
    monkeypatch.undo()
    settings.reload()


@pytest.fixture
def opened(api, admin, buyer, shop, sk, demo_brand):
    """A Stripe payment of PRO-30 (20.00 USD, tax 10 %) waiting on the hosted page."""
    from chalicelib.identity import brands

    brands.update_setting(demo_brand["id"], {"taxRate": 10})
    admin.ok("POST", "v1/app-integrations/payment-gateway", STRIPE)
    link = buyer.ok("POST", f"v1/prices/{shop['usd']}/generate-checkout-link")
    return service.get_payment(demo_brand["id"], urlsplit(link).path.rsplit("/", 1)[1])


def coupon(admin, code: str, **terms) -> dict:
    return admin.ok("POST", "v1/coupons", {"name": code, "code": code, "percentage": 10,
                                           "startDate": "2020-01-01T00:00:00Z",
                                           "endDate": "2099-01-01T00:00:00Z", **terms})


def apply(api, demo_brand, payment, code: str):
    return api.client.http.post(
        f"/api/checkout/{payment.id}/coupon?brandId={demo_brand['id']}",
        body=json.dumps({"couponCode": code}), headers={"Content-Type": "application/json"})


def unchanged(demo_brand, before, sk) -> None:
    after = service.get_payment(demo_brand["id"], before.id)
    assert (after.amount_minor, after.version, after.coupon_code, after.quote) == (
        before.amount_minor, before.version, before.coupon_code, before.quote)
    assert sk.v1.payment_intents.retrieve(before.merchant_ref_no).amount == int(
        before.amount_minor)


def test_a_coupon_requotes_the_payment_and_its_payment_intent(api, admin, opened, sk,
                                                              demo_brand):
    assert opened.amount_minor == 2200  # 20.00 + 10 % tax
    coupon(admin, "SAVE25", percentage=25)
    resp = apply(api, demo_brand, opened, "save25")
    assert resp.status_code == 200, resp.body
    assert resp.json_body["data"] == {"subtotal": "20.00", "discount": "5.00", "taxPercent": "10",
                                      "tax": "1.50", "total": "16.50", "currency": "USD",
                                      "couponCode": "SAVE25"}
    payment = service.get_payment(demo_brand["id"], opened.id)
    assert payment.amount_minor == 1650 and payment.coupon_code == "SAVE25"
    assert payment.coupon_id and payment.quote["totalMinor"] == 1650
    assert payment.status == "Created" and payment.version == opened.version + 1
    assert sk.v1.payment_intents.retrieve(opened.merchant_ref_no).amount == 1650

    page = api.client.http.get(f"/api/checkout/{opened.id}?brandId={demo_brand['id']}")
    html = page.body.decode()
    assert '<td class="n" id="total">16.50 USD</td>' in html and "Discount (SAVE25)" in html

    # The buyer pays the new amount with a card, as the page's Stripe.js does.
    config = json.loads(re.search(r'<script id="checkout-config" type="application/json">'
                                  r"(.*?)</script>", html, re.S).group(1))
    pi = pay_as_the_browser(settings.get().stripe_api_base, config)
    assert (pi["status"], pi["amount"]) == ("succeeded", 1650)


@pytest.mark.parametrize(("code", "terms", "status", "error"), [
    ("NOPE", None, 400, "COUPON_INVALID"),
    ("OLD", {"endDate": "2021-01-01T00:00:00Z"}, 400, "COUPON_EXPIRED"),
    ("FREE", {"percentage": 100}, 409, "NOTHING_TO_PAY")])
def test_a_coupon_that_cant_apply_writes_nothing(api, admin, opened, sk, demo_brand, code,
                                                 terms, status, error):
    if terms is not None:
        coupon(admin, code, **terms)
    resp = apply(api, demo_brand, opened, code)
    assert resp.status_code == status and error_of(resp)["code"] == error
    assert resp.json_body["message"]
    unchanged(demo_brand, opened, sk)


def test_tries_are_bounded_per_payment(api, opened, sk, demo_brand):
    for n in range(10):
        assert apply(api, demo_brand, opened, f"GUESS{n}").status_code == 400
    resp = apply(api, demo_brand, opened, "GUESS10")
    assert resp.status_code == 429 and error_of(resp)["code"] == "COUPON_TRIES"
    assert int(resp.headers["Retry-After"]) > 0
    unchanged(demo_brand, opened, sk)


def test_a_used_up_coupon_is_refused(api, admin, opened, sk, demo_brand):
    from chalicelib.catalog import service as catalog

    used = coupon(admin, "ONCE", quantity=1)
    catalog.redeem_coupon(demo_brand["id"], used["id"], "someone-else", ref="other-payment")
    resp = apply(api, demo_brand, opened, "ONCE")
    assert resp.status_code == 409 and error_of(resp)["code"] == "COUPON_EXHAUSTED"
    unchanged(demo_brand, opened, sk)


def test_a_coupon_used_up_while_quoting_is_refused_by_the_write(api, admin, opened, sk,
                                                                demo_brand, monkeypatch):
    """The quote saw one use left; another payment took it before the write: the transaction's
    condition on the coupon refuses, so the limit holds."""
    from chalicelib.catalog import service as catalog
    from chalicelib.payments.checkout import requote

    last = coupon(admin, "LAST", quantity=1)
    quote = catalog.quote

    def quote_then_lose_the_race(*args, **kw):
        answer = quote(*args, **kw)
        catalog.redeem_coupon(demo_brand["id"], last["id"], "racer", ref="racing-payment")
        return answer

    monkeypatch.setattr(requote.catalog, "quote", quote_then_lose_the_race)
    resp = apply(api, demo_brand, opened, "LAST")
    assert resp.status_code == 409 and error_of(resp)["code"] == "COUPON_EXHAUSTED"
    unchanged(demo_brand, opened, sk)


def test_a_paid_payment_takes_no_coupon(api, admin, opened, sk, demo_brand):
    from chalicelib.payments import models as m

    coupon(admin, "LATE")
    opened.update(actions=[m.PaymentItem.status.set("Completed")])
    paid = service.get_payment(demo_brand["id"], opened.id)
    resp = apply(api, demo_brand, paid, "LATE")
    assert resp.status_code == 409 and error_of(resp)["code"] == "PAYMENT_NOT_OPEN"
    unchanged(demo_brand, paid, sk)


def test_another_brands_payment_is_not_found(api, opened, demo_brand):
    resp = api.client.http.post(f"/api/checkout/{opened.id}/coupon?brandId=someone-else",
                                body=json.dumps({"couponCode": "X"}),
                                headers={"Content-Type": "application/json"})
    assert resp.status_code == 404
