"""The brand's wallet-conversion fee: a percent of the amount taken from the original wallet,
kept in the brand's setting ``walletConvertFeePercent`` (a Decimal string, 0 to 50, up to 4
decimals; absent: 0). Read fresh from the brand at each conversion (not the request's cached
brand), so a changed fee is the one the buyer is checked against."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.identity import service as identity

SETTING = "walletConvertFeePercent"
MAX_PERCENT = Decimal(50)


def percent_of_brand(brand: dict | None) -> Decimal:
    value = ((brand or {}).get("setting") or {}).get(SETTING)
    try:
        percent = Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except ArithmeticError:
        return Decimal(0)
    return percent if percent.is_finite() and 0 <= percent <= MAX_PERCENT else Decimal(0)


def current_percent(brand_id: str) -> Decimal:
    return percent_of_brand(identity.get_brand(brand_id))


def set_percent(brand_id: str, percent: Decimal) -> dict[str, Any]:
    text = format(percent.normalize(), "f") if percent else "0"
    identity.update_brand_setting(brand_id, {SETTING: text})
    return to_dto(Decimal(text))


def to_dto(percent: Decimal) -> dict[str, Any]:
    return {SETTING: percent}
