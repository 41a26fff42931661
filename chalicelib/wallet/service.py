"""Wallet's front door: the one module other contexts (and devstack, bench) import, as
``from chalicelib.wallet import service as wallet``.

- wallets: ``open_wallet`` (one per user, currency and test mode), ``find_wallet``,
  ``get_wallet``, ``wallet_dto``;
- paying: ``Funds(brand_id, wallet_id)`` offered to ``payments.checkout`` (funds/shares.py);
  the wallet follows every payment that touches it (``shares.settle``, subscribed to payment
  events here);
- money: ``post`` with ``Move`` is THE writer of every balance (ledger.py); its refusals
  ``InsufficientFunds``, ``WalletNotOpen``, ``WalletTampered``, and ``Duplicate`` for a
  reference posted before.
- ``list_earning_events(brand_id, query, see_all)``: JFW's earning event list (notify's
  ``GET v1/events?type=`` answers with it, as JFW's SDK reads it there);
- subscriptions: earning events are granted on identity's ``user-event`` (a registration) and
  payments' ``payment-event`` (a referred buyer's completed payment): wallet/redeem/earning.py.
"""

from chalicelib.identity import service as identity
from chalicelib.payments import service as payments
from chalicelib.wallet.funds import shares
from chalicelib.wallet.funds.shares import Funds
from chalicelib.wallet.ledger import (
    Duplicate,
    InsufficientFunds,
    Move,
    Posted,
    WalletNotOpen,
    WalletTampered,
    get_wallet,
    post,
)
from chalicelib.wallet.redeem import earning as redeem_earning
from chalicelib.wallet.redeem.earning import list_events as list_earning_events
from chalicelib.wallet.wallets import find_wallet, open_wallet
from chalicelib.wallet.wallets import to_dto as wallet_dto

__all__ = [
    "Duplicate", "Funds", "InsufficientFunds", "Move", "Posted", "WalletNotOpen", "WalletTampered",
    "find_wallet", "get_wallet", "open_wallet", "post", "wallet_dto",
    "list_earning_events",
]

payments.subscribe(shares.settle)
identity.subscribe_user_events(redeem_earning.on_user_event)
payments.subscribe(redeem_earning.on_payment_event)
