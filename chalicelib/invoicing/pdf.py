"""Invoice and credit-note PDFs: ``render(invoice, brand)`` -> the bytes of an A4 PDF.

``invoice`` is the invoice as JFW's IInvoice dict (amounts as Decimal in the currency's
precision) plus ours: walletAmount, creditedAmount, creditNotes [{code, amount, date}]. With
``kind=CREDIT_NOTE`` the dict is the credit note: code, date, invoiceCode (the invoice it
credits), amount, currencyCode, reason, user, and optional items / taxAmount.

- Deterministic: the PDF's creation date is the document's date and its /ID a hash of the
  content, so the same dict (and fpdf2 version) gives the same bytes: a stored PDF can be
  rendered again and compared.
- No network: a logo is drawn only when the brand carries the image itself (``logo`` bytes or a
  ``data:image/...;base64,`` logoURL), never fetched from a URL.
- Text: fpdf2 ships no Unicode font. Without ``font`` (a TTF path) the built-in Helvetica
  draws windows-1252 text: é, ü, ß, €, Œ as they are; other letters lose their accents
  (ł -> l, ő -> o) and what has no Latin form (中文) becomes "?". With a TTF, every character
  the font has is drawn, the rest the same way. A name never makes the render fail.
- Bounded: at most MAX_ITEMS items are drawn (the table pages, its heading repeated), a line of
  how many more otherwise; a long name wraps to MAX_NAME_LINES lines and is cut with "...".
"""

from __future__ import annotations

import base64
import binascii
import io
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from chalicelib import money

INVOICE = "Invoice"
CREDIT_NOTE = "Credit note"
KINDS = (INVOICE, CREDIT_NOTE)

MAX_ITEMS = 200
MAX_NAME_CHARS = 300
MAX_NAME_LINES = 3
MAX_TEXT_CHARS = 2000  # notes, a reason: one paragraph, not a document
MAX_LOGO_BYTES = 512 * 1024
# A document without a date (a draft) still renders the same bytes every time.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

PAGE_W, MARGIN = 210.0, 15.0
WIDTH = PAGE_W - 2 * MARGIN
LINE = 5.0
# The items table: number, description, quantity, amount (mm).
COLS = (10.0, WIDTH - 10.0 - 16.0 - 46.0, 16.0, 46.0)
GREY = (110, 110, 110)
NEXT_LINE = {"new_x": "LMARGIN", "new_y": "NEXT"}  # multi_cell: back to the margin
RULE = (200, 200, 200)

# Letters NFKD does not take apart, to their plain Latin form (the rest of Latin Extended
# decomposes into a letter and accents).
_PLAIN = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ħ": "h", "Ħ": "H",
                        "ı": "i", "ŀ": "l", "Ŀ": "L", "ſ": "s", "ŧ": "t", "Ŧ": "T",
                        "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u00a0": " "})


def render(invoice: dict, brand: dict, *, kind: str = INVOICE,
           font: str | Path | None = None) -> bytes:
    """The PDF of ``invoice`` (or, with ``kind=CREDIT_NOTE``, of a credit note) for ``brand``.

    ``font``: a Unicode TrueType font to draw with instead of Helvetica (windows-1252)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    doc = _Doc(invoice, brand, kind, font)
    return doc.build()


# ---------------------------------------------------------------------------------------------
# Values as shown.
# ---------------------------------------------------------------------------------------------

def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        # str first: a float (never expected) shows as it prints, not its binary expansion.
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def amount_text(value: Any, currency: str) -> str:
    """``value`` with exactly ``currency``'s decimals and thousands separators: "1,234.50 USD",
    "1,500 JPY", "12.345 KWD"; "" when there is no value."""
    number = _decimal(value)
    if number is None or not number.is_finite():
        return ""
    exp = money.exponent(currency)
    return f"{number:,.{exp}f} {currency.upper()}"


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def date_text(value: Any) -> str:
    when = _when(value)
    if when is not None:
        return when.astimezone(UTC).strftime("%Y-%m-%d")
    return "" if value is None else str(value)[:40]


def _percent_text(value: Any) -> str:
    number = _decimal(value)
    if number is None or not number.is_finite():
        return ""
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _person(user: dict) -> str:
    name = " ".join(p for p in (_str(user.get("firstName")), _str(user.get("lastName"))) if p)
    return name or _str(user.get("username")) or _str(user.get("emailAddress"))


def _str(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())  # newlines, tabs, runs of spaces: one space


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def to_charset(text: str, has: Any) -> str:
    """``text`` with every character ``has(ch)`` refuses replaced: its letter without accents
    when that one is drawable, a plain Latin letter for the few that do not decompose, else
    "?"."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if has(ch):
            out.append(ch)
            continue
        plain = ch.translate(_PLAIN)
        if plain != ch and all(has(c) for c in plain):
            out.append(plain)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch)
                       if not unicodedata.combining(c))
        out.append(base if base and all(has(c) for c in base) else "?")
    return "".join(out)


def _cp1252(ch: str) -> bool:
    if not ch.isprintable():
        return False
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _logo_bytes(brand: dict) -> bytes | None:
    raw = brand.get("logo")
    if isinstance(raw, bytes | bytearray):
        return bytes(raw) if len(raw) <= MAX_LOGO_BYTES else None
    url = (brand.get("profile") or {}).get("logoURL")
    if isinstance(url, str) and url.startswith("data:image/") and ";base64," in url:
        data = url.partition(";base64,")[2]
        if len(data) > MAX_LOGO_BYTES * 4 // 3 + 4:
            return None
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return None
    return None  # an http(s) URL: not fetched


# ---------------------------------------------------------------------------------------------
# The document.
# ---------------------------------------------------------------------------------------------

class _Doc:
    def __init__(self, data: dict, brand: dict, kind: str, font: str | Path | None) -> None:
        from fpdf import FPDF  # heavy, optional: only invoice PDFs need it (cold start)

        self.data = data or {}
        self.brand = brand or {}
        self.kind = kind
        self.currency = (_str(self.data.get("currencyCode")) or
                         _str((self.brand.get("setting") or {}).get("currencyCode")) or
                         "USD").upper()
        self.footer_text = self._footer_text()
        footer = self._footer

        class Page(FPDF):
            def footer(self) -> None:  # fpdf2 calls it on every page
                footer(self)

        pdf = Page(orientation="P", unit="mm", format="A4")
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=20)
        pdf.set_compression(True)
        if font is not None:
            pdf.add_font("Body", "", str(font))  # parsed once: bold is drawn in the same face
            self.family = "Body"
            cmap = pdf.fonts["body"].cmap
            self.has = lambda ch: ch.isprintable() and ord(ch) in cmap
        else:
            pdf.core_fonts_encoding = "cp1252"  # €, Œ, curly quotes: more than latin-1
            self.family = "Helvetica"
            self.has = _cp1252
        self.pdf = pdf

    # -- text ------------------------------------------------------------------------------------

    def t(self, value: Any, limit: int = 200) -> str:
        text = _cut(_str(value), limit)
        if text.isascii() and text.isprintable():  # the common case, drawable by any font
            return text
        return to_charset(text, self.has)

    def money(self, value: Any) -> str:
        return amount_text(value, self.currency)

    def font(self, size: float = 9, bold: bool = False, grey: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold and self.family == "Helvetica" else "", size)
        self.pdf.set_text_color(*(GREY if grey else (0, 0, 0)))

    # -- the whole -------------------------------------------------------------------------------

    def build(self) -> bytes:
        pdf, d = self.pdf, self.data
        credit = self.kind == CREDIT_NOTE
        dated = ("date", "invoiceDate") if credit else ("invoiceDate", "date")
        when = _when(d.get(dated[0]) or d.get(dated[1]) or d.get("createdDate")) or EPOCH
        pdf.set_creation_date(when)
        title = self.t(f"{self.kind} {_str(d.get('code'))}".strip())
        pdf.set_title(title)
        pdf.set_author(self.t(self.brand.get("name")))
        pdf.set_subject(title)
        pdf.add_page()
        self.header_block()
        self.parties_and_meta(credit)
        if credit:
            self.credit_body()
        else:
            self.items_table(d.get("items") or [])
            self.totals()
            self.payment()
            self.credit_notes()
        self.paragraph("Notes" if not credit else "", d.get("notes"))
        return bytes(pdf.output())

    def _footer_text(self) -> str:
        setting = self.brand.get("setting") or {}
        parts = [_str(self.brand.get("name")), _str(setting.get("emailSupport"))]
        return "  |  ".join(p for p in parts if p)

    def _footer(self, pdf: Any) -> None:
        pdf.set_y(-15)
        pdf.set_draw_color(*RULE)
        pdf.line(MARGIN, pdf.get_y() - 1, PAGE_W - MARGIN, pdf.get_y() - 1)
        self.font(8, grey=True)
        pdf.cell(WIDTH * 0.75, LINE, self.t(self.footer_text, 150))
        pdf.cell(WIDTH * 0.25, LINE, f"Page {pdf.page_no()} / {{nb}}", align="R")

    def header_block(self) -> None:
        pdf, brand = self.pdf, self.brand
        top = pdf.get_y()
        x = MARGIN
        logo = _logo_bytes(brand)
        if logo:
            try:
                pdf.image(io.BytesIO(logo), x=MARGIN, y=top, h=16)
                x = MARGIN + 30
            except Exception:  # noqa: BLE001 - a broken logo leaves the space empty, not a 500
                x = MARGIN
        pdf.set_xy(x, top)
        self.font(16, bold=True)
        pdf.cell(WIDTH * 0.6 - (x - MARGIN), 8, self.t(brand.get("name") or "", 60))
        # The document's title on the right.
        pdf.set_xy(MARGIN + WIDTH * 0.6, top)
        self.font(18, bold=True)
        pdf.cell(WIDTH * 0.4, 8, self.kind.upper(), align="R")
        pdf.set_xy(x, top + 9)
        self.font(9, grey=True)
        for line in self.seller_lines():
            pdf.set_x(x)
            pdf.cell(WIDTH * 0.6 - (x - MARGIN), 4.5, line)
            pdf.ln(4.5)
        pdf.set_y(max(pdf.get_y(), top + 20) + 4)

    def seller_lines(self) -> list[str]:
        brand = self.brand
        profile = brand.get("profile") or {}
        setting = brand.get("setting") or {}
        lines: list[str] = []
        slogan = _str(profile.get("slogan"))
        if slogan and slogan != _str(brand.get("name")):
            lines.append(self.t(slogan, 80))
        addresses = brand.get("addresses") or brand.get("address") or []
        if isinstance(addresses, str | dict):
            addresses = [addresses]
        for address in list(addresses)[:2]:
            if isinstance(address, dict):
                parts = [address.get(k) for k in ("line1", "line2", "address", "street",
                                                  "postalCode", "city", "state", "country")]
                address = ", ".join(_str(p) for p in parts if _str(p))
            if _str(address):
                lines.append(self.t(address, 100))
        if _str(brand.get("taxId")):
            lines.append(self.t(f"Tax ID: {_str(brand.get('taxId'))}", 80))
        if _str(setting.get("emailSupport")):
            lines.append(self.t(setting.get("emailSupport"), 80))
        return lines[:5]

    def parties_and_meta(self, credit: bool) -> None:
        pdf, d = self.pdf, self.data
        top = pdf.get_y()
        half = WIDTH / 2
        # Buyer on the left.
        user = d.get("user") or {}
        self.font(8, bold=True, grey=True)
        pdf.cell(half, LINE, "BILL TO" if not credit else "CREDITED TO")
        pdf.ln(LINE)
        self.font(10, bold=True)
        pdf.multi_cell(half - 5, LINE, self.t(_person(user), 120), **NEXT_LINE)
        self.font(9)
        seen = {_person(user)}
        for key in ("username", "emailAddress", "phoneNumber"):
            value = _str(user.get(key))
            if value and value not in seen:
                seen.add(value)
                pdf.cell(half - 5, LINE, self.t(value, 80))
                pdf.ln(LINE)
        address = user.get("address")
        if isinstance(address, str) and _str(address):
            pdf.multi_cell(half - 5, LINE, self.t(address, 200), **NEXT_LINE)
        left_end = pdf.get_y()
        # The document's number, dates and state on the right.
        rows = self.meta_rows(credit)
        pdf.set_y(top)
        for label, value in rows:
            pdf.set_x(MARGIN + half)
            self.font(9, grey=True)
            pdf.cell(32, LINE, label)
            self.font(9, bold=label in ("Invoice no.", "Credit note no."))
            pdf.cell(half - 32, LINE, value, align="R")
            pdf.ln(LINE)
        pdf.set_y(max(left_end, pdf.get_y()) + 6)

    def meta_rows(self, credit: bool) -> list[tuple[str, str]]:
        d = self.data
        if credit:
            credited = d.get("invoice")
            credited_code = (credited.get("code") if isinstance(credited, dict)
                             else d.get("invoiceCode"))
            rows = [("Credit note no.", d.get("code")),
                    ("Date", date_text(d.get("date") or d.get("invoiceDate"))),
                    ("Credits invoice", credited_code),
                    ("Invoice date", date_text(d.get("creditedInvoiceDate")))]
        else:
            start, end = d.get("billingPeriodStartDate"), d.get("billingPeriodEndDate")
            period = (f"{date_text(start)} - {date_text(end)}" if start and end else "")
            rows = [("Invoice no.", d.get("code")),
                    ("Invoice date", date_text(d.get("invoiceDate"))),
                    ("Due date", date_text(d.get("dueDate"))),
                    ("Billing period", period),
                    ("Status", d.get("status")),
                    ("Type", d.get("type"))]
        return [(label, self.t(value, 60)) for label, value in rows if _str(value)]

    # -- invoice ---------------------------------------------------------------------------------

    def table_head(self) -> None:
        pdf = self.pdf
        self.font(8, bold=True, grey=True)
        pdf.set_fill_color(242, 242, 242)
        for width, label, align in zip(COLS, ("#", "Description", "Qty", "Amount"),
                                       ("L", "L", "R", "R"), strict=True):
            pdf.cell(width, 6, label, align=align, fill=True)
        pdf.ln(6)

    def wrap(self, text: str, width: float) -> list[str]:
        """``text`` in lines of ``width`` mm, at most MAX_NAME_LINES, the last cut with "...".

        A line that fits is drawn as it is: fpdf2's line breaking costs ~1 ms an item."""
        pdf = self.pdf
        if pdf.get_string_width(text) <= width:
            return [text]
        lines = pdf.multi_cell(width, LINE, text, dry_run=True, output="LINES")
        if not pdf.is_ttf_font:  # the lines come back encoded: as text again
            lines = [line.encode("latin-1").decode("cp1252") for line in lines]
        if len(lines) > MAX_NAME_LINES:
            lines = lines[:MAX_NAME_LINES]
            lines[-1] = lines[-1][:-3].rstrip() + "..."  # about the width it replaces
        return lines or [""]

    def items_table(self, items: list) -> None:
        pdf = self.pdf
        shown = list(items)[:MAX_ITEMS]
        self.table_head()
        for number, item in enumerate(shown, start=1):
            item = item if isinstance(item, dict) else {}
            self.font(9)
            name = self.t(item.get("name") or item.get("description") or "", MAX_NAME_CHARS)
            lines = self.wrap(name, COLS[1] - 2)
            height = len(lines) * LINE + 1
            if pdf.will_page_break(height):
                pdf.add_page()
                self.table_head()
                self.font(9)
            y = pdf.get_y()
            pdf.cell(COLS[0], LINE, str(number))
            for row, line in enumerate(lines):
                pdf.set_xy(MARGIN + COLS[0], y + row * LINE)
                pdf.cell(COLS[1] - 2, LINE, line)
            pdf.set_xy(MARGIN + COLS[0] + COLS[1], y)
            quantity = item.get("quantity")
            pdf.cell(COLS[2], LINE, "" if quantity is None else self.t(quantity, 12), align="R")
            pdf.cell(COLS[3], LINE,
                     self.t(amount_text(item.get("amount"),
                                        _str(item.get("currencyCode")) or self.currency)),
                     align="R")
            pdf.set_y(y + height)
            pdf.set_draw_color(*RULE)
            pdf.line(MARGIN, pdf.get_y() - 0.5, PAGE_W - MARGIN, pdf.get_y() - 0.5)
        if len(items) > len(shown):
            self.font(9, grey=True)
            pdf.cell(WIDTH, LINE, f"... and {len(items) - len(shown)} more item(s), included "
                                  "in the totals below.")
            pdf.ln(LINE)
        pdf.ln(3)

    def total_row(self, label: str, value: str, bold: bool = False) -> None:
        pdf = self.pdf
        if pdf.will_page_break(LINE + 1):
            pdf.add_page()
        pdf.set_x(MARGIN + WIDTH - 100)
        self.font(10 if bold else 9, bold=bold, grey=not bold)
        pdf.cell(60, LINE + 1, label, align="R")
        self.font(10 if bold else 9, bold=bold)
        pdf.cell(40, LINE + 1, value, align="R")
        pdf.ln(LINE + 1)

    def totals(self) -> None:
        d = self.data
        m = self.money
        if self.pdf.will_page_break(9 * (LINE + 1)):  # the totals stay together
            self.pdf.add_page()
        self.total_row("Subtotal", m(d.get("subtotalAmount")))
        discount = _decimal(d.get("discountAmount"))
        if discount:
            rate = _percent_text(d.get("discountRate"))
            coupon = _str(d.get("couponCode"))
            label = "Discount" + (f" {rate}" if rate else "") + (f" ({coupon})" if coupon else "")
            self.total_row(self.t(label, 60), "-" + m(discount))
        if _decimal(d.get("taxAmount")) is not None or _decimal(d.get("taxRate")):
            rate = _percent_text(d.get("taxRate"))
            self.total_row(f"Tax {rate}".strip(), m(d.get("taxAmount") or 0))
        self.total_row("Total", m(d.get("totalAmount")), bold=True)
        wallet = _decimal(d.get("walletAmount"))
        if wallet:
            self.total_row("Paid from wallet", m(wallet))
        self.total_row("Amount paid", m(d.get("amountPaid") or 0))
        credited = _decimal(d.get("creditedAmount"))
        if credited:
            self.total_row("Credited", "-" + m(credited))
        self.total_row("Amount due", m(d.get("amountDue") or 0), bold=True)
        self.pdf.ln(3)

    def payment(self) -> None:
        pay = self.data.get("payment") or {}
        if not isinstance(pay, dict) or not pay:
            return
        parts = [("Payment", pay.get("code")), ("Paid on", date_text(pay.get("paymentDate"))),
                 ("Method", pay.get("paymentType") or pay.get("paymentMethod")),
                 ("Reference", pay.get("merchantRefNo") or pay.get("transactionNo"))]
        text = "   ".join(f"{label}: {_str(value)}" for label, value in parts if _str(value))
        if text:
            self.font(9)
            self.pdf.multi_cell(WIDTH, LINE, self.t(text, 400), **NEXT_LINE)
            self.pdf.ln(2)

    def credit_notes(self) -> None:
        notes = [n for n in (self.data.get("creditNotes") or []) if isinstance(n, dict)]
        if not notes:
            return
        pdf = self.pdf
        if pdf.will_page_break(LINE * 3):
            pdf.add_page()
        self.font(8, bold=True, grey=True)
        pdf.cell(WIDTH, LINE, "CREDIT NOTES")
        pdf.ln(LINE)
        for note in notes[:MAX_ITEMS]:
            if pdf.will_page_break(LINE):
                pdf.add_page()
            self.font(9)
            pdf.cell(60, LINE, self.t(note.get("code"), 40))
            pdf.cell(40, LINE, date_text(note.get("date")))
            pdf.cell(WIDTH - 100, LINE, "-" + self.money(note.get("amount")), align="R")
            pdf.ln(LINE)
        pdf.ln(2)

    # -- credit note -----------------------------------------------------------------------------

    def credit_body(self) -> None:
        d = self.data
        items = d.get("items") or []
        if items:
            self.items_table(items)
        self.paragraph("Reason", d.get("reason") or "")
        if _decimal(d.get("taxAmount")):
            rate = _percent_text(d.get("taxRate"))
            self.total_row(f"of which tax {rate}".strip(), self.money(d.get("taxAmount")))
        self.total_row("Amount credited", self.money(d.get("amount")), bold=True)
        self.pdf.ln(3)

    def paragraph(self, label: str, text: Any) -> None:
        text = self.t(text, MAX_TEXT_CHARS)
        if not text:
            return
        pdf = self.pdf
        if pdf.will_page_break(LINE * 2):
            pdf.add_page()
        if label:
            self.font(8, bold=True, grey=True)
            pdf.cell(WIDTH, LINE, label.upper())
            pdf.ln(LINE)
        self.font(9)
        pdf.multi_cell(WIDTH, LINE, text, **NEXT_LINE)
        pdf.ln(2)
