"""JFW's statistics routes (``IStatisticCommonParams`` -> ``[{date, quantity}]``): the query
parameters and the series, one entry per day (``DATE``, ``yyyy-MM-dd``) or month (``MONTH``,
``yyyy-MM``) of the range in UTC, zeros included, so a chart needs no gap filling."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import settings
from chalicelib.http.errors import BadRequest
from chalicelib.http.routing import Q

QUERY = (
    Q("startDate", "date-time", description="yyyy-MM-dd HH:mm:ss (UTC); default: 30 days "
                                            "(DATE) or 12 months (MONTH) before endDate."),
    Q("endDate", "date-time", description="yyyy-MM-dd HH:mm:ss (UTC), inclusive; default now."),
    Q("typeResponse", enum=("DATE", "MONTH"), description="One entry per day or month "
                                                          "(default DATE)."),
)
MAX_POINTS = 1000


def _month_start(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _months_before(moment: datetime, n: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - n
    return _month_start(moment).replace(year=index // 12, month=index % 12 + 1)


def window(query: dict[str, Any]) -> tuple[datetime, datetime, str]:
    """(start, end, unit) of a statistics query; 400 for a reversed or too long range."""
    unit = query.get("typeResponse") or "DATE"
    end = (query.get("endDate") or settings.now()).astimezone(UTC)
    start = query.get("startDate")
    if start is None:
        start = (_day_start(end) - timedelta(days=29) if unit == "DATE"
                 else _months_before(end, 11))
    start = start.astimezone(UTC)
    if end < start:
        raise BadRequest("endDate must not be before startDate.", field="endDate")
    if len(_keys(start, end, unit)) > MAX_POINTS:
        raise BadRequest(f"The range has more than {MAX_POINTS} {unit.lower()}s; narrow it or "
                         "use typeResponse=MONTH.", field="startDate")
    return start, end, unit


def _key(moment: datetime, unit: str) -> str:
    return moment.strftime("%Y-%m-%d" if unit == "DATE" else "%Y-%m")


def _keys(start: datetime, end: datetime, unit: str) -> list[str]:
    keys = []
    cursor = _day_start(start) if unit == "DATE" else _month_start(start)
    while cursor <= end and len(keys) <= MAX_POINTS:
        keys.append(_key(cursor, unit))
        cursor = (cursor + timedelta(days=1) if unit == "DATE"
                  else _months_before(cursor, -1))
    return keys


def series(moments: Iterable[datetime], start: datetime, end: datetime,
           unit: str) -> list[dict[str, Any]]:
    """[{date, quantity}]: how many of ``moments`` fall in each day or month of the range."""
    counts = Counter(_key(m.astimezone(UTC), unit) for m in moments if start <= m <= end)
    return [{"date": k, "quantity": counts[k]} for k in _keys(start, end, unit)]
