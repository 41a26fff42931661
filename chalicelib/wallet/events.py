"""Wallet events: one ``wallet-event`` outbox row per ledger row, written in the ledger's own
transaction (ledger.post), so every money movement is announced exactly when it commits.

Codes follow JFW's ``ENTITY.ACTION.RESULT``. The consumer (``deliver``) mails the wallet's owner
for the movements they would not otherwise hear about (the catalog's WALLET.* mails: money
added, returned, released, taken back, redeemed, earned, converted); a purchase paid from the
wallet is told by the payment's own mails. The mail is a follow-up outbox row written when the
event is consumed, addressed to the owner's address at that moment.
"""

from __future__ import annotations

from typing import Any

from chalicelib import money
from chalicelib.http.errors import NotFound
from chalicelib.identity import service as identity
from chalicelib.notify import service as notify
from chalicelib.webhooks import service as webhooks

CODES = {
    ("WalletAddMoney", 1): "WALLET.ADD-MONEY.SUCCESS",
    ("Refund", 1): "WALLET.REFUND.SUCCESS",
    ("Refund", -1): "WALLET.TOP-UP.REFUNDED",
    ("Void", 1): "WALLET.PAYMENT.RELEASED",
    ("LicensePurchase", -1): "WALLET.PAYMENT.SUCCESS",
    ("Payment", -1): "WALLET.PAYMENT.SUCCESS",
    ("WalletRedeem", 1): "WALLET.REDEEM.SUCCESS",
    ("WalletEarningCoin", 1): "WALLET.EARNING.SUCCESS",
    ("WalletConvert", 1): "WALLET.CONVERT.SUCCESS",
    ("WalletConvert", -1): "WALLET.CONVERT.DEBITED",
    ("WalletWithdraw", -1): "WALLET.WITHDRAW.SUCCESS",
}
MAILED = {"WALLET.ADD-MONEY.SUCCESS", "WALLET.REFUND.SUCCESS", "WALLET.TOP-UP.REFUNDED",
          "WALLET.PAYMENT.RELEASED", "WALLET.REDEEM.SUCCESS", "WALLET.EARNING.SUCCESS",
          "WALLET.CONVERT.SUCCESS", "WALLET.WITHDRAW.SUCCESS"}


def code_of(row: Any) -> str:
    sign = 1 if int(row.amount_minor) >= 0 else -1
    return CODES.get((row.type, sign)) or f"WALLET.{row.type.upper()}.{row.status.upper()}"


def event_row(wallet: Any, row: Any, *, mail: bool = True) -> Any:
    """``mail``: False for all but the last of a post's rows of one wallet and type (a
    conversion credits the paid and granted parts in two rows: one mail)."""
    return notify.row(wallet.brand_id, WALLET_EVENT, {
        "mail": mail,
        "event": code_of(row), "walletId": wallet.id, "walletCode": wallet.code,
        "userId": wallet.user_id, "rowId": row.id, "rowCode": row.code, "sequence": int(row.seq),
        "type": row.type, "status": row.status, "currency": row.currency,
        "amountMinor": int(row.amount_minor), "balanceAfterMinor": int(row.balance_after),
        "refObject": row.ref_object, "refId": row.ref_id, "description": row.description,
        "testMode": bool(wallet.test_mode), "date": row.created_date.isoformat()})


def deliver(item: Any) -> Any:
    p = item.payload or {}
    code = p.get("event")
    if code not in MAILED or p.get("mail") is False:
        return notify.Delivery(result={"event": code, "mailed": False})
    try:
        user = identity.get_user_item(item.brand_id, p["userId"])
    except NotFound:
        return notify.Delivery(result={"event": code, "mailed": False, "reason": "no user"})
    if not user.email_address:
        return notify.Delivery(result={"event": code, "mailed": False, "reason": "no address"})
    currency = p["currency"]
    context = {
        "user": notify.user_vars(username=user.username, email_address=user.email_address,
                                 first_name=user.first_name, last_name=user.last_name,
                                 nick_name=user.nick_name),
        "wallet": {"code": p.get("walletCode"), "currency_code": currency,
                   "amount": str(money.to_decimal(abs(int(p["amountMinor"])), currency)),
                   "balance": str(money.to_decimal(int(p["balanceAfterMinor"]), currency)),
                   "description": p.get("description"), "type": p.get("type")},
    }
    mail = notify.mail(item.brand_id, code, user.email_address, context,
                       language_code=user.language_code)
    return notify.Delivery(result={"event": code, "mailed": True, "mailId": mail.id},
                           writes=[mail])


WALLET_EVENT = notify.register_kind("wallet-event", webhooks.forwarding(deliver))
