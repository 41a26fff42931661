"""Talking to a local stack started by a test (tests/e2e/stackproc.py) over HTTP: a call that must
answer 200, waiting for something to happen, the mails it sent, its checkout page's config."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

import requests

from tests.e2e.stackproc import StackProcess
from tests.localstripe import PLAIN_CARD, pay_as_the_browser

DEMO = "demo.localhost"
TIMEOUT = 45.0


def ok(stack: StackProcess, method: str, path: str, brand: str = DEMO, auth: str | None = None,
       body: dict | None = None):
    headers = {"Brand-URL": brand, **({"Auth-Key": auth} if auth else {})}
    resp = requests.request(method, f"{stack.api}/{path}", json=body, headers=headers,
                            timeout=30)
    assert resp.status_code == 200, f"{method} {path} -> {resp.status_code}: {resp.text}\n" \
                                    f"{stack.output()}"
    return resp.json()["data"]


def wait_until(what: str, stack: StackProcess, probe):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        got = probe()
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(f"{what} did not happen within {TIMEOUT:.0f} s\n{stack.output()}")


def completed(stack: StackProcess, key: str, payment_id: str) -> dict:
    def probe():
        p = ok(stack, "GET", f"v1/payments/{payment_id}", auth=key)
        return p if p["status"] == "Completed" else None

    return wait_until(f"payment {payment_id} Completed", stack, probe)


def mails_to(stack: StackProcess, address: str) -> list[dict]:
    return [m for m in ok(stack, "GET", "v1/dev/mails")
            if address in (m["to"] if isinstance(m["to"], list) else [m["to"]])]


def page_config(html: str) -> dict:
    found = re.search(r'<script id="checkout-config" type="application/json">(.*?)</script>',
                      html, re.S)
    assert found, html[:500]
    return json.loads(found.group(1))


def post(stack: StackProcess, path: str, auth: str, body: dict | None = None,
         key: str | None = None):
    """A POST that must answer 200, with an Idempotency-Key when ``key`` is given."""
    headers = {"Brand-URL": DEMO, "Auth-Key": auth,
               **({"Idempotency-Key": key} if key else {})}
    resp = requests.post(f"{stack.api}/{path}", json=body, headers=headers, timeout=30)
    assert resp.status_code == 200, f"POST {path} -> {resp.status_code}: {resp.text}\n" \
                                    f"{stack.output()}"
    return resp.json()["data"]


def pay_at_localstripe(stack: StackProcess, link: str, card: str = PLAIN_CARD) -> None:
    """The buyer's browser on our hosted page: Stripe.js pays with ``card`` (a PaymentMethod
    made with the publishable key, the PaymentIntent confirmed with its client secret)."""
    page = requests.get(link, timeout=30)
    assert page.status_code == 200, page.text[:500]
    paid = pay_as_the_browser(f"http://127.0.0.1:{stack.stripe_port}", page_config(page.text),
                              card)
    assert paid.get("status") == "succeeded", paid


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def move_clock_to(stack: StackProcess, moment: datetime) -> None:
    """The stack's dev clock at ``moment`` (every process of it)."""
    offset = int((moment - datetime.now(UTC)).total_seconds())
    got = ok(stack, "POST", "v1/dev/clock", body={"offsetSeconds": offset})
    assert abs((parse(got["now"]) - moment).total_seconds()) < 60
