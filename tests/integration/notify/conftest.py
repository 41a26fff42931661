"""Fixtures of the notify tests: a fake SNS the app trusts (tests/helpers/sns.py)."""

from __future__ import annotations

import pytest

from chalicelib import settings
from chalicelib.notify import snsverify
from tests.helpers.sns import FakeSns


@pytest.fixture
def sns(mail_env, monkeypatch):
    fake = FakeSns()
    monkeypatch.setattr(settings, "_settings", fake.settings())
    snsverify.clear_cache()
    yield fake
    fake.close()
    snsverify.clear_cache()
