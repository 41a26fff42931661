"""Invoice PDFs (chalicelib/invoicing/pdf.py): render time and size, against a trivial fpdf2 page.

In the same run, median of ``--runs`` renders each (after one warm-up render):
- the baseline: a bare fpdf2 A4 page with "Hello" in Helvetica, what any PDF costs;
- a typical invoice: 10 items, coupon, tax, wallet part, a credit note, payment reference;
- a long one: 150 items over several pages;
- with ``--font PATH`` (default: DejaVu Sans when the machine has it), the typical invoice drawn
  with that Unicode TTF (fpdf2 parses and subsets the font on every render).
And the first ``import fpdf`` in a fresh interpreter (what a cold Lambda pays on its first PDF;
pdf.py imports it inside the function). Prints:

    invoicing_pdf hello_median_ms=... hello_bytes=...  (baseline)
    invoicing_pdf invoice_10_items_median_ms=... ratio_to_hello=... pdf_bytes=... pages=1
    invoicing_pdf invoice_150_items_median_ms=... ratio_to_hello=... pdf_bytes=... pages=...
    invoicing_pdf invoice_10_items_ttf_median_ms=... ratio_to_hello=... pdf_bytes=...
    invoicing_pdf import_fpdf_cold_median_ms=... (fresh interpreters)

Run: .venv/bin/python bench/invoicing_pdf.py [--runs 30] [--font PATH]
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chalicelib.invoicing import pdf  # noqa: E402

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
BRAND = {"name": "Acme Café", "profile": {"slogan": "Tools that last"},
         "setting": {"emailSupport": "help@acme.example", "currencyCode": "USD"},
         "addresses": ["1 Main Street, 10115 Berlin, Germany"]}


def invoice(items: int) -> dict:
    lines = [{"name": f"PRO Monthly seat {i} (package x subscription type)", "quantity": 1,
              "amount": Decimal("9.99"), "currencyCode": "USD"} for i in range(items)]
    subtotal = Decimal("9.99") * items
    return {
        "code": "INV-000042", "type": "Post", "status": "Paid",
        "invoiceDate": "2030-06-01T12:00:00.000Z", "dueDate": "2030-06-01T12:00:00.000Z",
        "billingPeriodStartDate": "2030-06-01T12:00:00.000Z",
        "billingPeriodEndDate": "2030-07-01T12:00:00.000Z",
        "user": {"username": "jurgen", "emailAddress": "j@example.com", "firstName": "Jürgen",
                 "lastName": "Weiß"},
        "payment": {"code": "PAY-7F3K", "paymentDate": "2030-06-01T12:00:00.000Z",
                    "paymentType": "Stripe", "merchantRefNo": "pi_3Pabc"},
        "items": lines, "subtotalAmount": subtotal, "discountRate": Decimal("10"),
        "discountAmount": Decimal("9.99"), "couponCode": "SAVE10", "taxRate": Decimal("8.25"),
        "taxAmount": Decimal("7.42"), "totalAmount": subtotal - Decimal("2.57"),
        "walletAmount": Decimal("5.00"), "amountPaid": subtotal - Decimal("2.57"),
        "amountDue": Decimal("0.00"), "currencyCode": "USD", "creditedAmount": Decimal("1.00"),
        "creditNotes": [{"code": "CN-000001", "amount": Decimal("1.00"), "date": "2030-06-03"}],
    }


def hello() -> bytes:
    from fpdf import FPDF

    page = FPDF(format="A4")
    page.add_page()
    page.set_font("Helvetica", size=12)
    page.cell(text="Hello")
    return bytes(page.output())


def median_ms(fn: Callable[[], bytes], runs: int) -> tuple[float, bytes]:
    out = fn()  # warm
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), out


def pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def cold_import_ms(samples: int) -> float:
    code = "import time; t = time.perf_counter(); import fpdf; print(time.perf_counter() - t)"
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout) * 1000 for _ in range(samples)]
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--font", type=Path, default=DEJAVU if DEJAVU.exists() else None)
    args = parser.parse_args()

    base, hello_pdf = median_ms(hello, args.runs)
    print(f"invoicing_pdf hello_median_ms={base:.2f} hello_bytes={len(hello_pdf)}  (baseline)")
    typical, long = invoice(10), invoice(150)
    for label, fn in (("invoice_10_items", lambda: pdf.render(typical, BRAND)),
                      ("invoice_150_items", lambda: pdf.render(long, BRAND))):
        ms, out = median_ms(fn, args.runs)
        print(f"invoicing_pdf {label}_median_ms={ms:.2f} ratio_to_hello={ms / base:.1f} "
              f"pdf_bytes={len(out)} pages={pages(out)}")
    if args.font is not None:
        ms, out = median_ms(lambda: pdf.render(typical, BRAND, font=args.font),
                            max(args.runs // 3, 5))
        print(f"invoicing_pdf invoice_10_items_ttf_median_ms={ms:.2f} "
              f"ratio_to_hello={ms / base:.1f} pdf_bytes={len(out)} font={args.font.name}")
    print(f"invoicing_pdf import_fpdf_cold_median_ms={cold_import_ms(5):.1f} "
          f"(fresh interpreters) runs={args.runs} python={sys.version.split()[0]}")


if __name__ == "__main__":
    main()
