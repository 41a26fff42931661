"""Wallet enums: JFW v6.9.3's wire values (api-surface.md §21) and our wallet statuses.

JFW publishes no wallet status values; its list filter defaults to ``Open`` and redeeming needs
an open wallet. Ours: ``Open`` (usable), ``Locked`` (its ledger failed reconciliation, or an
admin locked it: money still arrives, nothing leaves until an admin unlocks it), ``Closed``
(emptied and closed by its owner: nothing moves).
"""

from __future__ import annotations

WALLET_STATUSES = ("Open", "Locked", "Closed")
HISTORY_TYPES = ("Unknown", "LicensePurchase", "Payment", "Refund", "Void", "Capture",
                 "Authorization", "Reversal", "Inquiry", "WalletAddMoney", "WalletWithdraw",
                 "WalletEarningCoin", "WalletRedeem", "WalletConvert")
HISTORY_STATUSES = ("Waiting", "Completed", "Refunded", "Failed", "Pending", "Denied",
                    "Reserved", "CanceledReversal", "Deleted", "Voided", "Expired")

CONSTANTS: dict[str, tuple[str, ...]] = {"wallet/status": WALLET_STATUSES}
