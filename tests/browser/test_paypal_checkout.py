"""PayPal in a browser on the local stack: the buyer opens our hosted checkout page, which sends
a PayPal payment to the PayPal simulator's approval page; Pay sends the IPN and brings the buyer
back to the gateway's returnLink (our hosted page with paid=true), where the payment shows as
Completed; Cancel brings the buyer to the cancelLink and leaves the payment open."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests
from playwright.sync_api import expect

from tests.helpers.stack import completed, mails_to, ok, wait_until

PASSWORD = "s3cret-Pass"


def buyer(stack, name: str) -> tuple[str, str]:
    email = f"{name}@example.com"
    ok(stack, "POST", "v1/users/register",
       body={"username": name, "password": PASSWORD, "emailAddress": email})
    key = ok(stack, "POST", "v1/users/auth",
             body={"username": name, "password": PASSWORD})["authKey"]
    return key, email


def paypal_link(stack, key: str) -> tuple[str, dict[str, str]]:
    """A PayPal checkout link for the seeded PRO price, and its parameters."""
    [pro] = [p for p in ok(stack, "GET", "v1/packages") if p["code"] == "PRO"]
    [price] = [p for p in pro["prices"] if p["currency"] == "USD"]
    link = ok(stack, "POST",
              f"v1/prices/{price['id']}/generate-checkout-link?appIntegrationId=paypal", auth=key)
    assert link.startswith(f"http://127.0.0.1:{stack.paypal_port}/cgi-bin/webscr?"), link
    return link, {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


def ipns_for(stack, payment_id: str) -> list[dict]:
    sent = requests.get(f"http://127.0.0.1:{stack.paypal_port}/_simulator/messages",
                        timeout=30).json()
    return [m for m in sent if f"custom={payment_id}&" in m["body"] + "&"]


def test_a_buyer_pays_with_paypal_from_our_hosted_page(stack, page):
    key, email = buyer(stack, "petra")
    link, q = paypal_link(stack, key)
    payment_id = q["custom"]
    assert "paid=true" in q["return"]
    hosted = q["return"].replace("&paid=true", "")  # our hosted page for this payment
    assert hosted.startswith(f"{stack.api}/checkout/{payment_id}?brandId=")

    page.goto(hosted)  # a 302 to the PayPal link
    assert page.url == link
    assert page.locator("#amount").inner_text() == "9.99 USD"
    assert page.locator("#merchant").inner_text() == "seller@jfw.localhost"
    assert page.locator("#invoice").inner_text() == q["invoice"]
    assert page.locator("#item").inner_text() == q["item_name"]
    expect(page.get_by_role("note")).to_contain_text("PayPal simulator — test mode")
    assert ipns_for(stack, payment_id) == []  # opening the page pays nothing

    stale = page.context.new_page()  # the same approval, open in a second tab
    stale.goto(link)

    page.get_by_role("button", name="Pay 9.99 USD").click()
    page.wait_for_url(lambda url: url.startswith(q["return"]))
    # "waiting for confirmation" until our IPN listener has settled it, then its status
    expect(page.get_by_role("status")).to_contain_text("Payment received. Thank you!",
                                                       timeout=30_000)
    expect(page.locator("body")).to_contain_text(q["invoice"])  # the receipt's reference

    [ipn] = ipns_for(stack, payment_id)
    paid = completed(stack, key, payment_id)
    assert paid["merchantRefNo"] == ipn["txnId"] and paid["amountGross"] == 9.99
    mail = wait_until("the PayPal success mail", stack, lambda: [
        m for m in mails_to(stack, email) if m["subject"] == "Your Demo payment was received"])
    assert len(mail) == 1

    stale.get_by_role("button", name="Pay 9.99 USD").click()
    expect(stale.locator("h1")).to_have_text("Already paid")
    expect(stale.locator("main")).to_contain_text(ipn["txnId"])
    assert len(ipns_for(stack, payment_id)) == 1  # no second Completed IPN
    stale.get_by_role("link", name="Return to the shop").click()
    expect(stale.get_by_role("status")).to_contain_text("Payment received. Thank you!")


def test_a_buyer_cancels_at_paypal_on_a_phone(stack, page):
    page.set_viewport_size({"width": 375, "height": 740})
    key, _ = buyer(stack, "carl")
    link, q = paypal_link(stack, key)
    payment_id = q["custom"]

    page.goto(link)
    expect(page.get_by_role("img", name="PayPal")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay with PayPal")
    expect(page.get_by_role("region", name="Your order")).to_contain_text("9.99 USD")
    pay = page.get_by_role("button", name="Pay 9.99 USD")
    cancel = page.get_by_role("button", name="Cancel and return to seller@jfw.localhost")
    expect(pay).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    cancel.click()
    page.wait_for_url(q["cancel_return"])
    assert ipns_for(stack, payment_id) == []
    assert ok(stack, "GET", f"v1/payments/{payment_id}", auth=key)["status"] in (
        "Created", "Pending")

    page.goto(link)  # still payable after a cancel, as at PayPal
    expect(page.get_by_role("button", name="Pay 9.99 USD")).to_be_visible()
