"""Fixed-window counters in DynamoDB: failed logins per account, reset mails per address.

One item per (brand, purpose, key) holds ``count`` and ``windowStart``; a hit is one conditional
UpdateItem (the add applies only inside the current window), so concurrent hits all count, and a
hit after the window restarts it. The TTL removes idle counters.
"""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import settings
from chalicelib.http.errors import TooManyRequests
from chalicelib.identity.models import CounterItem


def _key(brand_id: str, purpose: str, key: str) -> tuple[str, str]:
    return f"B#{brand_id}#{purpose}#{key.strip().lower()}", purpose


def check(brand_id: str, purpose: str, key: str, limit: int, window: timedelta,
          message: str, code: str) -> None:
    """429 with Retry-After when ``limit`` hits were counted in the current window."""
    try:
        rec = CounterItem.get(*_key(brand_id, purpose, key))
    except DoesNotExist:
        return
    now = settings.now()
    until = rec.window_start + window
    if rec.count >= limit and until > now:
        wait = int((until - now).total_seconds()) + 1
        raise TooManyRequests(f"{message}; try again in {wait // 60 + 1} minutes.", code=code,
                              headers={"Retry-After": str(wait)})


def hit(brand_id: str, purpose: str, key: str, window: timedelta) -> None:
    now = settings.now()
    item_key = _key(brand_id, purpose, key)
    ttl = int((now + window).timestamp()) + 3600
    try:
        CounterItem(*item_key).update(
            actions=[CounterItem.count.add(1), CounterItem.ttl.set(ttl)],
            condition=CounterItem.window_start > now - window)
    except UpdateError:  # no counter, or its window ended: start a new one
        CounterItem(*item_key, count=1, window_start=now, ttl=ttl).save()
