"""Fixtures of the integration tests, every context's."""

from __future__ import annotations

import pytest

from chalicelib import settings
from chalicelib.notify import mailer
from tests.helpers.api import Api, login, make_user


@pytest.fixture
def admin(api, demo_brand) -> Api:
    """The demo brand's Admin "boss", logged in (catalog and payments tests; identity and device
    tests call theirs "admin": their conftest.py)."""
    make_user(demo_brand, "boss", "Admin")
    return login(api, "boss")


@pytest.fixture
def mail_env(aws_env):
    """The mail sender verified in moto's SES (the outbox and password-recovery tests)."""
    mailer.ensure_sender_verified(settings.get().mail_sender)
    yield


@pytest.fixture
def mail_api(api, mail_env) -> Api:
    return api
