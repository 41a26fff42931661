"""The reconciliation of wallets' ledgers (schedule ``wallet-reconciliation``, jobs.py), and the
proof an admin's unlock runs first.

What is proven, row by row from a starting point to the wallet's last row:
- each row's ``hash`` is the HMAC of its facts and its ``prev`` (chain.row_hash), its ``prev`` is
  the previous row's hash, and its sequence is the previous one + 1 (nothing deleted);
- its ``amount`` is its ``balanceAfter`` minus the previous row's, its ``balanceAfter`` is its
  paid part + its granted part, and no figure is negative;
- the wallet item agrees with the last row: balance, parts, debt, sequence, head hash, and its
  MAC (chain.wallet_mac) is the one the ledger key gives.

What is read: only the wallets changed since their last check. Every post moves the wallet's
sparse ``due`` entry to the time of the change; the job queries each shard for ``dueSk <= now``
(no Scan) and proves each wallet incrementally, from its ``verifiedSeq`` (that row must still
hash to ``verifiedHead``) to its last row: one Query of the rows added since, and the wallet item
with them. A pass records the new mark and moves ``dueSk`` to the wallet's next FULL audit
(``settings.wallet_audit_days`` after the last one, ``verifiedDate``), when it is proven from
row 1 again. So a run reads the rows
changed since the last run plus one item per changed wallet, plus the wallets whose audit came
(1/N of them a day), never every ledger.

A failure (checked twice, so a post landing during the read is not taken for tampering): the
wallet is locked (ledger.lock: nothing leaves it, money still arrives), the brand's support
address (its administrators' inbox) gets WALLET.RECONCILIATION.FAILED once per finding, an ERROR
log line ``WALLET.RECONCILIATION.FAILED {json}`` is counted by the CloudWatch metric
``WalletReconciliationFailures`` (infra/alarms.py: a metric filter and an alarm), and the wallet
is checked again a day later until an admin unlocks it.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib import settings
from chalicelib.identity import service as identity
from chalicelib.notify import service as notify
from chalicelib.store.ids import stamp
from chalicelib.store.tx import ConditionFailed, transaction
from chalicelib.wallet import chain, ledger
from chalicelib.wallet import models as m

log = logging.getLogger("jfw.wallet.reconcile")

FAILED_EVENT = "WALLET.RECONCILIATION.FAILED"
METRIC = "WalletReconciliationFailures"
LIMIT_PER_SHARD = 2000  # per run; the rest waits for the next run (its dueSk stays)
RECHECK_FAILED = timedelta(days=1)
W = m.WalletItem
R = m.LedgerRowItem


@dataclass
class Finding:
    seq: int  # the first row that disagrees; 0: the wallet item itself
    kind: str
    detail: str

    @property
    def reason(self) -> str:
        where = f"ledger row {self.seq}" if self.seq else "the wallet"
        return f"{where}: {self.detail}"


@dataclass
class Proof:
    wallet: Any  # the wallet item as read with its rows (None: it is gone)
    finding: Finding | None
    seq: int = 0  # the last row proven
    head: str = ""  # its hash
    rows: int = 0  # ledger rows read
    items: int = 0  # items DynamoDB returned

    @property
    def ok(self) -> bool:
        return self.wallet is not None and self.finding is None


def needs_full_audit(wallet: Any, now: datetime) -> bool:
    verified = wallet.verified_date
    return (not int(wallet.verified_seq or 0) or verified is None
            or verified <= now - timedelta(days=settings.get().wallet_audit_days))


def prove(wallet: Any, *, full: bool, check_mac: bool = True) -> Proof:
    """Prove ``wallet``'s ledger from its verified mark (or from row 1 when ``full``), reading
    the rows from there and the wallet item in one consistent Query."""
    start = 0 if full else int(wallet.verified_seq or 0)
    read = list(m.WalletRecord.query(wallet.pk, m.WalletRecord.sk.between(
        m.row_sk(max(start, 1)), m.WALLET_SK), consistent_read=True))
    rows = [i for i in read if isinstance(i, R)]
    current = next((i for i in read if isinstance(i, W)), None)
    proof = Proof(current, None, rows=len(rows), items=len(read))
    if current is None:
        return proof
    proof.finding = _check(current, rows, start, wallet.verified_head if start else "",
                           check_mac, proof)
    return proof


def _check(wallet: Any, rows: list[Any], start: int, verified_head: str, check_mac: bool,
           proof: Proof) -> Finding | None:
    head, balance, paid, granted, debt = "", 0, 0, 0, 0
    expected = 1
    if start:
        first = rows[0] if rows and int(rows[0].seq) == start else None
        if first is None:
            return Finding(start, "missing", "the last verified row is gone")
        if not chain.same(first.hash, verified_head) or \
                not chain.same(chain.row_hash(first), first.hash):
            return Finding(start, "changed", "it changed since it was verified (its hash "
                                             "no longer matches)")
        head, balance = first.hash, int(first.balance_after)
        paid, granted, debt = int(first.paid_after), int(first.granted_after), int(
            first.debt_after)
        rows, expected = rows[1:], start + 1
    for row in rows:
        seq = int(row.seq)
        if seq != expected:
            return Finding(expected, "missing",
                           f"it is missing (the next row found is {seq})")
        if not chain.same(chain.row_hash(row), row.hash):
            return Finding(seq, "hash", "its facts no longer match its hash (edited outside "
                                        "the ledger)")
        if not chain.same(row.prev, head):
            return Finding(seq, "chain", "its previous hash is not the previous row's hash")
        after = (int(row.balance_after), int(row.paid_after), int(row.granted_after),
                 int(row.debt_after))
        if int(row.amount_minor) != after[0] - balance:
            return Finding(seq, "amount", f"its amount {int(row.amount_minor)} is not its "
                                          f"balance's move {after[0] - balance}")
        if after[0] != after[1] + after[2]:
            return Finding(seq, "parts", f"its balance {after[0]} is not paid {after[1]} + "
                                         f"granted {after[2]}")
        if min(after) < 0:
            return Finding(seq, "negative", "a figure after it is negative")
        head, (balance, paid, granted, debt) = row.hash, after
        expected += 1
    last = expected - 1
    proof.seq, proof.head = last, head
    if int(wallet.seq) > last:
        return Finding(last + 1, "missing", f"it is missing (the wallet counts {int(wallet.seq)} "
                                            f"rows, the ledger ends at row {last})")
    if int(wallet.seq) < last:
        return Finding(0, "sequence", f"its sequence {int(wallet.seq)} is behind the ledger's "
                                      f"last row {last}")
    figures = {"balance": (int(wallet.balance_minor), balance),
               "paid part": (int(wallet.paid_minor), paid),
               "granted part": (int(wallet.granted_minor), granted),
               "debt": (int(wallet.debt_minor), debt)}
    for name, (held, proven) in figures.items():
        if held != proven:
            return Finding(0, "balance", f"its {name} {held} is not the ledger's {proven} "
                                         f"(changed outside the ledger)")
    if not chain.same(wallet.head or "", head):
        return Finding(0, "head", "its head hash is not the last row's hash")
    if check_mac and not chain.same(wallet.mac, chain.wallet_mac(wallet)):
        return Finding(0, "mac", "its balance or state does not match its MAC (changed outside "
                                 "the ledger)")
    return None


def prove_twice(wallet: Any, *, full: bool, check_mac: bool = True) -> tuple[Proof, int, int]:
    """A proof, and the rows and items read. A finding is proven again: a post committed while
    the Query read may show a wallet ahead of the rows it returned. When the wallet moved
    between the two reads the second proof stands (its finding, if any, is the one to trust
    only when it repeats: the caller leaves a moving wallet due)."""
    proof = prove(wallet, full=full, check_mac=check_mac)
    rows, items = proof.rows, proof.items
    if proof.finding is None or proof.wallet is None:
        return proof, rows, items
    again = prove(wallet, full=full, check_mac=check_mac)
    rows, items = rows + again.rows, items + again.items
    if again.wallet is not None and again.finding is not None \
            and int(again.wallet.seq) != int(proof.wallet.seq):
        again.finding = Finding(again.finding.seq, "moving", "changed while it was read")
    return again, rows, items


def mark_verified(wallet: Any, proof: Proof, now: datetime, *, full: bool,
                  unlock: bool = False) -> bool:
    """Record the proven mark and move ``dueSk`` to the next full audit, only if the wallet
    is as proven (False: it changed meanwhile and stays due). ``verifiedDate`` is the date of
    the last FULL proof: an incremental pass keeps it, so a wallet that changes every hour is
    still proven from row 1 every ``wallet_audit_days``. ``unlock``: also open it, with a fresh
    MAC, only if it is still Locked."""
    days = timedelta(days=settings.get().wallet_audit_days)
    last_full = now if full or wallet.verified_date is None else wallet.verified_date
    audit = max(last_full + days, now)
    actions = [W.verified_seq.set(proof.seq), W.verified_head.set(proof.head),
               W.verified_date.set(last_full), W.due_pk.set(m.recon_shard(wallet.id)),
               W.due_sk.set(m.recon_sort_key(audit, wallet.brand_id, wallet.id))]
    condition = (W.seq == proof.seq) & (W.head == proof.head)
    if unlock:
        wallet.status = "Open"
        actions += [W.status.set("Open"), W.locked_reason.remove(),
                    W.mac.set(chain.wallet_mac(wallet)), W.modified_date.set(now)]
        condition = condition & (W.status == "Locked") \
            & (W.balance_minor == int(wallet.balance_minor)) \
            & (W.paid_minor == int(wallet.paid_minor)) \
            & (W.granted_minor == int(wallet.granted_minor)) \
            & (W.debt_minor == int(wallet.debt_minor))
    try:
        with transaction() as tx:
            tx.update(wallet, actions=actions, condition=condition)
    except ConditionFailed:
        return False
    return True


def run(now: datetime | None = None) -> dict[str, int]:
    """Prove every wallet due (changed since its check, or its audit came). Counts: wallets
    checked, rows and items read, passed, failures, and those that moved while read."""
    now = now or settings.now()
    counts: Counter[str] = Counter(wallets=0, rows=0, items=0, passed=0, failures=0)
    cutoff = stamp(now) + "#~"
    for shard in m.recon_shards():
        for due in W.due.query(shard, W.due_sk <= cutoff, limit=LIMIT_PER_SHARD):
            counts["wallets"] += 1
            counts["items"] += 1
            try:
                counts[check_one(due, now, counts)] += 1
            except Exception:  # noqa: BLE001 - one wallet must not stop the others; it stays due
                log.exception("reconciliation: wallet %s not checked", due.id)
                counts["errors"] += 1
    return dict(counts)


def check_one(due: Any, now: datetime, counts: Counter[str]) -> str:
    """Prove one due wallet (``due``: its copy in the index) and act on the outcome."""
    full = needs_full_audit(due, now)
    counts["full"] += full
    proof, rows, items = prove_twice(due, full=full)
    counts["rows"] += rows
    counts["items"] += items
    wallet = proof.wallet
    if wallet is None:
        return "gone"
    if proof.finding is None:
        return "passed" if mark_verified(wallet, proof, now, full=full) else "moving"
    if proof.finding.kind == "moving":
        return "moving"
    fail(wallet, proof.finding, now)
    return "failures"


def fail(wallet: Any, finding: Finding, now: datetime) -> None:
    """Lock, tell the admins once per finding, log the metric's line, check again tomorrow.
    A Closed wallet stays Closed (nothing moves on it; Locked would let credits land)."""
    locked = wallet.status != "Closed" and ledger.lock(wallet, f"Reconciliation: "
                                                               f"{finding.reason}")
    mailed = report(wallet, finding, now)
    log.error("%s %s", FAILED_EVENT, json.dumps({
        "event": FAILED_EVENT, "metric": METRIC, "brandId": wallet.brand_id,
        "walletId": wallet.id, "walletCode": wallet.code, "userId": wallet.user_id,
        "row": finding.seq, "finding": finding.kind, "reason": finding.reason,
        "locked": locked, "mailed": mailed}, sort_keys=True))
    again = now + RECHECK_FAILED
    try:
        wallet.update(actions=[W.due_pk.set(m.recon_shard(wallet.id)),
                               W.due_sk.set(m.recon_sort_key(again, wallet.brand_id, wallet.id))],
                      condition=W.seq == int(wallet.seq))
    except Exception:  # noqa: BLE001 - it changed meanwhile: it stays due, checked next run
        log.info("wallet %s changed after its finding; checked again next run", wallet.id)


def report(wallet: Any, finding: Finding, now: datetime) -> bool:
    """The admins' mail with the finding's marker, in one transaction; False when this finding
    was reported before (or the brand has no support address: the log line and alarm stay)."""
    rows = _mail_rows(wallet, finding)
    marker = m.FindingItem(wallet.pk, m.finding_sk(finding.seq, finding.kind),
                           wallet_id=wallet.id, seq=finding.seq, finding=finding.kind,
                           reason=finding.reason[:1000], created_date=now)
    try:
        with transaction() as tx:
            tx.save(marker, condition=m.FindingItem.pk.does_not_exist())
            notify.add(tx, rows)
    except ConditionFailed as e:
        if e.failed(0):
            return False
        raise
    notify.publish(rows)
    return bool(rows)


def _mail_rows(wallet: Any, finding: Finding) -> list[Any]:
    try:
        brand = identity.get_brand(wallet.brand_id)
    except Exception:  # noqa: BLE001 - the lock and the alarm stand without the mail
        log.warning("brand %s not readable for the reconciliation mail", wallet.brand_id,
                    exc_info=True)
        return []
    support = ((brand.get("setting") or {}).get("emailSupport") or "").strip()
    if not support:
        return []
    return [notify.mail(wallet.brand_id, FAILED_EVENT, support, {
        "user": {"name": f"{brand.get('name') or 'support'} team"},
        "wallet": {"id": wallet.id, "code": wallet.code, "currency_code": wallet.currency,
                   "user": _owner(wallet), "reason": finding.reason}})]


def _owner(wallet: Any) -> str:
    try:
        user = identity.get_user_item(wallet.brand_id, wallet.user_id)
    except Exception:  # noqa: BLE001 - the id says who it is
        return f"user {wallet.user_id}"
    return f"{user.username or user.email_address or user.id} ({user.email_address or user.id})"
