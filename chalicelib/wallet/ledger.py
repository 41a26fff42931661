"""THE writer of wallet money: every change of a balance is ``post``, and nothing else.

``post`` moves money on one or more wallets (a conversion moves two) in ONE transaction:
- each wallet's update (balance, paid part, granted part, debt, sequence + 1, the new head hash,
  the new MAC, and the reconciliation marker), conditioned on the sequence it was read at, so
  two writers never both win and the chain has no fork;
- each wallet's new ledger row (``L#<seq>``, must not exist), carrying the hash chained to the
  previous row (chain.py);
- the reference row (``WREF#<ref>``, must not exist) when the movement has an outside
  reference: a top-up's payment, a redeem, an earning, a refund. Its second delivery fails here
  and changes nothing (``Duplicate``), however many arrive at once;
- the caller's other items (``puts``: the payment a wallet pays, a redeem use) and outbox rows,
  and one ``wallet-event`` outbox row per ledger row (events.py: the owner's mail follows).

Rules of the parts (README, "Wallets"):
- a debit takes granted money first, then paid money, and never more than the balance
  (``InsufficientFunds``, 409, nothing written);
- a credit goes to the part it names (``paid``: money the buyer paid; ``granted``: redeem codes,
  earnings); any debt (a refunded top-up whose money had been spent) is paid off first;
- a ``forced`` debit (money the gateway took back) takes paid, then granted money, and what is
  missing becomes the wallet's debt: the balance never goes below zero, and nothing is lost;
- a Locked or Closed wallet can't be spent from (409); credits still land on a Locked one
  (money that arrived is never refused), never on a Closed one... unless ``forced``.

Before any write the wallet's MAC is checked: a wallet edited behind our back is locked on the
spot (``WalletTampered``), and the reconciliation job reports it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import settings
from chalicelib.http.errors import ApiError, NotFound
from chalicelib.notify import service as notify
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, is_own, new_token, transaction
from chalicelib.wallet import chain, events
from chalicelib.wallet import models as m

log = logging.getLogger("jfw.wallet")

ATTEMPTS = 40
W = m.WalletItem


class InsufficientFunds(ApiError):
    status, code = 409, "WALLET_INSUFFICIENT_FUNDS"


class WalletNotOpen(ApiError):
    status, code = 409, "WALLET_NOT_OPEN"


class WalletTampered(ApiError):
    status, code = 409, "WALLET_LOCKED"


class Busy(ApiError):
    status, code = 503, "WALLET_BUSY"


class Duplicate(Exception):
    """The reference was posted already: nothing was written this time."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref


@dataclass
class Move:
    """One movement of one wallet. ``amount``: minor units, + credit / - debit. ``part``: the
    part a credit goes to (``paid`` | ``granted``); for a debit, an explicit split
    ``{"paid": p, "granted": g}`` (a hold given back) replaces the granted-first rule."""

    wallet_id: str
    amount: int
    type: str
    part: str = "paid"
    split: dict[str, int] | None = None
    status: str = "Completed"
    forced: bool = False
    description: str | None = None
    notes: str | None = None
    tags: str | None = None
    ref_object: str | None = None
    ref_id: str | None = None


@dataclass
class Posted:
    wallets: dict[str, Any] = field(default_factory=dict)  # wallet id -> the wallet after
    rows: list[Any] = field(default_factory=list)  # the ledger rows written, in move order


def get_wallet(brand_id: str, wallet_id: str) -> Any:
    try:
        return W.get(m.wallet_pk(brand_id, wallet_id), m.WALLET_SK, consistent_read=True)
    except W.DoesNotExist:
        raise NotFound(f"Wallet {wallet_id} was not found.", code="WALLET_NOT_FOUND") from None


def lock(wallet: Any, reason: str) -> bool:
    """Lock ``wallet`` (kept as it is, so what was found stays to be seen); True when this call
    locked it. The lock writes a fresh MAC over the wallet as found: an admin unlocks only
    after looking, and the reconciliation job keeps reporting a wallet whose ledger disagrees."""
    if wallet.status == "Locked":
        return False
    wallet.status = "Locked"
    now = settings.now()
    try:
        # due now: the reconciliation job proves it at its next run and tells the admins
        wallet.update(actions=[W.status.set("Locked"), W.locked_reason.set(reason[:500]),
                               W.mac.set(chain.wallet_mac(wallet)),
                               W.modified_date.set(now), W.due_pk.set(m.recon_shard(wallet.id)),
                               W.due_sk.set(m.recon_sort_key(now, wallet.brand_id, wallet.id))],
                      condition=W.pk.exists() & (W.status != "Locked"))
    except Exception:  # noqa: BLE001 - someone locked it first, or it's gone: either way locked
        log.warning("wallet %s: lock not written", wallet.id, exc_info=True)
        return False
    log.error("wallet %s locked: %s", wallet.id, reason)
    return True


def check_mac(wallet: Any) -> None:
    if not chain.same(wallet.mac, chain.wallet_mac(wallet)):
        lock(wallet, "the wallet's balance or state does not match its MAC: changed outside "
                     "the ledger")
        raise WalletTampered(f"Wallet {wallet.id} is locked: its balance failed its integrity "
                             "check. The brand's administrators have been told.")


def _split_debit(wallet: Any, move: Move) -> tuple[int, int, int]:
    """(paid delta, granted delta, debt delta) of a debit of ``-move.amount``."""
    want = -move.amount
    paid, granted = int(wallet.paid_minor), int(wallet.granted_minor)
    if move.split is not None:
        p, g = int(move.split.get("paid", 0)), int(move.split.get("granted", 0))
        if p + g != want:
            raise ValueError("split does not add up to the amount")
        if p > paid or g > granted:
            if not move.forced:
                raise InsufficientFunds("The wallet no longer holds that money.")
            p, g = min(p, paid), min(g, granted)
            return -p, -g, want - p - g
        return -p, -g, 0
    if move.forced:
        p = min(want, paid)
        g = min(want - p, granted)
        return -p, -g, want - p - g
    if want > paid + granted:
        raise InsufficientFunds(
            "The wallet's balance is too low for this.")
    g = min(want, granted)
    return -(want - g), -g, 0


def _row(wallet: Any, move: Move, ref: str | None, now: datetime
         ) -> tuple[Any, dict[str, int]]:
    """The wallet's next row and how it moved each part; the wallet's new figures are set on
    ``wallet`` (not saved)."""
    paid, granted, debt = int(wallet.paid_minor), int(wallet.granted_minor), int(wallet.debt_minor)
    if move.amount < 0:
        dp, dg, dd = _split_debit(wallet, move)
        balance_delta = dp + dg
    else:
        settle = min(debt, move.amount)
        dd = -settle
        dp, dg = (move.amount - settle, 0) if move.part == "paid" else (0, move.amount - settle)
        balance_delta = dp + dg
    seq = int(wallet.seq) + 1
    row = m.LedgerRowItem(
        wallet.pk, m.row_sk(seq), id=ids.new_id(), wallet_id=wallet.id, user_id=wallet.user_id,
        seq=seq, code=f"WH{ids.new_code(10)}", type=move.type, status=move.status,
        amount_minor=balance_delta, balance_after=paid + dp + granted + dg,
        paid_after=paid + dp, granted_after=granted + dg, debt_after=debt + dd,
        currency=wallet.currency, ref=ref, ref_object=move.ref_object, ref_id=move.ref_id,
        description=move.description, notes=move.notes, tags=move.tags, prev=wallet.head,
        created_date=now)
    row.hash = chain.row_hash(row)
    wallet.balance_minor, wallet.paid_minor = row.balance_after, row.paid_after
    wallet.granted_minor, wallet.debt_minor = row.granted_after, row.debt_after
    wallet.seq, wallet.head = seq, row.hash
    return row, {"paid": dp, "granted": dg}


def _allowed(wallet: Any, move: Move) -> None:
    if move.forced:
        return
    if wallet.status == "Closed" or (wallet.status == "Locked" and move.amount < 0):
        raise WalletNotOpen(f"Wallet {wallet.id} is {wallet.status}: it can't be "
                            f"{'spent from' if move.amount < 0 else 'credited'}.")


def post(brand_id: str, moves: list[Move], *, ref: str | None = None,
         puts: Iterable[tuple[Any, Any]] = (), rows: Iterable[Any] = (),
         check: Callable[[dict[str, Any]], Any] | None = None,
         then: Callable[[list[dict[str, int]]], Iterable[tuple[Any, Any]]] | None = None
         ) -> Posted:
    """Post ``moves`` in one transaction (the module doc). ``ref``: the outside reference that
    makes the whole post happen once (``Duplicate`` on a repeat); ``puts``: ``(item,
    condition)`` saved with it; ``rows``: outbox rows (published here after the commit);
    ``check(wallets)``: the caller's own rule on the wallets as read (raises to refuse);
    ``then(parts)``: more ``(item, condition)`` to save, made from how each move split between
    the paid and granted parts. Retries when a wallet changed meanwhile."""
    base_puts, rows = list(puts), list(rows)
    ids_in_order = list(dict.fromkeys(mv.wallet_id for mv in moves))
    for attempt in range(ATTEMPTS):
        wallets = {wid: get_wallet(brand_id, wid) for wid in ids_in_order}
        read_seq = {wid: int(w.seq) for wid, w in wallets.items()}
        for w in wallets.values():
            check_mac(w)
        for mv in moves:
            _allowed(wallets[mv.wallet_id], mv)
        if check is not None:
            check(wallets)
        now = settings.now()
        made = [_row(wallets[mv.wallet_id], mv, ref, now) for mv in moves]
        written = [row for row, _ in made]
        puts = base_puts + list(then([parts for _, parts in made]) if then else [])
        announced = rows + [
            events.event_row(wallets[row.wallet_id], row, mail=not any(
                (later.wallet_id, later.type) == (row.wallet_id, row.type)
                for later in written[i + 1:]))
            for i, row in enumerate(written)]
        token = new_token()
        try:
            with transaction(token) as tx:
                if ref:
                    tx.save(m.RefItem(m.ref_pk(brand_id, ref), m.REF_SK,
                                      wallet_id=ids_in_order[0], seq=int(written[0].seq),
                                      write_id=token, created_date=now),
                            condition=m.RefItem.pk.does_not_exist())
                for item, condition in puts:
                    tx.save(item, condition=condition)
                for row in written:
                    tx.save(row, condition=m.LedgerRowItem.pk.does_not_exist())
                notify.add(tx, announced)
                for wid, w in wallets.items():
                    w.mac = chain.wallet_mac(w)
                    tx.update(w, actions=_actions(w, now),
                              condition=(W.seq == read_seq[wid]) & (W.status == w.status))
        except ConditionFailed as e:
            if ref and e.failed(0):
                if is_own(_ref_item(brand_id, ref), token):
                    break
                raise Duplicate(ref) from None
            first_wallet = (1 if ref else 0) + len(puts) + len(written) + len(announced)
            if not any(e.failed(first_wallet + i) for i in range(len(wallets))):
                raise
            _pause(attempt)
            continue
        except TransactWriteError as e:
            if not _conflict(e):
                raise
            _pause(attempt)
            continue
        break
    else:
        raise Busy("The wallet is busy; try again in a moment.")
    notify.publish(announced)
    return Posted(wallets=wallets, rows=written)


def _actions(w: Any, now: datetime) -> list[Any]:
    return [W.balance_minor.set(int(w.balance_minor)), W.paid_minor.set(int(w.paid_minor)),
            W.granted_minor.set(int(w.granted_minor)), W.debt_minor.set(int(w.debt_minor)),
            W.seq.set(int(w.seq)), W.head.set(w.head), W.mac.set(w.mac),
            W.modified_date.set(now), W.due_pk.set(m.recon_shard(w.id)),
            W.due_sk.set(m.recon_sort_key(now, w.brand_id, w.id))]


def _ref_item(brand_id: str, ref: str) -> Any:
    try:
        return m.RefItem.get(m.ref_pk(brand_id, ref), m.REF_SK, consistent_read=True)
    except m.RefItem.DoesNotExist:
        return None


def _conflict(e: TransactWriteError) -> bool:
    codes = {r.code for r in (e.cancellation_reasons or []) if r}
    return bool(codes & {"TransactionConflict", "ThrottlingError"}) or \
        "TransactionConflict" in str(e) or "TransactionInProgress" in str(e)


def _pause(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.2, 0.004 * 2 ** min(attempt, 6))))
