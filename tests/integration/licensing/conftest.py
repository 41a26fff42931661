"""Fixtures of the licensing tests: a clock the test moves (from T0, Auth-Keys that outlast it),
the Admin "boss" and alice made on that clock, and a shop of BASIC (the default), PRO and GOLD.
The device tests (devices/) have their own Admin."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import settings
from tests.helpers.api import Api, login, make_user, register_and_login
from tests.helpers.licensing import Clock, licensing_shop


@pytest.fixture
def clock(aws_env) -> Clock:
    """Time starts at T0 and moves when told; Auth-Keys last ten years, so a moved clock does
    not log the test's users out."""

    before = settings.get()
    settings._settings = before._replace(auth_key_ttl_hours=24 * 3650)
    c = Clock()
    yield c
    settings.set_clock(None)
    settings._settings = before


@pytest.fixture
def admin(api, demo_brand, clock) -> Api:
    make_user(demo_brand, "boss", "Admin")
    return login(api, "boss")


@pytest.fixture
def alice(api, clock) -> Api:
    return register_and_login(api, "alice", email="alice@example.com")


@pytest.fixture
def shop(demo_brand) -> dict[str, Any]:
    """BASIC (the default, free), PRO and GOLD with 30-day USD prices, PRO also one-time."""
    return licensing_shop(demo_brand)
