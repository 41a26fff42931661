"""Coupon caps under concurrency, against moto: N+k concurrent redemptions, exactly N succeed."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.concurrency import run_together, serialised_dynamodb


def _coupon(brand_id: str, **terms: Any) -> dict:
    from chalicelib.catalog import coupons

    now = datetime.now(UTC)
    values = {"code": "RUSH", "name": "Rush", "description": None, "tags": None,
              "percentage": Decimal(20), "amount_off_minor": None, "currency": None,
              "quantity": None, "per_user_limit": 1, "package_ids": [],
              "start_date": now - timedelta(days=1), "end_date": now + timedelta(days=1),
              "auto_apply_to_price": False, "status": "Active", "test_mode": False}
    values.update(terms)
    return coupons.create(brand_id, values)


def _codes(outcomes: list[Any]) -> Counter:
    return Counter("ok" if isinstance(o, dict) else getattr(o, "code", repr(o))
                   for o in outcomes)


@pytest.mark.parametrize("cap, extra", [(5, 7), (1, 9), (10, 2)])
def test_cap_of_n_with_n_plus_k_concurrent_redemptions_gives_exactly_n(demo_brand, cap, extra):
    from chalicelib.catalog import coupons

    b = demo_brand["id"]
    c = _coupon(b, quantity=cap)
    with serialised_dynamodb():
        outcomes = run_together(cap + extra,
                                lambda i: coupons.redeem(b, c["id"], f"user{i}", f"pay{i}"))
    assert _codes(outcomes) == {"ok": cap, "COUPON_EXHAUSTED": extra}
    assert coupons.get(b, c["id"])["redeemedCount"] == cap
    winners = [i for i, o in enumerate(outcomes) if isinstance(o, dict)]
    assert sum(coupons.user_redemptions(b, c["id"], f"user{i}") for i in range(cap + extra)) \
        == cap
    assert all(coupons.user_redemptions(b, c["id"], f"user{i}") == 1 for i in winners)


def test_one_user_racing_themselves_gets_the_per_user_limit(demo_brand):
    from chalicelib.catalog import coupons

    b = demo_brand["id"]
    c = _coupon(b, quantity=100, per_user_limit=2)
    with serialised_dynamodb():
        outcomes = run_together(8, lambda i: coupons.redeem(b, c["id"], "same-user", f"pay{i}"))
    assert _codes(outcomes) == {"ok": 2, "COUPON_ALREADY_USED": 6}
    assert coupons.get(b, c["id"])["redeemedCount"] == 2
    assert coupons.user_redemptions(b, c["id"], "same-user") == 2


def test_retries_of_one_payment_count_once(demo_brand):
    from chalicelib.catalog import coupons

    b = demo_brand["id"]
    c = _coupon(b, quantity=3)
    with serialised_dynamodb():
        outcomes = run_together(6, lambda i: coupons.redeem(b, c["id"], "u1", "pay-42"))
    assert _codes(outcomes) == {"ok": 6}
    assert coupons.get(b, c["id"])["redeemedCount"] == 1


def test_releases_and_redemptions_interleaved_keep_the_count_exact(demo_brand):
    from chalicelib.catalog import coupons

    b = demo_brand["id"]
    c = _coupon(b, quantity=4)
    for i in range(4):
        coupons.redeem(b, c["id"], f"old{i}", f"old-pay{i}")

    def work(i: int) -> Any:
        if i < 4:
            return coupons.release(b, c["id"], f"old{i}", f"old-pay{i}")
        return coupons.redeem(b, c["id"], f"new{i}", f"new-pay{i}")

    with serialised_dynamodb():
        outcomes = run_together(12, work)
    assert outcomes[:4] == [True] * 4
    new_ok = sum(isinstance(o, dict) for o in outcomes[4:])
    assert 0 <= new_ok <= 4
    assert coupons.get(b, c["id"])["redeemedCount"] == new_ok


def test_the_harness_catches_a_check_then_write(demo_brand):
    """The same threads against a naive read-check-write go over the cap: the tests above would
    fail if redeem counted that way."""
    from chalicelib.catalog.coupons import get_item
    from chalicelib.catalog.models import CouponItem

    b = demo_brand["id"]
    c = _coupon(b, quantity=2)
    read_done = threading.Barrier(6)

    def naive(i: int) -> bool:
        item = get_item(b, c["id"])
        read_done.wait()  # everyone has read the count before anyone writes
        if item.redeemed_count < item.quantity:
            item.update(actions=[CouponItem.redeemed_count.set(item.redeemed_count + 1)])
            return True
        return False

    with serialised_dynamodb():
        outcomes = run_together(6, naive)
    assert sum(o is True for o in outcomes) == 6  # all six "succeeded" with a cap of 2
