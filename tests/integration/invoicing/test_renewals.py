"""Renewals through provisional invoices, with a moved clock: created once (job twice, or two
copies at once) and mailed once, reminders once each, paying it (the checkout, or the mailed
link) extends the license from its end and turns it into the period's numbered Post/Paid
invoice, overdue when unpaid and the license expired by licensing's job, DELETE of the unpaid
provisional invoice, and the job reading only what is due (never a Scan)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import patch
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib import settings
from chalicelib.invoicing import models as m
from chalicelib.invoicing import renewals
from chalicelib.licensing import expiry
from chalicelib.payments.inbound import intake
from tests.concurrency import run_together
from tests.helpers.api import Api, login, make_user, register_and_login
from tests.helpers.checkout import paypal_completion
from tests.helpers.licensing import Clock, set_policy
from tests.helpers.payments import drain_outbox, mails, payment

T0 = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)
END = T0 + timedelta(days=30)  # PRO-30 bought at T0


@pytest.fixture
def clock(aws_env):
    """Time starts at T0; Auth-Keys outlast the moves."""
    before = settings.get()
    settings._settings = before._replace(auth_key_ttl_hours=24 * 3650)
    c = Clock(T0)
    yield c
    settings.set_clock(None)
    settings._settings = before


@pytest.fixture
def admin(api, demo_brand, clock) -> Api:
    make_user(demo_brand, "boss", "Admin")
    return login(api, "boss")


@pytest.fixture
def buyer(api, clock) -> Api:
    return register_and_login(api, "bob", email="bob@shop-buyers.com")


def payment_id_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["custom"][0]


def complete(brand_id: str, payment_id: str) -> None:
    intake.apply(brand_id, paypal_completion(payment(brand_id, payment_id)), None)
    drain_outbox()


@pytest.fixture
def subscribed(admin, buyer, shop, paypal, demo_brand, clock) -> str:
    """bob bought PRO-30 at T0 (invoice INV-000001); his license ends at END."""
    url = buyer.ok("POST", f"v1/prices/{shop['usd']}/generate-checkout-link")
    complete(demo_brand["id"], payment_id_of(url))
    assert me(buyer) == (shop["pro"], END)
    return buyer.ok("GET", "v1/users/me")["id"]


def me(api: Api) -> tuple:
    data = api.ok("GET", "v1/users/me")
    expiry = data["expiryDate"]
    return data["packageId"], (datetime.fromisoformat(expiry.replace("Z", "+00:00"))
                               if expiry and not expiry.startswith("9999") else None)


def _refuse_scan(*args, **kwargs):
    raise AssertionError("the renewal job must not Scan")


def run() -> dict:
    """One run of the job; any DynamoDB Scan during it fails the test."""
    from moto.dynamodb.models import DynamoDBBackend

    with patch.object(DynamoDBBackend, "scan", _refuse_scan):
        return renewals.run()


def provisional(buyer: Api) -> list[dict]:
    return [i for i in buyer.ok("GET", "v1/invoices")["items"] if i["type"] == "Provisional"]


def codes(brand_id: str, event: str) -> list:
    return mails(brand_id, event)


def at(moment: datetime, clock) -> None:
    clock.set(moment)


def test_created_once_mailed_once_reminders_once_each_then_paid_extends_from_the_end(
        demo_brand, buyer, shop, clock, subscribed):
    b = demo_brand["id"]
    assert run().get("created") is None  # the watch waits for the renewal point
    clock.set(END - timedelta(days=7, minutes=-1))
    counts = run()
    assert counts["created"] == 1 and counts["mailed"] == 1, counts
    assert run().get("created") is None and run().get("mailed") is None
    [inv] = provisional(buyer)
    assert (inv["status"], inv["number"], inv["totalAmount"], inv["reminderedCount"]) == (
        "Unpaid", None, 20, 0)
    assert inv["dueDate"].startswith("2030-04-09T12:00") and inv["overdueDate"] == inv["dueDate"]
    assert inv["billingPeriodStartDate"].startswith("2030-04-09")
    assert inv["billingPeriodEndDate"].startswith("2030-05-09")
    [created] = codes(b, "INVOICE.RENEWAL.CREATED")
    link = created.payload["context"]["invoice"]["pay_link"]
    assert f"/api/invoices/{inv['id']}/pay?" in link and "token=" in link
    # reminders at 3 and 1 days before the due date, each once
    clock.set(END - timedelta(days=3, minutes=-1))
    assert run()["reminded"] == 1
    assert run().get("reminded") is None
    clock.set(END - timedelta(days=1, minutes=-1))
    run()
    run()
    assert len(codes(b, "INVOICE.RENEWAL.REMINDER")) == 2
    assert provisional(buyer)[0]["reminderedCount"] == 2
    # paying it: a payment of exactly its total, carrying the invoice's id
    reply = buyer.ok("POST", f"v1/invoices/{inv['id']}/checkout", {})
    pid = payment_id_of(reply["checkoutLink"])
    paid = payment(b, pid)
    assert (paid.amount_minor, paid.invoice_id) == (2000, inv["id"])
    # asking again answers the same open payment
    assert buyer.ok("POST", f"v1/invoices/{inv['id']}/checkout", {})["paymentId"] == pid
    complete(b, pid)
    one = buyer.ok("GET", f"v1/invoices/{inv['id']}")
    assert (one["type"], one["status"], one["code"], one["number"]) == (
        "Post", "Paid", "INV-000002", 2)
    assert one["amountPaid"] == 20 and one["payment"]["id"] == pid
    assert payment(b, pid).invoice_no == "INV-000002"
    assert len(buyer.ok("GET", "v1/invoices")["items"]) == 2  # no third invoice for it
    # its receipt, once (as every paid invoice's): INV-000001's and this one's
    assert len(mails(b, "PAYMENT.RECEIPT-EXPORTED.SUCCESS")) == 2
    # extended from its end (END + 30 days), not from now (END - 1 day + 30 days)
    assert me(buyer) == (shop["pro"], END + timedelta(days=30))
    # nothing more for this period; the next renewal point is armed
    assert run().get("reminded") is None
    assert len(codes(b, "INVOICE.RENEWAL.CREATED")) == 1
    clock.set(END + timedelta(days=23, minutes=1))
    assert run()["created"] == 1


def test_unpaid_goes_overdue_and_the_license_expires_with_licensings_job(
        demo_brand, buyer, shop, clock, subscribed):
    b = demo_brand["id"]
    set_policy(b, licenseGraceDays=2)
    clock.set(END - timedelta(days=6))
    run()
    [inv] = provisional(buyer)
    assert inv["overdueDate"].startswith("2030-04-11T12:00")
    token_link = codes(b, "INVOICE.RENEWAL.CREATED")[0].payload["context"]["invoice"]["pay_link"]
    clock.set(END + timedelta(hours=1))  # in grace: not overdue yet, still Pro
    expiry.run()
    run()
    assert provisional(buyer)[0].get("isOverdue") is False
    assert me(buyer)[0] == shop["pro"]
    clock.set(END + timedelta(days=2, minutes=1))
    expiry.run()  # licensing ends it at the same moment
    counts = run()
    assert counts["overdue"] == 1, counts
    assert run().get("overdue") is None
    [inv] = provisional(buyer)
    assert inv["status"] == "Unpaid" and inv["isOverdue"] is True
    assert me(buyer)[0] != shop["pro"]
    assert len(codes(b, "INVOICE.RENEWAL.OVERDUE")) == 1
    # the link and the checkout no longer take it
    path = token_link.split("/api/", 1)[1]
    assert buyer.get(f"/api/{path}").status_code == 410
    assert buyer.post(f"v1/invoices/{inv['id']}/checkout", {}).status_code == 409


def test_paid_in_grace_extends_from_the_old_end(demo_brand, buyer, shop, clock, subscribed):
    b = demo_brand["id"]
    set_policy(b, licenseGraceDays=3)
    clock.set(END - timedelta(days=6))
    run()
    [inv] = provisional(buyer)
    clock.set(END + timedelta(days=1))
    expiry.run()  # Grace
    run()
    pid = payment_id_of(buyer.ok("POST", f"v1/invoices/{inv['id']}/checkout", {})[
        "checkoutLink"])
    complete(b, pid)
    assert me(buyer) == (shop["pro"], END + timedelta(days=30))
    assert buyer.ok("GET", f"v1/invoices/{inv['id']}")["status"] == "Paid"


def test_the_mailed_link_opens_the_checkout_and_a_tampered_one_does_not(
        demo_brand, buyer, shop, clock, subscribed, api):
    b = demo_brand["id"]
    clock.set(END - timedelta(days=6))
    run()
    link = codes(b, "INVOICE.RENEWAL.CREATED")[0].payload["context"]["invoice"]["pay_link"]
    path = "/api/" + link.split("/api/", 1)[1]
    anonymous = api.as_(None)
    resp = anonymous.get(path)
    assert resp.status_code == 302
    pid = parse_qs(urlsplit(resp.headers["Location"]).query)["custom"][0]
    assert payment(b, pid).invoice_id == provisional(buyer)[0]["id"]
    assert anonymous.get(path).headers["Location"] == resp.headers["Location"]  # same payment
    assert anonymous.get(path[:-3] + "xyz").status_code == 404
    other = path.replace(provisional(buyer)[0]["id"], "NoSuchInvoice1")
    assert anonymous.get(other).status_code == 404
    complete(b, pid)
    assert anonymous.get(path).status_code in (404, 410)  # paid: the link is spent


def test_delete_of_the_unpaid_provisional_invoice_and_it_is_not_made_again(
        demo_brand, buyer, admin, clock, subscribed):
    clock.set(END - timedelta(days=6))
    run()
    [inv] = provisional(buyer)
    eve = register_and_login(buyer.as_(None), "eve", email="eve@shop-buyers.com")
    assert eve.delete(f"v1/invoices/{inv['id']}").status_code == 404
    assert eve.post(f"v1/invoices/{inv['id']}/checkout", {}).status_code == 404
    assert buyer.ok("DELETE", f"v1/invoices/{inv['id']}") is True
    assert provisional(buyer) == []
    clock.move(hours=1)
    run()
    run()
    assert provisional(buyer) == []
    assert len(codes(demo_brand["id"], "INVOICE.RENEWAL.CREATED")) == 1


def test_renewed_another_way_withdraws_the_provisional_invoice(
        demo_brand, buyer, shop, clock, subscribed):
    b = demo_brand["id"]
    clock.set(END - timedelta(days=6))
    run()
    assert len(provisional(buyer)) == 1
    # bob buys PRO-30 again through the price's own checkout: his end moves on
    url = buyer.ok("POST", f"v1/prices/{shop['usd']}/generate-checkout-link")
    complete(b, payment_id_of(url))
    clock.set(END - timedelta(days=3, minutes=-1))
    assert run()["withdrawn"] == 1
    assert provisional(buyer) == []
    assert codes(b, "INVOICE.RENEWAL.REMINDER") == []


def test_two_copies_of_the_job_at_once_create_one_invoice_and_one_mail(
        demo_brand, buyer, clock, subscribed, atomic_moto):
    clock.set(END - timedelta(days=6))
    run_together(4, lambda i: renewals.run())
    assert len(provisional(buyer)) == 1
    assert len(codes(demo_brand["id"], "INVOICE.RENEWAL.CREATED")) == 1


def test_settings_route(admin, buyer, demo_brand):
    assert admin.ok("GET", "v1/invoices/settings") == {
        "invoiceRenewalDays": 7, "invoiceReminderDays": [3, 1], "licenseGraceDays": 0}
    got = admin.ok("PUT", "v1/invoices/settings", {"invoiceRenewalDays": 10,
                                                    "invoiceReminderDays": [1, 5]})
    assert got["invoiceRenewalDays"] == 10 and got["invoiceReminderDays"] == [5, 1]
    assert admin.put("v1/invoices/settings", {"invoiceRenewalDays": 0}).status_code == 400
    assert buyer.put("v1/invoices/settings", {"invoiceRenewalDays": 3}).status_code == 403


def test_the_job_reads_only_what_is_due(demo_brand, clock, monkeypatch):
    """2,000 watches of which 5 are due: the due index returns those 5, nothing else."""
    b = demo_brand["id"]
    now = settings.now()
    with m.RenewalItem.batch_write() as batch:
        for n in range(2000):
            user_id = f"U{n:05d}"
            when = now - timedelta(minutes=1) if n < 5 else now + timedelta(days=1 + n % 30)
            batch.save(m.RenewalItem(
                m.renewal_pk(b, user_id), m.RENEWAL_SK, brand_id=b, user_id=user_id,
                package_id="P", subscription_type_id="D30", currency="USD", created_date=now,
                modified_date=now, due_pk=m.due_shard(user_id),
                due_sk=m.due_sk(when, "R", b, user_id)))
    read = []
    real = m.InvoicingRecord.due.query

    def counting(*args, **kwargs):
        for item in real(*args, **kwargs):
            read.append(item)
            yield item

    monkeypatch.setattr(m.InvoicingRecord.due, "query", counting)
    counts = run()
    assert len(read) == counts["due"] == 5
    assert counts["retired"] == 5  # no such subscriptions: they retire, out of the index
    read.clear()
    assert run() == {} and read == []


def test_a_wallet_pays_the_whole_invoice_at_once(demo_brand, buyer, shop, clock, subscribed):
    b = demo_brand["id"]
    top = buyer.ok("POST", "v1/wallets/add-money/checkout-link?currencyCode=USD&amount=50"
                           "&returnLink=https://demo.test/paid&cancelLink=https://demo.test/c")
    complete(b, payment_id_of(top))
    [w] = buyer.ok("GET", "v1/wallets?testMode=true&currencyCode=USD")
    clock.set(END - timedelta(days=6))
    run()
    [inv] = provisional(buyer)
    reply = buyer.ok("POST", f"v1/invoices/{inv['id']}/checkout", {"walletId": w["id"]})
    assert reply["checkoutLink"] is None and reply["status"] == "Completed"
    drain_outbox()
    one = buyer.ok("GET", f"v1/invoices/{inv['id']}")
    assert (one["type"], one["status"], one["number"]) == ("Post", "Paid", 3)  # 2: the top-up
    assert one["walletAmount"] == 20 and one["gatewayAmount"] == 0
    assert me(buyer) == (shop["pro"], END + timedelta(days=30))
    [w] = buyer.ok("GET", "v1/wallets?testMode=true&currencyCode=USD")
    assert w["amount"] == 30


def test_an_old_purchase_event_delivered_again_does_not_move_the_watch(
        demo_brand, buyer, clock, subscribed):
    from chalicelib.invoicing import payment_events
    from tests.helpers.payments import payment_events as events

    b = demo_brand["id"]
    watch = m.RenewalItem.get(m.renewal_pk(b, subscribed), m.RENEWAL_SK)
    assert watch.due_sk.startswith("2030-04-02T12:00")  # the end less 7 days
    [row] = events(b, "PAYMENT.PROCESSED.SUCCESS")
    payment_events.on_payment_event({**row.payload, "brandId": b})
    again = m.RenewalItem.get(m.renewal_pk(b, subscribed), m.RENEWAL_SK)
    assert (again.version, again.due_sk) == (watch.version, watch.due_sk)
