"""The hosted checkout page's Content-Security-Policy, without a gateway behind it (the page
only renders what checkout stored); test_checkout_stripe runs it against localstripe."""

from __future__ import annotations

import pytest

from chalicelib.payments import service
from tests.helpers.checkout import assert_page_obeys_its_csp, csp_of


def _page(api, demo_brand, **query: str):
    payment = service.create_payment(
        demo_brand, amount_minor=2000, currency="USD", gateway_type="stripe", name="Pro",
        gateway_data={"clientSecret": "pi_123_secret_456", "publishableKey": "pk_test_x",
                      "returnLink": "https://demo.test/paid"})
    q = "&".join(f"{k}={v}" for k, v in {"brandId": demo_brand["id"], **query}.items())
    return api.client.http.get(f"/api/checkout/{payment.id}?{q}")


def test_the_page_allows_only_itself_and_stripe_js(api, demo_brand):
    resp = _page(api, demo_brand)
    assert resp.status_code == 200 and b"Stripe(" in resp.body
    assert_page_obeys_its_csp(resp, "https://js.stripe.com", "https://api.stripe.com")
    csp = csp_of(resp)
    assert csp["frame-src"] == ["https://js.stripe.com", "https://*.js.stripe.com",
                                "https://hooks.stripe.com"]
    assert resp.headers["X-Frame-Options"] == "DENY"
    again = _page(api, demo_brand)
    assert csp_of(again)["style-src"] != csp["style-src"]  # a fresh nonce per answer


def test_every_answer_of_the_page_carries_the_policy(api, demo_brand):
    waiting = _page(api, demo_brand, paid="true")
    missing = api.client.http.get(f"/api/checkout/nope?brandId={demo_brand['id']}")
    for resp in (waiting, missing):
        csp = csp_of(resp)
        assert csp["frame-ancestors"] == ["'none'"] and csp["default-src"] == ["'self'"]
        assert b"<script" not in resp.body and b"<style nonce=" in resp.body


# -- what the buyer sees -------------------------------------------------------------------------

QUOTE = {"subtotal": "20.00", "discount": "2.00", "tax": {"percent": "10", "amount": "1.80"},
         "total": "19.80", "currency": "USD", "couponCode": "SAVE10"}


def _payment(demo_brand, shop, **fields):
    values = {"amount_minor": 1980, "currency": "USD", "gateway_type": "stripe",
              "name": "Pro - PRO-30", "price_id": shop["usd"], "package_id": shop["pro"],
              "quote": QUOTE, "coupon_code": "SAVE10", "test_mode": True,
              "gateway_data": {"clientSecret": "pi_123_secret_456", "publishableKey": "pk_test_x",
                               "returnLink": "https://demo.test/paid",
                               "cancelLink": "https://demo.test/cancel"}}
    return service.create_payment(demo_brand, **{**values, **fields})


def _get(api, demo_brand, payment, **query: str):
    q = "&".join(f"{k}={v}" for k, v in {"brandId": demo_brand["id"], **query}.items())
    resp = api.client.http.get(f"/api/checkout/{payment.id}?{q}")
    return resp, resp.body.decode()


def test_the_page_shows_the_brand_the_product_and_the_quote(api, demo_brand, shop):
    from chalicelib.identity import brands

    brands.update_profile(demo_brand["id"], {"logoURL": "https://cdn.demo.test/logo.png",
                                             "primaryColor": "#0a7d5a"})
    resp, page = _get(api, demo_brand, _payment(demo_brand, shop))
    assert resp.status_code == 200
    assert f'<span class="name">{demo_brand["name"]}</span>' in page
    assert '<img src="https://cdn.demo.test/logo.png"' in page and "--brand:#0a7d5a" in page
    assert '<h1 id="product">Pro</h1>' in page and 'id="period"' in page
    for shown in ("20.00 USD", "-2.00 USD", "Discount (SAVE10)", "Tax (10%)", "1.80 USD",
                  '<td class="n" id="total">19.80 USD</td>', "Pay <span id=\"pay-amount\">"
                  "19.80 USD</span>"):
        assert shown in page, shown
    assert "TEST MODE &mdash; no real money moves" in page
    assert '<label for="coupon-code">Coupon code</label>' in page
    assert '<label for="card" id="card-label">Card details</label>' in page
    assert '<div id="message" role="alert"></div>' in page
    assert '<link rel="icon" href="http://127.0.0.1:8000/favicon.ico">' in page
    csp = csp_of(resp)
    assert csp["img-src"] == ["'self'", "https://cdn.demo.test"]
    assert csp["script-src"][0].startswith("'nonce-") and "'unsafe-inline'" not in str(csp)


def test_a_brand_without_a_look_gets_a_neutral_page_and_live_payments_no_banner(api, demo_brand,
                                                                               shop):
    from chalicelib.identity import brands

    brands.update_profile(demo_brand["id"], {"logoURL": "http://insecure.test/l.png",
                                             "primaryColor": "red;}body{display:none"})
    resp, page = _get(api, demo_brand, _payment(demo_brand, shop, test_mode=False))
    assert resp.status_code == 200 and "<img" not in page and "insecure.test" not in page
    assert "--brand:#3d4451" in page and "display:none" not in page
    assert "TEST MODE" not in page
    assert csp_of(resp)["img-src"] == ["'self'"]


@pytest.mark.parametrize("logo", [
    "https://evil.test;script-src 'unsafe-inline'/l.png",  # a directive smuggled into the CSP
    "https://evil.test/l.png;script-src *", "https://evil.test/l.png\" onerror=\"x",
    "https://user@evil.test/l.png", "https:///l.png"])
def test_a_logo_url_that_would_change_the_policy_is_not_shown(api, demo_brand, shop, logo):
    from chalicelib.identity import brands

    brands.update_profile(demo_brand["id"], {"logoURL": logo})
    resp, page = _get(api, demo_brand, _payment(demo_brand, shop))
    assert resp.status_code == 200 and "<img" not in page and "evil.test" not in page
    assert csp_of(resp)["img-src"] == ["'self'"]
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]


def test_cancel_goes_to_the_cancel_link_and_there_is_none_without_one(api, demo_brand, shop):
    _, page = _get(api, demo_brand, _payment(demo_brand, shop))
    assert '<a id="cancel" href="https://demo.test/cancel">Cancel</a>' in page
    data = {"clientSecret": "pi_1_secret_2", "publishableKey": "pk_test_x"}
    _, page = _get(api, demo_brand, _payment(demo_brand, shop, gateway_data=data))
    assert 'id="cancel"' not in page and "Cancel" not in page
    _, page = _get(api, demo_brand, _payment(demo_brand, shop, gateway_data={
        **data, "cancelLink": "javascript:alert(1)"}))
    assert 'id="cancel"' not in page and "javascript:" not in page


def test_cancel_prefers_the_gateways_link_without_login(api, admin, demo_brand, shop):
    from tests.helpers.checkout import STRIPE_BODY

    gw = admin.ok("POST", "v1/app-integrations/payment-gateway",
                  {**STRIPE_BODY, "cancelLinkWithoutLogin": "https://demo.test/start"})
    _, page = _get(api, demo_brand, _payment(demo_brand, shop, gateway_id=gw["id"]))
    assert '<a id="cancel" href="https://demo.test/start">Cancel</a>' in page


def test_processing_reloads_about_a_minute_then_says_it_will_mail(api, demo_brand, shop):
    payment = _payment(demo_brand, shop)
    resp, page = _get(api, demo_brand, payment, paid="true")
    assert resp.status_code == 200 and "Payment processing" in page and "Stripe(" not in page
    assert (f'<meta http-equiv="refresh" content="3;url=http://127.0.0.1:8000/api/checkout/'
            f'{payment.id}?brandId={demo_brand["id"]}&amp;paid=true&amp;wait=1">') in page
    _, page = _get(api, demo_brand, payment, paid="true", wait="19")
    assert "wait=20" in page
    _, page = _get(api, demo_brand, payment, paid="true", wait="20")
    assert 'http-equiv="refresh"' not in page
    assert "We'll e-mail you when it is confirmed" in page


def test_the_paid_page_is_a_receipt_with_a_way_back(api, demo_brand, shop):
    from chalicelib.payments import models as m

    payment = _payment(demo_brand, shop)
    payment.update(actions=[m.PaymentItem.status.set("Completed"),
                            m.PaymentItem.invoice_no.set("INV-000042")])
    for query in ({}, {"paid": "true"}):
        resp, page = _get(api, demo_brand, payment, **query)
        assert resp.status_code == 200 and "Payment received. Thank you!" in page
        assert '<h1 id="product">Pro</h1>' in page and "19.80 USD" in page
        assert f'<strong id="reference">{payment.code}</strong>' in page
        assert "Invoice <strong>INV-000042</strong>" in page
        assert (f'<a class="button" id="back" href="https://demo.test/paid?paymentId='
                f'{payment.id}">Back to the shop</a>') in page
        assert "Stripe(" not in page and "refresh" not in page


@pytest.mark.parametrize(("status", "expired", "title"), [
    ("Voided", False, "This payment was cancelled"), ("Voided", True, "This checkout has expired"),
    ("Failed", False, "This payment failed")])
def test_a_closed_payment_says_so_and_offers_to_start_again(api, demo_brand, shop, status,
                                                            expired, title):
    from chalicelib.payments import models as m

    payment = _payment(demo_brand, shop)
    payment.update(actions=[m.PaymentItem.status.set(status),
                            m.PaymentItem.expired.set(expired)])
    resp, page = _get(api, demo_brand, payment)
    assert resp.status_code == 200 and f"<h1>{title}</h1>" in page and "Stripe(" not in page
    assert '<a class="button" href="https://demo.test/cancel">Start again</a>' in page
    assert "TEST MODE" in page


def test_a_cancel_link_back_here_says_nothing_was_charged(api, admin, demo_brand, shop):
    from tests.helpers.checkout import STRIPE_BODY

    here = "http://127.0.0.1:8000/api/checkout/{paymentId}?brandId={brandId}&cancelled=true"
    gw = admin.ok("POST", "v1/app-integrations/payment-gateway",
                  {**STRIPE_BODY, "cancelLink": here})
    payment = _payment(demo_brand, shop, gateway_id=gw["id"], gateway_data={
        "clientSecret": "pi_1_secret_2", "publishableKey": "pk_test_x", "cancelLink": here})
    _, page = _get(api, demo_brand, payment)
    filled = (f"http://127.0.0.1:8000/api/checkout/{payment.id}?brandId={demo_brand['id']}"
              "&amp;cancelled=true")
    assert f'<a id="cancel" href="{filled}">Cancel</a>' in page
    resp, page = _get(api, demo_brand, payment, cancelled="true")
    assert resp.status_code == 200 and "<h1>Checkout cancelled</h1>" in page
    assert "Nothing was charged for Pro." in page and "Stripe(" not in page
    assert (f'<a class="button" href="http://127.0.0.1:8000/api/checkout/{payment.id}?brandId='
            f'{demo_brand["id"]}">Pay after all</a>') in page
