"""Payment records: JFW's IPayment list and detail, and the payment constants (the dashboard's
figures are the reports context's sales counters).

- A list is ONE Query of the brand's payments (gsi1, newest first; ``createdDateFrom/To`` narrow
  the key range), filtered and paged in memory like every JFW list here; the page's users come
  from one batch read and prices/packages from one catalogue Query.
- ``GET v1/payments/{id}`` is ONE Query of the payment's partition: the payment, its
  ``histories`` and its ``transactions`` (the records history rows carry, and the ``TXN#`` rows
  written before they did; one per merchant ref and type, the newest).
- Who sees what: PAYMENT.READ sees the brand's payments; any other signed-in user (an EndUser)
  sees only their own (someone else's is a 404, as a missing one).
- Amounts are decimals in the payment's currency (money.to_decimal). Before completion
  ``amountGross``/``amountFee``/``amountNet`` are 0: nothing was received yet.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib import money
from chalicelib.catalog import service as catalog
from chalicelib.http.errors import NotFound
from chalicelib.http.paging import page
from chalicelib.identity import service as identity
from chalicelib.payments import models as m
from chalicelib.payments.constants import STATUSES, TRANSACTION_TYPES
from chalicelib.store import ids

LIST_LIMIT = 10000
_FILTERS = {"appIntegrationPaymentGatewayId": "gateway_id", "priceId": "price_id",
            "code": "code", "userId": "user_id", "status": "status",
            "paymentType": "payment_type", "currencyCode": "currency"}


def _dec(minor: Any, currency: str) -> Decimal:
    return money.to_decimal(int(minor or 0), currency)


def to_dto(p: Any, *, user: dict | None = None, price: dict | None = None,
           package: dict | None = None) -> dict[str, Any]:
    c = p.currency
    return {
        "id": p.id, "createdDate": p.created_date, "modifiedDate": p.modified_date,
        "code": p.code, "name": p.name, "description": p.description, "notes": p.notes,
        "paymentType": p.payment_type or p.gateway_type, "status": p.status,
        "amount": _dec(_total(p), c), "amountGross": _dec(p.amount_gross_minor, c),
        "amountFee": _dec(p.amount_fee_minor, c), "amountNet": _dec(p.amount_net_minor, c),
        "commission": _dec(p.commission_minor, c),
        "sharedAmount": _dec(p.shared_amount_minor, c),
        "refundedAmount": _dec(p.refunded_minor, c), "currencyCode": c,
        "invoiceNo": p.invoice_no, "paymentDate": p.payment_date,
        "merchantRefNo": p.merchant_ref_no, "riskMark": int(p.risk_mark or 0),
        "riskLevel": p.risk_level, "held": bool(p.held), "testMode": bool(p.test_mode),
        "couponCode": p.coupon_code, "appIntegrationPaymentGatewayId": p.gateway_id,
        "gatewayType": p.gateway_type, "userId": p.user_id, "priceId": p.price_id,
        "packageId": p.package_id, "subscriptionTypeId": p.subscription_type_id,
        "user": user, "price": price, "package": package,
        "walletId": p.wallet_id, "walletAmount": _dec(p.wallet_minor, c),
    }


def _total(p: Any) -> int:
    """What the payment is worth: the gateway's part plus a wallet's (a wallet-only payment's
    amount is the wallet's already)."""
    if p.gateway_type == "wallet" or p.wallet_minor is None:
        return int(p.amount_minor or 0)
    return int(p.amount_minor or 0) + int(p.wallet_minor)


def history_dto(h: Any) -> dict[str, Any]:
    return {"id": h.id, "createdDate": h.created_date, "fromStatus": h.from_status,
            "status": h.to_status, "eventStatus": h.event_status, "applied": bool(h.applied),
            "notes": h.note, "source": h.source, "eventType": h.event_type,
            "eventId": h.dedupe_key, "notificationId": h.notification_id,
            "amount": _dec(h.amount_minor, h.currency) if h.currency else None,
            "currencyCode": h.currency}


def txn_dto(t: Any) -> dict[str, Any]:
    """A transaction record: a ``TransactionItem`` (written before history rows carried them)
    or a history row's ``txn`` map (with the row's date)."""
    if isinstance(t, m.PaymentHistoryItem):
        x, created = t.txn, t.created_date
        ref, parent, kind, status = (x.get("merchantRef"), x.get("parentMerchantRef"),
                                     x.get("type"), x.get("status"))
        amount, fee, currency = x.get("amountMinor"), x.get("feeMinor"), x.get("currency")
        txn_id, gateway = x.get("id"), x.get("gateway")
    else:
        created, ref, parent, kind, status = (t.created_date, t.merchant_ref,
                                              t.parent_merchant_ref, t.type, t.status)
        amount, fee, currency, txn_id, gateway = (t.amount_minor, t.fee_minor, t.currency, t.id,
                                                  t.gateway)
    return {"id": txn_id, "createdDate": created, "type": kind, "status": status,
            "merchantRefNo": ref, "parentMerchantRefNo": parent,
            "amount": _dec(amount, currency) if currency else None,
            "fee": _dec(fee, currency) if currency and fee is not None
            else None, "currencyCode": currency, "gateway": gateway}


def _txn_key(t: Any) -> str:
    """One record per (merchant ref, type), ordered as their old ``TXN#`` sort keys were."""
    if isinstance(t, m.PaymentHistoryItem):
        return m.txn_sk(t.txn.get("merchantRef") or "-", t.txn.get("type") or "")
    return t.sk


# -- reading -------------------------------------------------------------------------------------

def _query(brand_id: str, start: datetime | None = None, end: datetime | None = None) -> list:
    cond = ids.stamp_range(m.PaymentItem.gsi1sk, start, end)
    return list(m.PaymentItem.gsi1.query(m.payments_gsi(brand_id), cond,
                                         scan_index_forward=False, limit=LIST_LIMIT))


def list_payments(brand_id: str, query: dict[str, Any], only_user: str | None = None
                  ) -> dict[str, Any]:
    items = _query(brand_id, query.get("createdDateFrom"), query.get("createdDateTo"))
    wanted = {attr: query[key] for key, attr in _FILTERS.items() if query.get(key) is not None}
    if only_user:
        if wanted.get("user_id", only_user) != only_user:
            wanted["id"] = None  # someone else's payments: none of them is theirs to see
        wanted["user_id"] = only_user
    if query.get("referralUserCode"):
        wanted["referrer_id"] = identity.referrer_for_code(brand_id, query["referralUserCode"]) \
            or "-"
    if query.get("testMode") is not None:
        wanted["test_mode"] = query["testMode"]
    rows = [p for p in items
            if all(_same(getattr(p, a), v) for a, v in wanted.items())]
    by_id = {p.id: p for p in rows}
    plain_rows = [{"id": p.id, "createdDate": p.created_date, "code": p.code,
                   "name": p.name, "description": p.description,
                   "merchantRefNo": p.merchant_ref_no, "userEmail": p.user_email,
                   "status": p.status, "paymentDate": p.payment_date,
                   "amount": int(p.amount_minor), "currencyCode": p.currency}
                  for p in rows]
    result = page(plain_rows, query,
                  sortable=["code", "status", "paymentDate", "amount", "currencyCode", "name"],
                  keyword_fields=["code", "name", "description", "merchantRefNo", "userEmail"])
    result["items"] = _dtos(brand_id, [by_id[r["id"]] for r in result["items"]])
    return result


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, str) and isinstance(value, str):
        return value.lower() == wanted.lower()  # JFW compares statuses case-insensitively
    return value == wanted or (wanted is False and value is None)


def _dtos(brand_id: str, payments: list) -> list[dict[str, Any]]:
    """IPayment for each, with user, price and package (one batch read, one catalogue Query)."""
    if not payments:
        return []
    users = _users(brand_id, [p.user_id for p in payments if p.user_id])
    cat = _catalogue(brand_id) if users or any(p.price_id or p.package_id for p in payments) \
        else None
    prices, packages = _priced(cat, payments)
    for user in users.values():
        _user_package(cat, user)
    return [to_dto(p, user=users.get(p.user_id or ""), price=prices.get(p.price_id or ""),
                   package=packages.get(p.package_id or "")) for p in payments]


def _users(brand_id: str, user_ids: list[str]) -> dict[str, dict]:
    """IUserBase of each user (``packageCode`` is filled by ``_user_package``)."""
    wanted = list(dict.fromkeys(user_ids))
    out: dict[str, dict] = {}
    for start in range(0, len(wanted), identity.MAX_USER_IDS):
        for u in identity.users_by_ids(brand_id, wanted[start:start + identity.MAX_USER_IDS]):
            out[u["id"]] = {"id": u["id"], "createdDate": u["createdDate"], "code": u["code"],
                            "avatar": u.get("avatar"), "packageId": u.get("packageId"),
                            "packageCode": None, "emailAddress": u.get("emailAddress"),
                            "nickName": u.get("nickName"),
                            "roles": [r.get("code") for r in u.get("roles") or []]}
    return out


def _user_package(cat: Any, user: dict) -> None:
    """IUserBase's ``packageId`` and ``packageCode``: the user's package; a user who holds none
    is on the brand's default package (licensing's expiry moves an expired user there too)."""
    if cat is None:
        return
    package_id = user["packageId"] or (cat.head.default_package_id if cat.head else None)
    package = cat.packages.get(package_id) if package_id else None
    user["packageId"] = package_id
    user["packageCode"] = package.code if package is not None else None


def _catalogue(brand_id: str) -> Any:
    return catalog.load(brand_id)


def _priced(cat: Any, payments: list) -> tuple[dict[str, dict], dict[str, dict]]:
    if cat is None:
        return {}, {}
    prices = {}
    for pid in {p.price_id for p in payments if p.price_id}:
        if pid in cat.prices:
            dto = catalog.price_dto(cat, cat.prices[pid])
            dto.pop("amountMinor", None)
            prices[pid] = dto
    packages = {pid: catalog.package_dto(cat, cat.packages[pid])
                for pid in {p.package_id for p in payments if p.package_id}
                if pid in cat.packages}
    return prices, packages


def get_payment(brand_id: str, payment_id: str, only_user: str | None = None) -> dict[str, Any]:
    """IPayment with ``histories`` (oldest first) and ``transactions``, from ONE Query."""
    payment, histories, txns = None, [], {}
    # Sort keys order the partition: HIST# rows (oldest first) come before the old TXN# rows,
    # which only rows written before history rows carried a record can be; a later record of
    # the same (ref, type) replaces an earlier one, as the TXN# row's overwrite did.
    for item in m.PaymentRecord.query(m.payment_pk(brand_id, payment_id), consistent_read=True):
        if isinstance(item, m.PaymentItem):
            payment = item
        elif isinstance(item, m.PaymentHistoryItem):
            histories.append(history_dto(item))
            if item.txn:
                txns[_txn_key(item)] = item
        elif isinstance(item, m.TransactionItem):
            txns.setdefault(_txn_key(item), item)
    if payment is None or (only_user and payment.user_id != only_user):
        raise NotFound(f"Payment {payment_id} was not found.", code="PAYMENT_NOT_FOUND")
    dto = _dtos(brand_id, [payment])[0]
    dto["histories"] = histories
    dto["transactions"] = [txn_dto(txns[k]) for k in sorted(txns)]
    return dto


def brand_payments(brand_id: str) -> Iterator[Any]:
    """Every payment of the brand (one Query of gsi1, paged as it is read): for a report's
    recomputation, never a request path."""
    return m.PaymentItem.gsi1.query(m.payments_gsi(brand_id))


def payment_statuses() -> list[str]:
    return list(STATUSES)


def transaction_statuses() -> list[str]:
    return list(STATUSES)


def transaction_types() -> list[str]:
    return list(TRANSACTION_TYPES)
