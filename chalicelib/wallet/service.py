"""Wallet's front door: the one module other contexts (and devstack, bench) import, as
``from chalicelib.wallet import service as wallet``.

- wallets: ``open_wallet`` (one per user, currency and test mode), ``find_wallet``,
  ``get_wallet``, ``wallet_dto``;
- money: ``post`` with ``Move`` is THE writer of every balance (ledger.py); its refusals
  ``InsufficientFunds``, ``WalletNotOpen``, ``WalletTampered``, and ``Duplicate`` for a
  reference posted before.
"""

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
from chalicelib.wallet.wallets import find_wallet, open_wallet
from chalicelib.wallet.wallets import to_dto as wallet_dto

__all__ = [
    "Duplicate", "InsufficientFunds", "Move", "Posted", "WalletNotOpen", "WalletTampered",
    "find_wallet", "get_wallet", "open_wallet", "post", "posted", "wallet_dto",
]
