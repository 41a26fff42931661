"""Invoice handlers: parse, authorise, call the rules, shape the reply."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.http import paging
from chalicelib.http.context import RequestContext
from chalicelib.http.errors import BadRequest, NotFound
from chalicelib.identity import service as identity
from chalicelib.invoicing import exports, invoices, links, paying, renewals
from chalicelib.invoicing.constants import CONSTANTS

SORTABLE = ("code", "number", "invoiceDate", "totalAmount", "status", "type", "modifiedDate")
KEYWORD_FIELDS = ("code", "name", "description", "notes", "tags")


def list_invoices(ctx: RequestContext) -> dict[str, Any]:
    assert ctx.caller is not None
    user_id = ctx.query.get("userId")
    if user_id:
        identity.require_self_or(ctx, user_id, "INVOICE.READ", what="another user's invoices")
    elif not identity.has_permission(ctx, "INVOICE.READ"):
        user_id = ctx.caller.user_id
    rows = [invoices.to_dto(i) for i in invoices.list_items(ctx.brand_id, user_id, ctx.query)]
    return paging.page(rows, ctx.query, SORTABLE, keyword_fields=KEYWORD_FIELDS)


def _readable(ctx: RequestContext, id: str, permission: str) -> Any:  # noqa: A002
    """The invoice and its notes, for its buyer or a holder of ``permission``: another user's
    invoice is a 404 to a caller without it (as a missing one), so ids can't be probed."""
    assert ctx.caller is not None
    invoice, notes = invoices.read(ctx.brand_id, id)
    if invoice.user_id != ctx.caller.user_id and not identity.has_permission(ctx, permission):
        raise NotFound(f"Invoice '{id}' not found.", code="INVOICE_NOT_FOUND")
    return invoice, notes


def get_invoice(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    invoice, notes = _readable(ctx, id, "INVOICE.READ")
    return invoices.to_dto(invoice, notes)


def delete_invoice(ctx: RequestContext, id: str) -> bool:  # noqa: A002
    _readable(ctx, id, "INVOICE.DELETE")
    return invoices.delete(ctx.brand_id, id)


def constant(ctx: RequestContext) -> list[str]:
    return list(CONSTANTS[ctx.path.removeprefix("/api/v1/constants/")])


def _pdf(data: bytes, code: str | None) -> Response:
    return Response(body=data, status_code=200, headers={
        "Content-Type": exports.MEDIA_TYPE, "Cache-Control": "private, no-store",
        "Content-Disposition": f'attachment; filename="{exports.file_name(code)}"'})


def download_invoice(ctx: RequestContext, id: str) -> Response:  # noqa: A002
    invoice, _ = _readable(ctx, id, "INVOICE.READ")
    return _pdf(exports.invoice_pdf(invoice), invoice.code)


def download_credit_note(ctx: RequestContext, id: str, noteId: str) -> Response:  # noqa: A002, N803
    invoice, notes = _readable(ctx, id, "INVOICE.READ")
    note = next((n for n in notes if n.id == noteId), None)
    if note is None:
        raise NotFound(f"Credit note '{noteId}' not found on invoice {invoice.code}.",
                       code="CREDIT_NOTE_NOT_FOUND")
    return _pdf(exports.note_pdf(invoice, note), note.code)


def open_link(ctx: RequestContext, id: str) -> Response:  # noqa: A002
    brand_id = links.check(id, ctx.query["token"])
    url = exports.invoice_pdf_url(invoices.get(brand_id, id))
    return Response(body="", status_code=302, headers={
        "Location": url, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


# -- renewals: paying a provisional invoice, the settings ------------------------------------------

def checkout_invoice(ctx: RequestContext, id: str) -> dict[str, Any]:  # noqa: A002
    assert ctx.brand is not None
    b = ctx.body
    return paying.checkout(ctx.brand, ctx.caller, id, app_integration_id=b.appIntegrationId,
                           wallet_id=b.walletId, headers=ctx.headers, source_ip=ctx.source_ip,
                           return_link=b.returnURL, cancel_link=b.cancelURL)


def pay_link(ctx: RequestContext, id: str) -> Response:  # noqa: A002
    """The mailed pay link: a 302 to the invoice's checkout (no login: the token is the key)."""
    url = paying.by_link(ctx.query.get("brandId") or "", id, ctx.query.get("token") or "")
    return Response(body="", status_code=302,
                    headers={"Location": url, "Cache-Control": "no-store",
                             "Referrer-Policy": "no-referrer"})


def get_settings(ctx: RequestContext) -> dict[str, Any]:
    assert ctx.brand is not None
    return renewals.policy(ctx.brand)


def put_settings(ctx: RequestContext) -> dict[str, Any]:
    values = {k: v for k, v in ctx.body.model_dump().items() if v is not None}
    if not values:
        raise BadRequest("Send at least one setting to change.", field="body")
    return renewals.save_policy(ctx.brand_id, values)
