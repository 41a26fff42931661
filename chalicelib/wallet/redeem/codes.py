"""Redeem code batches: make, list, read, deactivate, export (README, "Wallets").

- A code is 16 characters from a 32-letter alphabet without look-alikes (no I, O, 0, 1), drawn
  with ``secrets`` (80 bits), shown as ``XXXX-XXXX-XXXX-XXXX``. Typed in, it is normalised
  (upper case, dashes and spaces dropped) before it is looked up.
- A code's item is keyed by the SHA-256 of its normalised text, so one GetItem finds it and a
  dump of the table holds no usable code. The plaintexts are kept only for the export, sealed
  (store/secrets.py) in chunks of 2,000 in the batch's partition.
- A batch answers its codes in full once, when it is made; after that only the export shows
  them (lists show each code's last 4 characters).
- Making a batch writes its codes first (BatchWriteItem) and the batch's item last: codes are
  usable only while their batch's item says Active, so a batch cut short by a failure leaves
  nothing redeemable. Two codes colliding would take 2^80 draws: not checked.
- Deactivating a code stops it at once (an apply's write is conditioned on the code being
  Active). Deactivating a batch stops its codes for every apply that starts after it (each
  reads the batch; conditioning every use on the batch's item would make it one hot item for
  all its codes), so an apply already under way may still finish. Neither takes back what was
  already redeemed.
"""

from __future__ import annotations

import csv
import io
import secrets
from datetime import datetime
from typing import Any

from chalicelib import money, settings
from chalicelib.http import paging
from chalicelib.http.errors import BadRequest, NotFound
from chalicelib.store import ids
from chalicelib.store import secrets as sealed
from chalicelib.wallet.redeem import models as m

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 16
GROUP = 4
MAX_QUANTITY = 10_000
MAX_USES = 1_000_000
EXPORT_CHUNK = 2_000

B, C, U = m.RedeemBatchItem, m.RedeemCodeItem, m.RedeemUseItem


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i:i + GROUP] for i in range(0, LENGTH, GROUP))


def normalise(text: str | None) -> str | None:
    """The code as stored (16 letters, no dashes), or None when it can't be one."""
    cleaned = "".join((text or "").split()).replace("-", "").upper()
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def find(brand_id: str, text: str | None) -> Any | None:
    code = normalise(text)
    if code is None:
        return None
    try:
        return C.get(m.code_pk(brand_id, ids.digest(code)), m.CODE_SK, consistent_read=True)
    except C.DoesNotExist:
        return None


def get_batch(brand_id: str, batch_id: str) -> Any:
    try:
        return B.get(m.batch_pk(brand_id, batch_id), m.BATCH_SK, consistent_read=True)
    except B.DoesNotExist:
        raise NotFound(f"Redeem code batch {batch_id} was not found.",
                       code="REDEEM_BATCH_NOT_FOUND") from None


def _hint(code: str) -> str:
    return f"…-{code[-GROUP:]}"


def create_batch(brand_id: str, body: Any, created_by: str | None = None) -> dict[str, Any]:
    currency = (body.currencyCode or "").strip().upper()
    money.exponent(currency, "currencyCode")
    amount = money.to_minor(body.amount, currency, "amount")
    if amount <= 0:
        raise BadRequest("amount must be more than 0.", field="amount")
    if body.startDate and body.endDate and body.endDate <= body.startDate:
        raise BadRequest("endDate must be after startDate.", field="endDate")
    now = settings.now()
    batch_id = ids.new_id()
    plain = [new_code() for _ in range(body.quantity)]
    common = dict(amount_minor=amount, currency=currency, max_uses=body.maxUsesPerCode,
                  per_user_once=body.perUserOnce, start_date=body.startDate,
                  end_date=body.endDate, test_mode=bool(body.testMode))
    with C.batch_write() as writer:
        for number, code in enumerate(plain, start=1):
            stored = code.replace("-", "")
            writer.save(C(m.code_pk(brand_id, ids.digest(stored)), m.CODE_SK,
                          id=f"{batch_id}-{number:05d}", batch_id=batch_id, number=number,
                          hint=_hint(stored), status="Active", uses=0,
                          gsi1pk=m.batch_pk(brand_id, batch_id), gsi1sk=m.number_sk(number),
                          created_date=now, modified_date=now, **common))
        for chunk, start in enumerate(range(0, len(plain), EXPORT_CHUNK)):
            lines = "\n".join(f"{start + i + 1},{c}"
                              for i, c in enumerate(plain[start:start + EXPORT_CHUNK]))
            writer.save(m.RedeemExportItem(
                m.batch_pk(brand_id, batch_id), m.export_sk(chunk),
                sealed=sealed.encrypt(lines, _export_context(batch_id, chunk)),
                created_date=now))
    batch = B(m.batch_pk(brand_id, batch_id), m.BATCH_SK, id=batch_id, brand_id=brand_id,
              quantity=body.quantity, description=body.description, tags=body.tags,
              status="Active", created_by=created_by, gsi1pk=m.batches_gsi(brand_id),
              gsi1sk=f"{ids.stamp(now)}#{batch_id}", created_date=now, modified_date=now,
              **common)
    batch.save(condition=B.pk.does_not_exist())
    return {**batch_dto(batch), "codes": plain}


def _export_context(batch_id: str, chunk: int) -> str:
    return f"redeem-export:{batch_id}:{chunk}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def batch_dto(b: Any) -> dict[str, Any]:
    return {
        "id": b.id, "createdDate": _iso(b.created_date),
        "amount": money.to_decimal(int(b.amount_minor), b.currency),
        "currencyCode": b.currency, "quantity": int(b.quantity),
        "maxUsesPerCode": int(b.max_uses), "perUserOnce": bool(b.per_user_once),
        "startDate": _iso(b.start_date), "endDate": _iso(b.end_date),
        "description": b.description, "tags": b.tags, "testMode": bool(b.test_mode),
        "status": b.status, "createdBy": b.created_by, "modifiedDate": _iso(b.modified_date),
    }


def code_dto(c: Any, uses: list[Any] | None = None) -> dict[str, Any]:
    return {
        "id": c.id, "batchId": c.batch_id, "number": int(c.number), "hint": c.hint,
        "amount": money.to_decimal(int(c.amount_minor), c.currency),
        "currencyCode": c.currency, "uses": int(c.uses), "maxUses": int(c.max_uses),
        "status": c.status, "lastUsedDate": _iso(c.last_used_date),
        "createdDate": _iso(c.created_date),
        "usedBy": [{"id": u.id, "userId": u.user_id, "walletId": u.wallet_id,
                    "createdDate": _iso(u.created_date)} for u in (uses or [])],
    }


def list_batches(brand_id: str, query: dict[str, Any]) -> dict[str, Any]:
    rows = [batch_dto(b) for b in B.gsi1.query(m.batches_gsi(brand_id))]
    for key in ("status", "currencyCode", "tags"):
        if query.get(key):
            rows = [r for r in rows if str(r.get(key) or "") == str(query[key])]
    if query.get("testMode") is not None:
        rows = [r for r in rows if r["testMode"] == bool(query["testMode"])]
    return paging.page(rows, query, sortable=("amount", "quantity", "status", "currencyCode"),
                       keyword_fields=("description", "tags", "id"))


def list_codes(brand_id: str, batch: Any, query: dict[str, Any]) -> dict[str, Any]:
    """A page of the batch's codes by number (one Query), each with its uses (one Query of
    the page's range)."""
    number, size = paging.bounds(query)
    total = int(batch.quantity)
    lo, hi = number * size + 1, min(total, (number + 1) * size)
    items: list[dict[str, Any]] = []
    if lo <= hi:
        pk = m.batch_pk(brand_id, batch.id)
        codes = list(C.gsi1.query(pk, C.gsi1sk.between(m.number_sk(lo), m.number_sk(hi))))
        by_number: dict[int, list[Any]] = {}
        for u in U.query(pk, U.sk.between(f"{m.USE_PREFIX}{lo:05d}",
                                          f"{m.USE_PREFIX}{hi:05d}#~")):
            by_number.setdefault(int(u.number), []).append(u)
        items = [code_dto(c, by_number.get(int(c.number))) for c in codes]
    return {"items": items, "totalItems": total, "pageNumber": number, "pageSize": size}


def code_by_id(brand_id: str, code_id: str) -> Any:
    batch_id, _, number = code_id.rpartition("-")
    found = []
    if batch_id and number.isdigit():
        found = list(C.gsi1.query(m.batch_pk(brand_id, batch_id),
                                  C.gsi1sk == m.number_sk(int(number)), limit=1))
    if not found:
        raise NotFound(f"Redeem code {code_id} was not found.", code="REDEEM_CODE_NOT_FOUND")
    return found[0]


def deactivate_batch(brand_id: str, batch: Any) -> bool:
    if batch.status != "Inactive":
        batch.update(actions=[B.status.set("Inactive"), B.modified_date.set(settings.now())],
                     condition=B.pk.exists())
    return True


def deactivate_code(brand_id: str, code: Any) -> bool:
    if code.status != "Inactive":
        code.update(actions=[C.status.set("Inactive"), C.modified_date.set(settings.now())],
                    condition=C.pk.exists())
    return True


EXPORT_FIELDS = ("code", "number", "id", "status", "uses", "maxUses", "amount", "currencyCode",
                 "startDate", "endDate", "testMode", "lastUsedDate")


def export_csv(brand_id: str, batch: Any) -> str:
    """The batch's codes in full, one CSV row each (header first)."""
    pk = m.batch_pk(brand_id, batch.id)
    plain: dict[int, str] = {}
    for chunk in m.RedeemExportItem.query(pk, m.RedeemExportItem.sk.startswith(m.EXPORT_PREFIX)):
        index = int(chunk.sk.removeprefix(m.EXPORT_PREFIX))
        for line in sealed.decrypt(chunk.sealed, _export_context(batch.id, index)).splitlines():
            n, _, code = line.partition(",")
            plain[int(n)] = code
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_FIELDS)
    for c in C.gsi1.query(pk, C.gsi1sk.startswith(m.CODE_PREFIX)):
        dto = code_dto(c)
        status = "Inactive" if batch.status == "Inactive" else c.status
        writer.writerow([plain.get(int(c.number), ""), dto["number"], dto["id"], status,
                         dto["uses"], dto["maxUses"], dto["amount"], dto["currencyCode"],
                         _iso(c.start_date) or "", _iso(c.end_date) or "",
                         str(bool(c.test_mode)).lower(), dto["lastUsedDate"] or ""])
    return out.getvalue()
