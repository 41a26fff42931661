"""Roles: built-in and custom, their permissions, and who holds them."""

from __future__ import annotations

from tests.helpers.api import make_user, register_and_login
from tests.helpers.users import admin_of, error_of, platform_root


def _role(admin, code="OPS", name="Operations", **extra) -> dict:
    return admin.ok("POST", "v1/roles", {"code": code, "name": name, **extra})


def test_built_in_roles_are_listed_and_read_only(admin):
    page = admin.ok("GET", "v1/roles?type=BuiltIn&sortDataField=code&sortOrder=asc")
    assert [r["id"] for r in page["items"]] == ["ADMIN", "SUPPORT", "USER"]
    adm = admin.ok("GET", "v1/roles/ADMIN")
    assert adm["type"] == "BuiltIn" and adm["code"] == "ADMIN"
    assert "USER.DELETE" in adm["permissions"] and "BRAND.CREATE" not in adm["permissions"]
    for resp in (admin.put("v1/roles/ADMIN", {"code": "ADMIN", "name": "x"}),
                 admin.delete("v1/roles/SUPPORT"),
                 admin.post("v1/roles/USER/permissions", {"permissionIds": ["USER.READ"]})):
        assert resp.status_code == 400 and error_of(resp)["code"] == "BUILT_IN_READ_ONLY"
    assert admin.ok("GET", "v1/roles/USER")["permissions"] == []


def test_create_read_update_delete_a_custom_role(admin):
    role = _role(admin, description="Runs things", tags="ops")
    assert role["type"] == "Custom" and role["permissions"] == [] and role["id"] != "OPS"
    assert admin.ok("GET", f"v1/roles/{role['id']}")["description"] == "Runs things"
    page = admin.ok("GET", "v1/roles?type=Custom")
    assert [r["code"] for r in page["items"]] == ["OPS"]
    assert admin.ok("GET", "v1/roles?keywords=things")["totalItems"] == 1
    assert admin.ok("GET", "v1/roles?type=All")["totalItems"] == 4

    updated = admin.ok("PUT", f"v1/roles/{role['id']}", {"code": "OPS2", "name": "Ops"})
    assert updated["code"] == "OPS2" and updated["description"] is None
    # The old code is free again, the new one taken.
    _role(admin, "OPS")
    resp = admin.post("v1/roles", {"code": "ops2", "name": "x"})
    assert resp.status_code == 409 and error_of(resp)["field"] == "code"

    assert admin.ok("DELETE", f"v1/roles/{role['id']}") is True
    assert admin.get(f"v1/roles/{role['id']}").status_code == 404
    _role(admin, "OPS2")  # its code was released


def test_role_codes_are_unique_and_not_built_in(admin):
    _role(admin)
    for code in ("ops", "admin", "Support"):
        resp = admin.post("v1/roles", {"code": code, "name": "x"})
        assert resp.status_code == 409, code
        assert error_of(resp)["code"] == "ROLE_CODE_TAKEN"
    other = _role(admin, "OTHER")
    resp = admin.put(f"v1/roles/{other['id']}", {"code": "OPS", "name": "x"})
    assert resp.status_code == 409
    assert admin.ok("GET", f"v1/roles/{other['id']}")["code"] == "OTHER"
    assert admin.ok("GET", "v1/roles?type=Custom")["totalItems"] == 2


def test_grant_and_revoke_permissions(admin):
    perm = admin.ok("POST", "v1/permissions", {"resourceTypeId": "report", "code": "report.export",
                                               "name": "Export reports"})
    assert perm["code"] == "REPORT.EXPORT" and perm["resourceTypeId"] == "REPORT"
    role = _role(admin)
    assert admin.ok("POST", f"v1/roles/{role['id']}/permissions",
                    {"permissionIds": ["USER.READ", perm["id"], "USER.READ"]}) is True
    assert admin.ok("GET", f"v1/roles/{role['id']}")["permissions"] == ["USER.READ",
                                                                         "REPORT.EXPORT"]
    listed = admin.ok("GET", f"v1/roles/{role['id']}/permissions")
    assert sorted(p["id"] for p in listed) == sorted(["USER.READ", perm["id"]])
    holders = admin.ok("GET", f"v1/permissions/{perm['id']}/roles")
    assert [r["id"] for r in holders] == [role["id"]]
    assert {"ADMIN", "SUPPORT", role["id"]} == {
        r["id"] for r in admin.ok("GET", "v1/permissions/USER.READ/roles")}

    # DELETE with a JSON body, as the SDK sends it.
    assert admin.ok("DELETE", f"v1/roles/{role['id']}/permissions",
                    body={"permissionIds": ["USER.READ"]}) is True
    assert admin.ok("GET", f"v1/roles/{role['id']}")["permissions"] == ["REPORT.EXPORT"]


def test_unknown_permission_ids_are_400_and_change_nothing(admin):
    role = _role(admin)
    resp = admin.post(f"v1/roles/{role['id']}/permissions",
                      {"permissionIds": ["USER.READ", "NOPE.READ"]})
    assert resp.status_code == 400
    err = error_of(resp)
    assert err["field"] == "permissionIds" and "NOPE.READ" in err["message"]
    assert admin.ok("GET", f"v1/roles/{role['id']}")["permissions"] == []


def test_nobody_grants_a_permission_they_lack(admin):
    role = _role(admin)
    resp = admin.post(f"v1/roles/{role['id']}/permissions", {"permissionIds": ["BRAND.CREATE"]})
    assert resp.status_code == 403 and "BRAND.CREATE" in error_of(resp)["message"]
    assert admin.ok("GET", f"v1/roles/{role['id']}")["permissions"] == []


def test_a_custom_role_gives_its_holder_what_it_grants(api, admin):
    role = _role(admin)
    admin.ok("POST", f"v1/roles/{role['id']}/permissions", {"permissionIds": ["USER.READ"]})
    bob = register_and_login(api, "bob")
    bob_id = bob.ok("GET", "v1/users/me")["id"]
    assert bob.get("v1/users").status_code == 403

    assert admin.ok("POST", f"v1/users/{bob_id}/roles?roleIds[0]={role['id']}") is True
    assert [r["id"] for r in admin.ok("GET", f"v1/users/{bob_id}/roles")] == [role["id"]]
    assert admin.ok("GET", f"v1/users/{bob_id}/permissions") == ["USER.READ"]
    assert bob.ok("GET", "v1/users")["totalItems"] == 2

    assert admin.ok("DELETE", f"v1/users/{bob_id}/roles?roleIds[0]={role['id']}") is True
    assert admin.ok("GET", f"v1/users/{bob_id}/roles") == []
    assert bob.get("v1/users").status_code == 403


def test_effective_permissions_follow_type_and_roles(admin, demo_brand):
    bob = make_user(demo_brand, "bob")
    assert admin.ok("GET", f"v1/users/{bob['id']}/permissions") == []
    admin.ok("POST", f"v1/users/{bob['id']}/roles?roleIds[0]=SUPPORT")
    perms = admin.ok("GET", f"v1/users/{bob['id']}/permissions")
    assert "USER.UPDATE" in perms and "USER.DELETE" not in perms
    me = admin.ok("GET", "v1/users/me")
    mine = admin.ok("GET", f"v1/users/{me['id']}/permissions")
    assert "USER.DELETE" in mine and "BRAND.CREATE" not in mine


def test_roles_by_query_array_and_unknown_roles(admin, demo_brand, other_brand):
    from chalicelib.identity import roles

    ops = _role(admin)
    bob = make_user(demo_brand, "bob")
    foreign = roles.create_role(other_brand["id"], code="FOREIGN", name="Other brand's")
    assert admin.ok("POST", f"v1/users/{bob['id']}/roles?roleIds[0]={ops['id']}"
                            "&roleIds[1]=SUPPORT") is True
    assert [r["code"] for r in admin.ok("GET", f"v1/users/{bob['id']}/roles")] == [
        "OPS", "SUPPORT"]
    for ids in ("nope", foreign["id"]):
        resp = admin.post(f"v1/users/{bob['id']}/roles?roleIds[0]={ids}")
        assert resp.status_code == 400 and error_of(resp)["field"] == "roleIds"
    resp = admin.post(f"v1/users/{bob['id']}/roles")
    assert resp.status_code == 400 and error_of(resp)["field"] == "roleIds"
    assert len(admin.ok("GET", f"v1/users/{bob['id']}/roles")) == 2


def test_nobody_changes_their_own_roles(admin):
    me = admin.ok("GET", "v1/users/me")
    resp = admin.post(f"v1/users/{me['id']}/roles?roleIds[0]=SUPPORT")
    assert resp.status_code == 400 and error_of(resp)["code"] == "SELF_ACTION_FORBIDDEN"


def test_a_role_in_use_cannot_be_deleted(admin, demo_brand):
    role = _role(admin)
    bob = make_user(demo_brand, "bob")
    carol = make_user(demo_brand, "carol")
    assert admin.ok("POST", f"v1/roles/{role['id']}/users",
                    {"userIds": [bob["id"], carol["id"]]}) is True
    assert {u["username"] for u in admin.ok("GET", f"v1/users?roleId={role['id']}")[
        "items"]} == {"bob", "carol"}
    resp = admin.delete(f"v1/roles/{role['id']}")
    assert resp.status_code == 409
    err = error_of(resp)
    assert err["code"] == "ROLE_IN_USE" and "2 user(s)" in err["message"]
    assert admin.ok("GET", f"v1/roles/{role['id']}")["code"] == "OPS"

    admin.ok("DELETE", f"v1/users/{bob['id']}/roles?roleIds[0]={role['id']}")
    admin.ok("DELETE", f"v1/users/{carol['id']}")  # a deleted user doesn't hold it any more
    assert admin.ok("DELETE", f"v1/roles/{role['id']}") is True


def test_give_a_role_to_users_checks_every_user(admin, demo_brand, other_brand):
    role = _role(admin)
    bob = make_user(demo_brand, "bob")
    stranger = make_user(other_brand, "stranger")
    resp = admin.post(f"v1/roles/{role['id']}/users", {"userIds": [bob["id"], stranger["id"]]})
    assert resp.status_code == 400 and error_of(resp)["field"] == "userIds"
    assert admin.ok("GET", f"v1/users/{bob['id']}/roles") == []


def test_platform_superadmin_manages_any_brand(api, demo_brand, other_brand):
    root = platform_root(api, "other.test")
    role = root.ok("POST", "v1/roles", {"code": "AUDITOR", "name": "Auditor"})
    assert role["brandId"] == other_brand["id"]
    make_user(other_brand, "otto")
    assert [u["username"] for u in root.ok("GET", "v1/users")["items"]] == ["otto"]
    # A brand's own admin stays inside their brand.
    admin = admin_of(api, demo_brand)
    assert admin.as_(admin.auth_key, "other.test").get("v1/roles").status_code == 401
    assert admin.ok("GET", "v1/roles?type=Custom")["totalItems"] == 0


def test_endusers_cannot_manage_roles(api):
    bob = register_and_login(api, "bob")
    for resp in (bob.get("v1/roles"), bob.post("v1/roles", {"code": "X", "name": "X"}),
                 bob.get("v1/permissions")):
        assert resp.status_code == 403
