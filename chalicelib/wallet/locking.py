"""An administrator's lock and unlock of a wallet (``PUT v1/wallets/{id}/lock`` / ``unlock``,
WALLET.UPDATE; the owner can't unlock their own).

- Lock: an Open wallet becomes Locked with the admin's reason (nothing leaves it, money still
  arrives); a Locked one is answered as it is; a Closed one can't be locked (409).
- Unlock: the wallet's ledger is proven again IN FULL first (reconcile.prove, from row 1, against
  the wallet's figures; its MAC is not asked for, the lock wrote one over what it found). While
  the ledger still disagrees the answer is 409 with the finding: restore what was changed
  outside the ledger (the row, or the balance, e.g. from point-in-time recovery) and unlock
  again. On success the wallet is Open with a fresh MAC, marked verified up to its last row,
  next audited after ``settings.wallet_audit_days``, and its findings are forgotten (a new one
  is mailed again).
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib import settings
from chalicelib.http.errors import Conflict
from chalicelib.wallet import ledger, reconcile
from chalicelib.wallet import models as m

log = logging.getLogger("jfw.wallet.locking")

ATTEMPTS = 3


def lock(brand_id: str, wallet_id: str, admin_id: str, reason: str | None) -> Any:
    wallet = ledger.get_wallet(brand_id, wallet_id)
    if wallet.status == "Closed":
        raise Conflict(f"Wallet {wallet_id} is Closed: there is nothing to lock.",
                       code="WALLET_CLOSED")
    if wallet.status != "Locked":
        why = (reason or "").strip() or "no reason given"
        ledger.lock(wallet, f"Locked by an administrator (user {admin_id}): {why}")
    return ledger.get_wallet(brand_id, wallet_id)


def unlock(brand_id: str, wallet_id: str) -> Any:
    for _ in range(ATTEMPTS):
        wallet = ledger.get_wallet(brand_id, wallet_id)
        if wallet.status == "Open":
            return wallet
        if wallet.status != "Locked":
            raise Conflict(f"Wallet {wallet_id} is {wallet.status}: only a Locked wallet is "
                           "unlocked.", code="WALLET_NOT_LOCKED")
        proof, _, _ = reconcile.prove_twice(wallet, full=True, check_mac=False)
        if proof.wallet is None:
            break
        if proof.finding is not None and proof.finding.kind != "moving":
            raise Conflict(
                f"Wallet {wallet_id} stays locked: its ledger still disagrees ("
                f"{proof.finding.reason}). Restore what was changed outside the ledger, then "
                "unlock it again.", code="WALLET_LEDGER_DISAGREES")
        if proof.finding is None and reconcile.mark_verified(proof.wallet, proof, settings.now(),
                                                             full=True, unlock=True):
            _forget_findings(proof.wallet)
            log.warning("wallet %s unlocked after a full proof up to row %s", wallet_id,
                        proof.seq)
            return ledger.get_wallet(brand_id, wallet_id)
    raise Conflict(f"Wallet {wallet_id} changed while it was proven; try again.",
                   code="WALLET_CHANGED")


def _forget_findings(wallet: Any) -> None:
    F = m.FindingItem  # noqa: N806
    for item in F.query(wallet.pk, F.sk.startswith(m.FINDING_PREFIX)):
        try:
            item.delete()
        except Exception:  # noqa: BLE001 - a stale marker only keeps one mail from repeating
            log.warning("wallet %s: finding %s not removed", wallet.id, item.sk, exc_info=True)
