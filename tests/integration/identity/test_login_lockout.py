"""Wrong passwords are throttled per client+account, per account and per client
(identity/throttle.py); blocked users can't log in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from chalice.local import LambdaEventConverter

from chalicelib import settings
from tests.helpers.api import login, make_user, register_and_login
from tests.helpers.users import admin_of, error_of

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    now = {"t": T0}
    settings.set_clock(lambda: now["t"])
    yield now
    settings.set_clock(None)


@pytest.fixture
def client_ip(monkeypatch):
    """Set the source IP the next requests come from (API Gateway's identity.sourceIp)."""
    def use(ip: str) -> None:
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", ip)
    return use


def _try(api, password: str, username: str = "bob"):
    return api.post("v1/users/auth", {"username": username, "password": password})


def _throttled(resp) -> int:
    """The Retry-After of a LOGIN_THROTTLED answer."""
    assert resp.status_code == 429, resp.body
    err = error_of(resp)
    assert err["code"] == "LOGIN_THROTTLED" and "try again in" in err["message"]
    return int(resp.headers["Retry-After"])


def test_ten_failures_from_one_client_make_it_wait_out_the_window(api, demo_brand, clock):
    make_user(demo_brand, "bob")
    for i in range(10):
        clock["t"] = T0 + timedelta(minutes=i)  # spread over the window
        resp = _try(api, "wrong-Pass1")
        assert resp.status_code == 401, i
        assert error_of(resp)["code"] == "LOGIN_FAILED"

    retry_after = _throttled(_try(api, "s3cret-Pass"))  # the right password, still refused
    # The window opened at T0 and lasts 15 minutes; it is now T0 + 9 min.
    assert 5 * 60 <= retry_after <= 6 * 60 + 1

    clock["t"] = T0 + timedelta(minutes=15, seconds=1)
    assert login(api, "bob").ok("GET", "v1/users/me")["username"] == "bob"


def test_other_accounts_are_not_throttled(api, demo_brand, clock):
    make_user(demo_brand, "bob")
    make_user(demo_brand, "carol")
    for _ in range(10):
        _try(api, "wrong-Pass1")
    _throttled(_try(api, "s3cret-Pass"))
    login(api, "carol")


def test_failures_count_per_account_whichever_name_the_login_uses(api, demo_brand, clock):
    make_user(demo_brand, "bob")  # bob@example.com
    for _ in range(10):
        assert _try(api, "wrong-Pass1", "bob").status_code == 401
    _throttled(_try(api, "s3cret-Pass", "bob@example.com"))
    _throttled(_try(api, "s3cret-Pass", "BOB@Example.com"))


def test_the_owner_on_another_client_still_logs_in(api, demo_brand, clock, client_ip):
    make_user(demo_brand, "bob")
    client_ip("203.0.113.66")  # the attacker
    for _ in range(10):
        _try(api, "wrong-Pass1")
    _throttled(_try(api, "s3cret-Pass"))
    client_ip("198.51.100.7")  # bob, at home
    login(api, "bob")


def test_one_client_alone_never_slows_the_owner_down(api, demo_brand, clock, client_ip):
    """An attacker on one client gets 10 tries per window and no more; bob, elsewhere, logs in
    at any time."""
    make_user(demo_brand, "bob")
    for window in range(4):
        start = T0 + timedelta(minutes=15 * window, seconds=window)
        for i in range(12):
            clock["t"] = start + timedelta(seconds=i)
            client_ip("203.0.113.66")
            resp = _try(api, "wrong-Pass1")
            assert resp.status_code == (401 if i < 10 else 429), (window, i)
        client_ip("198.51.100.7")
        login(api, "bob")


def test_many_clients_slow_the_account_down_by_a_delay_that_ends(api, demo_brand, clock,
                                                                  client_ip):
    """Past 20 failures in the window from all clients together, each further one makes the
    account wait 2^(n-20) seconds, whoever asks."""
    make_user(demo_brand, "bob")
    for n in range(21):
        client_ip(f"203.0.113.{n // 7}")  # three clients, seven tries each
        assert _try(api, "wrong-Pass1").status_code == 401, n
    client_ip("198.51.100.7")
    assert _throttled(_try(api, "s3cret-Pass")) == 3  # 2 s after the 21st failure, rounded up
    clock["t"] = T0 + timedelta(seconds=2)
    client_ip("203.0.113.9")
    assert _try(api, "wrong-Pass1").status_code == 401  # the 22nd
    client_ip("198.51.100.7")
    assert _throttled(_try(api, "s3cret-Pass")) == 5  # 4 s now
    clock["t"] = T0 + timedelta(seconds=6)
    login(api, "bob")  # the delay ended: the owner is in (and the count starts again)
    client_ip("203.0.113.1")
    assert _try(api, "wrong-Pass1").status_code == 401


def test_one_client_cannot_spray_many_accounts(api, demo_brand, clock, client_ip):
    for name in ("bob", "carol"):
        make_user(demo_brand, name)
    client_ip("203.0.113.66")
    for i in range(50):  # one wrong password each for 50 names, most of them unknown
        assert _try(api, "wrong-Pass1", f"user{i}").status_code == 401, i
    retry_after = _throttled(_try(api, "s3cret-Pass", "carol"))
    assert 14 * 60 <= retry_after <= 15 * 60 + 1
    client_ip("198.51.100.7")
    login(api, "carol")
    clock["t"] = T0 + timedelta(minutes=15, seconds=1)
    client_ip("203.0.113.66")
    login(api, "bob")


def test_unknown_names_are_answered_like_accounts(api, demo_brand, clock):
    make_user(demo_brand, "bob")
    for _ in range(10):
        assert _try(api, "wrong-Pass1", "nobody").status_code == 401
    assert _throttled(_try(api, "wrong-Pass1", "nobody")) == _throttled(
        _try(api, "wrong-Pass1", "nobody"))
    login(api, "bob")


def test_a_right_password_clears_the_failures(api, demo_brand, clock):
    make_user(demo_brand, "bob")
    for _ in range(9):
        _try(api, "wrong-Pass1")
    login(api, "bob")
    for _ in range(9):
        assert _try(api, "wrong-Pass1").status_code == 401
    login(api, "bob")


def test_wrong_old_passwords_on_change_password_are_throttled_too(api, demo_brand, clock):
    """A stolen Auth-Key is no way around the throttle: change-password's oldPassword counts as
    a password try for the account."""
    bob = register_and_login(api, "bob")
    body = {"newPassword": "n3w-Passw0rd", "confirmPassword": "n3w-Passw0rd"}
    for i in range(10):
        resp = bob.put("v1/users/change-password", {**body, "oldPassword": f"guess-{i}"})
        assert resp.status_code == 400 and error_of(resp)["code"] == "WRONG_PASSWORD", i
    _throttled(bob.put("v1/users/change-password", {**body, "oldPassword": "s3cret-Pass"}))
    _throttled(_try(api, "s3cret-Pass"))  # the same account's counters as login's
    clock["t"] = T0 + timedelta(minutes=15, seconds=1)
    assert bob.ok("PUT", "v1/users/change-password",
                  {**body, "oldPassword": "s3cret-Pass"}) is True


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
