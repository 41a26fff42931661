"""Repeated failed logins lock further tries out for a while; blocked users can't log in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import settings
from tests.conftest import login, make_user, register_and_login
from tests.integration.test_user_admin import admin_of, error_of

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    now = {"t": T0}
    settings.set_clock(lambda: now["t"])
    yield now
    settings.set_clock(None)


def _try(api, password: str, username: str = "bob"):
    return api.post("v1/users/auth", {"username": username, "password": password})


def test_ten_failures_in_fifteen_minutes_lock_login_out(api, demo_brand, clock):
    make_user(demo_brand, "bob")
    for i in range(10):
        clock["t"] = T0 + timedelta(minutes=i)  # spread over the window
        resp = _try(api, "wrong-Pass1")
        assert resp.status_code == 401, i
        assert error_of(resp)["code"] == "LOGIN_FAILED"

    resp = _try(api, "s3cret-Pass")  # the right password, still refused
    assert resp.status_code == 429
    err = error_of(resp)
    assert err["code"] == "LOGIN_LOCKED_OUT" and "try again in" in err["message"]
    retry_after = int(resp.headers["Retry-After"])
    # The window opened at T0 and lasts 15 minutes; it is now T0 + 9 min.
    assert 5 * 60 <= retry_after <= 6 * 60 + 1

    clock["t"] = T0 + timedelta(minutes=15, seconds=1)
    assert login(api, "bob").ok("GET", "v1/users/me")["username"] == "bob"


def test_lockout_is_per_login_name(api, demo_brand, clock):
    make_user(demo_brand, "bob")
    make_user(demo_brand, "carol")
    for _ in range(10):
        _try(api, "wrong-Pass1")
    assert _try(api, "s3cret-Pass").status_code == 429
    login(api, "carol")


def test_failures_outside_the_window_do_not_add_up(api, demo_brand, clock):
    make_user(demo_brand, "bob")
    for _ in range(9):
        _try(api, "wrong-Pass1")
    clock["t"] = T0 + timedelta(minutes=16)
    for _ in range(9):
        assert _try(api, "wrong-Pass1").status_code == 401
    login(api, "bob")


@pytest.mark.parametrize("action,status,word", [
    ("lock", "Locked", "locked"),
    ("suspend", "Suspended", "suspended"),
    ("delete", "Deleted", "deleted"),
    ("deactivate", "Inactive", "not active"),
])
def test_blocked_users_cannot_log_in_and_their_keys_die(api, demo_brand, action, status, word):
    admin = admin_of(api, demo_brand)
    bob = register_and_login(api, "bob")
    bob_id = bob.ok("GET", "v1/users/me")["id"]
    if action == "delete":
        admin.ok("DELETE", f"v1/users/{bob_id}")
    else:
        admin.ok("POST", f"v1/users/{bob_id}/{action}")

    assert bob.get("v1/users/me").status_code == 401
    resp = _try(api, "s3cret-Pass")
    assert resp.status_code == 401
    err = error_of(resp)
    assert err["code"] == f"USER_{status.upper()}" and word in err["message"].lower()
