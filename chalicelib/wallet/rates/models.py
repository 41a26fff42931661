"""Exchange-rate items, in the ``wallet`` table (``Meta`` and ``WalletRecord`` of wallet/models.py).

Access patterns (pk / sk):
- rate ............... ``B#<b>#XRATE`` / ``<FROM>#<TO>``: the brand's rate in force for one
                       direction (a Decimal string), its version and date; a deleted rate stays
                       as a tombstone (``status`` Deleted) so its versions keep counting. One
                       Query of ``B#<b>#XRATE`` lists the brand's rates.
- rate history ....... ``B#<b>#XRATE#<FROM>#<TO>`` / ``H#<version, 12 digits>``: one row per
                       change (set or deleted), written in the same transaction as the rate, so
                       a conversion's rate version names the row it used.
- conversion ......... ``B#<b>#WCONV#<id>`` / ``CONV``: what a wallet conversion did (amounts,
                       fee, rate and its version), written in the ledger's transaction.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.wallet.models import WalletRecord

RATE_SK_SEP = "#"
HISTORY_PREFIX = "H#"
CONVERSION_SK = "CONV"


def rates_pk(brand_id: str) -> str:
    return f"B#{brand_id}#XRATE"


def rate_sk(from_code: str, to_code: str) -> str:
    return f"{from_code}{RATE_SK_SEP}{to_code}"


def history_pk(brand_id: str, from_code: str, to_code: str) -> str:
    return f"B#{brand_id}#XRATE#{from_code}#{to_code}"


def history_sk(version: int) -> str:
    return f"{HISTORY_PREFIX}{version:012d}"


def conversion_pk(brand_id: str, conversion_id: str) -> str:
    return f"B#{brand_id}#WCONV#{conversion_id}"


class RateItem(WalletRecord, discriminator="ExchangeRate"):
    from_code = UnicodeAttribute(attr_name="fromCurrencyCode")
    to_code = UnicodeAttribute(attr_name="toCurrencyCode")
    rate = UnicodeAttribute(null=True)  # a Decimal as text; None once deleted
    status = UnicodeAttribute(default="Active")  # Active | Deleted
    version = NumberAttribute()
    updated_by = UnicodeAttribute(null=True, attr_name="updatedBy")
    last_update = UTCDateTimeAttribute(attr_name="lastUpdate")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class RateHistoryItem(WalletRecord, discriminator="ExchangeRateHistory"):
    id = UnicodeAttribute()
    from_code = UnicodeAttribute(attr_name="fromCurrencyCode")
    to_code = UnicodeAttribute(attr_name="toCurrencyCode")
    version = NumberAttribute()
    action = UnicodeAttribute()  # Set | Deleted
    rate = UnicodeAttribute(null=True)
    previous_rate = UnicodeAttribute(null=True, attr_name="previousRate")
    updated_by = UnicodeAttribute(null=True, attr_name="updatedBy")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")


class ConversionItem(WalletRecord, discriminator="WalletConversion"):
    id = UnicodeAttribute()
    user_id = UnicodeAttribute(attr_name="userId")
    original_wallet_id = UnicodeAttribute(attr_name="originalWalletId")
    target_wallet_id = UnicodeAttribute(attr_name="targetWalletId")
    from_code = UnicodeAttribute(attr_name="fromCurrencyCode")
    to_code = UnicodeAttribute(attr_name="toCurrencyCode")
    total_minor = NumberAttribute(attr_name="totalMinor")
    fee_minor = NumberAttribute(attr_name="feeMinor")
    fee_percent = UnicodeAttribute(attr_name="feePercent")
    rate = UnicodeAttribute()
    rate_version = NumberAttribute(attr_name="rateVersion")
    rate_date = UTCDateTimeAttribute(null=True, attr_name="rateDate")
    credited_minor = NumberAttribute(attr_name="creditedMinor")
    paid_minor = NumberAttribute(attr_name="paidMinor")  # of the credit
    granted_minor = NumberAttribute(attr_name="grantedMinor")
    created_date = UTCDateTimeAttribute(attr_name="createdDate")
