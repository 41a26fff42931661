"""What makes a wallet's ledger provable.

Each ledger row's ``hash`` is an HMAC-SHA256, under the ledger key, of the previous row's hash
and the row's own money facts (sequence, type, status, amount, the balances after it, currency,
reference, time). The wallet item carries ``mac``: the same HMAC over its balances, status,
sequence and head hash. So:
- a row edited or deleted in DynamoDB breaks the chain from that row on (its hash, or the next
  row's ``prev``, no longer agrees);
- a balance or status edited in DynamoDB no longer matches the wallet's ``mac`` (checked on
  every spend, so such a wallet is refused at once), nor the last row's ``*_after`` figures;
- without the key nobody can write a consistent forgery, not even with write access to the
  table: a plain hash could be recomputed by whoever edits the row.

The key: ``JFW_LEDGER_KEY`` (base64 of 32 bytes); without it, one derived from the secrets key
(store/secrets.py), and on local stages a fixed development key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache
from typing import Any

from chalicelib import settings
from chalicelib.store import secrets


@lru_cache(maxsize=2)
def _key(configured: str | None, fallback: bytes) -> bytes:
    if configured:
        return base64.b64decode(configured)
    return hmac.new(fallback, b"jfw wallet ledger v1", hashlib.sha256).digest()


def key() -> bytes:
    s = settings.get()
    return _key(s.ledger_key, secrets.base_key())


def _mac(parts: tuple[Any, ...]) -> str:
    text = "|".join("" if p is None else str(p) for p in parts)
    return hmac.new(key(), text.encode("utf-8"), hashlib.sha256).hexdigest()


def row_hash(row: Any) -> str:
    """The hash a ledger row must carry, from its ``prev`` and its facts."""
    return _mac(("row", row.prev, row.wallet_id, int(row.seq), row.type, row.status,
                 int(row.amount_minor), int(row.balance_after), int(row.paid_after),
                 int(row.granted_after), int(row.debt_after), row.currency, row.ref,
                 row.created_date.isoformat()))


def wallet_mac(wallet: Any) -> str:
    """The MAC a wallet item must carry, over what a spend trusts."""
    return _mac(("wallet", wallet.id, wallet.currency, wallet.status, int(wallet.balance_minor),
                 int(wallet.paid_minor), int(wallet.granted_minor), int(wallet.debt_minor),
                 int(wallet.seq), wallet.head))


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a or "", b or "")
