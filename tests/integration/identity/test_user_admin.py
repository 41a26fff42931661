"""User administration: list, read, edit, soft delete (v1/users...)."""

from __future__ import annotations

import pytest

from tests.helpers.api import Api, login, make_user, register_and_login
from tests.helpers.users import error_of, platform_root

# -- list ---------------------------------------------------------------------------------------

def test_list_filters_sorts_and_pages(api, admin, demo_brand):
    for name in ("carol", "bob", "dave"):
        make_user(demo_brand, name)
    make_user(demo_brand, "pat", "Partner")
    page = admin.ok("GET", "v1/users?sortDataField=username&sortOrder=asc")
    assert [u["username"] for u in page["items"]] == ["admin", "bob", "carol", "dave", "pat"]
    assert page["totalItems"] == 5 and page["pageNumber"] == 0 and page["pageSize"] == 200

    page = admin.ok("GET", "v1/users?sortDataField=username&sortOrder=asc&pageSize=2&pageNumber=1")
    assert [u["username"] for u in page["items"]] == ["carol", "dave"]
    assert page["totalItems"] == 5

    assert [u["username"] for u in admin.ok("GET", "v1/users?userType=Partner")["items"]] == [
        "pat"]
    assert [u["username"] for u in admin.ok("GET", "v1/users?username=AR")["items"]] == ["carol"]
    assert [u["username"] for u in admin.ok("GET", "v1/users?keywords=dave%40example")[
        "items"]] == ["dave"]
    bob = admin.ok("GET", "v1/users/by-username/bob")
    found = admin.ok("GET", f"v1/users?ids[0]={bob['id']}&code={bob['code']}")["items"]
    assert [u["id"] for u in found] == [bob["id"]]
    assert admin.ok("GET", f"v1/users?referralCode={bob['referralCode'].lower()}")[
        "items"][0]["id"] == bob["id"]
    assert admin.ok("GET", "v1/users?testMode=true")["totalItems"] == 0


def test_list_rejects_unknown_sort_and_enum(admin):
    resp = admin.get("v1/users?sortDataField=passwordHash")
    assert resp.status_code == 400 and error_of(resp)["field"] == "sortDataField"
    resp = admin.get("v1/users?status=Sleeping")
    assert resp.status_code == 400 and error_of(resp)["field"] == "status"


def test_list_needs_user_read(api):
    alice = register_and_login(api, "alice")
    resp = alice.get("v1/users")
    assert resp.status_code == 403
    assert "USER.READ" in error_of(resp)["message"]


def test_roles_show_on_users(admin, demo_brand):
    bob = make_user(demo_brand, "bob")
    admin.ok("POST", f"v1/users/{bob['id']}/roles?roleIds[0]=SUPPORT")
    user = admin.ok("GET", f"v1/users/{bob['id']}")
    assert [r["code"] for r in user["roles"]] == ["SUPPORT"]
    assert user["roles"][0]["type"] == "BuiltIn" and "USER.UPDATE" in user["roles"][0][
        "permissions"]
    listed = admin.ok("GET", "v1/users?roleId=SUPPORT")["items"]
    assert [u["username"] for u in listed] == ["bob"]
    assert listed[0]["roles"][0]["code"] == "SUPPORT"


# -- read ---------------------------------------------------------------------------------------

def test_get_by_id_username_and_list_id(admin, demo_brand):
    bob = make_user(demo_brand, "bob")
    carol = make_user(demo_brand, "carol")
    got = admin.ok("GET", f"v1/users/{bob['id']}")
    assert got["username"] == "bob" and "passwordHash" not in got
    assert admin.ok("GET", "v1/users/by-username/BOB")["id"] == bob["id"]
    many = admin.ok("GET", f"v1/users/by-list-id?ids[0]={carol['id']}&ids[1]=nope"
                           f"&ids[2]={bob['id']}")
    assert [u["username"] for u in many] == ["carol", "bob"]

    for path in ("v1/users/nope", "v1/users/by-username/nobody"):
        resp = admin.get(path)
        assert resp.status_code == 404, path
        assert error_of(resp)["code"] == "USER_NOT_FOUND"
    resp = admin.get("v1/users/by-list-id")
    assert resp.status_code == 400 and error_of(resp)["field"] == "ids"


# -- edit ---------------------------------------------------------------------------------------

def test_put_changes_profile_and_reclaims_username_and_email(api, admin, demo_brand):
    bob = make_user(demo_brand, "bob")
    data = admin.ok("PUT", f"v1/users/{bob['id']}", {
        "username": "robert", "emailAddress": "robert@example.com", "firstName": "Robert",
        "website": "https://robert.example", "bio": "hi", "timeZoneId": "Europe/Paris"})
    assert data["username"] == "robert" and data["emailAddress"] == "robert@example.com"
    assert data["firstName"] == "Robert" and data["website"] == "https://robert.example"
    assert data["bio"] == "hi" and data["timeZoneId"] == "Europe/Paris"

    login(api, "robert")
    login(api, "robert@example.com")
    assert api.post("v1/users/auth", {"username": "bob", "password": "s3cret-Pass"}
                    ).status_code == 401
    # The old name and address are free again.
    register_and_login(api, "bob", email="bob@example.com")

    # Fields left out stay; null clears.
    data = admin.ok("PUT", f"v1/users/{bob['id']}", {"username": "robert", "bio": None})
    assert data["firstName"] == "Robert" and data["bio"] is None
    assert data["website"] == "https://robert.example"


def test_put_with_a_taken_username_or_email_is_409_and_changes_nothing(admin, demo_brand):
    bob = make_user(demo_brand, "bob")
    make_user(demo_brand, "carol")
    resp = admin.put(f"v1/users/{bob['id']}", {"username": "Carol", "firstName": "X"})
    assert resp.status_code == 409
    assert error_of(resp)["field"] == "username"
    resp = admin.put(f"v1/users/{bob['id']}", {"username": "bobby",
                                               "emailAddress": "carol@example.com"})
    assert resp.status_code == 409 and error_of(resp)["field"] == "emailAddress"
    unchanged = admin.ok("GET", f"v1/users/{bob['id']}")
    assert unchanged["username"] == "bob" and unchanged["firstName"] is None
    assert admin.ok("GET", "v1/users/by-username/bob")["id"] == bob["id"]
    assert admin.get("v1/users/by-username/bobby").status_code == 404


def test_put_email_change_clears_verification(admin, demo_brand):
    from chalicelib.identity.models import UserItem, user_pk

    bob = make_user(demo_brand, "bob")
    UserItem(user_pk(demo_brand["id"], bob["id"]), "USER").update(
        actions=[UserItem.is_email_verified.set(True)])
    data = admin.ok("PUT", f"v1/users/{bob['id']}", {"username": "bob",
                                                     "emailAddress": "new@example.com"})
    assert data["isEmailAddressVerified"] is False


def test_a_user_edits_their_own_profile_as_the_sdk_sends_it(api, demo_brand):
    """user.updateUser(ownId, IUpdateUserParams): no permission needed for one's own profile."""
    alice = register_and_login(api, "alice")
    me = alice.ok("GET", "v1/users/me")
    data = alice.ok("PUT", f"v1/users/{me['id']}", {
        "username": "alice", "firstName": "Alice", "nickName": "Al", "languageCode": "fr",
        "bio": "hello", "website": "https://alice.example", "phoneNumber": "+33123456789"})
    assert data["firstName"] == "Alice" and data["bio"] == "hello"
    assert alice.ok("GET", "v1/users/me")["languageCode"] == "fr"
    # A client sending back the user it read, with one change, is fine too.
    echo = alice.ok("GET", "v1/users/me")
    assert alice.ok("PUT", f"v1/users/{me['id']}", {**echo, "lastName": "Liddell"}
                    )["lastName"] == "Liddell"


def test_another_users_profile_needs_user_update(api, demo_brand):
    alice = register_and_login(api, "alice")
    bob = make_user(demo_brand, "bob")
    resp = alice.put(f"v1/users/{bob['id']}", {"username": "bob", "firstName": "Hacked"})
    assert resp.status_code == 403
    assert "USER.UPDATE" in error_of(resp)["message"]
    assert login(api, "bob").ok("GET", "v1/users/me")["firstName"] is None


@pytest.mark.parametrize("field, value", [
    ("type", "SuperAdmin"), ("status", "Locked"), ("roles", [{"id": "ADMIN", "code": "ADMIN"}]),
    ("roleIds", ["ADMIN"]), ("brandId", "elsewhere"), ("packageId", "PRO"),
    ("expiryDate", "2099-01-01T00:00:00Z"), ("isEmailAddressVerified", True),
    ("testMode", True), ("referralCode", "MINE"),
])
def test_a_user_cannot_change_their_own_privileged_fields(api, demo_brand, field, value):
    alice = register_and_login(api, "alice")
    before = alice.ok("GET", "v1/users/me")
    resp = alice.put(f"v1/users/{before['id']}", {"username": "alice", "firstName": "Alice",
                                                  field: value})
    assert resp.status_code == 403, resp.body
    err = error_of(resp)
    assert err["code"] == "FIELD_NOT_EDITABLE" and err["field"] == field
    assert field in err["message"]
    assert alice.ok("GET", "v1/users/me") == before  # nothing changed, not even firstName


# -- usernames that look like e-mail addresses ------------------------------------------------

def test_nobody_registers_another_users_address_as_a_username(api, demo_brand):
    """The squat: mallory takes victim@example.com as a username; logins try names first, so
    the victim's e-mail login would stop working and mallory's password would work with it."""
    resp = api.post("v1/users/register", {"username": "victim@example.com",
                                          "emailAddress": "mallory@example.com",
                                          "password": "m4llory-Pass"})
    assert resp.status_code == 400
    err = error_of(resp)
    assert err["code"] == "USERNAME_LOOKS_LIKE_EMAIL" and err["field"] == "username"
    resp = api.post("v1/users/register", {"username": "victim@example.com",
                                          "password": "m4llory-Pass"})
    assert resp.status_code == 400 and error_of(resp)["code"] == "USERNAME_LOOKS_LIKE_EMAIL"
    register_and_login(api, "victim", email="victim@example.com")
    login(api, "victim@example.com")
    assert api.post("v1/users/auth", {"username": "victim@example.com",
                                      "password": "m4llory-Pass"}).status_code == 401


def test_ones_own_address_may_be_the_username(api):
    me = register_and_login(api, "Ann@Example.com", email="ann@example.com")
    assert me.ok("GET", "v1/users/me")["username"] == "Ann@Example.com"
    login(api, "ann@example.com")


def test_an_edit_cannot_squat_an_address_either(api, admin, demo_brand):
    bob = make_user(demo_brand, "bob")
    make_user(demo_brand, "carol")
    for body in ({"username": "carol@example.com"},  # carol's address
                 {"username": "someone@example.com"},  # nobody's yet
                 {"username": "bob@example.com", "emailAddress": "new@example.com"}):
        resp = admin.put(f"v1/users/{bob['id']}", body)
        assert resp.status_code == 400, body
        assert error_of(resp)["code"] == "USERNAME_LOOKS_LIKE_EMAIL"
    assert admin.ok("GET", f"v1/users/{bob['id']}")["username"] == "bob"
    assert admin.ok("PUT", f"v1/users/{bob['id']}",
                    {"username": "bob@example.com"})["username"] == "bob@example.com"
    # ... and then the address can't move away from under the username.
    resp = admin.put(f"v1/users/{bob['id']}", {"username": "bob@example.com",
                                               "emailAddress": "other@example.com"})
    assert resp.status_code == 400
    login(api, "carol@example.com")


# -- delete -------------------------------------------------------------------------------------

def test_delete_is_soft_and_ends_sessions_at_once(api, admin, demo_brand):
    bob_api = register_and_login(api, "bob")
    bob_id = bob_api.ok("GET", "v1/users/me")["id"]
    assert admin.ok("DELETE", f"v1/users/{bob_id}") is True

    assert bob_api.get("v1/users/me").status_code == 401
    resp = api.post("v1/users/auth", {"username": "bob", "password": "s3cret-Pass"})
    assert resp.status_code == 401 and "deleted" in error_of(resp)["message"]
    assert admin.ok("GET", f"v1/users/{bob_id}")["status"] == "Deleted"
    assert [u["username"] for u in admin.ok("GET", "v1/users")["items"]] == ["admin"]
    assert [u["id"] for u in admin.ok("GET", "v1/users?status=Deleted")["items"]] == [bob_id]
    # Nothing money may refer to is released: the id, the names and the referral code stay.
    resp = api.post("v1/users/register", {"username": "bob", "password": "s3cret-Pass"})
    assert resp.status_code == 409
    resp = admin.delete(f"v1/users/{bob_id}")
    assert resp.status_code == 409 and error_of(resp)["code"] == "STATUS_TRANSITION"
    resp = admin.put(f"v1/users/{bob_id}", {"username": "bob2"})
    assert resp.status_code == 409 and error_of(resp)["code"] == "USER_DELETED"


def test_delete_needs_user_delete(api, demo_brand):
    from chalicelib.identity import roles

    role = roles.create_role(demo_brand["id"], code="EDITOR", name="Editor")
    roles.change_role_permissions(demo_brand["id"], role["id"], ["USER.READ", "USER.UPDATE"],
                                  grant=True, holder=frozenset({"USER.READ", "USER.UPDATE"}))
    editor = register_and_login(api, "eddie")
    root = platform_root(api)
    ed_id = editor.ok("GET", "v1/users/me")["id"]
    root.ok("POST", f"v1/users/{ed_id}/roles?roleIds[0]={role['id']}")
    bob = make_user(demo_brand, "bob")
    editor.ok("GET", f"v1/users/{bob['id']}")
    resp = editor.delete(f"v1/users/{bob['id']}")
    assert resp.status_code == 403 and "USER.DELETE" in error_of(resp)["message"]


# -- constants ------------------------------------------------------------------------------------

def test_user_constants_need_no_auth(client):
    anon = Api(client)
    assert anon.ok("GET", "v1/constants/user/status") == [
        "Inactive", "Active", "Deleted", "Suspended", "Locked"]
    assert anon.ok("GET", "v1/constants/user/types") == [
        "EndUser", "Partner", "Admin", "SuperAdmin"]


# -- statistics -----------------------------------------------------------------------------------

def test_user_statistics_per_day_and_month(api, admin, demo_brand):
    """GET v1/users/statistics (SDK statisticUsers): users registered per day or month, every
    day of the range listed, and not taken for a user id."""
    from datetime import UTC, datetime

    from chalicelib import settings

    for when, name in ((datetime(2024, 2, 22, 23, 59, tzinfo=UTC), "early"),
                       (datetime(2024, 2, 23, 8, 0, tzinfo=UTC), "bob"),
                       (datetime(2024, 2, 23, 18, 30, tzinfo=UTC), "carol"),
                       (datetime(2024, 2, 25, 0, 0, tzinfo=UTC), "dave"),
                       (datetime(2024, 3, 2, 12, 0, tzinfo=UTC), "erin")):
        settings.set_clock(lambda when=when: when)
        make_user(demo_brand, name)
    settings.set_clock(None)

    days = admin.ok("GET", "v1/users/statistics?startDate=2024-02-23 00:00:00"
                           "&endDate=2024-02-26 23:59:59&typeResponse=DATE")
    assert days == [{"date": "2024-02-23", "quantity": 2}, {"date": "2024-02-24", "quantity": 0},
                    {"date": "2024-02-25", "quantity": 1}, {"date": "2024-02-26", "quantity": 0}]
    months = admin.ok("GET", "v1/users/statistics?startDate=2024-02-01 00:00:00"
                             "&endDate=2024-03-31 23:59:59&typeResponse=MONTH")
    assert months == [{"date": "2024-02", "quantity": 4}, {"date": "2024-03", "quantity": 1}]

    resp = admin.get("v1/users/statistics?startDate=2024-03-01&endDate=2024-02-01")
    assert resp.status_code == 400 and error_of(resp)["field"] == "endDate"
    # Without startDate: the 30 days up to endDate (http/statistics.window, as for devices).
    assert len(admin.ok("GET", "v1/users/statistics?endDate=2024-02-29")) == 30
    resp = register_and_login(api, "mallory").get(
        "v1/users/statistics?startDate=2024-02-01&endDate=2024-02-02")
    assert resp.status_code == 403 and "USER.READ" in error_of(resp)["message"]
