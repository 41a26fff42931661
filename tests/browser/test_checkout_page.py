"""The hosted checkout page in Chromium on a local stack, as a buyer on a phone sees it: the
brand, product and price with labelled fields and no sideways scrolling, a coupon that changes
the total shown, Cancel going to the cancel link, and the receipt once the payment completed."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN
from tests.helpers.stack import completed, ok, pay_at_localstripe


@pytest.fixture(scope="module")
def shop(stack) -> dict:
    """A buyer logged in on demo.localhost, the seeded PRO USD price, a 20 % coupon (made by the
    platform admin) and the Stripe gateway."""
    root = ok(stack, "POST", "v1/users/auth", brand="platform.localhost", body=ADMIN)["authKey"]
    ok(stack, "POST", "v1/coupons", auth=root, body={
        "name": "Browser twenty", "code": "BROWSER20", "percentage": 20,
        "startDate": "2020-01-01T00:00:00Z", "endDate": "2099-01-01T00:00:00Z"})
    gateways = {g["appIntegrationId"]: g for g in ok(
        stack, "GET", "v1/app-integrations/payment-gateway", auth=root)}
    ok(stack, "POST", "v1/users/register",
       body={"username": "phoebe", "password": "s3cret-Pass", "emailAddress": "ph@example.com"})
    key = ok(stack, "POST", "v1/users/auth",
             body={"username": "phoebe", "password": "s3cret-Pass"})["authKey"]
    [pro] = [p for p in ok(stack, "GET", "v1/packages") if p["code"] == "PRO"]
    [price] = [p for p in pro["prices"] if p["currency"] == "USD"]
    return {"key": key, "pro": pro, "price": price, "stripe": gateways["stripe"]}


def checkout_link(stack, shop) -> str:
    return ok(stack, "POST", f"v1/prices/{shop['price']['id']}/generate-checkout-link",
              auth=shop["key"])


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_on_a_phone_the_page_shows_the_brand_and_a_coupon_changes_the_total(stack, shop, page):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(checkout_link(stack, shop))
    assert page.locator("header .name").inner_text().strip()
    assert page.locator("#product").inner_text() == shop["pro"]["name"]
    assert page.locator("#total").inner_text() == "9.99 USD"
    assert page.get_by_text("TEST MODE").is_visible()
    assert page.get_by_label("Coupon code").is_visible()
    assert page.locator("#card").get_attribute("aria-labelledby") == "card-label"
    assert page.get_by_role("button", name="Pay 9.99 USD").is_visible()
    assert no_sideways_scroll(page)

    page.get_by_label("Coupon code").fill("NOT-A-CODE")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#coupon-message")).to_contain_text("does not exist")
    assert page.locator("#total").inner_text() == "9.99 USD"

    page.get_by_label("Coupon code").fill("browser20")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#total")).to_have_text("7.99 USD")
    assert page.locator("#discount").inner_text() == "-2.00 USD"
    assert page.get_by_role("button", name="Pay 7.99 USD").is_visible()
    assert "BROWSER20 applied" in page.locator("#coupon-message").inner_text()
    assert no_sideways_scroll(page)
    page.reload()  # the server kept it
    assert page.locator("#total").inner_text() == "7.99 USD"


def test_cancel_goes_to_the_cancel_link(stack, shop, page):
    """The local stack's cancel link is this page with cancelled=true: nothing was charged."""
    link = checkout_link(stack, shop)
    payment_id = urlsplit(link).path.rsplit("/", 1)[1]
    brand_id = parse_qs(urlsplit(link).query)["brandId"][0]
    target = shop["stripe"]["cancelLinkWithoutLogin"].replace(
        "{paymentId}", payment_id).replace("{brandId}", brand_id)
    page.goto(link)
    cancel = page.get_by_role("link", name="Cancel")
    assert cancel.get_attribute("href") == target
    cancel.click()
    page.wait_for_url(target)
    expect(page.get_by_role("heading", name="Checkout cancelled")).to_be_visible()
    page.get_by_role("link", name="Pay after all").click()
    expect(page.get_by_role("button", name="Pay 9.99 USD")).to_be_visible()


def test_the_paid_page_shows_what_was_bought_and_a_way_back(stack, shop, page):
    link = checkout_link(stack, shop)
    payment_id = urlsplit(link).path.rsplit("/", 1)[1]
    pay_at_localstripe(stack, link)
    paid = completed(stack, shop["key"], payment_id)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(link)
    assert page.get_by_text("Payment received. Thank you!").is_visible()
    assert page.locator("#product").inner_text() == shop["pro"]["name"]
    assert page.locator("#total").inner_text() == "9.99 USD"
    assert page.locator("#reference").inner_text() == paid["code"]
    back = page.get_by_role("link", name="Back to the shop")
    assert back.is_visible() and payment_id in back.get_attribute("href")
    assert no_sideways_scroll(page)
