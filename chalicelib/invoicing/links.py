"""Links to an invoice's PDF that a mail can carry (a click in a mail has no Auth-Key).

A link is ``<base URL>/api/v1/invoices/<invoiceId>/pdf?token=<brandId>.<secret>``, made once,
in the transaction that issues the invoice (mails.py), and answered by ``GET`` with a 302 to
the stored PDF (exports.py). Against someone who did not get the mail:

- unguessable: the secret is 32 random bytes; only the token's SHA-256 is stored
  (``InvoiceLinkItem``), so a copy of the table holds no working link, and the mail's outbox
  row drops it once sent;
- scoped to one invoice: the item names the invoice it opens, and the same token with any
  other invoice id in the path is refused; the brand is in the token (a clicked link carries no
  Brand-URL) and in the item's key, so a token means nothing in another brand;
- expiring: ``LINK_DAYS`` after the invoice was issued. After that the buyer signs in and
  downloads it (``POST v1/invoices/{id}/download``).

Every refusal is a 403 with the same answer (unknown, malformed, tampered, another invoice's),
except an expired link, which says so: the one who holds it learns only that it expired.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist

from chalicelib import settings
from chalicelib.http.errors import Forbidden
from chalicelib.invoicing import models as m
from chalicelib.store import ids

LINK_DAYS = 30
MAX_TOKEN_CHARS = 200


def url(invoice_id: str, token: str) -> str:
    return f"{settings.get().base_url}/api/v1/invoices/{invoice_id}/pdf?token={token}"


def new(brand_id: str, invoice_id: str, now: datetime) -> tuple[m.InvoiceLinkItem, str]:
    """(the item to write with the invoice, the link to mail)."""
    token = f"{brand_id}.{ids.new_secret()}"
    item = m.InvoiceLinkItem(m.link_pk(brand_id, ids.digest(token)), m.LINK_SK,
                             invoice_id=invoice_id, expires_at=now + timedelta(days=LINK_DAYS),
                             created_date=now)
    return item, url(invoice_id, token)


def _refused() -> Forbidden:
    return Forbidden("This invoice link is not valid. Sign in to download the invoice from "
                     "your account.", code="INVOICE_LINK_INVALID")


def check(invoice_id: str, token: str) -> str:
    """The brand of a live link to ``invoice_id``; 403 otherwise."""
    brand_id, dot, secret = (token or "").partition(".")
    if not dot or not brand_id or not secret or len(token) > MAX_TOKEN_CHARS:
        raise _refused()
    try:
        item = m.InvoiceLinkItem.get(m.link_pk(brand_id, ids.digest(token)), m.LINK_SK)
    except DoesNotExist:
        raise _refused() from None
    if item.invoice_id != invoice_id:
        raise _refused()
    if item.expires_at <= settings.now():
        raise Forbidden(f"This invoice link expired on {item.expires_at:%Y-%m-%d %H:%M} UTC. "
                        "Sign in to download the invoice from your account.",
                        code="INVOICE_LINK_EXPIRED")
    return brand_id
