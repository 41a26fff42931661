"""Payments end to end on the local stack, started as `make run` starts it.

A buyer registers on demo.localhost, asks for a checkout link for the seeded PRO price, and pays:
- Stripe: our hosted page holds the PaymentIntent's client secret; the buyer's browser completes
  the 3-D Secure step at localstripe (done here with stripe-python, as localstripe's Stripe.js
  does it), localstripe sends its signed webhook to our notification URL, and the payment
  becomes Completed with the success mail sent;
- PayPal: the PayPal IPN simulator sends a VERIFIED IPN for the payment to its notify URL, our
  server posts it back to the simulator for verification, and the payment becomes Completed
  with its mail.
"""

from __future__ import annotations

import html
import json
import signal
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.e2e.stackproc import StackProcess, alive
from tests.helpers.stack import completed, mails_to, ok, page_config, wait_until
from tests.localstripe import pay_as_the_browser

requests = pytest.importorskip("requests")
stripe = pytest.importorskip("stripe")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local_stack")]

ADMIN = {"username": "e2e-pay-root", "password": "e2e-Admin-Pass1"}
SECRET = "whsec_e2e_payments_secret"


@pytest.fixture
def stack(tmp_path):
    proc = StackProcess(tmp_path, JFW_ADMIN_USERNAME=ADMIN["username"],
                        JFW_ADMIN_PASSWORD=ADMIN["password"], STRIPE_WEBHOOK_SECRET=SECRET)
    proc.start()
    try:
        yield proc
    finally:
        proc.kill_everything()


def received(stack: StackProcess, email: str) -> int:
    """How many payment success mails went to ``email``."""
    return sum(m["subject"] == "Your Demo payment was received" for m in mails_to(stack, email))


def test_a_buyer_pays_with_stripe_and_paypal_on_the_local_stack(stack):
    stack.wait_ready()
    banner = "\n".join(stack.lines)
    assert "Stripe gateway" in banner and "PayPal gateway" in banner
    assert "(STRIPE_WEBHOOK_SECRET)" in banner and SECRET not in banner
    stripe_url = f"http://127.0.0.1:{stack.stripe_port}"
    paypal_url = f"http://127.0.0.1:{stack.paypal_port}"

    # The seeded gateways, as the platform's SuperAdmin sees them on the demo brand.
    root = ok(stack, "POST", "v1/users/auth", brand="platform.localhost", body=ADMIN)["authKey"]
    gateways = {g["appIntegrationId"]: g for g in ok(
        stack, "GET", "v1/app-integrations/payment-gateway", auth=root)}
    assert gateways["stripe"]["isDefault"] is True
    assert gateways["stripe"]["webhookSecret"] == "whsec_…cret"
    assert gateways["paypal"]["paypalMode"] == "simulator"
    assert gateways["stripe"]["ipnListenerLink"] == \
        f"http://127.0.0.1:{stack.api_port}/api/v1/ipn/stripe/{gateways['stripe']['id']}"

    email = "dora@example.com"
    ok(stack, "POST", "v1/users/register",
       body={"username": "dora", "password": "s3cret-Pass", "emailAddress": email})
    key = ok(stack, "POST", "v1/users/auth",
             body={"username": "dora", "password": "s3cret-Pass"})["authKey"]
    [pro] = [p for p in ok(stack, "GET", "v1/packages") if p["code"] == "PRO"]
    [price] = [p for p in pro["prices"] if p["currency"] == "USD"]
    assert price["amount"] == 9.99

    # -- Stripe ------------------------------------------------------------------------------
    link = ok(stack, "POST", f"v1/prices/{price['id']}/generate-checkout-link", auth=key)
    assert link.startswith(f"http://127.0.0.1:{stack.api_port}/api/checkout/")
    payment_id = urlsplit(link).path.rsplit("/", 1)[1]
    page = requests.get(link, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    stand_in = f"/api/checkout/assets/stripe-local.js?{urlencode({'api': stripe_url})}"
    assert html.escape(stand_in, quote=True) in page.text
    config = page_config(page.text)
    assert config["publishableKey"] == "pk_test_local"
    pi_id = config["clientSecret"].split("_secret_")[0]

    # What the page's Stripe.js does with 4242 4242 4242 4242.
    assert pay_as_the_browser(stripe_url, config)["status"] == "succeeded"

    paid = completed(stack, key, payment_id)  # through localstripe's signed webhook
    assert paid["merchantRefNo"] == pi_id and paid["amountGross"] == 9.99
    assert paid["currencyCode"] == "USD" and paid["paymentDate"]
    # The success mail (the receipt mail of the invoice the payment event issues may be logged
    # before it: the bundle that sends the success mail logs it with its other effects).
    mail = wait_until("the Stripe success mail", stack, lambda: [
        m for m in mails_to(stack, email) if m["subject"] == "Your Demo payment was received"])[-1]
    assert "received" in mail["subject"].lower() or "payment" in mail["subject"].lower()
    back = requests.get(config["returnLink"], timeout=30)
    assert back.status_code == 200 and "Payment received. Thank you!" in back.text
    assert f'<strong id="reference">{paid["code"]}</strong>' in back.text

    # -- PayPal -------------------------------------------------------------------------------
    data = ok(stack, "POST", f"v1/packages/{pro['id']}/upgrade/checkout", auth=key,
              body={"priceId": price["id"], "appIntegrationId": gateways["paypal"]["id"]})
    url = data["checkoutLink"]
    assert url.startswith(paypal_url + "/cgi-bin/webscr?")
    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert q["notify_url"] == gateways["paypal"]["ipnListenerLink"]
    assert (q["cmd"], q["business"], q["currency_code"]) == ("_xclick", "seller@jfw.localhost",
                                                             "USD")
    sent = requests.post(f"{paypal_url}/_simulator/send", timeout=30, json={
        "notifyUrl": q["notify_url"],
        "fields": {"custom": q["custom"], "mc_gross": q["amount"],
                   "mc_currency": q["currency_code"]}}).json()
    assert sent["status"] == 200, sent

    paid = completed(stack, key, q["custom"])
    assert paid["merchantRefNo"] == sent["txnId"] and paid["amountGross"] == 9.99
    assert paid["amountFee"] > 0  # PayPal's IPN carries its fee
    # Both payments' success mails (the PRO license's "is active" mail goes to the same address).
    wait_until("the PayPal success mail", stack, lambda: received(stack, email) >= 2)

    concurrent_webhooks_all_apply_once(stack, key, price, gateways["stripe"], email)

    assert stack.signal(signal.SIGINT) == 0, stack.output()
    left = sorted(pid for pid in stack.seen if alive(pid))
    assert len(stack.seen) >= 3 and not left, (stack.seen, left)


def concurrent_webhooks_all_apply_once(stack: StackProcess, key: str, price: dict,
                                       gateway: dict, email: str) -> None:
    """Stripe delivers concurrently: 6 payments' success events, each sent 4 times at once (24
    requests on 8 threads) through the local stack's threaded server. Every delivery answers
    200 and each payment completes once, with one success mail each."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.payments.gateways.stripe import sign

    before = received(stack, email)
    ids = [urlsplit(ok(stack, "POST", f"v1/prices/{price['id']}/generate-checkout-link",
                       auth=key)).path.rsplit("/", 1)[1] for _ in range(6)]
    bodies = [json.dumps({
        "id": f"evt_e2e_burst_{pid}", "object": "event", "type": "payment_intent.succeeded",
        "created": int(time.time()), "livemode": False,
        "data": {"object": {"id": f"pi_e2e_burst_{pid}", "object": "payment_intent",
                            "amount": 999, "currency": "usd", "status": "succeeded",
                            "metadata": {"payment_code": pid}}}}).encode() for pid in ids]

    def deliver(body: bytes) -> tuple[int, str]:
        resp = requests.post(gateway["ipnListenerLink"], data=body, timeout=60, headers={
            "Content-Type": "application/json",
            "Stripe-Signature": sign(body, SECRET, int(time.time()))})
        return resp.status_code, resp.text

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(deliver, bodies * 4))
    assert [code for code, _ in results] == [200] * 24, (results, stack.output())
    outcomes = sorted(json.loads(text)["data"]["outcome"] for _, text in results)
    assert outcomes.count("applied") == 6 and outcomes.count("duplicate") == 18, outcomes
    for pid in ids:
        history = ok(stack, "GET", f"v1/payments/{pid}", auth=key)["histories"]
        assert [h["status"] for h in history if h["applied"] and h["status"] == "Completed"] \
            == ["Completed"], history
    wait_until("one success mail per payment", stack,
               lambda: received(stack, email) >= before + 6)
    time.sleep(1.0)  # a second mail for one of them would show by now
    assert received(stack, email) == before + 6
