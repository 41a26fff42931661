"""Invoice and credit-note PDFs: rendered once (pdf.py), kept in S3, served from there.

Where: the files bucket (``settings.bucket_name("files")``, as package files), under the
brand's prefix: ``<brandId>/invoices/<invoiceId>/<document>.pdf`` with document
``invoice-<number>`` (an issued invoice), ``provisional`` (a Provisional invoice, before it has
a number) or ``credit-note-<number>``.

When: on the first download. A download reads the object; only when it is missing is the
document rendered and stored, with ``If-None-Match: *``, so two first downloads at once store
one object (the render is deterministic: both made the same bytes). The brand's name, logo and
addresses on it are the brand's at that first download.

What: an issued invoice's PDF is the invoice AS ISSUED and never changes: it shows no credit
note, even one issued before the first download, so it is the same document whenever it is
first asked for. Each credit note has its own PDF, naming the invoice it credits; the invoice
as JSON (``GET v1/invoices/{id}``) shows what was credited. A Provisional invoice's PDF is a
document of its own: once the invoice is paid and numbered, its key changes and the issued
invoice's PDF is made on the next download.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import money, settings
from chalicelib.identity import service as identity
from chalicelib.invoicing import invoices, pdf
from chalicelib.invoicing import models as m
from chalicelib.store import aws

MEDIA_TYPE = "application/pdf"
LINK_URL_SECONDS = 5 * 60
# Test-mode documents count in their own sequence but print alike (numbering.py): said on them.
TEST_MODE_NOTE = "TEST MODE: made for a test payment; no money moved. Not a valid tax document."
REASONS = {"Refund": "Refund of payment {payment}.",
           "DisputeLost": "Payment {payment} was disputed and the dispute was lost."}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def bucket() -> str:
    return settings.get().bucket_name("files")


def _s3() -> Any:
    return aws.client("s3")


def _prefix(invoice: m.InvoiceItem) -> str:
    return f"{invoice.brand_id}/invoices/{invoice.id}"


def invoice_key(invoice: m.InvoiceItem) -> str:
    if invoice.number is None:
        return f"{_prefix(invoice)}/provisional.pdf"
    return f"{_prefix(invoice)}/invoice-{int(invoice.number)}.pdf"


def note_key(invoice: m.InvoiceItem, note: m.CreditNoteItem) -> str:
    return f"{_prefix(invoice)}/credit-note-{int(note.number)}.pdf"


def file_name(code: str | None) -> str:
    """``INV-000001.pdf``: the document's code, with what a file name can't hold as ``-``."""
    stem = _UNSAFE.sub("-", code or "").strip("-.") or "document"
    return f"{stem[:80]}.pdf"


# -- the documents, as pdf.render takes them ----------------------------------------------------

def _percent(fraction: Any) -> Decimal | None:
    return None if fraction is None else Decimal(fraction) * 100


def invoice_document(invoice: m.InvoiceItem) -> dict[str, Any]:
    """The invoice as issued: IInvoice without what credit notes did later; rates in percent
    (pdf.py prints "8.875%"; IInvoice's ``taxRate`` is the fraction 0.08875)."""
    doc = invoices.to_dto(invoice, [])
    doc.update(creditedAmount=None, creditNotes=[],
               taxRate=Decimal(invoice.tax_percent) if invoice.tax_percent else None,
               discountRate=_percent(doc.get("discountRate")))
    if invoice.test_mode:
        doc["notes"] = " ".join(p for p in (TEST_MODE_NOTE, doc.get("notes")) if p)
    return doc


def note_document(invoice: m.InvoiceItem, note: m.CreditNoteItem) -> dict[str, Any]:
    c = note.currency
    reason = REASONS.get(note.reason, "{payment}: " + note.reason)
    return {"code": note.code, "date": note.created_date, "invoiceCode": invoice.code,
            "notes": TEST_MODE_NOTE if invoice.test_mode else None,
            "creditedInvoiceDate": invoice.invoice_date, "currencyCode": c,
            "amount": money.to_decimal(int(note.amount_minor), c),
            "taxAmount": money.to_decimal(int(note.tax_minor or 0), c),
            "taxRate": Decimal(invoice.tax_percent) if invoice.tax_percent else None,
            "reason": reason.format(payment=(invoice.payment or {}).get("code") or ""),
            "user": invoice.user or {}}


# -- stored once ----------------------------------------------------------------------------------

def _missing(e: ClientError) -> bool:
    return e.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")


def _store(key: str, data: bytes) -> None:
    try:
        _s3().put_object(Bucket=bucket(), Key=key, Body=data, ContentType=MEDIA_TYPE,
                         IfNoneMatch="*")
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code")
        if code not in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
            raise  # else stored meanwhile by another first download: the same bytes


def _render_invoice(invoice: m.InvoiceItem) -> bytes:
    return pdf.render(invoice_document(invoice), identity.get_brand(invoice.brand_id))


def _render_note(invoice: m.InvoiceItem, note: m.CreditNoteItem) -> bytes:
    return pdf.render(note_document(invoice, note), identity.get_brand(invoice.brand_id),
                      kind=pdf.CREDIT_NOTE)


def _bytes(key: str, render: Any) -> bytes:
    try:
        return _s3().get_object(Bucket=bucket(), Key=key)["Body"].read()
    except ClientError as e:
        if not _missing(e):
            raise
    data = render()
    _store(key, data)
    return data


def invoice_pdf(invoice: m.InvoiceItem) -> bytes:
    return _bytes(invoice_key(invoice), lambda: _render_invoice(invoice))


def note_pdf(invoice: m.InvoiceItem, note: m.CreditNoteItem) -> bytes:
    return _bytes(note_key(invoice, note), lambda: _render_note(invoice, note))


def invoice_pdf_url(invoice: m.InvoiceItem) -> str:
    """A presigned GET of the invoice's stored PDF (stored now if it was not), shown inline,
    for LINK_URL_SECONDS."""
    key = invoice_key(invoice)
    try:
        _s3().head_object(Bucket=bucket(), Key=key)
    except ClientError as e:
        if not _missing(e):
            raise
        _store(key, _render_invoice(invoice))
    return _s3().generate_presigned_url("get_object", Params={
        "Bucket": bucket(), "Key": key, "ResponseContentType": MEDIA_TYPE,
        "ResponseContentDisposition": f'inline; filename="{file_name(invoice.code)}"'},
        ExpiresIn=LINK_URL_SECONDS)
