"""Fixed-window counters in DynamoDB: failed passwords (identity/throttle.py), reset mails.

One item per (brand, purpose, key) holds ``count``, ``windowStart`` and ``lastHit``; a hit is one
conditional UpdateItem (the add applies only inside the current window), so concurrent hits all
count, and a hit after the window restarts it. The TTL removes idle counters.

Two ways to refuse: ``over_limit`` (``limit`` hits in the window: wait until the window ends)
and ``backing_off`` (past ``free`` hits, each further hit makes the key wait a doubling delay
after it, so a refusal lasts seconds to minutes, not the whole window).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import settings
from chalicelib.http.errors import TooManyRequests
from chalicelib.identity.models import CounterItem


def _key(brand_id: str, purpose: str, key: str) -> tuple[str, str]:
    return f"B#{brand_id}#{purpose}#{key.strip().lower()}", purpose


def _refuse(until: datetime, message: str, code: str) -> TooManyRequests:
    wait = int((until - settings.now()).total_seconds()) + 1
    when = f"{wait} seconds" if wait < 120 else f"{wait // 60 + 1} minutes"
    return TooManyRequests(f"{message}; try again in {when}.", code=code,
                           headers={"Retry-After": str(wait)})


def read(brand_id: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], CounterItem]:
    """The counters of several (purpose, key) pairs in one BatchGetItem; missing ones left out."""
    wanted = {_key(brand_id, purpose, key): (purpose, key) for purpose, key in keys}
    return {wanted[(rec.pk, rec.sk)]: rec for rec in CounterItem.batch_get(list(wanted))}


def count_in_window(rec: CounterItem | None, window: timedelta) -> int:
    if rec is None or rec.window_start + window <= settings.now():
        return 0
    return int(rec.count)


def over_limit(rec: CounterItem | None, limit: int, window: timedelta, message: str,
               code: str) -> None:
    """429 with Retry-After (the end of the window) when ``limit`` hits are counted in it."""
    if count_in_window(rec, window) >= limit:
        assert rec is not None
        raise _refuse(rec.window_start + window, message, code)


def backing_off(rec: CounterItem | None, free: int, window: timedelta, max_delay: timedelta,
                message: str, code: str) -> None:
    """429 with Retry-After while the key waits: after its n-th hit in the window (n > free),
    for 2^(n - free) seconds, at most ``max_delay``."""
    n = count_in_window(rec, window)
    if n <= free or rec is None or rec.last_hit is None:
        return
    delay = timedelta(seconds=2 ** min(n - free, 30))
    until = rec.last_hit + min(delay, max_delay)
    if until > settings.now():
        raise _refuse(until, message, code)


def check(brand_id: str, purpose: str, key: str, limit: int, window: timedelta,
          message: str, code: str) -> None:
    """429 with Retry-After when ``limit`` hits were counted in the current window."""
    try:
        rec = CounterItem.get(*_key(brand_id, purpose, key))
    except DoesNotExist:
        return
    over_limit(rec, limit, window, message, code)


def hit(brand_id: str, purpose: str, key: str, window: timedelta) -> None:
    now = settings.now()
    item_key = _key(brand_id, purpose, key)
    ttl = int((now + window).timestamp()) + 3600
    try:
        CounterItem(*item_key).update(
            actions=[CounterItem.count.add(1), CounterItem.ttl.set(ttl),
                     CounterItem.last_hit.set(now)],
            condition=CounterItem.window_start > now - window)
    except UpdateError:  # no counter, or its window ended: start a new one
        CounterItem(*item_key, count=1, window_start=now, last_hit=now, ttl=ttl).save()


def clear(brand_id: str, purpose: str, key: str) -> None:
    CounterItem(*_key(brand_id, purpose, key)).delete()
