"""Shared fixtures: moto in-process per test, the tables and queues from store/schema.py, and a
JFW-speaking client over chalice.test.Client (tests/helpers/api.py). tests/integration/conftest.py
swaps the per-test moto for one per process, emptied per test (tests/helpers/moto_world.py).

``--shuffle=SEED`` runs the tests in a random order (modules shuffled, then the tests of each
module), the same on every xdist worker: it shows that no test depends on another's leftovers."""

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

import random  # noqa: E402
from pathlib import Path  # noqa: E402

import botocore.loaders  # noqa: E402
import botocore.session  # noqa: E402
import pytest  # noqa: E402
from _pytest.nodeid import NodeId  # noqa: E402
from moto import mock_aws  # noqa: E402

from chalicelib import settings  # noqa: E402
from chalicelib.devstack import moto_speed  # noqa: E402
from tests.helpers.api import Api, login, make_user, register_and_login  # noqa: E402, F401

settings.reload()
moto_speed.install()  # moto without its whole-table copies (chalicelib/devstack/moto_speed.py)

# Every boto3 session (store/aws.py makes one per client, and every test drops its clients) reads
# the same botocore JSON models: one loader for the process reads them once (~150 ms a client).
_LOADER = botocore.loaders.create_loader()
botocore.session.create_loader = lambda *_args, **_kwargs: _LOADER

INTEGRATION = Path(__file__).parent / "integration"


def pytest_addoption(parser) -> None:
    parser.addoption("--shuffle", type=int, default=None, metavar="SEED",
                     help="run modules, and the tests in each, in an order drawn from SEED")


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "own_moto: the test gets a moto of its own (tests/integration: not the "
                   "process's shared one)")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items) -> None:
    _keep_xdist_groups(items)
    seed = config.getoption("--shuffle")
    if seed is None:
        _integration_last(items)
        return
    rnd = random.Random(seed)
    modules: dict[str, list] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::")[0], []).append(item)
    groups = list(modules.values())
    rnd.shuffle(groups)
    for group in groups:
        rnd.shuffle(group)
    items[:] = [item for group in groups for item in group]


def _integration_last(items) -> None:
    """tests/integration (thousands of short tests) after everything else: xdist hands tests
    out in this order, so the last ones each worker runs are short and the workers end
    together, instead of one running the package build or the fresh-interpreter checks
    (tests/unit) alone at the end. A stable sort: each part keeps its own order."""
    items.sort(key=lambda item: INTEGRATION in item.path.parents)


def _keep_xdist_groups(items) -> None:
    """pytest-xdist 3.8 puts an ``xdist_group`` test on its group's worker (``--dist loadgroup``)
    by writing ``<nodeid>@<group>`` to ``item._nodeid``, which pytest 9 no longer reads (its node
    id is ``item._id``): the groups were ignored, so a module's local stack started on both
    workers and grouped stack tests ran side by side. Runs after xdist's hook (trylast)."""
    for item in items:
        grouped = getattr(item, "_nodeid", None)
        if grouped and "@" in grouped and item.nodeid != grouped:
            item._id = NodeId.parse(grouped)


def pytest_report_header(config) -> str | None:
    seed = config.getoption("--shuffle")
    return None if seed is None else f"shuffled with --shuffle={seed}"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    """Only tests/integration tests that use ``aws_env`` share the process's moto; before any
    other test it stops, so a test's own ``mock_aws`` starts from nothing, as it always did."""
    from tests.helpers.moto_world import WORLD

    shares = ("aws_env" in item.fixturenames and INTEGRATION in item.path.parents
              and item.get_closest_marker("own_moto") is None)
    if WORLD.running and not shares:
        WORLD.stop()


def pytest_sessionfinish(session) -> None:
    from tests.helpers.moto_world import WORLD

    WORLD.stop()


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
