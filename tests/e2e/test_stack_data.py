"""The local stack keeps its data between runs (DynamoDB Local under the data folder, S3's files
saved when it stops), and ``--fresh`` (``make run FRESH=1``) starts it empty.

A buyer pays the seeded PRO price through localstripe, which gets a license and a download
link for the file an admin put on the package. The stack stops (Ctrl-C) and starts again on the
same ports and data folder: the brands, the user, the payment, the license and the file are
there, the seeded gateways kept their ids, and a second payment completes through the same
notification URL.
"""

from __future__ import annotations

import base64
import re
import signal
from urllib.parse import urlsplit

import pytest

from tests.e2e.stackproc import StackProcess
from tests.helpers.stack import completed, ok, pay_at_localstripe, wait_until

requests = pytest.importorskip("requests")
stripe = pytest.importorskip("stripe")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local_stack")]

ADMIN = {"username": "e2e-data-root", "password": "e2e-Admin-Pass1"}
SECRET = "whsec_e2e_data_secret"
BUYER = {"username": "dora", "password": "s3cret-Pass", "emailAddress": "dora@example.com"}
FILE = b"%PDF-1.4 the guide that was paid for\n"


@pytest.fixture
def stacks(tmp_path):
    started: list[StackProcess] = []

    def start(*args: str) -> StackProcess:
        proc = (started[-1].again(*args) if started else
                StackProcess(tmp_path, *args, JFW_ADMIN_USERNAME=ADMIN["username"],
                             JFW_ADMIN_PASSWORD=ADMIN["password"], STRIPE_WEBHOOK_SECRET=SECRET))
        started.append(proc)
        proc.start()
        proc.wait_ready()
        return proc

    try:
        yield start
    finally:
        for proc in started:
            proc.kill_everything()


def stop(stack: StackProcess) -> None:
    assert stack.signal(signal.SIGINT) == 0, stack.output()


def seeded_ids(stack: StackProcess) -> dict[str, str]:
    """The brand and gateway ids the stack printed, and the notification URLs."""
    found: dict[str, str] = {}
    for line in stack.lines:
        m = re.match(r"\s+(demo brand|platform|Stripe gateway|PayPal gateway)\s.*\bid (\w+)", line)
        if m:
            found[m[1]] = m[2]
        m = re.match(r"\s+notification URL\s+(\S+)", line)
        if m:
            found[f"notification URL {len(found)}"] = m[1]
    return found


def pay(stack: StackProcess, key: str, price_id: str) -> str:
    """Checkout, paid with 4242 at localstripe, whose signed webhook goes to the seeded
    Stripe gateway's notification URL: the payment id, once Completed."""
    link = ok(stack, "POST", f"v1/prices/{price_id}/generate-checkout-link", auth=key)
    payment_id = urlsplit(link).path.rsplit("/", 1)[1]
    pay_at_localstripe(stack, link)
    completed(stack, key, payment_id)
    return payment_id


def login(stack: StackProcess, who: dict, brand: str = "demo.localhost") -> str:
    body = {"username": who["username"], "password": who["password"]}
    return ok(stack, "POST", "v1/users/auth", brand=brand, body=body)["authKey"]


def downloaded(url: str) -> bytes:
    """A download link followed as a browser would (302 to S3, presigned)."""
    first = requests.get(url, allow_redirects=False, timeout=30)
    assert first.status_code == 302, f"{first.status_code}: {first.text}"
    got = requests.get(first.headers["Location"], timeout=30)
    assert got.status_code == 200, f"{got.status_code}: {got.text[:300]}"
    return got.content


def test_a_restart_keeps_brands_users_payments_licenses_files_and_gateway_ids(stacks):
    stack = stacks()
    before = seeded_ids(stack)
    assert {"Stripe gateway", "PayPal gateway", "demo brand", "platform"} <= set(before)
    assert len(before) == 6, before  # and two notification URLs

    admin = login(stack, ADMIN, brand="platform.localhost")
    packages = {p["code"]: p for p in ok(stack, "GET", "v1/packages")}
    pro = packages["PRO"]
    [price] = [p for p in pro["prices"] if p["currency"] == "USD"]
    ok(stack, "POST", f"v1/packages/{pro['id']}/files", auth=admin, body={
        "fileName": "guide.pdf", "contentType": "application/pdf",
        "contentBase64": base64.b64encode(FILE).decode()})
    ok(stack, "POST", "v1/users/register", body=BUYER)
    key = login(stack, BUYER)
    first_payment = pay(stack, key, price["id"])
    me = wait_until("the license applied", stack, lambda: (lambda u: u if u["packageId"] ==
                    pro["id"] else None)(ok(stack, "GET", "v1/users/me", auth=key)))
    grants = wait_until("the download link", stack,
                        lambda: ok(stack, "GET", "v1/downloads", auth=key))
    link = grants[0]["downloadUrl"]
    licenses = ok(stack, "GET", "v1/licenses", auth=admin)["items"]
    assert licenses
    stop(stack)

    stack = stacks()
    assert seeded_ids(stack) == before, "the seeded brands and gateways keep their ids"
    assert not [ln for ln in stack.lines if ln.strip().startswith("Seeded:")], \
        "nothing is seeded twice"
    key = login(stack, BUYER)  # the user, and the password's hash
    assert ok(stack, "GET", f"v1/payments/{first_payment}", auth=key)["status"] == "Completed"
    again = ok(stack, "GET", "v1/users/me", auth=key)
    assert (again["packageId"], again["expiryDate"]) == (me["packageId"], me["expiryDate"])
    admin = login(stack, ADMIN, brand="platform.localhost")
    assert ok(stack, "GET", "v1/licenses", auth=admin)["items"] == licenses
    assert downloaded(link) == FILE, "the file and its download grant survived"

    # The same notification URL (registered with the new localstripe at start) still works.
    second_payment = pay(stack, key, price["id"])
    assert second_payment != first_payment
    stop(stack)


def test_fresh_starts_empty(stacks):
    stack = stacks()
    before = seeded_ids(stack)
    ok(stack, "POST", "v1/users/register", body=BUYER)
    login(stack, BUYER)
    stop(stack)
    db = stack.data_dir / "shared-local-instance.db"
    assert db.exists(), "DynamoDB Local keeps its data in the data folder"

    stack = stacks("--fresh")
    assert any("started empty" in ln for ln in stack.lines), stack.output()
    after = seeded_ids(stack)
    assert after["demo brand"] != before["demo brand"]
    assert after["Stripe gateway"] != before["Stripe gateway"]
    resp = requests.post(f"{stack.api}/v1/users/auth", headers={"Brand-URL": "demo.localhost"},
                         json={"username": BUYER["username"], "password": BUYER["password"]},
                         timeout=30)
    assert resp.status_code in (400, 401, 404) and resp.json()["success"] is False, resp.text
    stop(stack)
