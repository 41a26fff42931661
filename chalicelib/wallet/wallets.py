"""Wallets: open one, list, read, close, and their histories (the ledger rows).

- One wallet per (user, currency, test mode): the ``UNIQUE`` row is written with the wallet, so
  two concurrent opens make one wallet; opening one that exists answers it.
- The first wallet a user opens is their default (the ``DEFAULT`` row, written only if absent,
  decides it when two are opened at once).
- Closing: only an empty wallet (no balance, no debt, no money held for a payment) closes; the
  answer to a wallet with money is 409 naming the balance and what to do with it (spend it,
  convert it into another wallet). A closed wallet keeps its ledger; its ``UNIQUE`` row goes, so
  the user may open a new wallet in that currency later.
- Who: the owner, or a holder of ``WALLET.READ`` / ``WALLET.UPDATE`` for any wallet of the
  brand. Anyone else gets 404, the same as for a wallet that does not exist.
"""

from __future__ import annotations

from typing import Any

from chalicelib import money, settings
from chalicelib.http import paging
from chalicelib.http.context import RequestContext
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.identity import service as identity
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction
from chalicelib.wallet import chain
from chalicelib.wallet import models as m
from chalicelib.wallet.constants import HISTORY_STATUSES, HISTORY_TYPES, WALLET_STATUSES
from chalicelib.wallet.ledger import get_wallet

W = m.WalletItem
MAX_WALLETS_PER_USER = 200


def currency_of(code: str, field: str = "currencyCode") -> str:
    currency = (code or "").strip().upper()
    money.exponent(currency, field)
    return currency


def find_wallet(brand_id: str, user_id: str, currency: str, test_mode: bool) -> Any | None:
    try:
        unique = m.UniqueItem.get(m.unique_pk(brand_id, user_id, currency, test_mode),
                                  m.UNIQUE_SK, consistent_read=True)
    except m.UniqueItem.DoesNotExist:
        return None
    return get_wallet(brand_id, unique.wallet_id)


def open_wallet(brand_id: str, user_id: str, currency: str, test_mode: bool = False) -> Any:
    """The user's wallet in ``currency`` (opened now when they have none)."""
    currency = currency_of(currency)
    for _ in range(4):
        existing = find_wallet(brand_id, user_id, currency, test_mode)
        if existing is not None:
            return existing
        now = settings.now()
        wallet_id = ids.new_id()
        wallet = W(m.wallet_pk(brand_id, wallet_id), m.WALLET_SK, id=wallet_id,
                   brand_id=brand_id, user_id=user_id, code=f"W{ids.new_code(10)}",
                   currency=currency, test_mode=test_mode, status="Open",
                   gsi1pk=m.user_wallets_gsi(brand_id, user_id),
                   gsi1sk=f"{currency}#{'T' if test_mode else 'L'}#{ids.stamp(now)}",
                   due_pk=m.recon_shard(wallet_id),
                   due_sk=m.recon_sort_key(now, brand_id, wallet_id),
                   created_date=now, modified_date=now)
        for default in (True, False):
            wallet.is_default = default
            wallet.mac = chain.wallet_mac(wallet)
            try:
                with transaction() as tx:
                    tx.save(m.UniqueItem(m.unique_pk(brand_id, user_id, currency, test_mode),
                                         m.UNIQUE_SK, wallet_id=wallet_id, created_date=now),
                            condition=m.UniqueItem.pk.does_not_exist())
                    if default:
                        tx.save(m.UniqueItem(m.default_pk(brand_id, user_id), m.DEFAULT_SK,
                                             wallet_id=wallet_id, created_date=now),
                                condition=m.UniqueItem.pk.does_not_exist())
                    tx.save(wallet, condition=W.pk.does_not_exist())
                return wallet
            except ConditionFailed as e:
                if e.failed(0):
                    break  # opened meanwhile: read it
                if default and e.failed(1):
                    continue  # another wallet became the default first
                raise
    raise Conflict("The wallet is being opened by another request; try again.",
                   code="WALLET_BUSY")


def user_wallets(brand_id: str, user_id: str) -> list[Any]:
    return list(W.gsi1.query(m.user_wallets_gsi(brand_id, user_id),
                             limit=MAX_WALLETS_PER_USER))


def list_wallets(brand_id: str, user_id: str, query: dict[str, Any]) -> list[Any]:
    currency = currency_of(query["currencyCode"]) if query.get("currencyCode") else None
    status = query.get("status") or "Open"
    if status not in WALLET_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(WALLET_STATUSES)}.", field="status")
    test_mode = bool(query.get("testMode") or False)
    return [w for w in user_wallets(brand_id, user_id)
            if w.status == status and bool(w.test_mode) == test_mode
            and (currency is None or w.currency == currency)]


def owned(ctx: RequestContext, wallet_id: str, permission: str = "WALLET.READ") -> Any:
    """The wallet, when the caller owns it or holds ``permission``; 404 otherwise."""
    try:
        wallet = get_wallet(ctx.brand_id, wallet_id)
    except NotFound:
        wallet = None
    if wallet is not None and (identity.is_self(ctx, wallet.user_id)
                               or identity.has_permission(ctx, permission)):
        return wallet
    raise NotFound(f"Wallet {wallet_id} was not found.", code="WALLET_NOT_FOUND")


def close(brand_id: str, wallet: Any) -> bool:
    if wallet.status == "Closed":
        return True
    holds = list(m.ShareItem.query(wallet.pk, m.ShareItem.sk.startswith(m.SHARE_PREFIX),
                                   filter_condition=m.ShareItem.state == "Held"))
    if int(wallet.balance_minor) or int(wallet.debt_minor) or holds:
        shown = money.to_decimal(int(wallet.balance_minor), wallet.currency)
        raise Conflict(
            f"Wallet {wallet.id} still holds {shown} {wallet.currency}"
            + (" and money held for a payment" if holds else "")
            + (f" and owes {money.to_decimal(int(wallet.debt_minor), wallet.currency)}"
               if int(wallet.debt_minor) else "")
            + ": spend it or convert it into another wallet (POST v1/wallets/convert) "
              "before closing.", code="WALLET_NOT_EMPTY")
    now = settings.now()
    read_seq, read_status = int(wallet.seq), wallet.status
    wallet.status = "Closed"
    try:
        with transaction() as tx:
            tx.delete(m.UniqueItem(m.unique_pk(brand_id, wallet.user_id, wallet.currency,
                                               bool(wallet.test_mode)), m.UNIQUE_SK))
            if wallet.is_default:
                tx.delete(m.UniqueItem(m.default_pk(brand_id, wallet.user_id), m.DEFAULT_SK),
                          condition=m.UniqueItem.wallet_id == wallet.id)
            tx.update(wallet, actions=[W.status.set("Closed"), W.is_default.set(False),
                                       W.mac.set(chain.wallet_mac(wallet)),
                                       W.modified_date.set(now)],
                      condition=(W.seq == read_seq) & (W.status == read_status)
                      & (W.balance_minor == 0) & (W.debt_minor == 0))
    except ConditionFailed:
        raise Conflict(f"Wallet {wallet.id} changed meanwhile; read it and try again.",
                       code="WALLET_CHANGED") from None
    wallet.is_default = False
    return True


def to_dto(wallet: Any) -> dict[str, Any]:
    currency = wallet.currency

    def dec(minor: Any) -> Any:
        return money.to_decimal(int(minor), currency)

    amount = dec(wallet.balance_minor)
    return {
        "id": wallet.id, "createdDate": wallet.created_date.isoformat(),
        "code": wallet.code, "amount": amount, "displayAmount": f"{amount}",
        "currencyCode": currency, "isDefault": bool(wallet.is_default), "tags": wallet.tags,
        "status": wallet.status, "testMode": bool(wallet.test_mode), "userId": wallet.user_id,
        "paidAmount": dec(wallet.paid_minor), "grantedAmount": dec(wallet.granted_minor),
        "debtAmount": dec(wallet.debt_minor), "lockedReason": wallet.locked_reason,
        "modifiedDate": wallet.modified_date.isoformat(),
    }


def row_dto(row: Any, user: dict[str, Any] | None = None) -> dict[str, Any]:
    currency = row.currency
    return {
        "id": row.id, "createdDate": row.created_date.isoformat(),
        "user": user or {"id": row.user_id}, "code": row.code, "type": row.type,
        "amount": money.to_decimal(int(row.amount_minor), currency), "currencyCode": currency,
        "notes": row.notes, "tags": row.tags, "description": row.description,
        "status": row.status, "paymentDate": row.created_date.isoformat(),
        "walletId": row.wallet_id, "sequence": int(row.seq),
        "balanceAfter": money.to_decimal(int(row.balance_after), currency),
        "paidAfter": money.to_decimal(int(row.paid_after), currency),
        "grantedAfter": money.to_decimal(int(row.granted_after), currency),
        "refObject": row.ref_object, "refId": row.ref_id, "hash": row.hash,
    }


HISTORY_FILTERS = ("code", "refObject", "refId", "tags", "type", "status")


def histories(brand_id: str, wallet: Any, query: dict[str, Any]) -> dict[str, Any]:
    """The wallet's ledger rows, newest first (JFW's page). Without a filter a page is read
    straight from its sequence numbers (one Query of a page's rows); with one, the wallet's
    rows are read and filtered."""
    if query.get("type") and query["type"] not in HISTORY_TYPES:
        raise BadRequest(f"type must be one of {', '.join(HISTORY_TYPES)}.", field="type")
    if query.get("status") and query["status"] not in HISTORY_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(HISTORY_STATUSES)}.",
                         field="status")
    user = _user(brand_id, wallet.user_id)
    R = m.LedgerRowItem  # noqa: N806
    filters = {k: query[k] for k in HISTORY_FILTERS if query.get(k) not in (None, "")}
    sort = query.get("sortDataField") or "createdDate"
    if not filters and sort in ("createdDate", "id", "sequence") \
            and (query.get("sortOrder") or "desc") == "desc":
        number, size = paging.bounds(query)
        top = int(wallet.seq) - number * size
        low = max(1, top - size + 1)
        rows = [] if top < 1 else list(R.query(
            wallet.pk, R.sk.between(m.row_sk(low), m.row_sk(top)), scan_index_forward=False,
            consistent_read=True))
        return {"items": [row_dto(r, user) for r in rows], "totalItems": int(wallet.seq),
                "pageNumber": number, "pageSize": size}
    rows = [row_dto(r, user) for r in R.query(wallet.pk, R.sk.startswith(m.ROW_PREFIX))]
    for key, value in filters.items():
        rows = [r for r in rows if str(r.get(key) or "") == str(value)]
    return paging.page(rows, query, sortable=("code", "type", "status", "amount", "sequence"),
                       keyword_fields=("code", "description", "notes", "tags"))


def _user(brand_id: str, user_id: str) -> dict[str, Any]:
    try:
        item = identity.get_user_item(brand_id, user_id)
    except NotFound:
        return {"id": user_id}
    return {"id": item.id, "code": item.code, "username": item.username,
            "emailAddress": item.email_address}
