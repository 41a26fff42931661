"""The hosted page's Stripe.js stand-in (chalicelib/static/stripe-local.js) is served only where
the page uses it: a stage whose Stripe is localstripe. test_checkout_stripe loads it from a
page against localstripe; tests/browser/test_checkout_cards.py pays with it."""

from __future__ import annotations

from chalicelib import settings
from chalicelib.payments.checkout import start

PATH = "/api/checkout/assets/stripe-local.js"


def test_a_stage_on_stripe_itself_keeps_stripe_js_and_has_no_stand_in(api):
    assert not start.uses_localstripe()
    assert start.stripe_js_url() == "https://js.stripe.com/v3/"
    resp = api.client.http.get(PATH)
    assert resp.status_code == 404 and b"ASSET_NOT_FOUND" in resp.body


def test_against_localstripe_the_page_loads_the_stand_in_from_this_api(api, monkeypatch):
    monkeypatch.setattr(settings, "_settings", settings.get()._replace(
        stripe_api_base="http://127.0.0.1:8420"))
    assert start.stripe_js_url() == (f"{settings.get().base_url}{PATH}"
                                     "?api=http%3A%2F%2F127.0.0.1%3A8420")
    assert start.stripe_js_sources() == {"script-src": ("'self'",),
                                         "connect-src": ("http://127.0.0.1:8420",),
                                         "frame-src": ()}
    resp = api.client.http.get(PATH)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    body = resp.body.decode()
    assert "confirmCardPayment" in body and "Card number" in body
    # The page's CSP blocks style attributes and <style> tags: the script makes neither.
    assert 'setAttribute("style"' not in body and 'createElement("style")' not in body
