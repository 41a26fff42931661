"""Licensing end to end on the local stack, started as `make run` starts it.

A buyer pays the seeded PRO monthly price with Stripe (localstripe and its signed webhook, as in
test_payments_e2e.py); the worker hands the payment event to fulfilment, which issues the license
and applies it at once (Direct delivery): ``v1/users/me`` shows PRO and its expiry. Then the
stack's clock is moved (dev route ``POST /api/v1/dev/clock``) and the expiry job run (dev route
``POST /api/v1/dev/jobs/license-expiry/run``, twice each time): the 7-day and 1-day "expiring
soon" mails and the expiry, after which the user is back on FREE; each mail is sent once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from tests.e2e.stackproc import StackProcess
from tests.helpers.stack import completed, mails_to, ok, pay_at_localstripe, wait_until

NEVER = "9999-12-31T23:59:59Z"  # IUser.expiryDate of a package with no end

requests = pytest.importorskip("requests")
stripe = pytest.importorskip("stripe")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local_stack")]

SECRET = "whsec_e2e_licensing_secret"
EMAIL = "lena@example.com"
PASSWORD = "s3cret-Pass"


@pytest.fixture
def stack(tmp_path):
    proc = StackProcess(tmp_path, STRIPE_WEBHOOK_SECRET=SECRET)
    proc.start()
    try:
        yield proc
    finally:
        proc.kill_everything()


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def login(stack: StackProcess) -> str:
    return ok(stack, "POST", "v1/users/auth",
              body={"username": "lena", "password": PASSWORD})["authKey"]


def move_clock_to(stack: StackProcess, moment: datetime) -> None:
    offset = int((moment - datetime.now(UTC)).total_seconds())
    got = ok(stack, "POST", "v1/dev/clock", body={"offsetSeconds": offset})
    assert abs((parse(got["now"]) - moment).total_seconds()) < 60


def run_expiry(stack: StackProcess) -> dict:
    return ok(stack, "POST", "v1/dev/jobs/license-expiry/run")["result"]


def subjects(stack: StackProcess) -> list[str]:
    return [m["subject"] for m in mails_to(stack, EMAIL)]


def test_paid_license_is_applied_then_expires_on_the_local_stack(stack):
    stack.wait_ready()
    ok(stack, "POST", "v1/users/register",
       body={"username": "lena", "password": PASSWORD, "emailAddress": EMAIL})
    key = login(stack)
    packages = {p["code"]: p for p in ok(stack, "GET", "v1/packages")}
    [price] = [p for p in packages["PRO"]["prices"] if p["currency"] == "USD"]
    before = ok(stack, "GET", "v1/users/me", auth=key)
    assert before["packageId"] in (None, packages["FREE"]["id"])

    # Checkout -> localstripe -> signed webhook -> Completed.
    link = ok(stack, "POST", f"v1/prices/{price['id']}/generate-checkout-link", auth=key)
    payment_id = urlsplit(link).path.rsplit("/", 1)[1]
    pay_at_localstripe(stack, link)
    paid_at = datetime.now(UTC)
    completed(stack, key, payment_id)

    # Fulfilment (the worker): the license is issued and applied to the buyer.
    me = wait_until("the license applied", stack, lambda: (lambda u: u if u["packageId"] ==
                    packages["PRO"]["id"] else None)(ok(stack, "GET", "v1/users/me", auth=key)))
    expiry = parse(me["expiryDate"])
    assert timedelta(days=27) < expiry - paid_at < timedelta(days=32)  # one calendar month
    receipt = wait_until("the receipt", stack,
                         lambda: [s for s in subjects(stack) if "is active" in s])
    assert len(receipt) == 1

    # Seven days before the expiry, then one day before, then after it.
    for moment, wanted in ((expiry - timedelta(days=7) + timedelta(minutes=1), "reminded"),
                           (expiry - timedelta(days=1) + timedelta(minutes=1), "reminded"),
                           (expiry + timedelta(minutes=1), "expired")):
        move_clock_to(stack, moment)
        first, second = run_expiry(stack), run_expiry(stack)
        # Once in all (the stack's own timer may have run it first).
        assert first.get(wanted, 0) + second.get(wanted, 0) <= 1, (first, second)
        assert second.get(wanted) is None, second
    key = login(stack)  # the old Auth-Key expired with the moved clock
    me = ok(stack, "GET", "v1/users/me", auth=key)
    assert me["packageId"] == packages["FREE"]["id"] and me["expiryDate"] == NEVER

    def all_mails() -> list[str] | None:
        got = subjects(stack)
        return got if len([s for s in got if "ends in" in s]) >= 2 and any(
            "has ended" in s for s in got) else None

    got = wait_until("the expiring-soon and expired mails", stack, all_mails)
    assert sorted(s for s in got if "ends in" in s) == ["Your Demo Pro ends in 1 day",
                                                         "Your Demo Pro ends in 7 days"], got
    assert len([s for s in got if "has ended" in s]) == 1, got
    ok(stack, "POST", "v1/dev/clock", body={"offsetSeconds": 0})
