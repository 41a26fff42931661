"""Quota periods and statuses (chalicelib/catalog/quotas.py: pure parts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.catalog.quotas import period_for, status_for

CREATED = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
moments = st.datetimes(min_value=datetime(2024, 1, 1, 12, 0), max_value=datetime(2060, 1, 1),
                       timezones=st.just(UTC))
policies = st.sampled_from(["Daily", "Weekly", "Monthly", "Yearly", "Custom"])


def d(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("policy, now, key, start, end", [
    ("Daily", d(2024, 3, 10, 15), "D2024-03-10", d(2024, 3, 10), d(2024, 3, 11)),
    # Sunday 10 March 2024 is in the ISO week that started on Monday 4 March.
    ("Weekly", d(2024, 3, 10, 23, 59), "W2024-W10", d(2024, 3, 4), d(2024, 3, 11)),
    ("Weekly", d(2024, 3, 11), "W2024-W11", d(2024, 3, 11), d(2024, 3, 18)),
    # Tuesday 31 December 2024 belongs to ISO week 1 of 2025.
    ("Weekly", d(2024, 12, 31, 8), "W2025-W01", d(2024, 12, 30), d(2025, 1, 6)),
    ("Monthly", d(2024, 2, 29, 23), "M2024-02", d(2024, 2, 1), d(2024, 3, 1)),
    ("Monthly", d(2024, 12, 5), "M2024-12", d(2024, 12, 1), d(2025, 1, 1)),
    ("Yearly", d(2024, 7, 1), "Y2024", d(2024, 1, 1), d(2025, 1, 1)),
])
def test_calendar_periods(policy, now, key, start, end):
    p = period_for(policy, now, CREATED)
    assert (p.key, p.start, p.end) == (key, start, end)


def test_custom_windows_count_from_the_users_creation():
    p = period_for("Custom", d(2024, 1, 25), CREATED, custom_days=10)
    assert (p.key, p.start, p.end) == ("C10-2", d(2024, 1, 21, 12), d(2024, 1, 31, 12))
    first = period_for("Custom", CREATED, CREATED, custom_days=10)
    assert (first.key, first.start) == ("C10-0", CREATED)


def test_lifetime_is_one_period_from_creation_and_custom_without_days_is_lifetime():
    for policy, days in (("Lifetime", None), (None, None), ("Custom", None), ("Custom", 0)):
        p = period_for(policy, d(2030, 5, 5), CREATED, custom_days=days)
        assert (p.key, p.start, p.end) == ("LIFETIME", CREATED, None)


def test_a_time_in_another_offset_is_placed_in_its_utc_day():
    from datetime import timezone

    tokyo = datetime(2024, 3, 11, 8, 0, tzinfo=timezone(timedelta(hours=9)))  # 10 March 23:00 UTC
    assert period_for("Daily", tokyo, CREATED).key == "D2024-03-10"


@given(policies, moments, st.integers(min_value=1, max_value=400))
def test_now_is_inside_its_period_and_periods_tile_time(policy, now, days):
    p = period_for(policy, now, CREATED, custom_days=days)
    assert p.end is not None
    assert p.start <= now < p.end
    # The next period starts exactly where this one ends; the start belongs to the same period.
    assert period_for(policy, p.end, CREATED, custom_days=days).start == p.end
    assert period_for(policy, p.start, CREATED, custom_days=days).key == p.key
    assert period_for(policy, p.end - timedelta(microseconds=1), CREATED,
                      custom_days=days).key == p.key


@pytest.mark.parametrize("used, limit, unlimited, status", [
    (0, 10, False, "Normal"), (7, 10, False, "Normal"), (8, 10, False, "Warning"),
    (9, 10, False, "Warning"), (10, 10, False, "Exceeded"), (0, 0, False, "Exceeded"),
    (10**6, None, True, "Normal"),
])
def test_status(used, limit, unlimited, status):
    assert status_for(used, limit, unlimited) == status
