"""Fixtures of the coupon and quote tests: time stands at NOW, and the Admin is made then."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib import settings
from tests.helpers.api import Api, login, make_user

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    settings.set_clock(lambda: NOW)
    yield
    settings.set_clock(None)


@pytest.fixture
def admin(api, demo_brand, clock) -> Api:
    make_user(demo_brand, "boss", "Admin")
    return login(api, "boss")
