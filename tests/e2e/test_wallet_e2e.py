"""Wallets end to end on the local stack, started as `make run` starts it (issue 13's e2e bar).

A buyer on demo.localhost tops up 20.00 USD: ``v1/wallets/add-money/checkout-link`` answers our
hosted checkout page for a Stripe payment, paid at localstripe with its 3-D Secure step (as in
test_licensing_e2e.py); its signed webhook completes the payment and the wallet (a test-mode
one: the seeded gateways are in test mode) is credited 20.00. The buyer then buys the seeded PRO
monthly price (9.99 USD) with the wallet alone: no checkout link, the payment completes at once,
fulfilment applies the license (Direct delivery), the wallet holds 10.01 and its history has
two rows. The platform's SuperAdmin refunds that payment: the 9.99 goes back into the wallet,
the license is taken back (the buyer is on FREE again) and the history has a third row. Every
mail the buyer should get arrives exactly once.
"""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import pytest

from tests.e2e.stackproc import StackProcess
from tests.helpers.stack import DEMO, completed, mails_to, ok, pay_at_localstripe, post, wait_until

requests = pytest.importorskip("requests")
stripe = pytest.importorskip("stripe")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local_stack")]

ADMIN = {"username": "e2e-wallet-root", "password": "e2e-Admin-Pass1"}
SECRET = "whsec_e2e_wallet_secret"
EMAIL = "wanda@example.com"
BUYER = {"username": "wanda", "password": "s3cret-Pass"}


@pytest.fixture
def stack(tmp_path):
    proc = StackProcess(tmp_path, JFW_ADMIN_USERNAME=ADMIN["username"],
                        JFW_ADMIN_PASSWORD=ADMIN["password"], STRIPE_WEBHOOK_SECRET=SECRET)
    proc.start()
    try:
        yield proc
    finally:
        proc.kill_everything()


def dec(value) -> Decimal:
    return Decimal(str(value))


def test_top_up_pay_with_the_wallet_and_refund_on_the_local_stack(stack):
    started = time.monotonic()
    stack.wait_ready()
    ok(stack, "POST", "v1/users/register", body={**BUYER, "emailAddress": EMAIL})
    key = ok(stack, "POST", "v1/users/auth", body=BUYER)["authKey"]
    packages = {p["code"]: p for p in ok(stack, "GET", "v1/packages")}
    [price] = [p for p in packages["PRO"]["prices"] if p["currency"] == "USD"]
    assert price["amount"] == 9.99
    assert ok(stack, "GET", "v1/users/me", auth=key)["packageId"] in (None,
                                                                      packages["FREE"]["id"])

    def wallets() -> list[dict]:
        return ok(stack, "GET", "v1/wallets?testMode=true&currencyCode=USD", auth=key)

    def wallet_holds(amount: str):
        def probe():
            got = wallets()
            return got[0] if got and got[0]["displayAmount"] == amount else None
        return wait_until(f"the wallet holding {amount}", stack, probe)

    def history(wallet_id: str) -> list[dict]:
        return ok(stack, "GET", f"v1/wallets/{wallet_id}/histories", auth=key)["items"]

    def on_package(*package_ids: str | None):
        def probe():
            got = ok(stack, "GET", "v1/users/me", auth=key)
            return got if got["packageId"] in package_ids else None
        return probe

    # -- 1. top up 20.00 USD through Stripe -------------------------------------------------
    query = urlencode({"currencyCode": "USD", "amount": "20.00",
                       "returnLink": f"http://{DEMO}/wallet/done",
                       "cancelLink": f"http://{DEMO}/wallet/cancelled"})
    link = post(stack, f"v1/wallets/add-money/checkout-link?{query}", key, key="e2e-top-up-1")
    assert link.startswith(f"http://127.0.0.1:{stack.api_port}/api/checkout/"), link
    top_up_id = urlsplit(link).path.rsplit("/", 1)[1]
    [opened] = wallets()  # opened by the checkout, empty until the payment completes
    assert opened["displayAmount"] == "0.00" and opened["testMode"] is True
    assert ok(stack, "GET", "v1/wallets?currencyCode=USD", auth=key) == []  # no live wallet
    pay_at_localstripe(stack, link)
    top_up = completed(stack, key, top_up_id)
    assert top_up["amountGross"] == 20 and top_up["currencyCode"] == "USD"
    assert top_up["paymentType"] == "WalletTopUp"
    wallet = wallet_holds("20.00")
    assert dec(wallet["amount"]) == Decimal("20.00") and wallet["id"] == opened["id"]
    assert wallet["status"] == "Open" and dec(wallet["paidAmount"]) == Decimal("20.00")

    # -- 2. buy PRO monthly (9.99) with the wallet alone --------------------------------------
    bought = post(stack, f"v1/packages/{packages['PRO']['id']}/upgrade/checkout", key,
                  body={"priceId": price["id"], "walletId": wallet["id"]}, key="e2e-buy-1")
    assert dec(bought["walletWithdrawalAmount"]) == Decimal("9.99"), bought
    assert bought["checkoutLink"] is None and bought["status"] == "Completed", bought
    purchase_id = bought["paymentId"]
    purchase = completed(stack, key, purchase_id)
    assert dec(purchase["amountGross"]) == Decimal("9.99")
    assert purchase["walletId"] == wallet["id"] and dec(purchase["walletAmount"]) == \
        Decimal("9.99")
    me = wait_until("the PRO license applied", stack, on_package(packages["PRO"]["id"]))
    assert me["expiryDate"]
    wallet = wallet_holds("10.01")
    assert dec(wallet["amount"]) == Decimal("10.01")
    rows = history(wallet["id"])
    assert [(r["type"], dec(r["amount"])) for r in rows] == [
        ("LicensePurchase", Decimal("-9.99")), ("WalletAddMoney", Decimal("20.00"))], rows
    assert [dec(r["balanceAfter"]) for r in rows] == [Decimal("10.01"), Decimal("20.00")]

    # -- 3. the platform's SuperAdmin refunds the purchase -------------------------------------
    root = ok(stack, "POST", "v1/users/auth", brand="platform.localhost", body=ADMIN)["authKey"]
    refunded = post(stack, f"v1/payments/{purchase_id}/refund", root, key="e2e-refund-1")
    assert refunded["manualRefund"] is False, refunded
    wallet = wallet_holds("20.00")
    assert dec(wallet["amount"]) == Decimal("20.00")
    wait_until("the license taken back", stack, on_package(None, packages["FREE"]["id"]))
    rows = history(wallet["id"])
    assert [(r["type"], dec(r["amount"])) for r in rows] == [
        ("Refund", Decimal("9.99")), ("LicensePurchase", Decimal("-9.99")),
        ("WalletAddMoney", Decimal("20.00"))], rows
    assert ok(stack, "GET", f"v1/payments/{purchase_id}", auth=key)["status"] == "Refunded"

    # -- 4. every mail once ------------------------------------------------------------------
    codes = {pid: ok(stack, "GET", f"v1/payments/{pid}", auth=key)["code"]
             for pid in (top_up_id, purchase_id)}

    def tally() -> Counter:
        out: Counter = Counter()
        for m in mails_to(stack, EMAIL):
            about = [pid for pid, code in codes.items() if code in m["body"]]
            payment = about[0] if len(about) == 1 and m["eventCode"].startswith("PAYMENT.") \
                else None
            out[(m["eventCode"], payment)] += 1
        return out

    expected = {("PAYMENT.PROCESSED.SUCCESS", top_up_id), ("WALLET.ADD-MONEY.SUCCESS", None),
                ("PAYMENT.PROCESSED.SUCCESS", purchase_id),
                ("PAYMENT.RECEIPT-SENT.DIRECT-APPLIED", purchase_id),
                ("PAYMENT.PROCESSED.REFUNDED", purchase_id), ("WALLET.REFUND.SUCCESS", None),
                # each payment's invoice receipt (the top-up's invoice is its credit's)
                ("PAYMENT.RECEIPT-EXPORTED.SUCCESS", top_up_id),
                ("PAYMENT.RECEIPT-EXPORTED.SUCCESS", purchase_id)}
    wait_until("every expected mail", stack, lambda: expected <= set(tally()))
    time.sleep(2.0)  # a second copy of any of them would show by now
    got = tally()
    mails = [(m["eventCode"], m["subject"]) for m in mails_to(stack, EMAIL)]
    assert {k: n for k, n in got.items() if n != 1} == {}, (got, mails)
    assert expected <= set(got), (got, mails)
    subjects = dict(mails)
    assert subjects["WALLET.ADD-MONEY.SUCCESS"] == "20.00 USD added to your Demo wallet"
    assert subjects["WALLET.REFUND.SUCCESS"] == "9.99 USD returned to your Demo wallet"
    assert subjects["PAYMENT.RECEIPT-SENT.DIRECT-APPLIED"] == "Your Demo receipt: Pro is active"
    # Nothing else but the account's own mails (registration and the like), each once too.
    others = [k for k in got if k not in expected]
    assert all(not code.startswith(("PAYMENT.", "WALLET.")) for code, _ in others), mails
    print(f"wallet e2e: {time.monotonic() - started:.1f} s; mails: {sorted(mails)}")
