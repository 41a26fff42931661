"""Fixtures of the integration tests, every context's.

``aws_env`` here replaces tests/conftest.py's: one moto per process (per xdist worker), its tables,
queues and buckets created once, and emptied before each test (tests/helpers/moto_world.py), so
each test still starts with empty tables and no mail sent. The process state (clients, caches,
clock) is reset around each test as before. A test marked ``own_moto``, or one that runs while a
moto of its own is active (a module-scoped world), gets a per-test moto, as before.
"""

from __future__ import annotations

import pytest
from moto import mock_aws
from moto.core.models import MockAWS

from chalicelib import settings
from chalicelib.notify import mailer
from chalicelib.store import bootstrap
from tests.conftest import reset_process_state
from tests.helpers.api import Api, login, make_user
from tests.helpers.moto_world import WORLD


@pytest.fixture
def aws_env(request):
    own = request.node.get_closest_marker("own_moto") is not None
    if own or (not WORLD.running and MockAWS._nested_count > 0):
        with mock_aws():
            reset_process_state()
            bootstrap.create_all()
            yield
            reset_process_state()
        return
    if WORLD.running:
        WORLD.empty()
    else:
        WORLD.start()
    reset_process_state()
    yield
    reset_process_state()


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
