"""Fixtures of the identity tests."""

from __future__ import annotations

import pytest

from tests.helpers.api import Api
from tests.helpers.users import admin_of


@pytest.fixture
def admin(api, demo_brand) -> Api:
    """The demo brand's Admin, username "admin" (tests/helpers/users.py ``admin_of``)."""
    return admin_of(api, demo_brand)
