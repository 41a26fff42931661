"""Shared fixtures: moto in-process per test, the tables and queues from store/schema.py, and a
JFW-speaking client over chalice.test.Client (tests/helpers/api.py)."""

from __future__ import annotations

import os

# Before any project import: the settings are read once.
os.environ.update({
    "JFW_STAGE": "test",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "JFW_ARGON2_TIME_COST": "1",
    "JFW_ARGON2_MEMORY_KIB": "1024",
})
for _name in ("JFW_AWS_ENDPOINT_URL", "JFW_DYNAMODB_ENDPOINT_URL"):
    os.environ.pop(_name, None)

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import settings  # noqa: E402
from tests.helpers.api import Api, login, make_user, register_and_login  # noqa: E402, F401

settings.reload()


def reset_process_state() -> None:
    from chalicelib.identity import access
    from chalicelib.store import aws, base

    aws.reset()
    base.reset()
    access.clear_cache()
    settings.set_clock(None)


@pytest.fixture
def aws_env():
    with mock_aws():
        reset_process_state()
        from chalicelib.store import bootstrap

        bootstrap.create_all()
        yield
        reset_process_state()


@pytest.fixture
def app(aws_env):
    from app import app as chalice_app

    return chalice_app


@pytest.fixture
def client(app):
    from chalice.test import Client

    with Client(app) as c:
        yield c


@pytest.fixture
def demo_brand(aws_env):
    from chalicelib.identity import brands

    platform = brands.create(name="JFW Platform", abbr="JFW", domain="platform.test",
                             is_system=True)
    return brands.create(name="Demo", abbr="DEMO", domain="demo.test", parent_id=platform["id"])


@pytest.fixture
def other_brand(aws_env):
    from chalicelib.identity import brands

    return brands.create(name="Other", abbr="OTHER", domain="other.test")


@pytest.fixture
def api(client, demo_brand) -> Api:
    return Api(client, "demo.test")


@pytest.fixture
def atomic_moto(aws_env):
    """Each moto DynamoDB request atomic, as DynamoDB's are (tests/concurrency.py)."""
    from tests.concurrency import serialised_dynamodb

    with serialised_dynamodb():
        yield
