"""Applying a redeem code to a wallet (JFW: POST v1/wallets/{walletId}/apply-redeem/{code}).

Checked in this order, each refusal a clear 4xx that writes nothing (but the failure counter):
1. the caller's rate limit: ``FAILS_PER_USER`` failed attempts per user and ``FAILS_PER_IP``
   per client IP in ``WINDOW`` (identity's fixed-window counters); over it: 429 + Retry-After.
   A failure is a code that does not exist (or can't be one): what guessing produces. A real
   code refused for a reason (used up, expired, another currency) does not count;
2. the wallet: the caller's own (404 otherwise, even for an administrator: redeeming is for
   oneself), Open (409 WALLET_NOT_OPEN: a Locked or Closed wallet takes no code);
3. the code: exists (404), its batch and itself Active (409 REDEEM_CODE_INACTIVE), inside its
   dates (409 REDEEM_CODE_NOT_STARTED / REDEEM_CODE_EXPIRED), the wallet's test mode (409
   REDEEM_CODE_TEST_MODE), the wallet's currency (409 REDEEM_CODE_CURRENCY), a use left (409
   REDEEM_CODE_USED_UP), not used by this user when it is per-user-once (409
   REDEEM_CODE_ALREADY_USED).

Exactly once: the credit (ledger.post, part "granted"), the code's counter (saved on condition
that it still holds the count read and is Active) and the use row (must not exist) are ONE
transaction, with the reference ``REDEEM#<code id>#<user id>`` for per-user-once codes (so a
user's repeats are ``Duplicate``) or ``REDEEM#<code id>#<user id>#<use id>``. Two applies that
read the same count: one commits, the other reads the code again and tries again (or finds it
used up).
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

from chalicelib import money, settings
from chalicelib.http.errors import Conflict, NotFound
from chalicelib.identity import service as identity
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed
from chalicelib.wallet import ledger
from chalicelib.wallet.redeem import codes
from chalicelib.wallet.redeem import models as m

FAILS_PER_USER = 10
FAILS_PER_IP = 30
WINDOW = timedelta(minutes=15)
ATTEMPTS = 30
LIMIT_MESSAGE = "Too many redeem codes that don't exist were tried"
LIMIT_CODE = "REDEEM_TOO_MANY_ATTEMPTS"

C = m.RedeemCodeItem


def _limits(user_id: str, source_ip: str | None) -> list[tuple[str, str, int]]:
    return [("REDEEM-USER", user_id, FAILS_PER_USER),
            ("REDEEM-IP", source_ip or "unknown", FAILS_PER_IP)]


def _refused(code: str, message: str) -> Conflict:
    return Conflict(message, code=code)


def _not_found(brand_id: str, limits: list[tuple[str, str, int]]) -> NotFound:
    for purpose, key, _ in limits:
        identity.rate_limit_hit(brand_id, purpose, key, WINDOW)
    return NotFound("That redeem code does not exist.", code="REDEEM_CODE_NOT_FOUND",
                    field="redeemCode")


def _check(code: Any, batch: Any, wallet: Any, user_id: str) -> None:
    now = settings.now()
    if batch is None or batch.status != "Active" or code.status != "Active":
        raise _refused("REDEEM_CODE_INACTIVE", "That redeem code has been deactivated.")
    if code.start_date and now < code.start_date:
        raise _refused("REDEEM_CODE_NOT_STARTED",
                       f"That redeem code can be used from {code.start_date.isoformat()}.")
    if code.end_date and now >= code.end_date:
        raise _refused("REDEEM_CODE_EXPIRED",
                       f"That redeem code expired on {code.end_date.isoformat()}.")
    if bool(code.test_mode) != bool(wallet.test_mode):
        raise _refused("REDEEM_CODE_TEST_MODE",
                       "That redeem code is for " + ("test-mode" if code.test_mode else "live")
                       + " wallets.")
    if code.currency != wallet.currency:
        worth = money.to_decimal(int(code.amount_minor), code.currency)
        raise _refused("REDEEM_CODE_CURRENCY",
                       f"That redeem code is worth {worth} {code.currency}; apply it to your "
                       f"{code.currency} wallet (open one with POST v1/wallets/{code.currency}), "
                       f"not to this {wallet.currency} one.")
    if code.per_user_once and _used_by(code, user_id):
        raise _refused("REDEEM_CODE_ALREADY_USED", "You have already used that redeem code.")


def _used_by(code: Any, user_id: str) -> bool:
    try:
        m.RedeemUseItem.get(code.gsi1pk, m.use_sk(int(code.number), user_id),
                            consistent_read=True)
        return True
    except m.RedeemUseItem.DoesNotExist:
        return False


def _batch(brand_id: str, batch_id: str) -> Any | None:
    try:
        return codes.get_batch(brand_id, batch_id)
    except NotFound:
        return None


def _wallet_open(wallets: dict[str, Any]) -> None:
    for w in wallets.values():
        if w.status != "Open":
            raise ledger.WalletNotOpen(f"Wallet {w.id} is {w.status}: a redeem code needs an "
                                       "open wallet.")


def apply(brand_id: str, user_id: str, wallet_id: str, text: str,
          source_ip: str | None = None) -> bool:
    """Credit the code's amount to the user's wallet, once (module doc)."""
    limits = _limits(user_id, source_ip)
    for purpose, key, limit in limits:
        identity.rate_limit_check(brand_id, purpose, key, limit, WINDOW, LIMIT_MESSAGE,
                                  LIMIT_CODE)
    try:
        wallet = ledger.get_wallet(brand_id, wallet_id)
    except NotFound:
        wallet = None
    if wallet is None or wallet.user_id != user_id:
        raise NotFound(f"Wallet {wallet_id} was not found.", code="WALLET_NOT_FOUND")
    code = codes.find(brand_id, text)
    if code is None:
        raise _not_found(brand_id, limits)
    _wallet_open({wallet.id: wallet})
    batch = _batch(brand_id, code.batch_id)
    for attempt in range(ATTEMPTS):
        _check(code, batch, wallet, user_id)
        read = int(code.uses)
        if read >= int(code.max_uses):
            raise _refused("REDEEM_CODE_USED_UP", "That redeem code has been used up.")
        now = settings.now()
        use_id = ids.new_id()
        once = bool(code.per_user_once)
        use = m.RedeemUseItem(code.gsi1pk, m.use_sk(int(code.number), user_id,
                                                    None if once else use_id),
                              id=use_id, code_id=code.id, number=int(code.number),
                              user_id=user_id, wallet_id=wallet.id,
                              amount_minor=int(code.amount_minor), currency=code.currency,
                              source_ip=source_ip, created_date=now)
        code.uses, code.last_used_date, code.modified_date = read + 1, now, now
        ref = f"REDEEM#{code.id}#{user_id}" + ("" if once else f"#{use_id}")
        move = ledger.Move(wallet.id, int(code.amount_minor), "WalletRedeem", part="granted",
                           ref_object="RedeemCode", ref_id=code.id,
                           description=f"Redeem code {code.hint}")
        try:
            ledger.post(brand_id, [move], ref=ref, check=_wallet_open,
                        puts=[(code, (C.uses == read) & (C.status == "Active")),
                              (use, m.RedeemUseItem.pk.does_not_exist())])
            return True
        except ledger.Duplicate:
            raise _refused("REDEEM_CODE_ALREADY_USED",
                           "You have already used that redeem code.") from None
        except ConditionFailed:
            time.sleep(random.uniform(0, min(0.1, 0.004 * 2 ** min(attempt, 5))))
            code = codes.find(brand_id, text)
            if code is None:
                raise _not_found(brand_id, limits) from None
            batch = _batch(brand_id, code.batch_id)
    raise ledger.Busy("The redeem code is busy; try again in a moment.")
