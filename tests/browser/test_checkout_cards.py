"""Stripe's test cards typed on the hosted checkout page of a local stack (localstripe behind
the page's Stripe.js stand-in, chalicelib/static/stripe-local.js): what the buyer sees, and what
happened to the payment, its mails and its history, as the API tells them.

- 4242 4242 4242 4242 pays: the buyer lands on the return page, the payment is Completed and
  mailed (on a phone-sized screen);
- 4000 0025 0000 3155 asks for 3-D Secure: "Complete" pays, "Fail" doesn't;
- 4000 0000 0000 0002 and 4000 0000 0000 9995 are declined (generic_decline,
  insufficient_funds): the page says why, the payment stays open, no success mail,
  and the reason is in the payment's history an administrator reads; another card then pays.
"""

from __future__ import annotations

import itertools
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ADMIN
from tests.helpers.stack import completed, mails_to, ok, wait_until

SUCCESS_SUBJECT = "Your Demo payment was received"
# What the page says for Stripe.js's errors (page.py's reason()).
AUTH_FAILED = "Authentication failed. Try again or use another card."
_buyers = itertools.count(1)


@pytest.fixture(scope="module")
def admin_key(stack) -> str:
    return ok(stack, "POST", "v1/users/auth", brand="platform.localhost", body=ADMIN)["authKey"]


@pytest.fixture
def checkout(stack):
    """A new buyer's checkout of the seeded PRO price: (buyer key, email, link, payment id)."""
    n = next(_buyers)
    email, password = f"card{n}@example.com", "s3cret-Pass"
    ok(stack, "POST", "v1/users/register",
       body={"username": f"card{n}", "password": password, "emailAddress": email})
    key = ok(stack, "POST", "v1/users/auth",
             body={"username": f"card{n}", "password": password})["authKey"]
    [pro] = [p for p in ok(stack, "GET", "v1/packages") if p["code"] == "PRO"]
    [price] = [p for p in pro["prices"] if p["currency"] == "USD"]
    link = ok(stack, "POST", f"v1/prices/{price['id']}/generate-checkout-link", auth=key)
    return key, email, link, urlsplit(link).path.rsplit("/", 1)[1]


def type_card(page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("CVC").fill("123")
    page.locator("#submit").click()


def paid(stack, page, key: str, email: str, payment_id: str) -> None:
    page.wait_for_url("**paid=true**")
    page.get_by_text("Payment received. Thank you!").wait_for()  # the receipt
    payment = completed(stack, key, payment_id)
    assert payment["amountGross"] == 9.99
    wait_until("the success mail", stack, lambda: [
        m for m in mails_to(stack, email) if m["subject"] == SUCCESS_SUBJECT])


def declined(stack, page, admin_key: str, key: str, email: str, payment_id: str,
             message: str, reason: str) -> None:
    """What the page says, the button usable again, the payment open with the reason
    in its history (localstripe's payment_failed webhook), no success mail."""
    alert = page.locator("#message")
    alert.filter(has_text=message).wait_for()
    assert alert.inner_text().strip() == message
    assert page.locator("#submit").is_enabled()

    def recorded():
        p = ok(stack, "GET", f"v1/payments/{payment_id}", auth=admin_key)
        notes = [h["notes"] for h in p["histories"]
                 if h["eventType"] == "payment_intent.payment_failed"]
        return (p, notes) if notes else None

    payment, notes = wait_until("the decline in the payment's history", stack, recorded)
    assert payment["status"] == "Created"
    assert reason in notes[-1] and "stays open for another card" in notes[-1]
    assert ok(stack, "GET", f"v1/payments/{payment_id}", auth=key)["status"] == "Created"
    assert not [m for m in mails_to(stack, email) if m["subject"] == SUCCESS_SUBJECT]


def test_4242_pays_on_a_phone_sized_screen(stack, page, checkout):
    key, email, link, payment_id = checkout
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(link)
    # The card fields' styles are set through CSSOM, which the page's policy allows.
    assert page.get_by_label("Card number").evaluate("e => getComputedStyle(e).display") == \
        "block"
    for label in ("Card number", "Expiry (MM/YY)", "CVC"):
        box = page.get_by_label(label).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, (label, box)
        assert box["height"] >= 30, (label, box)  # big enough to tap
    type_card(page, "4242 4242 4242 4242")
    paid(stack, page, key, email, payment_id)
    assert refused == []


def test_3155_completed_authentication_pays(stack, page, checkout):
    key, email, link, payment_id = checkout
    page.goto(link)
    type_card(page, "4000 0025 0000 3155")
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("3D Secure").wait_for()
    dialog.get_by_role("button", name="Complete authentication").click()
    paid(stack, page, key, email, payment_id)


def test_3155_failed_authentication_does_not_pay(stack, page, admin_key, checkout):
    key, email, link, payment_id = checkout
    page.goto(link)
    type_card(page, "4000 0025 0000 3155")
    page.get_by_role("dialog").get_by_role("button", name="Fail authentication").click()
    declined(stack, page, admin_key, key, email, payment_id, AUTH_FAILED,
             "payment_intent_authentication_failure")


def test_0002_is_declined_and_another_card_then_pays(stack, page, admin_key, checkout):
    key, email, link, payment_id = checkout
    page.goto(link)
    type_card(page, "4000 0000 0000 0002")
    declined(stack, page, admin_key, key, email, payment_id,
             "Your card was declined. Try another card.", "card_declined (generic_decline)")
    # The buyer types another card on the same page: the same payment completes.
    type_card(page, "4242 4242 4242 4242")
    paid(stack, page, key, email, payment_id)


def test_9995_is_declined_for_insufficient_funds(stack, page, admin_key, checkout):
    key, email, link, payment_id = checkout
    page.goto(link)
    type_card(page, "4000 0000 0000 9995")
    declined(stack, page, admin_key, key, email, payment_id,
             "Your card was declined: insufficient funds. Try another card.",
             "card_declined (insufficient_funds)")
