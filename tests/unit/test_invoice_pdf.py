"""Invoice PDFs (chalicelib/invoicing/pdf.py): rendered, read back with pypdf's text extraction,
and the numbers and names checked as a reader sees them."""

from __future__ import annotations

import base64
import io
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from chalicelib.invoicing import pdf

D = Decimal
BRAND = {
    "id": "b1", "code": "acme", "name": "Acme Café",
    "profile": {"slogan": "Tools that last", "logoURL": "https://cdn.example.com/logo.png"},
    "setting": {"emailSupport": "help@acme.example", "currencyCode": "USD"},
    "addresses": ["1 Main Street, 10115 Berlin, Germany"],
}
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def invoice(currency: str = "USD", **over) -> dict:
    doc = {
        "id": "i1", "code": "INV-000042", "type": "Post", "status": "Paid",
        "invoiceDate": "2030-06-01T12:00:00.000Z", "dueDate": "2030-06-01T12:00:00.000Z",
        "billingPeriodStartDate": "2030-06-01T12:00:00.000Z",
        "billingPeriodEndDate": "2030-07-01T12:00:00.000Z",
        "user": {"username": "ada", "emailAddress": "ada@example.com", "firstName": "Ada",
                 "lastName": "Lovelace"},
        "payment": {"code": "PAY-7F3K", "paymentDate": "2030-06-01T12:00:00.000Z",
                    "paymentType": "Stripe", "merchantRefNo": "pi_3Pabc"},
        "items": [{"name": "PRO Monthly", "quantity": 1, "amount": D("9.99"),
                   "currencyCode": currency}],
        "subtotalAmount": D("9.99"), "discountAmount": D("0.00"), "taxRate": D("0"),
        "taxAmount": D("0.00"), "totalAmount": D("9.99"), "amountPaid": D("9.99"),
        "amountDue": D("0.00"), "currencyCode": currency, "notes": None,
        "walletAmount": D("0.00"), "creditedAmount": D("0.00"), "creditNotes": [],
    }
    doc.update(over)
    return doc


def text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pages_of(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def test_a_usd_invoice_shows_its_number_dates_buyer_items_totals_and_payment():
    data = pdf.render(invoice(), BRAND)
    assert data.startswith(b"%PDF-")
    text = text_of(data)
    for shown in ("INVOICE", "Acme Café", "Tools that last", "help@acme.example",
                  "1 Main Street, 10115 Berlin, Germany", "INV-000042", "2030-06-01",
                  "2030-06-01 - 2030-07-01", "Ada Lovelace", "ada@example.com", "PRO Monthly",
                  "Subtotal 9.99 USD", "Total 9.99 USD", "Amount paid 9.99 USD",
                  "Amount due 0.00 USD", "Payment: PAY-7F3K", "Reference: pi_3Pabc",
                  "Method: Stripe", "Page 1 / 1"):
        assert shown in text, shown
    # Nothing to show: no discount, wallet or credit lines.
    for absent in ("Discount", "Paid from wallet", "Credited", "CREDIT NOTES"):
        assert absent not in text


def test_the_same_invoice_renders_the_same_bytes():
    doc = invoice(items=[{"name": f"Seat {i}", "quantity": i, "amount": D("1.00")}
                         for i in range(1, 30)])
    first = pdf.render(doc, BRAND)
    assert pdf.render(doc, BRAND) == first
    assert PdfReader(io.BytesIO(first)).metadata.creation_date.year == 2030  # the invoice's
    assert pdf.render(invoice(code="INV-000043"), BRAND) != pdf.render(invoice(), BRAND)


@pytest.mark.parametrize("currency, amounts, shown", [
    ("JPY", {"subtotalAmount": D("1500"), "taxAmount": D("150"), "totalAmount": D("1650"),
             "amountPaid": D("1650"), "amountDue": D("0")},
     ["Subtotal 1,500 JPY", "Tax 10% 150 JPY", "Total 1,650 JPY", "Amount due 0 JPY"]),
    ("KWD", {"subtotalAmount": D("12.345"), "taxAmount": D("1.235"), "totalAmount": D("13.580"),
             "amountPaid": D("13.58"), "amountDue": D("0")},
     ["Subtotal 12.345 KWD", "Tax 10% 1.235 KWD", "Total 13.580 KWD",
      "Amount paid 13.580 KWD", "Amount due 0.000 KWD"]),
    ("USD", {"subtotalAmount": D("1234567.5"), "taxAmount": D("123456.75"),
             "totalAmount": D("1358024.25"), "amountPaid": D("1358024.25"),
             "amountDue": D("0")},
     ["Subtotal 1,234,567.50 USD", "Tax 10% 123,456.75 USD", "Total 1,358,024.25 USD"]),
])
def test_amounts_show_exactly_the_currencys_decimals(currency, amounts, shown):
    doc = invoice(currency, taxRate=D("10"), **amounts)
    doc["items"][0]["amount"] = amounts["subtotalAmount"]
    text = text_of(pdf.render(doc, BRAND))
    for line in shown:
        assert line in text, line


def test_a_coupon_tax_and_a_wallet_part_are_shown():
    doc = invoice(subtotalAmount=D("100.00"), discountRate=D("15"), discountAmount=D("15.00"),
                  couponCode="SPRING15", taxRate=D("8.25"), taxAmount=D("7.01"),
                  totalAmount=D("92.01"), walletAmount=D("20.00"), amountPaid=D("92.01"),
                  amountDue=D("0.00"))
    text = text_of(pdf.render(doc, BRAND))
    for line in ("Subtotal 100.00 USD", "Discount 15% (SPRING15) -15.00 USD",
                 "Tax 8.25% 7.01 USD", "Total 92.01 USD", "Paid from wallet 20.00 USD",
                 "Amount paid 92.01 USD"):
        assert line in text, line


def test_an_invoice_lists_its_credit_notes_and_what_was_credited():
    doc = invoice(creditedAmount=D("4.99"), creditNotes=[
        {"code": "CN-000001", "amount": D("3.00"), "date": "2030-06-03T09:00:00.000Z"},
        {"code": "CN-000002", "amount": D("1.99"), "date": "2030-06-04T09:00:00.000Z"}])
    text = text_of(pdf.render(doc, BRAND))
    for line in ("CREDIT NOTES", "CN-000001 2030-06-03 -3.00 USD",
                 "CN-000002 2030-06-04 -1.99 USD", "Credited -4.99 USD"):
        assert line in text, line


def test_a_credit_note_shows_its_code_the_invoice_it_credits_the_amount_and_the_reason():
    note = {"code": "CN-000007", "date": "2030-06-05T10:00:00.000Z",
            "invoiceCode": "INV-000042", "creditedInvoiceDate": "2030-06-01T12:00:00.000Z",
            "amount": D("4.50"), "taxRate": D("10"), "taxAmount": D("0.41"),
            "currencyCode": "USD", "reason": "Partial refund: one seat removed",
            "user": invoice()["user"]}
    data = pdf.render(note, BRAND, kind=pdf.CREDIT_NOTE)
    text = text_of(data)
    for line in ("CREDIT NOTE", "CN-000007", "2030-06-05", "Credits invoice INV-000042",
                 "Invoice date 2030-06-01", "Partial refund: one seat removed",
                 "of which tax 10% 0.41 USD", "Amount credited 4.50 USD", "Ada Lovelace"):
        assert line in text, line
    assert pdf.render(note, BRAND, kind=pdf.CREDIT_NOTE) == data
    with pytest.raises(ValueError):
        pdf.render(note, BRAND, kind="Receipt")


def test_non_latin_names_never_fail_and_keep_what_helvetica_can_draw():
    user = {"username": "小明", "emailAddress": "xm@example.com", "firstName": "Zoë Jürgen",
            "lastName": "Weiß-Łódź 中文 Ωμέγα"}
    items = [{"name": "Abonnement « Pro » – 12 mois, 5 € off", "quantity": 1,
              "amount": D("9.99")}, {"name": "Контроль\tline\nbreak", "quantity": 2,
                                     "amount": D("1.00")}]
    text = text_of(pdf.render(invoice(user=user, items=items), BRAND))
    assert "Zoë Jürgen Weiß-Lódz ?? ?????" in text  # accents dropped, no Latin form: "?"
    assert "Abonnement « Pro » – 12 mois, 5 € off" in text  # windows-1252 as it is
    assert "???????? line break" in text


@pytest.mark.skipif(not DEJAVU.exists(), reason="no DejaVu Sans on this machine")
def test_with_a_unicode_font_the_names_are_drawn_as_they_are():
    user = {"firstName": "Zoë", "lastName": "Łódź Ωμέγα Контроль"}
    data = pdf.render(invoice(user=user), BRAND, font=DEJAVU)
    text = text_of(data)
    assert "Zoë Łódź Ωμέγα Контроль" in text
    assert pdf.render(invoice(user=user), BRAND, font=DEJAVU) == data


def test_150_items_page_with_the_heading_repeated_and_every_item_listed():
    items = [{"name": f"Line item number {i:03d}", "quantity": i,
              "amount": D(i) + D("0.25"), "currencyCode": "USD"} for i in range(1, 151)]
    data = pdf.render(invoice(items=items, subtotalAmount=D("11362.50"),
                              totalAmount=D("11362.50"), amountPaid=D("11362.50")), BRAND)
    pages = pages_of(data)
    assert pages >= 3
    text = text_of(data)
    for i in (1, 75, 150):
        assert f"{i} Line item number {i:03d} {i} {i}.25 USD" in text
    for page in PdfReader(io.BytesIO(data)).pages:  # every page of items has the heading
        page_text = page.extract_text()
        assert ("Line item number" in page_text) <= ("# Description Qty Amount" in page_text)
    assert f"Page {pages} / {pages}" in text
    assert "Total 11,362.50 USD" in text


def test_at_most_200_items_are_drawn_and_long_names_are_cut():
    long_name = "Very long product name " * 40
    items = [{"name": long_name if i == 0 else f"Item {i}", "quantity": 1, "amount": D("1.00")}
             for i in range(230)]
    text = text_of(pdf.render(invoice(items=items), BRAND))
    assert "Item 199" in text and "Item 200" not in text
    assert "... and 30 more item(s), included in the totals below." in text
    first = text.split("\n1 Very long", 1)[1].split("\n1 1.00 USD", 1)[0]
    assert first.count("\n") == pdf.MAX_NAME_LINES - 1 and first.endswith("...")
    assert first.count("Very long product name") < 40


def test_a_logo_is_drawn_only_from_embedded_bytes_never_fetched():
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    with_url = pdf.render(invoice(), BRAND)  # an https logoURL: nothing drawn, nothing fetched
    assert b"/Subtype /Image" not in with_url
    embedded = {**BRAND, "profile": {"logoURL": "data:image/png;base64,"
                                     + base64.b64encode(png).decode()}}
    assert b"/Subtype /Image" in pdf.render(invoice(), embedded)
    assert b"/Subtype /Image" in pdf.render(invoice(), {**BRAND, "logo": png})
    broken = {**BRAND, "logo": b"not an image"}
    assert "INV-000042" in text_of(pdf.render(invoice(), broken))


def test_missing_fields_render_a_plain_document():
    data = pdf.render({"code": "INV-000001", "currencyCode": "EUR"}, {"name": "X"})
    text = text_of(data)
    assert "INV-000001" in text and "Total" in text
    assert pdf.render({"code": "INV-000001", "currencyCode": "EUR"}, {"name": "X"}) == data


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(max_size=400), first=st.text(max_size=60), notes=st.text(max_size=200))
def test_any_text_renders(name, first, notes):
    doc = invoice(user={"firstName": first, "lastName": name}, notes=notes,
                  items=[{"name": name, "quantity": 1, "amount": D("1.00")}])
    assert pdf.render(doc, {**BRAND, "name": first}).startswith(b"%PDF-")


def test_a_credit_note_may_carry_the_invoice_it_credits():
    note = {"code": "CN-000008", "date": "2030-06-05", "amount": D("1500"),
            "currencyCode": "JPY", "invoice": {"code": "INV-000050"}, "reason": "Dispute lost"}
    text = text_of(pdf.render(note, BRAND, kind=pdf.CREDIT_NOTE))
    for line in ("Credits invoice INV-000050", "Amount credited 1,500 JPY", "Dispute lost"):
        assert line in text, line
