"""Wallet's front door: the one module other contexts (and devstack, bench) import, as
``from chalicelib.wallet import service as wallet``.

- wallets: ``open_wallet`` (one per user, currency and test mode), ``find_wallet``,
  ``get_wallet``, ``wallet_dto``;
- money: ``post`` with ``Move`` is THE writer of every balance (ledger.py); its refusals
  ``InsufficientFunds``, ``WalletNotOpen``, ``WalletTampered``, and ``Duplicate`` for a
  reference posted before.
- subscriptions: earning events are granted on identity's ``user-event`` (a registration) and
  payments' ``payment-event`` (a referred buyer's completed payment): wallet/redeem/earning.py.
"""

from chalicelib.identity import service as identity
from chalicelib.payments import service as payments
from chalicelib.wallet.ledger import (
    Duplicate,
    InsufficientFunds,
    Move,
    Posted,
    WalletNotOpen,
    WalletTampered,
    get_wallet,
    post,
    posted,
)
from chalicelib.wallet.redeem import earning as redeem_earning
from chalicelib.wallet.wallets import find_wallet, open_wallet
from chalicelib.wallet.wallets import to_dto as wallet_dto

__all__ = [
    "Duplicate", "InsufficientFunds", "Move", "Posted", "WalletNotOpen", "WalletTampered",
    "find_wallet", "get_wallet", "open_wallet", "post", "posted", "wallet_dto",
]

identity.subscribe_user_events(redeem_earning.on_user_event)
payments.subscribe(redeem_earning.on_payment_event)
