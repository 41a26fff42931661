"""Invoices for completed payments: one per payment however often its event comes, numbered in
the brand's gapless sequence, with the quote's items, coupon, tax and wallet part adding up to
what was paid; the payment's invoiceNo; listing, reading and deleting as JFW's SDK does; the
constants."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib import settings
from chalicelib.invoicing import models as m
from chalicelib.invoicing import payment_events
from chalicelib.payments.inbound import intake
from tests.concurrency import run_together
from tests.helpers.checkout import checkout_link, error_of, paypal_completion
from tests.helpers.payments import drain_outbox, make_payment, payment
from tests.helpers.payments import payment_events as events

LINKS = "returnLink=https://demo.test/paid&cancelLink=https://demo.test/cancel"


def payment_id_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["custom"][0]


def complete(brand_id: str, payment_id: str) -> None:
    intake.apply(brand_id, paypal_completion(payment(brand_id, payment_id)), None)
    drain_outbox()


def buy(buyer, brand_id: str, price_id: str, **query: str) -> str:
    pid = payment_id_of(checkout_link(buyer, price_id, **query))
    complete(brand_id, pid)
    return pid


def only_invoice(client) -> dict:
    page = client.ok("GET", "v1/invoices")
    assert page["totalItems"] == 1, page
    return page["items"][0]


def test_a_completed_payment_gets_its_invoice_numbered_and_the_payment_its_number(
        admin, buyer, shop, paypal, demo_brand):
    pid = buy(buyer, demo_brand["id"], shop["usd"])
    inv = only_invoice(buyer)
    assert (inv["type"], inv["status"], inv["code"], inv["number"]) == ("Post", "Paid",
                                                                        "INV-000001", 1)
    assert inv["totalAmount"] == inv["amountPaid"] == 20 and inv["amountDue"] == 0
    assert inv["subtotalAmount"] == 20 and inv["taxAmount"] == 0
    assert inv["currencyCode"] == "USD" and inv["packageCode"] == "PRO"
    [item] = inv["items"]
    assert (item["name"], item["quantity"], item["amount"]) == ("Pro - 30 days", 1, 20)
    assert inv["payment"]["id"] == pid and inv["payment"]["invoiceNo"] == "INV-000001"
    assert inv["user"]["emailAddress"] == "bob@shop-buyers.com"
    assert payment(demo_brand["id"], pid).invoice_no == "INV-000001"
    assert admin.ok("GET", f"v1/payments/{pid}")["invoiceNo"] == "INV-000001"
    one = buyer.ok("GET", f"v1/invoices/{inv['id']}")
    assert one["creditNotes"] == [] and one["creditedAmount"] == 0
    # the admin (INVOICE.READ) sees the brand's; the event again changes nothing
    assert admin.ok("GET", "v1/invoices")["totalItems"] == 1
    [row] = events(demo_brand["id"], "PAYMENT.PROCESSED.SUCCESS")
    payment_events.on_payment_event({**row.payload, "brandId": demo_brand["id"]})
    assert admin.ok("GET", "v1/invoices")["totalItems"] == 1
    # a second payment: the next number
    buy(buyer, demo_brand["id"], shop["usd"])
    codes = sorted(i["code"] for i in buyer.ok("GET", "v1/invoices")["items"])
    assert codes == ["INV-000001", "INV-000002"]


def test_a_user_sees_only_their_own(api, admin, buyer, shop, paypal, demo_brand):
    from tests.helpers.api import register_and_login

    buy(buyer, demo_brand["id"], shop["usd"])
    inv = only_invoice(buyer)
    eve = register_and_login(api, "eve", email="eve@shop-buyers.com")
    assert eve.ok("GET", "v1/invoices")["totalItems"] == 0
    assert eve.get(f"v1/invoices/{inv['id']}").status_code == 404
    assert eve.get(f"v1/invoices?userId={inv['user']['id']}").status_code == 403
    assert eve.delete(f"v1/invoices/{inv['id']}").status_code == 404
    assert admin.ok("GET", f"v1/invoices?userId={inv['user']['id']}")["totalItems"] == 1
    assert admin.ok("GET", "v1/invoices?status=Unpaid")["totalItems"] == 0
    assert admin.ok("GET", "v1/invoices?type=Post&code=INV-000001")["totalItems"] == 1
    assert admin.ok("GET", "v1/invoices?keywords=inv-000001")["totalItems"] == 1
    assert admin.ok("GET", "v1/invoices?testMode=false")["totalItems"] == 0
    assert admin.ok("GET", "v1/invoices?testMode=true")["totalItems"] == 1


def test_coupon_and_tax_add_up_to_what_was_paid(admin, buyer, shop, paypal, demo_brand):
    from chalicelib.identity import brands

    brands.update_setting(demo_brand["id"], {"taxRate": "8.875"})
    now = settings.now()
    admin.ok("POST", "v1/coupons", {
        "name": "SAVE", "code": "SAVE25", "percentage": 25,
        "startDate": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endDate": (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    pid = buy(buyer, demo_brand["id"], shop["usd"], couponCode="SAVE25")
    inv = only_invoice(buyer)
    # 20.00 - 25% = 15.00; tax 8.875% of 15.00 = 1.33125 -> 1.33; total 16.33
    assert inv["subtotalAmount"] == 20 and inv["discountAmount"] == 5
    assert inv["couponCode"] == "SAVE25" and inv["discountRate"] == 0.25
    assert str(inv["taxRate"]) == "0.08875" and str(inv["taxAmount"]) == "1.33"
    assert str(inv["totalAmount"]) == "16.33" == str(inv["amountPaid"])
    p = payment(demo_brand["id"], pid)
    assert int(p.amount_gross_minor) == 1633


def test_a_top_up_and_a_wallet_paid_purchase_each_get_one(buyer, shop, paypal, demo_brand):
    url = buyer.ok("POST", f"v1/wallets/add-money/checkout-link?currencyCode=USD&amount=25.00"
                           f"&{LINKS}")
    complete(demo_brand["id"], payment_id_of(url))
    top_up = only_invoice(buyer)
    assert top_up["purpose"] == "WalletTopUp" and top_up["totalAmount"] == 25
    assert top_up["taxAmount"] == 0 and top_up["items"][0]["name"] == "Wallet credit 25.00 USD"
    [w] = buyer.ok("GET", "v1/wallets?testMode=true&currencyCode=USD")
    data = buyer.ok("POST", f"v1/packages/{shop['pro']}/upgrade/checkout",
                    {"priceId": shop["usd"], "walletId": w["id"]})
    assert data["status"] == "Completed"
    drain_outbox()
    items = buyer.ok("GET", "v1/invoices?sortDataField=number&sortOrder=asc")["items"]
    assert [i["code"] for i in items] == ["INV-000001", "INV-000002"]
    bought = items[1]
    assert bought["purpose"] == "Purchase" and bought["totalAmount"] == 20
    assert bought["walletAmount"] == 20 and bought["gatewayAmount"] == 0
    assert payment(demo_brand["id"], data["paymentId"]).invoice_no == "INV-000002"


def test_a_part_wallet_payment_shows_both_parts(buyer, shop, paypal, demo_brand):
    url = buyer.ok("POST", f"v1/wallets/add-money/checkout-link?currencyCode=USD&amount=5.00"
                           f"&{LINKS}")
    complete(demo_brand["id"], payment_id_of(url))
    [w] = buyer.ok("GET", "v1/wallets?testMode=true&currencyCode=USD")
    data = buyer.ok("POST", f"v1/packages/{shop['pro']}/upgrade/checkout",
                    {"priceId": shop["usd"], "walletId": w["id"]})
    complete(demo_brand["id"], data["paymentId"])
    bought = next(i for i in buyer.ok("GET", "v1/invoices")["items"]
                  if i["purpose"] == "Purchase")
    assert (bought["totalAmount"], bought["walletAmount"], bought["gatewayAmount"]) == (20, 5, 15)


def test_a_licence_purchase_shows_its_quantity_with_tax(buyer, shop, paypal, demo_brand):
    from chalicelib.identity import brands

    bid = demo_brand["id"]
    brands.update_setting(bid, {"taxRate": "7.5"})
    url = buyer.ok("POST", f"v1/wallets/add-money/checkout-link?currencyCode=USD&amount=100.00"
                           f"&{LINKS}")
    complete(bid, payment_id_of(url))
    [w] = buyer.ok("GET", "v1/wallets?testMode=true&currencyCode=USD")
    body = {"packageId": shop["pro"], "subscriptionTypeId": "D30", "type": "Prepaid",
            "startDate": "2026-01-01T00:00:00Z", "endDate": "2099-01-01T00:00:00Z",
            "testMode": True, "quantity": 3}
    pid = buyer.ok("POST", f"v1/licenses/purchase/wallet?walletId={w['id']}", body)
    drain_outbox()
    inv = next(i for i in buyer.ok("GET", "v1/invoices")["items"] if i["paymentId"] == pid)
    # 3 x 20.00 = 60.00; tax 7.5% of 20.00 = 1.50 per unit -> 4.50; total 64.50
    [item] = inv["items"]
    assert (item["quantity"], item["unitAmount"], item["amount"]) == (3, 20, 60)
    assert str(inv["taxAmount"]) == "4.5" and str(inv["totalAmount"]) == "64.5"
    assert str(inv["walletAmount"]) == "64.5" and inv["gatewayAmount"] == 0


def test_the_brand_sets_the_number_format(admin, buyer, shop, paypal, demo_brand):
    bid = demo_brand["id"]
    r = admin.put(f"v1/brands/{bid}/setting", {"invoiceNumberFormat": "{0.__class__}"})
    assert r.status_code == 400 and error_of(r)["field"] == "invoiceNumberFormat", r.json_body
    admin.ok("PUT", f"v1/brands/{bid}/setting", {"creditNoteNumberFormat": "C-{number:03d}"})
    from chalicelib.identity import brands

    brands.update_setting(bid, {"invoiceNumberFormat": "F/{number:04d}"})
    buy(buyer, bid, shop["usd"])
    assert only_invoice(buyer)["code"] == "F/0001"


# -- concurrency ----------------------------------------------------------------------------------

def _payload(brand_id: str, p, **over) -> dict:
    return {"event": "PAYMENT.PROCESSED.SUCCESS", "eventId": f"E{p.id}", "brandId": brand_id,
            "paymentId": p.id, "status": "Completed", "completed": True,
            "paymentVersion": 2, "currency": p.currency, "amountMinor": int(p.amount_minor),
            "amountGrossMinor": int(p.amount_minor), "refundedMinor": 0, "quote": {},
            "userId": None, "userEmail": p.user_email, "testMode": True, **over}


def _invoices(brand_id: str) -> list[m.InvoiceItem]:
    return [i for i in m.InvoiceItem.gsi1.query(m.invoices_gsi(brand_id))]


def test_fifty_payments_at_once_get_fifty_consecutive_numbers(demo_brand, atomic_moto):
    from tests.helpers.payments import make_gateway

    bid = demo_brand["id"]
    gw = make_gateway(demo_brand)
    ps = [make_payment(demo_brand, gw, amount=1000 + i) for i in range(50)]
    outcomes = run_together(50, lambda i: payment_events.on_payment_event(_payload(bid, ps[i])))
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    made = _invoices(bid)
    assert sorted(int(i.number) for i in made) == list(range(1, 51))
    assert len({i.payment_id for i in made}) == 50
    assert all(int(i.total_minor) == 1000 + [p.id for p in ps].index(i.payment_id)
               for i in made)
    assert all(payment(bid, p.id).invoice_no for p in ps)


def test_one_event_delivered_twenty_times_at_once_makes_one_invoice(demo_brand, atomic_moto):
    from tests.helpers.payments import make_gateway

    bid = demo_brand["id"]
    p = make_payment(demo_brand, make_gateway(demo_brand))
    outcomes = run_together(20, lambda i: payment_events.on_payment_event(_payload(bid, p)))
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    [inv] = _invoices(bid)
    assert (inv.code, int(inv.total_minor)) == ("INV-000001", 1999)
    assert payment(bid, p.id).invoice_no == "INV-000001"
    counter = m.counter_pk(bid, m.counter_of(m.INVOICE_SEQ, True))
    assert m.CounterItem.get(counter, m.COUNTER_SK).value == 1


# -- delete ---------------------------------------------------------------------------------------

def test_a_paid_invoice_is_never_deleted_an_unpaid_provisional_one_can_go(
        admin, buyer, shop, paypal, demo_brand):
    buy(buyer, demo_brand["id"], shop["usd"])
    inv = only_invoice(buyer)
    r = admin.delete(f"v1/invoices/{inv['id']}")
    assert r.status_code == 409 and "never deleted" in error_of(r)["message"]
    assert buyer.delete(f"v1/invoices/{inv['id']}").status_code == 409
    now = settings.now()
    bid = demo_brand["id"]
    provisional = m.InvoiceItem(
        m.invoice_pk(bid, "prov1"), m.INVOICE_SK, id="prov1", brand_id=bid, code="PRO-prov1",
        type="Provisional", status="Unpaid", currency="USD", subtotal_minor=2000,
        total_minor=2000, user_id=inv["user"]["id"], gsi1pk=m.invoices_gsi(bid),
        gsi1sk="x#prov1", created_date=now, modified_date=now)
    provisional.save()
    assert buyer.ok("DELETE", "v1/invoices/prov1") is True
    assert buyer.get("v1/invoices/prov1").status_code == 404
    assert admin.delete("v1/invoices/nope").status_code == 404


def test_constants_answer_each_path_with_its_own_values(api):
    assert api.ok("GET", "v1/constants/invoice/types") == ["Provisional", "Post"]
    assert api.ok("GET", "v1/constants/invoice/status") == ["Unpaid", "Paid"]
    assert api.ok("GET", "v1/constants/transaction/status")
    assert api.ok("GET", "v1/constants/transaction/types")


@pytest.mark.parametrize("status", ["Failed", "Created", "Voided"])
def test_no_invoice_for_money_that_did_not_move(demo_brand, status):
    from tests.helpers.payments import make_gateway

    bid = demo_brand["id"]
    p = make_payment(demo_brand, make_gateway(demo_brand))
    payment_events.on_payment_event(_payload(bid, p, status=status, completed=False))
    assert _invoices(bid) == []


def test_an_event_about_a_missing_payment_is_logged_not_raised(demo_brand, caplog):
    """Raising would hold back the subscribers after invoicing (fulfilment) on every retry."""
    bid = demo_brand["id"]
    payment_events.on_payment_event({"brandId": bid, "paymentId": "gone", "status": "Completed",
                                     "completed": True, "currency": "USD", "quote": {}})
    assert _invoices(bid) == [] and "no invoice issued" in caplog.text


def test_test_mode_counts_apart_from_live(demo_brand):
    from tests.helpers.payments import make_gateway

    bid = demo_brand["id"]
    gw = make_gateway(demo_brand)
    for mode in (True, False, True, False):
        p = make_payment(demo_brand, gw, test_mode=mode)
        payment_events.on_payment_event(_payload(bid, p, testMode=mode))
    made = sorted((bool(i.test_mode), int(i.number)) for i in _invoices(bid))
    assert made == [(False, 1), (False, 2), (True, 1), (True, 2)]
    live_page = [i["code"] for i in _api_free_list(bid, False)]
    assert live_page == ["INV-000002", "INV-000001"]


def _api_free_list(bid: str, test_mode: bool) -> list[dict]:
    from chalicelib.invoicing import invoices

    rows = invoices.list_items(bid, None, {"testMode": test_mode})
    return [invoices.to_dto(i) for i in sorted(rows, key=lambda i: -int(i.number))]
