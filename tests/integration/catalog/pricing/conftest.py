"""Fixtures of the coupon and quote tests: time stands at NOW, and the Admin is made then."""

from __future__ import annotations

import pytest

from chalicelib import settings
from tests.helpers.api import Api, login, make_user
from tests.helpers.catalog import NOW


@pytest.fixture
def clock():
    settings.set_clock(lambda: NOW)
    yield
    settings.set_clock(None)


@pytest.fixture
def admin(api, demo_brand, clock) -> Api:
    make_user(demo_brand, "boss", "Admin")
    return login(api, "boss")
