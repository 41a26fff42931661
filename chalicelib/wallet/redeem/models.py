"""Redeem codes and earning events, in the ``wallet`` table (wallet/models.py's neighbours).

Access patterns (pk / sk):
- batch ................. ``B#<b>#RCB#<batchId>`` / ``BATCH``: what its codes are worth and
                          their rules; the brand's batches: gsi1 ``B#<b>#RCBATCHES`` /
                          ``<created>#<batchId>``
- code .................. ``B#<b>#RC#<sha256 of the normalised code>`` / ``CODE``: ONE GetItem
                          finds a code typed by a user; it carries the batch's rules (amount,
                          currency, uses, dates, test mode) and its use counter. The plaintext is
                          not in it (only its last 4 characters): a dump of the table gives no
                          usable code. A batch's codes in order: gsi1 ``B#<b>#RCB#<batchId>`` /
                          ``C#<number, 5 digits>``
- use ................... ``B#<b>#RCB#<batchId>`` / ``USE#<number>#<userId>`` (per-user-once
                          codes: the key itself says "once"), ``USE#<number>#<userId>#<useId>``
                          otherwise; a page of codes' uses is one Query of a key range
- export ................ ``B#<b>#RCB#<batchId>`` / ``EXPORT#<chunk, 3 digits>``: the batch's
                          plaintext codes, sealed (store/secrets.py), 2,000 a chunk; only the
                          export reads them
- earning event ......... ``B#<b>#EARN#<id>`` / ``EARNING``; the brand's: gsi1
                          ``B#<b>#EARNINGS`` / ``<created>#<id>`` (one Query lists them all, and
                          finds the ones a trigger fires)
- earning event code .... ``B#<b>#EARNCODE#<CODE>`` / ``UNIQUE`` -> id (a code once per brand)

Money is integer minor units of ``currency``.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.store.base import Gsi1
from chalicelib.wallet.models import WalletRecord

BATCH_SK = "BATCH"
CODE_SK = "CODE"
EARNING_SK = "EARNING"
UNIQUE_SK = "UNIQUE"
USE_PREFIX = "USE#"
EXPORT_PREFIX = "EXPORT#"
CODE_PREFIX = "C#"


def batch_pk(brand_id: str, batch_id: str) -> str:
    return f"B#{brand_id}#RCB#{batch_id}"


def batches_gsi(brand_id: str) -> str:
    return f"B#{brand_id}#RCBATCHES"


def code_pk(brand_id: str, code_digest: str) -> str:
    return f"B#{brand_id}#RC#{code_digest}"


def number_sk(number: int) -> str:
    return f"{CODE_PREFIX}{number:05d}"


def use_sk(number: int, user_id: str, use_id: str | None = None) -> str:
    return f"{USE_PREFIX}{number:05d}#{user_id}" + (f"#{use_id}" if use_id else "")


def export_sk(chunk: int) -> str:
    return f"{EXPORT_PREFIX}{chunk:03d}"


def earning_pk(brand_id: str, earning_id: str) -> str:
    return f"B#{brand_id}#EARN#{earning_id}"


def earnings_gsi(brand_id: str) -> str:
    return f"B#{brand_id}#EARNINGS"


def earning_code_pk(brand_id: str, code: str) -> str:
    return f"B#{brand_id}#EARNCODE#{code.upper()}"


class RedeemBatchItem(WalletRecord, discriminator="RedeemBatch"):
    gsi1 = Gsi1()
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    amount_minor = NumberAttribute(attr_name="amountMinor")
    currency = UnicodeAttribute()
    quantity = NumberAttribute()
    max_uses = NumberAttribute(attr_name="maxUsesPerCode")
    per_user_once = BooleanAttribute(attr_name="perUserOnce")
    start_date = UTCDateTimeAttribute(null=True, attr_name="startDate")
    end_date = UTCDateTimeAttribute(null=True, attr_name="endDate")
    description = UnicodeAttribute(null=True)
    tags = UnicodeAttribute(null=True)
    test_mode = BooleanAttribute(default=False, attr_name="testMode")
    status = UnicodeAttribute(default="Active")  # Active | Inactive
    created_by = UnicodeAttribute(null=True, attr_name="createdBy")
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate")


class RedeemCodeItem(WalletRecord, discriminator="RedeemCode"):
    gsi1 = Gsi1()
    id = UnicodeAttribute()
    batch_id = UnicodeAttribute(attr_name="batchId")
    number = NumberAttribute()
    hint = UnicodeAttribute()  # the code's last 4 characters, to tell codes apart
    amount_minor = NumberAttribute(attr_name="amountMinor")
    currency = UnicodeAttribute()
    max_uses = NumberAttribute(attr_name="maxUses")
    uses = NumberAttribute(default=0)
    per_user_once = BooleanAttribute(attr_name="perUserOnce")
    start_date = UTCDateTimeAttribute(null=True, attr_name="startDate")
    end_date = UTCDateTimeAttribute(null=True, attr_name="endDate")
    test_mode = BooleanAttribute(default=False, attr_name="testMode")
    status = UnicodeAttribute(default="Active")  # Active | Inactive
    last_used_date = UTCDateTimeAttribute(null=True, attr_name="lastUsedDate")
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate")


class RedeemUseItem(WalletRecord, discriminator="RedeemUse"):
    id = UnicodeAttribute()
    code_id = UnicodeAttribute(attr_name="codeId")
    number = NumberAttribute()
    user_id = UnicodeAttribute(attr_name="userId")
    wallet_id = UnicodeAttribute(attr_name="walletId")
    amount_minor = NumberAttribute(attr_name="amountMinor")
    currency = UnicodeAttribute()
    source_ip = UnicodeAttribute(null=True, attr_name="sourceIp")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class RedeemExportItem(WalletRecord, discriminator="RedeemExport"):
    """``sealed``: the chunk's codes, one per line (``number,code``), encrypted for
    ``redeem-export:<batchId>:<chunk>``."""

    sealed = UnicodeAttribute()
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class EarningEventItem(WalletRecord, discriminator="EarningEvent"):
    gsi1 = Gsi1()
    id = UnicodeAttribute()
    brand_id = UnicodeAttribute(attr_name="brandId")
    event_id = UnicodeAttribute(attr_name="eventId")  # the trigger (constants.EARNING_TRIGGERS)
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    amount_minor = NumberAttribute(attr_name="amountMinor")
    currency = UnicodeAttribute()
    type = UnicodeAttribute(default="Earning")  # Earning | Redeem
    description = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="Active")  # Active | Inactive | Deleted
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
    modified_date = UTCDateTimeAttribute(attr_name="modifiedDate")


class EarningCodeItem(WalletRecord, discriminator="EarningCode"):
    earning_id = UnicodeAttribute(attr_name="earningId")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
