"""User status, type and password, as an administrator changes them."""

from __future__ import annotations

import pytest

from tests.helpers.api import login, make_user, register_and_login
from tests.helpers.users import error_of, platform_root

STATUSES = ("Inactive", "Active", "Deleted", "Suspended", "Locked")
# action -> {from: to}; every other (status, action) pair is a 409 that changes nothing.
EXPECTED = {
    "activate": {"Inactive": "Active"},
    "deactivate": {"Active": "Inactive"},
    "lock": {"Active": "Locked", "Inactive": "Locked"},
    "unlock": {"Locked": "Active"},
    "suspend": {"Active": "Suspended", "Inactive": "Suspended", "Locked": "Suspended"},
    "unsuspend": {"Suspended": "Active"},
    "delete": {"Active": "Deleted", "Inactive": "Deleted", "Locked": "Deleted",
               "Suspended": "Deleted"},
}


def _force_status(brand: dict, user_id: str, status: str) -> None:
    from chalicelib.identity.models import UserItem, user_pk

    UserItem(user_pk(brand["id"], user_id), "USER").update(actions=[UserItem.status.set(status)])


def _act(admin, user_id: str, action: str):
    if action == "delete":
        return admin.delete(f"v1/users/{user_id}")
    return admin.post(f"v1/users/{user_id}/{action}")


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("start", STATUSES)
def test_status_transition_table(admin, demo_brand, start, action):
    bob = make_user(demo_brand, "bob")
    _force_status(demo_brand, bob["id"], start)
    resp = _act(admin, bob["id"], action)
    after = admin.ok("GET", f"v1/users/{bob['id']}")["status"]
    if start in EXPECTED[action]:
        assert resp.status_code == 200 and resp.json_body["data"] is True
        assert after == EXPECTED[action][start]
    else:
        assert resp.status_code == 409
        err = error_of(resp)
        assert err["code"] == "STATUS_TRANSITION" and start in err["message"]
        assert after == start


@pytest.mark.parametrize("action", ["lock", "suspend", "deactivate", "delete"])
def test_leaving_active_ends_every_auth_key_at_once(api, admin, action):
    bob = register_and_login(api, "bob")
    second_key = login(api, "bob")
    bob_id = bob.ok("GET", "v1/users/me")["id"]
    _act(admin, bob_id, action)
    for key in (bob, second_key):
        resp = key.get("v1/users/me")
        assert resp.status_code == 401 and error_of(resp)["code"] == "AUTH_KEY_INVALID"


def test_unlock_does_not_revive_old_keys(api, admin):
    bob = register_and_login(api, "bob")
    bob_id = bob.ok("GET", "v1/users/me")["id"]
    admin.ok("POST", f"v1/users/{bob_id}/lock")
    resp = api.post("v1/users/auth", {"username": "bob", "password": "s3cret-Pass"})
    assert resp.status_code == 401 and "locked" in error_of(resp)["message"]
    admin.ok("POST", f"v1/users/{bob_id}/unlock")
    assert bob.get("v1/users/me").status_code == 401
    assert login(api, "bob").ok("GET", "v1/users/me")["status"] == "Active"


@pytest.mark.parametrize("action", ["lock", "suspend", "deactivate", "delete"])
def test_nobody_locks_or_deletes_themselves(admin, action):
    me = admin.ok("GET", "v1/users/me")
    resp = _act(admin, me["id"], action)
    assert resp.status_code == 400
    assert error_of(resp)["code"] == "SELF_ACTION_FORBIDDEN"
    assert admin.ok("GET", "v1/users/me")["status"] == "Active"


def test_an_admin_cannot_act_on_a_superadmin(admin, demo_brand):
    boss = make_user(demo_brand, "boss", "SuperAdmin")
    peer = make_user(demo_brand, "peer", "Admin")
    for resp in (admin.post(f"v1/users/{boss['id']}/lock"),
                 admin.put(f"v1/users/{boss['id']}/type/EndUser"),
                 admin.put(f"v1/users/{boss['id']}", {"username": "boss2"}),
                 admin.delete(f"v1/users/{boss['id']}")):
        assert resp.status_code == 403
        assert error_of(resp)["code"] == "TARGET_OUTRANKS_CALLER"
    assert admin.ok("GET", f"v1/users/{boss['id']}")["status"] == "Active"
    # ... but may act on another Admin.
    assert admin.ok("POST", f"v1/users/{peer['id']}/lock") is True


# -- type ---------------------------------------------------------------------------------------

def test_set_type_ignores_the_body_the_sdk_sends(admin, demo_brand):
    bob = make_user(demo_brand, "bob")
    axios_config = {"headers": {"Auth-Key": "x"}, "params": {"a": 1}}
    assert admin.ok("PUT", f"v1/users/{bob['id']}/type/Partner", axios_config) is True
    assert admin.ok("GET", f"v1/users/{bob['id']}")["type"] == "Partner"
    assert admin.ok("PUT", f"v1/users/{bob['id']}/type/admin") is True  # any case
    assert admin.ok("GET", f"v1/users/{bob['id']}")["type"] == "Admin"


def test_unknown_type_is_400(admin, demo_brand):
    bob = make_user(demo_brand, "bob")
    resp = admin.put(f"v1/users/{bob['id']}/type/Wizard")
    assert resp.status_code == 400
    err = error_of(resp)
    assert err["field"] == "type" and "EndUser" in err["message"]


def test_only_a_platform_superadmin_grants_superadmin(api, admin, demo_brand):
    bob = make_user(demo_brand, "bob")
    resp = admin.put(f"v1/users/{bob['id']}/type/SuperAdmin")
    assert resp.status_code == 403 and error_of(resp)["code"] == "TYPE_ESCALATION"
    make_user(demo_brand, "brandboss", "SuperAdmin")
    brand_boss = login(api, "brandboss")
    assert brand_boss.put(f"v1/users/{bob['id']}/type/SuperAdmin").status_code == 403
    assert admin.ok("GET", f"v1/users/{bob['id']}")["type"] == "EndUser"

    root = platform_root(api)
    assert root.ok("PUT", f"v1/users/{bob['id']}/type/SuperAdmin") is True
    assert admin.ok("GET", f"v1/users/{bob['id']}")["type"] == "SuperAdmin"


def test_nobody_changes_their_own_type(admin):
    me = admin.ok("GET", "v1/users/me")
    resp = admin.put(f"v1/users/{me['id']}/type/EndUser")
    assert resp.status_code == 400 and error_of(resp)["code"] == "SELF_ACTION_FORBIDDEN"
    assert admin.ok("GET", "v1/users/me")["type"] == "Admin"


def test_type_change_takes_effect_on_the_next_request(api, admin, demo_brand):
    bob = register_and_login(api, "bob")
    bob_id = bob.ok("GET", "v1/users/me")["id"]
    assert bob.get("v1/users").status_code == 403
    admin.ok("PUT", f"v1/users/{bob_id}/type/Admin")
    assert bob.ok("GET", "v1/users")["totalItems"] == 2
    admin.ok("PUT", f"v1/users/{bob_id}/type/EndUser")
    assert bob.get("v1/users").status_code == 403


# -- password -----------------------------------------------------------------------------------

def test_admin_sets_a_password_and_old_keys_die(api, admin):
    bob = register_and_login(api, "bob")
    bob_id = bob.ok("GET", "v1/users/me")["id"]
    body = {"newPassword": "n3w-Password", "confirmPassword": "n3w-Password"}
    assert admin.ok("PUT", f"v1/users/{bob_id}/change-password", body) is True
    assert bob.get("v1/users/me").status_code == 401
    assert api.post("v1/users/auth", {"username": "bob", "password": "s3cret-Pass"}
                    ).status_code == 401
    login(api, "bob", "n3w-Password").ok("GET", "v1/users/me")


def test_admin_password_checks(api, admin, demo_brand):
    bob = make_user(demo_brand, "bob")
    path = f"v1/users/{bob['id']}/change-password"
    resp = admin.put(path, {"newPassword": "n3w-Password", "confirmPassword": "other-Pass1"})
    assert resp.status_code == 400 and error_of(resp)["field"] == "confirmPassword"
    resp = admin.put(path, {"newPassword": "short", "confirmPassword": "short"})
    assert resp.status_code == 400
    err = error_of(resp)
    assert err["field"] == "newPassword" and err["code"] == "PASSWORD_POLICY"
    login(api, "bob")  # the old password still works
    me = admin.ok("GET", "v1/users/me")
    resp = admin.put(f"v1/users/{me['id']}/change-password",
                     {"newPassword": "n3w-Password", "confirmPassword": "n3w-Password"})
    assert resp.status_code == 400 and "v1/users/change-password" in error_of(resp)["message"]
