"""Checkout through PayPal: the three checkout routes create a Created payment whose amount is the
quote's, and answer a PayPal Payments Standard URL carrying our notify URL and payment id."""

from __future__ import annotations

from urllib.parse import urlsplit

from chalicelib.payments import service
from tests.helpers.api import register_and_login
from tests.helpers.checkout import (
    PAYPAL_BODY,
    STRIPE_BODY,
    checkout_link,
    error_of,
    payments_of,
    query_of,
)
from tests.helpers.tables import assert_unchanged, dump_tables

GW = "v1/app-integrations/payment-gateway"


def test_price_checkout_link_is_a_paypal_url_for_a_created_payment(buyer, shop, paypal,
                                                                   demo_brand):
    url = checkout_link(buyer, shop["usd"])
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == \
        "https://www.sandbox.paypal.com/cgi-bin/webscr"
    q = query_of(url)
    [payment] = payments_of(demo_brand["id"])
    assert q == {
        "cmd": "_xclick", "business": "seller@demo.test", "item_name": "Pro - PRO-30",
        "item_number": shop["usd"], "amount": "20.00", "currency_code": "USD",
        "quantity": "1", "no_shipping": "1", "custom": payment.id, "invoice": payment.code,
        "charset": "utf-8", "notify_url": paypal["ipnListenerLink"],
        "return": f"https://demo.test/paid?paymentId={payment.id}",
        "cancel_return": "https://demo.test/cancel"}
    assert payment.status == "Created" and (payment.amount_minor, payment.currency) == (
        2000, "USD")
    assert payment.gateway_id == paypal["id"] and payment.gateway_type == "paypal"
    assert payment.user_email == "bob@shop-buyers.com" and payment.package_id == shop["pro"]
    assert payment.price_id == shop["usd"] and payment.checkout_url == url
    assert payment.quote["total"] == "20.00" and payment.quote["totalMinor"] == 2000
    assert (payment.risk_level, payment.risk_mark, payment.held) == ("Low", 0, False)
    assert payment.test_mode is True and payment.merchant_ref_no is None
    assert payment.ip_address == "127.0.0.1"


def test_the_amount_is_the_quote_with_coupon_and_tax(admin, buyer, shop, paypal, demo_brand):
    from chalicelib.identity import brands

    brands.update_setting(demo_brand["id"], {"taxRate": "10"})
    admin.ok("POST", "v1/coupons", {"name": "Quarter", "code": "Q25", "percentage": 25,
                                    "startDate": "2020-01-01T00:00:00Z",
                                    "endDate": "2099-01-01T00:00:00Z"})
    url = checkout_link(buyer, shop["usd"], couponCode="Q25")
    assert query_of(url)["amount"] == "16.50"  # 20.00 - 25 % = 15.00, + 10 % tax
    [payment] = payments_of(demo_brand["id"])
    assert payment.amount_minor == 1650 and payment.coupon_code == "Q25"
    assert payment.coupon_id and payment.quote["discount"] == "5.00"
    assert payment.quote["tax"] == {"percent": "10", "amount": "1.50"}


def test_upgrade_checkout_answers_jfw_fields_and_checks_the_package(buyer, shop, paypal,
                                                                    demo_brand):
    resp = buyer.post(f"v1/packages/{shop['pro']}/upgrade/checkout",
                      {"priceId": shop["jpy"], "walletId": "W1"})
    assert resp.status_code == 404 and error_of(resp)["code"] == "WALLET_NOT_FOUND"
    data = buyer.ok("POST", f"v1/packages/{shop['pro']}/upgrade/checkout",
                    {"priceId": shop["jpy"]})
    assert data["walletWithdrawalAmount"] == 0 and data["walletRefundAmount"] == 0
    assert data["walletRefundCurrency"] == "JPY"
    assert query_of(data["checkoutLink"])["amount"] == "3000"
    assert query_of(data["checkoutLink"])["custom"] == data["paymentId"]

    before = dump_tables()
    resp = buyer.post(f"v1/packages/{shop['basic']}/upgrade/checkout", {"priceId": shop["usd"]})
    assert resp.status_code == 400 and error_of(resp)["code"] == "PRICE_NOT_OF_PACKAGE"
    resp = buyer.post(f"v1/packages/{shop['pro']}/upgrade/checkout", {"priceId": "nope"})
    assert resp.status_code == 400 and error_of(resp)["field"] == "priceId"
    assert_unchanged(before, "refused upgrade checkouts")
    assert len(payments_of(demo_brand["id"])) == 1


def test_refusals_write_no_payment(api, admin, buyer, shop, demo_brand):
    before = dump_tables()
    resp = buyer.post(f"v1/prices/{shop['usd']}/generate-checkout-link")
    assert resp.status_code == 400 and error_of(resp)["code"] == "GATEWAY_NOT_FOUND"
    assert_unchanged(before, "checkout without a gateway")

    admin.ok("POST", GW, PAYPAL_BODY)
    before = dump_tables()
    resp = buyer.post("v1/prices/nope/generate-checkout-link")
    assert resp.status_code == 404 and error_of(resp)["code"] == "PRICE_NOT_FOUND"
    resp = buyer.post(f"v1/prices/{shop['usd']}/generate-checkout-link?appIntegrationId=stripe")
    assert resp.status_code == 400 and error_of(resp)["field"] == "appIntegrationId"
    resp = api.post(f"v1/prices/{shop['usd']}/generate-checkout-link")
    assert resp.status_code == 401
    assert_unchanged(before, "refused checkouts")


def test_checkout_picks_the_gateway_asked_for(admin, buyer, shop, paypal, simulator_setting):
    sim = admin.ok("POST", GW, {**PAYPAL_BODY, "name": "Sim", "paypalMode": "simulator",
                                "paypalReceiverEmail": "seller@jfw.localhost"})
    url = checkout_link(buyer, shop["usd"], appIntegrationId=sim["id"])
    assert url.startswith(simulator_setting + "/cgi-bin/webscr?")
    assert query_of(url)["business"] == "seller@jfw.localhost"
    assert query_of(url)["notify_url"] == sim["ipnListenerLink"]
    url = checkout_link(buyer, shop["usd"], appIntegrationId="paypal")  # that type's default
    assert query_of(url)["notify_url"] == paypal["ipnListenerLink"]
    admin.ok("PUT", f"{GW}/{sim['id']}", {**PAYPAL_BODY, "paypalMode": "simulator",
                                          "status": "Inactive"})
    resp = buyer.post(f"v1/prices/{shop['usd']}/generate-checkout-link?appIntegrationId="
                      f"{sim['id']}")
    assert resp.status_code == 409 and error_of(resp)["code"] == "GATEWAY_INACTIVE"
    live = admin.ok("POST", GW, {**PAYPAL_BODY, "name": "Live", "paypalMode": "live",
                                 "testMode": False})
    url = checkout_link(buyer, shop["usd"], appIntegrationId=live["id"])
    assert url.startswith("https://www.paypal.com/cgi-bin/webscr?")


def test_a_payment_link_again_only_for_its_own_created_payment(api, admin, buyer, shop, paypal,
                                                               demo_brand):
    url = checkout_link(buyer, shop["usd"])
    [payment] = payments_of(demo_brand["id"])
    path = f"v1/payments/{payment.id}/generate-checkout-link"
    assert buyer.ok("POST", path) == {"checkoutLink": url}

    other = register_and_login(api, "mallory")
    resp = other.post(path)
    assert resp.status_code == 404 and error_of(resp)["code"] == "PAYMENT_NOT_FOUND"

    second = admin.ok("POST", GW, {**PAYPAL_BODY, "name": "PayPal EU",
                                   "paypalReceiverEmail": "eu@demo.test"})
    moved = buyer.ok("POST", path + f"?appIntegrationId={second['id']}")["checkoutLink"]
    assert query_of(moved)["business"] == "eu@demo.test"
    assert query_of(moved)["custom"] == payment.id and query_of(moved)["amount"] == "20.00"
    after = service.get_payment(demo_brand["id"], payment.id)
    assert after.gateway_id == second["id"] and after.checkout_url == moved
    assert after.version == payment.version + 1

    after.update(actions=[type(after).status.set("Completed")])
    resp = buyer.post(path)
    assert resp.status_code == 409 and error_of(resp)["code"] == "PAYMENT_NOT_OPEN"


def test_hosted_page_sends_a_paypal_payment_to_paypal_and_unknown_ones_get_a_404_page(
        api, buyer, shop, paypal, demo_brand):
    url = checkout_link(buyer, shop["usd"])
    [payment] = payments_of(demo_brand["id"])
    resp = api.client.http.get(f"/api/checkout/{payment.id}?brandId={demo_brand['id']}")
    assert resp.status_code == 302 and resp.headers["Location"] == url
    resp = api.client.http.get(f"/api/checkout/nope?brandId={demo_brand['id']}")
    assert resp.status_code == 404 and resp.headers["Content-Type"].startswith("text/html")
    assert b"not valid" in resp.body
    resp = api.client.http.get(f"/api/checkout/{payment.id}?brandId=other")
    assert resp.status_code == 404


def test_a_stripe_gateway_needs_stripe_to_answer(admin, buyer, shop, demo_brand, monkeypatch):
    """Stripe unreachable: a 502 that says so, and nothing stored."""
    from chalicelib import settings

    monkeypatch.setenv("JFW_STRIPE_API_BASE", "http://127.0.0.1:9")
    settings.reload()
    try:
        admin.ok("POST", GW, STRIPE_BODY)
        before = dump_tables()
        resp = buyer.post(f"v1/prices/{shop['usd']}/generate-checkout-link")
        assert resp.status_code == 502 and error_of(resp)["code"] == "GATEWAY_ERROR"
        assert "Stripe" in error_of(resp)["message"]
        assert_unchanged(before, "a checkout Stripe didn't answer")
    finally:
        monkeypatch.undo()
        settings.reload()
