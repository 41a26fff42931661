"""The hosted checkout page's Content-Security-Policy, without a gateway behind it (the page
only renders what checkout stored); test_checkout_stripe runs it against localstripe."""

from __future__ import annotations

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
