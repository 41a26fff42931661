"""Fixtures of the cross-cutting tests: one moto world per module for the tests generated from
the route table (they write nothing, or only to their own objects)."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from tests.helpers.api import Api
from tests.helpers.users import platform_root


@pytest.fixture(scope="module")
def world() -> Iterator[SimpleNamespace]:
    """One moto world for a whole module of generated tests: every case here writes nothing
    (each one checks), so the cases can share it, and the module runs in seconds, not minutes.
    The brands are the ones conftest's fixtures make: demo.test (A, child of the platform) and
    other.test (B)."""
    from chalice.test import Client
    from moto import mock_aws

    from tests.conftest import reset_process_state

    with mock_aws():
        reset_process_state()
        from chalicelib.identity import brands
        from chalicelib.store import bootstrap

        bootstrap.create_all()
        platform = brands.create(name="JFW Platform", abbr="JFW", domain="platform.test",
                                 is_system=True)
        demo = brands.create(name="Demo", abbr="DEMO", domain="demo.test",
                             parent_id=platform["id"])
        other = brands.create(name="Other", abbr="OTHER", domain="other.test")
        from app import app

        with Client(app) as client:
            api = Api(client, "demo.test")
            yield SimpleNamespace(api=api, demo=demo, other=other, root=platform_root(api))
        reset_process_state()
