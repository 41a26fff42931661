"""The PayPal simulator's buyer pages, over HTTP as a browser meets them: the approval page a
checkout link opens, Pay (one Completed IPN, then back to the shop), Cancel (no IPN), and the
pages for links PayPal would refuse. The shop is a tiny listener that verifies each IPN by the
postback and answers as our IPN listener does."""

from __future__ import annotations

import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
import requests

from chalicelib.devstack.paypal_simulator import CANCEL_PATH, PAY_PATH, PayPalSimulator
from chalicelib.payments.gateways import paypal

RETURN = "http://127.0.0.1:9/api/checkout/PAY-1?brandId=b1&paid=true"
CANCEL = "http://127.0.0.1:9/api/v1/health"


class Shop:
    """An IPN listener answering JFW's envelope; ``status`` is what it answers, ``delay`` how
    long it takes. ``received`` holds (raw body, verified by the postback)."""

    def __init__(self, verify_url: str) -> None:
        self.received: list[tuple[bytes, bool]] = []
        self.status, self.delay = 200, 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(outer.delay)
                outer.received.append((raw, paypal.verify_postback(raw, verify_url) is True))
                custom = dict(paypal.parse(raw)).get("custom")
                body = json.dumps({"success": outer.status == 200, "data": {
                    "outcome": "applied", "paymentId": custom, "status": "Completed"}}).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/ipn/paypal/gw1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ipns(self) -> list[dict[str, str]]:
        return [dict(paypal.parse(raw)) for raw, _ in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sim():
    with PayPalSimulator() as s:
        yield s


@pytest.fixture
def shop(sim):
    s = Shop(sim.verify_url)
    yield s
    s.close()


def link(sim: PayPalSimulator, shop: Shop, **changes: str | None) -> str:
    """A checkout link as our checkout writes it (start.paypal_url); None drops a parameter."""
    params = {"cmd": "_xclick", "business": sim.receiver_email, "item_name": "Pro monthly",
              "item_number": "price-1", "amount": "9.99", "currency_code": "USD",
              "quantity": "1", "no_shipping": "1", "custom": "PAY-1", "invoice": "P-0001",
              "charset": "utf-8", "notify_url": shop.url, "return": RETURN,
              "cancel_return": CANCEL}
    params.update(changes)
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{sim.url}/cgi-bin/webscr?{query}"


def press(url: str, button: str) -> requests.Response:
    """The approval page's form posted by its Pay or Cancel button, redirects not followed."""
    path = PAY_PATH if button == "pay" else CANCEL_PATH
    base, query = url.split("/cgi-bin/webscr?", 1)
    return requests.post(f"{base}{path}?{query}", data={}, allow_redirects=False, timeout=30)


def test_approval_page_shows_the_order_and_sends_nothing(sim, shop):
    page = requests.get(link(sim, shop), timeout=30)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    text = page.text
    for shown in ("seller@jfw.localhost", "Pro monthly", "P-0001", "PAY-1", "9.99 USD",
                  "PayPal simulator — test mode"):
        assert shown in text, shown
    assert '<meta name="viewport" content="width=device-width' in text
    assert '<html lang="en">' in text
    assert f'<form method="post" action="{PAY_PATH}?' in text
    assert f'formaction="{CANCEL_PATH}?' in text
    assert ">Pay 9.99 USD</button>" in text
    assert sim.sent == [] and shop.received == []


def test_pay_sends_one_completed_ipn_then_returns_to_the_shop(sim, shop):
    url = link(sim, shop)
    paid = press(url, "pay")
    assert paid.status_code == 303 and paid.headers["Location"] == RETURN
    [ipn] = shop.ipns()
    assert shop.received[0][1] is True  # verified by the postback
    assert (ipn["payment_status"], ipn["custom"], ipn["invoice"], ipn["mc_gross"],
            ipn["mc_currency"], ipn["receiver_email"], ipn["item_name"]) == (
        "Completed", "PAY-1", "P-0001", "9.99", "USD", "seller@jfw.localhost", "Pro monthly")

    again = press(url, "pay")
    assert again.status_code == 409 and "Already paid" in again.text
    assert ipn["txn_id"] in again.text and RETURN.replace("&", "&amp;") in again.text
    assert len(shop.received) == 1 and len(sim.sent) == 1
    reopened = requests.get(url, timeout=30)
    assert reopened.status_code == 200 and "Already paid" in reopened.text
    assert "<button" not in reopened.text
    cancelled = press(url, "cancel")
    assert cancelled.status_code == 409 and "Already paid" in cancelled.text


def test_the_same_approval_with_its_parameters_reordered_is_already_paid(sim, shop):
    url = link(sim, shop)
    assert press(url, "pay").status_code == 303
    base, query = url.split("?", 1)
    reordered = base + "?" + "&".join(reversed(query.split("&")))
    assert press(reordered, "pay").status_code == 409
    other = link(sim, shop, custom="PAY-2", invoice="P-0002")
    assert press(other, "pay").status_code == 303
    assert [i["custom"] for i in shop.ipns()] == ["PAY-1", "PAY-2"]


def test_pay_without_a_return_url_shows_what_our_server_recorded(sim, shop):
    page = press(link(sim, shop, **{"return": None}), "pay")
    assert page.status_code == 200 and "Payment sent" in page.text
    [ipn] = shop.ipns()
    assert ipn["txn_id"] in page.text
    assert "applied: payment PAY-1 is now Completed" in page.text


def test_a_failed_notification_is_resent_not_paid_twice(sim, shop):
    url = link(sim, shop)
    shop.status = 500
    failed = press(url, "pay")
    assert failed.status_code == 502 and "Payment not confirmed" in failed.text
    assert "answered 500" in failed.text and "resends the same message" in failed.text
    shop.status = 200
    retried = press(url, "pay")
    assert retried.status_code == 303 and retried.headers["Location"] == RETURN
    first, second = shop.received
    assert first[0] == second[0] and second[1] is True  # byte for byte, one txn_id
    assert press(url, "pay").status_code == 409 and len(shop.received) == 2


def test_two_pays_at_once_send_one_ipn(sim, shop):
    shop.delay = 0.5
    url = link(sim, shop)
    answers: list[int] = []
    threads = [threading.Thread(target=lambda: answers.append(press(url, "pay").status_code))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [303, 409]
    assert len(shop.received) == 1


def test_cancel_returns_to_the_shop_and_sends_nothing(sim, shop):
    back = press(link(sim, shop), "cancel")
    assert back.status_code == 303 and back.headers["Location"] == CANCEL
    page = press(link(sim, shop, cancel_return=None), "cancel")
    assert page.status_code == 200 and "Payment cancelled" in page.text
    assert "nothing was paid" in page.text
    assert sim.sent == [] and shop.received == []
    assert press(link(sim, shop), "pay").status_code == 303  # the buyer may still pay


@pytest.mark.parametrize(("changes", "said"), [
    ({"amount": None}, "no amount"),
    ({"amount": "0.00"}, "not more than 0"),
    ({"amount": "9.999"}, "more decimals than USD"),
    ({"amount": "ten"}, "must be a number"),
    ({"business": "someone@else.example"}, "not this simulator's merchant account"),
    ({"business": None}, "nobody"),
    ({"currency_code": "XYZ"}, "does not take the currency 'XYZ'"),
    ({"currency_code": "INR"}, "does not take the currency 'INR'"),
    ({"notify_url": None}, "no notify_url"),
    ({"notify_url": "javascript:alert(1)"}, "not an http(s) URL"),
    ({"cmd": "_cart"}, "Buy Now links"),
])
def test_a_link_paypal_would_refuse_is_a_400_page(sim, shop, changes, said):
    url = link(sim, shop, **changes)
    for answer in (requests.get(url, timeout=30), press(url, "pay"), press(url, "cancel")):
        assert answer.status_code == 400, answer.text
        assert answer.headers["Content-Type"].startswith("text/html")
        shown = html.unescape(answer.text)
        assert "PayPal can't take this payment" in shown and said in shown
    assert sim.sent == [] and shop.received == []


def test_business_may_be_the_merchant_id(sim, shop):
    assert requests.get(link(sim, shop, business=sim.receiver_id), timeout=30).status_code == 200


def test_unknown_paths_and_get_on_the_buttons(sim, shop):
    missing = requests.get(sim.url + "/nowhere", timeout=30)
    assert missing.status_code == 404 and missing.headers["Content-Type"].startswith("text/html")
    assert "<h1>Not found</h1>" in missing.text
    assert requests.post(sim.url + "/nowhere", timeout=30).status_code == 404
    bare = requests.get(sim.url + "/cgi-bin/webscr", timeout=30)
    assert bare.status_code == 400 and "not a PayPal checkout link" in bare.text
    query = link(sim, shop).split("?", 1)[1]
    for path in (PAY_PATH, CANCEL_PATH):  # a prefetch of the button's URL pays nothing
        got = requests.get(f"{sim.url}{path}?{query}", allow_redirects=False, timeout=30)
        assert got.status_code == 405 and got.headers["Allow"] == "POST"
    assert sim.sent == [] and shop.received == []
