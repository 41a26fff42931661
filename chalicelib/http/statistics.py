"""JFW's statistics shape (``IStatisticCommonParams`` -> ``IStatisticCommon[]``): how many
things happened per day or per month between two dates.

The query is ``startDate``, ``endDate`` (``yyyy-MM-dd HH:mm:ss`` or ISO 8601; UTC unless an
offset is given) and ``typeResponse`` (``DATE``, the default, or ``MONTH``). The answer has one
``{date, quantity}`` per day (``2024-02-23``) or month (``2024-02``) of the range, in order,
zeros included, so a chart needs no gap filling.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from chalicelib.http.errors import BadRequest
from chalicelib.http.routing import Q

MAX_DAYS = 366
MAX_MONTHS = 120

QUERY = (
    Q("startDate", "date-time", required=True,
      description="From (inclusive), e.g. 2024-02-23 00:00:00 (UTC unless an offset is given)."),
    Q("endDate", "date-time", required=True, description="To (inclusive)."),
    Q("typeResponse", enum=("DATE", "MONTH"), description="Per day (default) or per month."),
)


def period(query: dict) -> tuple[datetime, datetime, str]:
    """(start, end, typeResponse) of a statistics query, in UTC; 400 for a range too long."""
    start = query["startDate"].astimezone(UTC)
    end = query["endDate"].astimezone(UTC)
    kind = query.get("typeResponse") or "DATE"
    if end < start:
        raise BadRequest("endDate must not be before startDate.", code="DATE_RANGE_INVALID",
                         field="endDate")
    if kind == "DATE" and (end.date() - start.date()).days >= MAX_DAYS:
        raise BadRequest(f"A DATE statistic covers at most {MAX_DAYS} days; ask for MONTH.",
                         code="DATE_RANGE_TOO_LONG", field="endDate")
    if kind == "MONTH" and _month_index(end) - _month_index(start) >= MAX_MONTHS:
        raise BadRequest(f"A MONTH statistic covers at most {MAX_MONTHS} months.",
                         code="DATE_RANGE_TOO_LONG", field="endDate")
    return start, end, kind


def _month_index(moment: datetime) -> int:
    return moment.year * 12 + moment.month - 1


def _label(moment: datetime, kind: str) -> str:
    return moment.strftime("%Y-%m" if kind == "MONTH" else "%Y-%m-%d")


def series(moments: Iterable[datetime], start: datetime, end: datetime,
           kind: str) -> list[dict]:
    """[{date, quantity}] for every day or month from ``start`` to ``end``, counting the
    ``moments`` inside the range."""
    counts = Counter(_label(m.astimezone(UTC), kind) for m in moments
                     if start <= m.astimezone(UTC) <= end)
    labels: list[str] = []
    if kind == "MONTH":
        for index in range(_month_index(start), _month_index(end) + 1):
            labels.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
    else:
        day = start.date()
        while day <= end.date():
            labels.append(day.isoformat())
            day += timedelta(days=1)
    return [{"date": label, "quantity": counts.get(label, 0)} for label in labels]
