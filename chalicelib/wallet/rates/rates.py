"""The brand's exchange rates: which rate is in force for a direction, set and deleted by an
administrator, each change kept.

- A rate is per brand and per DIRECTION: ``USD -> JPY`` is one rate, ``JPY -> USD`` another.
  The inverse is NOT implied (1/rate): a brand usually wants a spread between buying and
  selling, and 1/rate would need a rounding of its own. A direction with no rate converts
  nothing (409 ``EXCHANGE_RATE_MISSING``). A currency converts to itself at 1.
- Setting writes the rate (version + 1, ``lastUpdate`` now) and its history row in one
  transaction conditioned on the version read, so two admins never lose a change and the
  history has every version exactly once. Deleting is a change too (a history row); the rate
  stays as a tombstone so versions keep counting.
- Rates are Decimal strings in DynamoDB, never floats (rounding.check_rate says what a rate
  may be).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib import money, settings
from chalicelib.http import paging
from chalicelib.http.errors import BadRequest, Conflict, NotFound
from chalicelib.store import ids
from chalicelib.store.tx import ConditionFailed, transaction
from chalicelib.wallet.rates import models as m
from chalicelib.wallet.rates.rounding import as_text, check_rate

R = m.RateItem
H = m.RateHistoryItem
ATTEMPTS = 8


class RateMissing(Conflict):
    code = "EXCHANGE_RATE_MISSING"


@dataclass(frozen=True)
class Rate:
    """A rate in force: what a conversion uses and names."""

    from_code: str
    to_code: str
    rate: Decimal
    version: int
    last_update: datetime | None


def currency(code: Any, field: str) -> str:
    value = str(code or "").strip().upper()
    if not value:
        raise BadRequest(f"{field} is required.", field=field)
    money.exponent(value, field)
    return value


def pair_id(from_code: str, to_code: str) -> str:
    return f"{from_code}-{to_code}"


def parse_pair_id(value: str) -> tuple[str, str]:
    left, sep, right = (value or "").partition("-")
    if not sep:
        raise BadRequest("The rate's id is FROM-TO, e.g. USD-JPY.", field="id")
    return currency(left, "id"), currency(right, "id")


def to_dto(item: Any) -> dict[str, Any]:
    return {"id": pair_id(item.from_code, item.to_code), "fromCurrencyCode": item.from_code,
            "toCurrencyCode": item.to_code, "rate": Decimal(item.rate),
            "lastUpdate": item.last_update.isoformat(), "version": int(item.version)}


def history_dto(item: Any) -> dict[str, Any]:
    return {"id": item.id, "createdDate": item.created_date.isoformat(),
            "fromCurrencyCode": item.from_code, "toCurrencyCode": item.to_code,
            "version": int(item.version), "action": item.action,
            "rate": None if item.rate is None else Decimal(item.rate),
            "previousRate": None if item.previous_rate is None else Decimal(item.previous_rate),
            "updatedBy": item.updated_by}


def _read(brand_id: str, from_code: str, to_code: str) -> Any | None:
    try:
        return R.get(m.rates_pk(brand_id), m.rate_sk(from_code, to_code), consistent_read=True)
    except R.DoesNotExist:
        return None


def list_rates(brand_id: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    items = [i for i in R.query(m.rates_pk(brand_id)) if i.status == "Active"]
    if query.get("fromCurrencyCode"):
        want = currency(query["fromCurrencyCode"], "fromCurrencyCode")
        items = [i for i in items if i.from_code == want]
    if query.get("toCurrencyCode"):
        want = currency(query["toCurrencyCode"], "toCurrencyCode")
        items = [i for i in items if i.to_code == want]
    return [to_dto(i) for i in items]


def in_force(brand_id: str, from_code: str, to_code: str) -> Rate:
    """The rate that converts ``from_code`` into ``to_code`` now; 409 when none is set."""
    if from_code == to_code:
        return Rate(from_code, to_code, Decimal(1), 0, None)
    item = _read(brand_id, from_code, to_code)
    if item is None or item.status != "Active" or item.rate is None:
        raise RateMissing(
            f"No exchange rate from {from_code} to {to_code} is set for this brand, so "
            f"{from_code} can't be converted into {to_code}. An administrator sets it with "
            f"PUT v1/exchange-rates (each direction has its own rate: {to_code} to "
            f"{from_code} does not imply it).", field="toCurrencyCode")
    return Rate(item.from_code, item.to_code, Decimal(item.rate), int(item.version),
                item.last_update)


def set_rate(brand_id: str, from_code: str, to_code: str, rate: Decimal,
             by: str | None) -> dict[str, Any]:
    return _change(brand_id, from_code, to_code, check_rate(rate), by)


def delete_rate(brand_id: str, from_code: str, to_code: str, by: str | None) -> bool:
    _change(brand_id, from_code, to_code, None, by)
    return True


def _change(brand_id: str, from_code: str, to_code: str, rate: Decimal | None,
            by: str | None) -> dict[str, Any]:
    if from_code == to_code:
        raise BadRequest(f"A currency converts to itself at 1: no rate is kept for "
                         f"{from_code} to {from_code}.", field="toCurrencyCode")
    for _ in range(ATTEMPTS):
        current = _read(brand_id, from_code, to_code)
        if rate is None and (current is None or current.status != "Active"):
            raise NotFound(f"No exchange rate from {from_code} to {to_code} is set.",
                           code="EXCHANGE_RATE_NOT_FOUND")
        now = settings.now()
        version = (int(current.version) if current is not None else 0) + 1
        text = None if rate is None else as_text(rate)
        item = R(m.rates_pk(brand_id), m.rate_sk(from_code, to_code), from_code=from_code,
                 to_code=to_code, rate=text, status="Active" if text else "Deleted",
                 version=version, updated_by=by, last_update=now,
                 created_date=current.created_date if current is not None else now)
        row = H(m.history_pk(brand_id, from_code, to_code), m.history_sk(version),
                id=ids.new_id(), from_code=from_code, to_code=to_code, version=version,
                action="Set" if text else "Deleted", rate=text,
                previous_rate=current.rate if current is not None else None, updated_by=by,
                created_date=now)
        condition = R.pk.does_not_exist() if current is None \
            else R.version == int(current.version)
        try:
            with transaction() as tx:
                tx.save(item, condition=condition)
                tx.save(row, condition=H.pk.does_not_exist())
        except ConditionFailed:
            continue  # another admin changed it meanwhile: read again
        return to_dto(item) if text else {}
    raise Conflict("The exchange rate is being changed by someone else; try again.",
                   code="EXCHANGE_RATE_BUSY")


def histories(brand_id: str, query: dict[str, Any]) -> dict[str, Any]:
    """One direction's changes, newest first (JFW's page)."""
    from_code = currency(query.get("fromCurrencyCode"), "fromCurrencyCode")
    to_code = currency(query.get("toCurrencyCode"), "toCurrencyCode")
    rows = [history_dto(i) for i in H.query(m.history_pk(brand_id, from_code, to_code),
                                            H.sk.startswith(m.HISTORY_PREFIX))]
    return paging.page(rows, query, sortable=("version", "action"), default_sort="version",
                       keyword_fields=("action", "updatedBy"))
