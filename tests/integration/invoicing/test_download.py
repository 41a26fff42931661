"""Invoice PDFs through the API: POST v1/invoices/{id}/download answers the PDF's bytes (read
back with pypdf: the numbers), rendered once and kept in S3 under the brand's prefix; an issued
invoice's PDF never changes and a credit note has its own; another user's is a 404. The
invoice's two mails go once each, with a link that opens the PDF without signing in, for one
invoice and 30 days."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from pypdf import PdfReader

from chalicelib import settings
from chalicelib.invoicing import exports, payment_events, pdf
from chalicelib.payments.gateways.events import GatewayEvent
from chalicelib.payments.inbound import intake
from chalicelib.store import aws
from tests.concurrency import run_together
from tests.helpers.api import register_and_login
from tests.helpers.checkout import checkout_link, paypal_completion
from tests.helpers.payments import drain_outbox, mails, payment, sent_mails
from tests.helpers.payments import payment_events as events

AXIOS_ACCEPT = {"Accept": "application/json, text/plain, */*"}  # JFW's SDK (axios' default)
EXPORTED, RECEIPT = "PAYMENT.INVOICE-EXPORTED.SUCCESS", "PAYMENT.RECEIPT-EXPORTED.SUCCESS"


def bought(buyer, brand_id: str, price_id: str, **query: str) -> tuple[str, dict]:
    url = checkout_link(buyer, price_id, **query)
    pid = parse_qs(urlsplit(url).query)["custom"][0]
    intake.apply(brand_id, paypal_completion(payment(brand_id, pid)), None)
    drain_outbox()
    [inv] = buyer.ok("GET", "v1/invoices")["items"]
    return pid, inv


def refund(brand_id: str, pid: str, amount: int) -> None:
    p = payment(brand_id, pid)
    intake.apply(brand_id, GatewayEvent(
        gateway="paypal", dedupe_key=f"R{pid}:Refunded", kind="payment.refunded",
        event_type="Refunded", occurred_at=settings.now(), payment_ref=p.id,
        merchant_ref=f"R{pid}", amount_minor=amount, currency=p.currency,
        receiver="seller@demo.test", receiver_matches=True, jfw_status="Refunded",
        test_mode=True, parent_merchant_ref=f"TXN{pid}"), None)
    drain_outbox()


def download(client, path: str, headers: dict | None = None):
    return client.request("POST", path, headers=headers or AXIOS_ACCEPT)


def text_of(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def stored(prefix: str) -> list[str]:
    resp = aws.client("s3").list_objects_v2(Bucket=exports.bucket(), Prefix=prefix)
    return sorted(o["Key"] for o in resp.get("Contents", []))


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """Every pdf.render call (its kind), the real render still done."""
    calls: list[str] = []
    real = pdf.render

    def spy(doc, brand, **kw):
        calls.append(kw.get("kind", pdf.INVOICE))
        return real(doc, brand, **kw)

    monkeypatch.setattr(pdf, "render", spy)
    return calls


def test_the_download_is_the_pdf_with_the_invoices_numbers(admin, buyer, shop, paypal,
                                                           demo_brand):
    from chalicelib.identity import brands

    brands.update_setting(demo_brand["id"], {"taxRate": "8.875"})
    now = settings.now()
    admin.ok("POST", "v1/coupons", {
        "name": "SAVE", "code": "SAVE25", "percentage": 25,
        "startDate": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endDate": (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    pid, inv = bought(buyer, demo_brand["id"], shop["usd"], couponCode="SAVE25")
    resp = download(buyer, f"v1/invoices/{inv['id']}/download")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="INV-000001.pdf"'
    assert resp.body.startswith(b"%PDF-")  # raw bytes: no envelope
    text = text_of(resp.body)
    for line in ("INV-000001", "Pro - 30 days", "Subtotal 20.00 USD",
                 "Discount 25% (SAVE25) -5.00 USD", "Tax 8.875% 1.33 USD", "Total 16.33 USD",
                 "Amount paid 16.33 USD", "Amount due 0.00 USD", "bob@shop-buyers.com",
                 payment(demo_brand["id"], pid).code, "TEST MODE"):
        assert line in text, (line, text)
    # Accept: application/pdf works too; an Accept that names neither it nor */* is a 406
    assert download(buyer, f"v1/invoices/{inv['id']}/download",
                    {"Accept": "application/pdf"}).body == resp.body
    refused = download(buyer, f"v1/invoices/{inv['id']}/download", {"Accept": "text/html"})
    assert refused.status_code == 406 and refused.json_body["errors"][0]["code"] == \
        "NOT_ACCEPTABLE"


def test_rendered_once_stored_under_the_brand_then_served_as_stored(buyer, shop, paypal,
                                                                    demo_brand, renders):
    bid = demo_brand["id"]
    _, inv = bought(buyer, bid, shop["usd"])
    assert stored(f"{bid}/invoices/") == []  # nothing is made before it is asked for
    t0 = time.perf_counter()
    first = download(buyer, f"v1/invoices/{inv['id']}/download").body
    t1 = time.perf_counter()
    again = download(buyer, f"v1/invoices/{inv['id']}/download").body
    t2 = time.perf_counter()
    assert first == again and renders == [pdf.INVOICE]
    print(f"\nfirst download (render + store) {1000 * (t1 - t0):.1f} ms, stored "
          f"{1000 * (t2 - t1):.1f} ms, {len(first)} bytes (moto)")
    assert stored(f"{bid}/invoices/") == [f"{bid}/invoices/{inv['id']}/invoice-1.pdf"]


def test_two_first_downloads_at_once_store_one_object(buyer, shop, paypal, demo_brand):
    bid = demo_brand["id"]
    _, inv = bought(buyer, bid, shop["usd"])
    from chalicelib.invoicing import invoices

    item = invoices.get(bid, inv["id"])
    outcomes = run_together(4, lambda _: exports.invoice_pdf(item))
    assert all(isinstance(o, bytes) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1 and stored(f"{bid}/invoices/") == [exports.invoice_key(item)]


def test_an_issued_invoice_pdf_never_changes_and_a_credit_note_has_its_own(
        buyer, shop, paypal, demo_brand, renders):
    bid = demo_brand["id"]
    pid, inv = bought(buyer, bid, shop["usd"])
    before = download(buyer, f"v1/invoices/{inv['id']}/download").body
    refund(bid, pid, 500)
    one = buyer.ok("GET", f"v1/invoices/{inv['id']}")
    assert one["creditedAmount"] == 5
    [note] = one["creditNotes"]
    after = download(buyer, f"v1/invoices/{inv['id']}/download").body
    assert after == before and "Credited" not in text_of(after)
    resp = download(buyer, f"v1/invoices/{inv['id']}/credit-notes/{note['id']}/download")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/pdf"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="CN-000001.pdf"'
    text = text_of(resp.body)
    for line in ("CREDIT NOTE", "CN-000001", "INV-000001", "Amount credited 5.00 USD",
                 f"Refund of payment {payment(bid, pid).code}.", "TEST MODE"):
        assert line in text, (line, text)
    download(buyer, f"v1/invoices/{inv['id']}/credit-notes/{note['id']}/download")
    assert renders == [pdf.INVOICE, pdf.CREDIT_NOTE]
    assert stored(f"{bid}/invoices/{inv['id']}/") == [
        f"{bid}/invoices/{inv['id']}/credit-note-1.pdf",
        f"{bid}/invoices/{inv['id']}/invoice-1.pdf"]


def test_first_downloaded_after_a_refund_it_is_still_the_invoice_as_issued(
        buyer, shop, paypal, demo_brand):
    bid = demo_brand["id"]
    pid, inv = bought(buyer, bid, shop["usd"])
    refund(bid, pid, 2000)
    text = text_of(download(buyer, f"v1/invoices/{inv['id']}/download").body)
    assert "Total 20.00 USD" in text and "Credited" not in text and "CN-000001" not in text


def test_another_users_invoice_or_note_is_a_404_and_an_admin_may_download(
        api, admin, buyer, shop, paypal, demo_brand):
    bid = demo_brand["id"]
    pid, inv = bought(buyer, bid, shop["usd"])
    refund(bid, pid, 500)
    [note] = buyer.ok("GET", f"v1/invoices/{inv['id']}")["creditNotes"]
    eve = register_and_login(api, "eve", email="eve@shop-buyers.com")
    for path in (f"v1/invoices/{inv['id']}/download",
                 f"v1/invoices/{inv['id']}/credit-notes/{note['id']}/download"):
        resp = download(eve, path)
        assert resp.status_code == 404, path
        assert resp.json_body["errors"][0]["code"] == "INVOICE_NOT_FOUND"
        assert download(admin, path).status_code == 200  # INVOICE.READ
    assert stored(f"{bid}/invoices/{inv['id']}/") != []
    # a note id that is not this invoice's, an invoice that does not exist
    assert download(buyer, f"v1/invoices/{inv['id']}/credit-notes/nope/download"
                    ).json_body["errors"][0]["code"] == "CREDIT_NOTE_NOT_FOUND"
    assert download(buyer, "v1/invoices/nope/download").status_code == 404
    assert download(api, f"v1/invoices/{inv['id']}/download").status_code == 401


# -- the mails and their link ---------------------------------------------------------------------

def mails_of(brand_id: str, code: str) -> list[dict]:
    return [m for m in sent_mails(brand_id) if m["eventCode"] == code]


def link_in(body: str) -> str:
    [link] = set(re.findall(r'href="([^"]*/pdf\?token=[^"]*)"', body))
    return link.replace("&amp;", "&")


def open_link(api, link: str, invoice_id: str | None = None):
    parts = urlsplit(link)
    path = parts.path if invoice_id is None else parts.path.replace(
        parts.path.split("/")[-2], invoice_id)
    return api.as_(None, None).request("GET", f"{path}?{parts.query}", headers={})


def test_the_receipt_mail_goes_once_with_a_link_that_opens_the_pdf(
        api, buyer, shop, paypal, demo_brand):
    bid = demo_brand["id"]
    _, inv = bought(buyer, bid, shop["usd"])
    # an invoice issued already paid: the receipt only (no second mail for one purchase)
    assert mails_of(bid, EXPORTED) == []
    [receipt] = mails_of(bid, RECEIPT)
    assert receipt["to"] == "bob@shop-buyers.com"
    assert "receipt for invoice INV-000001" in receipt["subject"]
    assert "20.00 USD" in receipt["body"]
    link = link_in(receipt["body"])
    assert link.startswith(f"{settings.get().base_url}/api/v1/invoices/{inv['id']}/pdf?token=")
    # sent, the outbox rows keep no link (a bearer secret); the table holds only its hash
    for row in mails(bid, EXPORTED) + mails(bid, RECEIPT):
        assert row.status == "Sent" and "context" not in row.payload and link not in str(
            row.payload)
    # the payment event delivered again (twice at once, too): no invoice, no mail more
    [row] = events(bid, "PAYMENT.PROCESSED.SUCCESS")
    run_together(2, lambda _: payment_events.on_payment_event({**row.payload, "brandId": bid}))
    drain_outbox()
    assert (len(mails_of(bid, EXPORTED)), len(mails_of(bid, RECEIPT))) == (0, 1)
    # the link: no Brand-URL, no Auth-Key; a 302 to the stored PDF, which S3 (moto) answers
    resp = open_link(api, link)
    assert resp.status_code == 302, resp.body
    assert resp.headers["Cache-Control"] == "no-store"
    got = requests.get(resp.headers["Location"], timeout=10)
    assert got.status_code == 200 and got.content.startswith(b"%PDF-")
    assert got.headers["Content-Type"] == "application/pdf"
    assert 'inline; filename="INV-000001.pdf"' == got.headers["Content-Disposition"]
    assert got.content == download(buyer, f"v1/invoices/{inv['id']}/download").body
    assert "INV-000001" in text_of(got.content)


def test_an_expired_altered_or_moved_link_is_a_403(api, buyer, shop, paypal, demo_brand):
    bid = demo_brand["id"]
    _, first = bought(buyer, bid, shop["usd"])
    link = link_in(mails_of(bid, RECEIPT)[0]["body"])
    token = parse_qs(urlsplit(link).query)["token"][0]

    def code_of(resp) -> str:
        assert resp.status_code == 403, (resp.status_code, resp.body)
        return resp.json_body["errors"][0]["code"]

    # one character changed, the secret cut, no brand part, another brand, another invoice
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    brand, _, secret = token.partition(".")
    for bad in (altered, f"{brand}.{secret[:-4]}", secret, f"other.{secret}"):
        assert code_of(open_link(api, link.replace(token, bad))) == "INVOICE_LINK_INVALID", bad
    pid2 = parse_qs(urlsplit(checkout_link(buyer, shop["usd"])).query)["custom"][0]
    intake.apply(bid, paypal_completion(payment(bid, pid2)), None)
    drain_outbox()
    other = next(i for i in buyer.ok("GET", "v1/invoices")["items"] if i["id"] != first["id"])
    assert code_of(open_link(api, link, other["id"])) == "INVOICE_LINK_INVALID"
    missing = api.as_(None, None).request(
        "GET", f"/api/v1/invoices/{first['id']}/pdf", headers={})
    assert missing.status_code == 400
    # the link works for 30 days, then says it expired
    start = settings.now()
    try:
        settings.set_clock(lambda: start + timedelta(days=29, hours=23))
        assert open_link(api, link).status_code == 302
        settings.set_clock(lambda: start + timedelta(days=30, minutes=1))
        assert code_of(open_link(api, link)) == "INVOICE_LINK_EXPIRED"
    finally:
        settings.set_clock(None)


def test_no_buyer_address_no_mail_and_no_link(demo_brand):
    from chalicelib.invoicing import models as m
    from tests.helpers.payments import make_gateway, make_payment

    bid = demo_brand["id"]
    p = make_payment(demo_brand, make_gateway(demo_brand), amount=2000)
    payment_events.on_payment_event({
        "brandId": bid, "paymentId": p.id, "status": "Completed", "completed": True,
        "currency": "USD", "amountMinor": 2000, "amountGrossMinor": 2000, "quote": {},
        "userId": None, "testMode": True})
    drain_outbox()
    assert mails_of(bid, EXPORTED) == mails_of(bid, RECEIPT) == []
    assert not [r for r in m.InvoicingRecord.scan() if isinstance(r, m.InvoiceLinkItem)]


def test_keys_file_names_and_what_a_live_invoice_says(demo_brand):
    from chalicelib.invoicing import models as m

    now = settings.now()
    item = m.InvoiceItem("B#b1#INV#i1", m.INVOICE_SK, id="i1", brand_id="b1", number=None,
                         code="DRAFT", type="Provisional", status="Unpaid", currency="JPY",
                         subtotal_minor=1500, total_minor=1500, paid_minor=0, items=[],
                         created_date=now, modified_date=now)
    assert exports.invoice_key(item) == "b1/invoices/i1/provisional.pdf"
    item.number, item.code = 7, "INV/2030/#7"
    assert exports.invoice_key(item) == "b1/invoices/i1/invoice-7.pdf"
    assert exports.file_name(item.code) == "INV-2030-7.pdf"
    assert exports.file_name('"; evil\r\n') == "evil.pdf" and exports.file_name("") == \
        "document.pdf"
    doc = exports.invoice_document(item)
    assert not doc["notes"] and doc["totalAmount"] == 1500 and doc["amountDue"] == 1500
    assert "TEST MODE" not in text_of(pdf.render(doc, {"name": "Live shop"}))
