"""Wallet items, all in the ``wallet`` table.

Access patterns (pk / sk):
- wallet ................ ``B#<b>#W#<walletId>`` / ``WALLET``: balance (paid + granted), debt,
                          the ledger's head (sequence, hash) and the state's MAC; a user's
                          wallets: gsi1 ``B#<b>#UW#<userId>`` / ``<currency>#<T|L>#<created>``;
                          ``due`` index: duePk ``WRECON#<shard>``, dueSk ``<when to reconcile
                          next>#<b>#<id>``: the time of its last change (reconcile soon), or,
                          once reconciled, the date of its next full audit
- ledger row ............ ``B#<b>#W#<walletId>`` / ``L#<seq, 12 digits>`` (append-only; one
                          Query of the wallet's partition returns the wallet and its newest rows)
- payment share ......... ``B#<b>#W#<walletId>`` / ``PAY#<paymentId>``: what a payment does to
                          the wallet (a top-up's credit, a purchase's part), as it stands
- one wallet per ........ ``B#<b>#UW#<userId>#<currency>#<T|L>`` / ``UNIQUE`` -> walletId
  (user, currency, test mode)
- the user's default .... ``B#<b>#UW#<userId>`` / ``DEFAULT`` -> walletId (the first opened)
- reference ............. ``B#<b>#WREF#<ref>`` / ``REF`` -> walletId, seq: a money movement with
                          an outside reference (a top-up's payment, a redeem use, an earning)
                          happens once, whoever repeats it

Money is integer minor units of the wallet's ``currency``.
"""

from __future__ import annotations

import zlib
from datetime import datetime

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.store.base import BaseModel, DueIndex, Gsi1, table_meta
from chalicelib.store.ids import stamp

Meta = table_meta("wallet")

WALLET_SK = "WALLET"
UNIQUE_SK = "UNIQUE"
DEFAULT_SK = "DEFAULT"
REF_SK = "REF"
ROW_PREFIX = "L#"
SHARE_PREFIX = "PAY#"
RECON_SHARDS = 4
RECON_PREFIX = "WRECON#"


def wallet_pk(brand_id: str, wallet_id: str) -> str:
    return f"B#{brand_id}#W#{wallet_id}"


def user_wallets_gsi(brand_id: str, user_id: str) -> str:
    return f"B#{brand_id}#UW#{user_id}"


def unique_pk(brand_id: str, user_id: str, currency: str, test_mode: bool) -> str:
    return f"B#{brand_id}#UW#{user_id}#{currency}#{'T' if test_mode else 'L'}"


def default_pk(brand_id: str, user_id: str) -> str:
    return f"B#{brand_id}#UW#{user_id}"


def ref_pk(brand_id: str, ref: str) -> str:
    return f"B#{brand_id}#WREF#{ref}"


def row_sk(seq: int) -> str:
    return f"{ROW_PREFIX}{seq:012d}"


def share_sk(payment_id: str) -> str:
    return f"{SHARE_PREFIX}{payment_id}"


def recon_shard(wallet_id: str) -> str:
    return f"{RECON_PREFIX}{zlib.crc32(wallet_id.encode()) % RECON_SHARDS}"


def recon_shards() -> list[str]:
    return [f"{RECON_PREFIX}{n}" for n in range(RECON_SHARDS)]


def recon_sort_key(moment: datetime, brand_id: str, wallet_id: str) -> str:
    return f"{stamp(moment)}#{brand_id}#{wallet_id}"


class WalletRecord(BaseModel):
    Meta = Meta
    kind = DiscriminatorAttribute()


class WalletItem(WalletRecord, discriminator="Wallet"):
    gsi1 = Gsi1()
    due = DueIndex()
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    user_id = UnicodeAttribute(attr_name="userId")
    code = UnicodeAttribute()
    currency = UnicodeAttribute()
    test_mode = BooleanAttribute(default=False, attr_name="testMode")
    is_default = BooleanAttribute(default=False, attr_name="isDefault")
    status = UnicodeAttribute(default="Open")  # Open | Locked | Closed
    tags = UnicodeAttribute(null=True)
    balance_minor = NumberAttribute(default=0, attr_name="balanceMinor")
    paid_minor = NumberAttribute(default=0, attr_name="paidMinor")
    granted_minor = NumberAttribute(default=0, attr_name="grantedMinor")
    debt_minor = NumberAttribute(default=0, attr_name="debtMinor")
    seq = NumberAttribute(default=0)
    head = UnicodeAttribute(default="")
    mac = UnicodeAttribute(default="")
    verified_seq = NumberAttribute(default=0, attr_name="verifiedSeq")
    verified_head = UnicodeAttribute(default="", attr_name="verifiedHead")
    verified_date = UTCDateTimeAttribute(null=True, attr_name="verifiedDate")
    locked_reason = UnicodeAttribute(null=True, attr_name="lockedReason")
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    due_pk = UnicodeAttribute(null=True, attr_name="duePk")
    due_sk = UnicodeAttribute(null=True, attr_name="dueSk")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate")


class LedgerRowItem(WalletRecord, discriminator="LedgerRow"):
    """One money movement of one wallet. ``amount_minor`` is what the balance moved (signed);
    the ``*_after`` figures are the wallet's balance, paid part, granted part and debt (a
    refund of money already spent) after it, so one row proves itself against the previous
    one. ``hash`` chains it to the previous row of its wallet (chain.py)."""

    id = UnicodeAttribute()
    wallet_id = UnicodeAttribute(attr_name="walletId")
    user_id = UnicodeAttribute(attr_name="userId")
    seq = NumberAttribute()
    code = UnicodeAttribute()
    type = UnicodeAttribute()  # WalletHistoryType
    status = UnicodeAttribute(default="Completed")  # WalletHistoryStatus
    amount_minor = NumberAttribute(attr_name="amountMinor")
    balance_after = NumberAttribute(attr_name="balanceAfter")
    paid_after = NumberAttribute(default=0, attr_name="paidAfter")
    granted_after = NumberAttribute(default=0, attr_name="grantedAfter")
    debt_after = NumberAttribute(default=0, attr_name="debtAfter")
    currency = UnicodeAttribute()
    ref = UnicodeAttribute(null=True)
    ref_object = UnicodeAttribute(null=True, attr_name="refObject")
    ref_id = UnicodeAttribute(null=True, attr_name="refId")
    description = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(null=True)
    tags = UnicodeAttribute(null=True)
    prev = UnicodeAttribute(default="")
    hash = UnicodeAttribute()
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class ShareItem(WalletRecord, discriminator="Share"):
    """What one payment does to a wallet, as it stands (wallet/funds/shares.py): a top-up's
    credit, or the part of a purchase the wallet pays. ``amount_minor``: the share (positive);
    ``contribution_minor``: what it adds to the balance now (signed: +top-up, -purchase, 0 once
    given back); ``paid_minor``/``granted_minor``: what a purchase took from each part, so a
    return puts it back where it came from; ``payment_version``: the newest payment state
    applied (an older event changes nothing)."""

    payment_id = UnicodeAttribute(attr_name="paymentId")
    wallet_id = UnicodeAttribute(attr_name="walletId")
    purpose = UnicodeAttribute()  # topup | spend
    # topup: Waiting | Credited | TakenBack; spend: Held | Captured | Released | Returned
    state = UnicodeAttribute()
    amount_minor = NumberAttribute(attr_name="amountMinor")
    contribution_minor = NumberAttribute(default=0, attr_name="contributionMinor")
    paid_minor = NumberAttribute(default=0, attr_name="paidMinor")
    granted_minor = NumberAttribute(default=0, attr_name="grantedMinor")
    payment_version = NumberAttribute(default=0, attr_name="paymentVersion")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate")


class UniqueItem(WalletRecord, discriminator="Unique"):
    wallet_id = UnicodeAttribute(attr_name="walletId")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class RefItem(WalletRecord, discriminator="Ref"):
    wallet_id = UnicodeAttribute(attr_name="walletId")
    seq = NumberAttribute()
    write_id = UnicodeAttribute(attr_name="writeId")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


FINDING_PREFIX = "FINDING#"


def finding_sk(seq: int, kind: str) -> str:
    return f"{FINDING_PREFIX}{seq:012d}#{kind}"


class FindingItem(WalletRecord, discriminator="ReconFinding"):
    """A disagreement the reconciliation found (reconcile.py): ``B#<b>#W#<walletId>`` /
    ``FINDING#<first bad row, 12 digits; 0: the wallet item>#<kind>``. Written with the admins'
    mail, only if absent, so each finding is mailed once however often it is found again."""

    wallet_id = UnicodeAttribute(attr_name="walletId")
    seq = NumberAttribute()
    finding = UnicodeAttribute()
    reason = UnicodeAttribute()
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
