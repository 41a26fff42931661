"""Invoicing end to end on the local stack, started as `make run` starts it (issue 14's e2e bar).

One buyer's story, in the order a real one would live it (the refund comes first, because a
refund takes the license back and a renewal needs a live subscription):

1. The buyer pays the seeded PRO monthly price (9.99 USD) with Stripe (localstripe, its 3-D
   Secure step and signed webhook, as in test_wallet_e2e.py): the payment completes, the license
   is applied, and the outbox issues invoice INV-000001 (Post, Paid, totals = the payment's
   gross; the seeded gateway is in test mode, whose invoices have their own sequence but print
   alike); the payment's ``invoiceNo`` is that code. ``POST v1/invoices/{id}/download`` (with
   the SDK's ``Accept``) answers the PDF, whose text names the code and the total.
2. The platform's SuperAdmin refunds it: the license is taken back, and the invoice gets credit
   note CN-000001 for all of it (``creditedAmount`` = the total), whose PDF downloads too.
3. The buyer, back on FREE, buys PRO again (a second Stripe payment: INV-000002). The stack's
   clock is moved (dev route ``POST v1/dev/clock``) to 7 days before the license ends and the
   job ``invoice-renewals`` run (dev route ``POST v1/dev/jobs/<name>/run``, twice, with
   ``license-expiry`` beside it): one Provisional invoice (Unpaid, dueDate = the end) and one
   INVOICE.RENEWAL.CREATED mail with a pay link (the buyer saved no card: no off-session
   charge). The pay link opens the same checkout ``POST v1/invoices/{id}/checkout`` answers;
   paid at localstripe (webhooks are signed with the wall clock, so a moved business clock is
   fine), the invoice becomes the period's Post invoice, Paid, INV-000003, and the license now
   ends one period after the old end (from the end, not from now).
4. The next renewal is left unpaid: its provisional invoice is mailed once; at each reminder
   offset (invoicing's ``invoiceReminderDays``) one INVOICE.RENEWAL.REMINDER and
   ``reminderedCount`` + 1; past ``overdueDate`` (dueDate + licensing's ``licenseGraceDays``)
   the invoice is overdue, INVOICE.RENEWAL.OVERDUE is mailed once, and the buyer is on FREE.
5. Every mail the buyer gets arrives exactly once: after each step the new mails are exactly
   the ones that step should send, and at the end the whole mailbox is tallied.
"""

from __future__ import annotations

import html
import io
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from chalicelib.catalog.subscription_types import add_months
from chalicelib.invoicing.constants import DEFAULT_SETTINGS as INVOICING_DEFAULTS
from chalicelib.licensing.constants import DEFAULT_SETTINGS as LICENSING_DEFAULTS
from tests.e2e.stackproc import StackProcess
from tests.helpers.stack import (
    DEMO,
    completed,
    mails_to,
    move_clock_to,
    ok,
    parse,
    pay_at_localstripe,
    post,
    wait_until,
)

requests = pytest.importorskip("requests")
stripe = pytest.importorskip("stripe")
pypdf = pytest.importorskip("pypdf")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local_stack")]

ADMIN = {"username": "e2e-invoice-root", "password": "e2e-Admin-Pass1"}
SECRET = "whsec_e2e_invoicing_secret"
EMAIL = "ines@example.com"
BUYER = {"username": "ines", "password": "s3cret-Pass"}
NEVER = "9999-12-31T23:59:59Z"  # IUser.expiryDate of a package with no end
SDK_ACCEPT = "application/json, text/plain, */*"  # what JFW's SDK (axios) sends
RENEWAL_DAYS = int(INVOICING_DEFAULTS["invoiceRenewalDays"])  # the seeded brand sets none
REMINDER_DAYS = sorted(INVOICING_DEFAULTS["invoiceReminderDays"], reverse=True)
GRACE_DAYS = int(LICENSING_DEFAULTS["licenseGraceDays"])
LICENSE_REMINDER_DAYS = sorted(LICENSING_DEFAULTS["licenseReminderDays"], reverse=True)
MINUTE = timedelta(minutes=1)


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


def download(stack: StackProcess, path: str, auth: str) -> tuple[str, str]:
    """POST a download route as JFW's SDK does: the PDF's (file name, text)."""
    resp = requests.post(f"{stack.api}/{path}", timeout=30, headers={
        "Brand-URL": DEMO, "Auth-Key": auth, "Accept": SDK_ACCEPT})
    assert resp.status_code == 200, f"POST {path} -> {resp.status_code}: {resp.text[:500]}"
    assert resp.headers["Content-Type"] == "application/pdf", resp.headers
    assert resp.content.startswith(b"%PDF-"), resp.content[:50]
    name = re.search(r'filename="([^"]+)"', resp.headers["Content-Disposition"])
    assert name, resp.headers
    reader = pypdf.PdfReader(io.BytesIO(resp.content))
    return name.group(1), "\n".join(page.extract_text() or "" for page in reader.pages)


def run_job(stack: StackProcess, name: str) -> dict:
    return ok(stack, "POST", f"v1/dev/jobs/{name}/run")["result"]


def run_twice(stack: StackProcess, name: str, wanted: str | None) -> None:
    """Run a job twice: ``wanted`` (a count of its result) happens once in all (the stack's own
    timer may have run it first), never in the second run."""
    first, second = run_job(stack, name), run_job(stack, name)
    if wanted is not None:
        assert first.get(wanted, 0) + second.get(wanted, 0) <= 1, (name, first, second)
        assert not second.get(wanted), (name, first, second)
    assert not first.get("errors") and not second.get("errors"), (name, first, second)


class Mailbox:
    """The buyer's mails: ``expect`` waits for the mails a step should send and checks that
    the step sent exactly those (no copy, nothing else)."""

    def __init__(self, stack: StackProcess) -> None:
        self.stack = stack
        self.seen: set[str] = set()
        self.steps: list[tuple[str, list[dict]]] = []

    def new(self) -> list[dict]:
        return [m for m in mails_to(self.stack, EMAIL) if m["messageId"] not in self.seen]

    def expect(self, step: str, *codes: str, settle: float = 2.0) -> list[dict]:
        want = Counter(codes)

        def arrived():
            got = Counter(m["eventCode"] for m in self.new())
            return all(got[c] >= n for c, n in want.items())

        try:
            wait_until(f"the mails of {step}", self.stack, arrived)
        except AssertionError:
            got = [(m["eventCode"], m["subject"]) for m in self.new()]
            raise AssertionError(f"{step}: wanted {sorted(want.elements())}, got {got}") from None
        time.sleep(settle)  # a second copy of any of them would show by now
        mails = self.new()
        got = Counter(m["eventCode"] for m in mails)
        assert got == want, (step, got, [(m["eventCode"], m["subject"]) for m in mails])
        self.seen |= {m["messageId"] for m in mails}
        self.steps.append((step, mails))
        return mails


def one(mails: list[dict], code: str) -> dict:
    [mail] = [m for m in mails if m["eventCode"] == code]
    return mail


def test_invoice_credit_note_renewal_and_overdue_on_the_local_stack(stack):
    started = time.monotonic()
    stack.wait_ready()
    ok(stack, "POST", "v1/users/register", body={**BUYER, "emailAddress": EMAIL})
    box = Mailbox(stack)
    time.sleep(2.0)
    box.seen |= {m["messageId"] for m in box.new()}  # the account's own mails (welcome...)
    account_mails = len(box.seen)
    assert all(not m["eventCode"].startswith(("PAYMENT.", "INVOICE.", "LICENSE."))
               for m in mails_to(stack, EMAIL))

    def login() -> str:  # an Auth-Key expires with a moved clock: log in again after each move
        return ok(stack, "POST", "v1/users/auth", body=BUYER)["authKey"]

    key = login()
    packages = {p["code"]: p for p in ok(stack, "GET", "v1/packages")}
    pro, free = packages["PRO"]["id"], packages["FREE"]["id"]
    [price] = [p for p in packages["PRO"]["prices"] if p["currency"] == "USD"]
    assert dec(price["amount"]) == Decimal("9.99")

    def me() -> dict:
        return ok(stack, "GET", "v1/users/me", auth=key)

    def on_package(*package_ids: str | None):
        def probe():
            got = me()
            return got if got["packageId"] in package_ids else None
        return probe

    def invoices(**query: str) -> list[dict]:
        q = "&".join(f"{k}={v}" for k, v in query.items())
        return ok(stack, "GET", f"v1/invoices?{q}", auth=key)["items"]

    def invoice(invoice_id: str) -> dict:
        return ok(stack, "GET", f"v1/invoices/{invoice_id}", auth=key)

    def invoice_of(payment_id: str) -> dict:
        def probe():
            found = [i for i in invoices() if i["paymentId"] == payment_id]
            return found[0] if found and found[0]["status"] == "Paid" else None
        return wait_until(f"the paid invoice of payment {payment_id}", stack, probe)

    def buy(label: str) -> tuple[dict, dict]:
        """PRO bought with Stripe: (the completed payment, its invoice)."""
        link = ok(stack, "POST", f"v1/prices/{price['id']}/generate-checkout-link", auth=key)
        payment_id = urlsplit(link).path.rsplit("/", 1)[1]
        pay_at_localstripe(stack, link)
        payment = completed(stack, key, payment_id)
        assert dec(payment["amountGross"]) == Decimal("9.99"), (label, payment)
        wait_until(f"the PRO license applied ({label})", stack, on_package(pro))
        return payment, invoice_of(payment_id)

    def check_paid(inv: dict, payment: dict, code: str) -> None:
        assert inv["type"] == "Post" and inv["status"] == "Paid", inv
        assert inv["code"] == code and inv["number"] == int(code[-6:]), inv
        assert inv["testMode"] is True and inv["currencyCode"] == "USD", inv
        total = dec(payment["amountGross"])
        assert dec(inv["totalAmount"]) == total and dec(inv["amountPaid"]) == total, inv
        assert dec(inv["amountDue"]) == 0 and inv["paymentId"] == payment["id"], inv
        assert dec(inv["subtotalAmount"]) - dec(inv["discountAmount"] or 0) \
            - dec(inv["prorateAmount"] or 0) + dec(inv["taxAmount"] or 0) == total, inv
        assert sum(dec(it["amount"]) for it in inv["items"]) == dec(inv["subtotalAmount"]), inv
        assert inv["payment"]["invoiceNo"] == code, inv["payment"]
        paid = wait_until(f"invoiceNo {code} on the payment", stack, lambda: (
            lambda p: p if p["invoiceNo"] == code else None)(
                ok(stack, "GET", f"v1/payments/{payment['id']}", auth=key)))
        assert paid["invoiceNo"] == code

    # -- 1. the first purchase: invoice INV-000001 and its PDF -----------------------------------
    assert me()["packageId"] in (None, free)
    first, inv1 = buy("first purchase")
    [listed] = invoices()
    assert listed["id"] == inv1["id"]
    check_paid(inv1, first, "INV-000001")
    assert inv1["creditedAmount"] in (None, 0) or dec(inv1["creditedAmount"]) == 0, inv1
    name, text = download(stack, f"v1/invoices/{inv1['id']}/download", key)
    assert name == "INV-000001.pdf", name
    assert "INV-000001" in text and "9.99" in text, text
    assert "TEST MODE" in text, text
    mails = box.expect("the first purchase", "PAYMENT.PROCESSED.SUCCESS",
                       "PAYMENT.RECEIPT-SENT.DIRECT-APPLIED", "PAYMENT.RECEIPT-EXPORTED.SUCCESS")
    receipt = one(mails, "PAYMENT.RECEIPT-EXPORTED.SUCCESS")
    assert "INV-000001" in receipt["body"] and first["code"] in receipt["body"], receipt

    # -- 2. refunded by the platform's SuperAdmin: credit note CN-000001 -------------------------
    root = ok(stack, "POST", "v1/users/auth", brand="platform.localhost", body=ADMIN)["authKey"]
    refunded = post(stack, f"v1/payments/{first['id']}/refund", root, key="e2e-inv-refund-1")
    assert refunded["manualRefund"] is False, refunded
    wait_until("the license taken back", stack, on_package(None, free))

    def credited():
        got = invoice(inv1["id"])
        return got if got.get("creditNotes") else None

    inv1 = wait_until("the credit note", stack, credited)
    [note] = inv1["creditNotes"]
    assert note["code"] == "CN-000001" and note["number"] == 1, note
    assert dec(note["amount"]) == dec(inv1["totalAmount"]) == Decimal("9.99"), note
    assert note["reason"] == "Refund", note
    assert dec(inv1["creditedAmount"]) == dec(inv1["totalAmount"]), inv1
    assert inv1["type"] == "Post" and inv1["status"] == "Paid" and inv1["code"] == "INV-000001"
    name, text = download(stack, f"v1/invoices/{inv1['id']}/credit-notes/{note['id']}/download",
                          key)
    assert name == "CN-000001.pdf", name
    assert "CN-000001" in text and "INV-000001" in text and "9.99" in text, text
    # The issued invoice's PDF never changes (stored at its first download).
    assert download(stack, f"v1/invoices/{inv1['id']}/download", key)[1] == \
        download(stack, f"v1/invoices/{inv1['id']}/download", key)[1]
    assert ok(stack, "GET", f"v1/payments/{first['id']}", auth=key)["status"] == "Refunded"
    box.expect("the refund", "PAYMENT.PROCESSED.REFUNDED")

    # -- 3. bought again; the renewal invoiced 7 days before the end, and paid ------------------
    second, inv2 = buy("second purchase")
    check_paid(inv2, second, "INV-000002")
    end1 = parse(me()["expiryDate"])
    assert timedelta(days=27) < end1 - datetime.now(UTC) < timedelta(days=32), end1
    box.expect("the second purchase", "PAYMENT.PROCESSED.SUCCESS",
               "PAYMENT.RECEIPT-SENT.DIRECT-APPLIED", "PAYMENT.RECEIPT-EXPORTED.SUCCESS")

    def provisional(due: datetime) -> dict:
        found = [i for i in invoices(type="Provisional") if parse(i["dueDate"]) == due]
        assert len(found) == 1, (due, invoices())
        return found[0]

    move_clock_to(stack, end1 - timedelta(days=RENEWAL_DAYS) + MINUTE)
    key = login()
    run_twice(stack, "invoice-renewals", "created")
    run_twice(stack, "license-expiry", "reminded")
    renewal1 = provisional(end1)
    assert renewal1["status"] == "Unpaid" and renewal1["number"] is None, renewal1
    assert renewal1["code"].startswith("DRAFT-"), renewal1
    assert parse(renewal1["overdueDate"]) == end1 + timedelta(days=GRACE_DAYS), renewal1
    assert parse(renewal1["billingPeriodStartDate"]) == end1, renewal1
    assert parse(renewal1["billingPeriodEndDate"]) == add_months(end1, 1), renewal1
    assert dec(renewal1["totalAmount"]) == Decimal("9.99") and renewal1["reminderedCount"] == 0
    assert dec(renewal1["amountDue"]) == Decimal("9.99") and renewal1["isOverdue"] is False
    mails = box.expect("the first renewal invoice", "INVOICE.RENEWAL.CREATED",
                       "LICENSE.EXPIRING.SOON")
    created = one(mails, "INVOICE.RENEWAL.CREATED")
    assert "9.99" in created["body"], created
    found = re.search(r'href="([^"]*/api/invoices/[^"]+/pay\?[^"]+)"', created["body"])
    assert found, created["body"]
    pay_link = html.unescape(found.group(1))
    assert f"/api/invoices/{renewal1['id']}/pay?" in pay_link, pay_link
    assert f"ends in {RENEWAL_DAYS} days" in one(mails, "LICENSE.EXPIRING.SOON")["subject"]

    # The mailed link (no login) and the buyer's own checkout open the same payment.
    opened = requests.get(pay_link, allow_redirects=False, timeout=30)
    assert opened.status_code == 302, (opened.status_code, opened.text[:500])
    checkout = post(stack, f"v1/invoices/{renewal1['id']}/checkout", key, body={},
                    key="e2e-inv-renewal-1")
    assert checkout["status"] == "Created" and checkout["checkoutLink"], checkout
    assert opened.headers["Location"] == checkout["checkoutLink"], (opened.headers, checkout)
    pay_at_localstripe(stack, checkout["checkoutLink"])
    third = completed(stack, key, checkout["paymentId"])
    assert dec(third["amountGross"]) == Decimal("9.99"), third

    def renewed():
        got = invoice(renewal1["id"])
        return got if got["status"] == "Paid" else None

    paid1 = wait_until("the renewal invoice paid", stack, renewed)
    check_paid(paid1, third, "INV-000003")
    assert paid1["id"] == renewal1["id"] and parse(paid1["dueDate"]) == end1, paid1
    end2 = add_months(end1, 1)  # one period from the old end, not from now
    wait_until("the license extended from its end", stack,
               lambda: parse(me()["expiryDate"]) == end2)
    assert me()["packageId"] == pro
    assert invoices(type="Provisional") == []
    mails = box.expect("the renewal paid", "PAYMENT.PROCESSED.SUCCESS",
                       "PAYMENT.RECEIPT-SENT.DIRECT-APPLIED", "PAYMENT.RECEIPT-EXPORTED.SUCCESS")
    assert "INV-000003" in one(mails, "PAYMENT.RECEIPT-EXPORTED.SUCCESS")["body"]
    name, text = download(stack, f"v1/invoices/{paid1['id']}/download", key)
    assert name == "INV-000003.pdf" and "INV-000003" in text and "9.99" in text, text

    # -- 4. the next renewal left unpaid: reminders, overdue, expired -----------------------------
    move_clock_to(stack, end2 - timedelta(days=RENEWAL_DAYS) + MINUTE)
    key = login()
    run_twice(stack, "invoice-renewals", "created")
    run_twice(stack, "license-expiry", "reminded")
    renewal2 = provisional(end2)
    assert renewal2["status"] == "Unpaid" and renewal2["reminderedCount"] == 0, renewal2
    overdue_at = parse(renewal2["overdueDate"])
    assert overdue_at == end2 + timedelta(days=GRACE_DAYS), renewal2
    box.expect("the second renewal invoice", "INVOICE.RENEWAL.CREATED", "LICENSE.EXPIRING.SOON")

    for n, days in enumerate(REMINDER_DAYS, start=1):
        move_clock_to(stack, end2 - timedelta(days=days) + MINUTE)
        key = login()
        run_twice(stack, "invoice-renewals", "reminded")
        run_twice(stack, "license-expiry", "reminded")
        got = invoice(renewal2["id"])
        assert got["reminderedCount"] == n and got["status"] == "Unpaid", got
        assert got["isOverdue"] is False, got
        codes = ["INVOICE.RENEWAL.REMINDER"]
        if days in LICENSE_REMINDER_DAYS:
            codes.append("LICENSE.EXPIRING.SOON")
        mails = box.expect(f"the {days}-day reminder", *codes)
        assert f"/api/invoices/{renewal2['id']}/pay?" in \
            one(mails, "INVOICE.RENEWAL.REMINDER")["body"]

    move_clock_to(stack, max(overdue_at, end2) + MINUTE)
    key = login()
    run_twice(stack, "invoice-renewals", "overdue")
    run_twice(stack, "license-expiry", "expired")
    got = invoice(renewal2["id"])
    assert got["isOverdue"] is True and got["status"] == "Unpaid", got
    assert got["type"] == "Provisional" and got["number"] is None, got
    assert got["reminderedCount"] == len(REMINDER_DAYS), got
    now = me()
    assert now["packageId"] == free and now["expiryDate"] == NEVER, now
    late = requests.post(f"{stack.api}/v1/invoices/{renewal2['id']}/checkout", json={},
                         headers={"Brand-URL": DEMO, "Auth-Key": key,
                                  "Idempotency-Key": "e2e-inv-late"}, timeout=30)
    assert late.status_code == 409 and "INVOICE_NOT_PAYABLE" in late.text, late.text
    box.expect("the overdue", "INVOICE.RENEWAL.OVERDUE", "LICENSE.EXPIRED.SUCCESS")

    # -- 5. the invoices as they stand, and every mail once --------------------------------------
    listed = sorted(invoices(), key=lambda i: (i["number"] or 99, i["code"]))
    assert [(i["code"], i["type"], i["status"], i["isOverdue"]) for i in listed] == [
        ("INV-000001", "Post", "Paid", False), ("INV-000002", "Post", "Paid", False),
        ("INV-000003", "Post", "Paid", False),
        (renewal2["code"], "Provisional", "Unpaid", True)], listed
    assert [dec(i["creditedAmount"] or 0) for i in listed] == [Decimal("9.99"), 0, 0, 0]
    time.sleep(2.0)
    assert box.new() == [], [(m["eventCode"], m["subject"]) for m in box.new()]
    everything = mails_to(stack, EMAIL)
    assert len(everything) == len(box.seen) and len({m["messageId"] for m in everything}) == \
        len(everything)
    tally = Counter(m["eventCode"] for step, mails in box.steps for m in mails)
    assert tally == Counter({
        "PAYMENT.PROCESSED.SUCCESS": 3, "PAYMENT.RECEIPT-SENT.DIRECT-APPLIED": 3,
        "PAYMENT.RECEIPT-EXPORTED.SUCCESS": 3, "PAYMENT.PROCESSED.REFUNDED": 1,
        "INVOICE.RENEWAL.CREATED": 2,
        "INVOICE.RENEWAL.REMINDER": len(REMINDER_DAYS),
        "INVOICE.RENEWAL.OVERDUE": 1,
        "LICENSE.EXPIRING.SOON": 2 + len(set(REMINDER_DAYS) & set(LICENSE_REMINDER_DAYS)),
        "LICENSE.EXPIRED.SUCCESS": 1}), tally
    # One receipt per paid invoice, each naming its own invoice.
    receipts = [m for _, mails in box.steps for m in mails
                if m["eventCode"] == "PAYMENT.RECEIPT-EXPORTED.SUCCESS"]
    assert sorted(c for m in receipts for c in ("INV-000001", "INV-000002", "INV-000003")
                  if c in m["body"]) == ["INV-000001", "INV-000002", "INV-000003"]
    ok(stack, "POST", "v1/dev/clock", body={"offsetSeconds": 0})
    print(f"invoicing e2e: {time.monotonic() - started:.1f} s; {account_mails} account mails; "
          f"steps: {[(s, sorted(m['eventCode'] for m in ms)) for s, ms in box.steps]}")
