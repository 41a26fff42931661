"""Permissions: built-in codes and a brand's custom permissions (v1/permissions...)."""

from __future__ import annotations

from tests.helpers.users import error_of


def _perm(admin, code="REPORT.EXPORT", resource="REPORT", name="Export reports",
          **extra) -> dict:
    return admin.ok("POST", "v1/permissions", {"resourceTypeId": resource, "code": code,
                                               "name": name, **extra})


def test_built_in_permissions_are_listed_and_read_only(admin):
    page = admin.ok("GET", "v1/permissions?type=BuiltIn&resourceTypeId=user"
                           "&sortDataField=code&sortOrder=asc")
    assert [p["code"] for p in page["items"]] == ["USER.CREATE", "USER.DELETE", "USER.READ",
                                                  "USER.UPDATE"]
    read = admin.ok("GET", "v1/permissions/USER.READ")
    assert read["type"] == "BuiltIn" and read["resourceTypeId"] == "USER"
    for resp in (admin.put("v1/permissions/USER.READ", {"resourceTypeId": "USER",
                                                        "code": "USER.READ", "name": "x"}),
                 admin.delete("v1/permissions/USER.READ")):
        assert resp.status_code == 400 and error_of(resp)["code"] == "BUILT_IN_READ_ONLY"


def test_custom_permission_lifecycle(admin):
    perm = _perm(admin, tags="reports")
    assert perm["type"] == "Custom" and perm["code"] == "REPORT.EXPORT"
    assert admin.ok("GET", f"v1/permissions/{perm['id']}")["name"] == "Export reports"
    custom = admin.ok("GET", "v1/permissions?type=Custom")["items"]
    assert [p["id"] for p in custom] == [perm["id"]]
    assert admin.ok("GET", "v1/permissions?type=None")["totalItems"] == len(
        admin.ok("GET", "v1/permissions?type=BuiltIn")["items"]) + 1
    assert admin.ok("GET", "v1/permissions?keywords=export")["totalItems"] == 1

    updated = admin.ok("PUT", f"v1/permissions/{perm['id']}", {
        "resourceTypeId": "REPORT", "code": "REPORT.DOWNLOAD", "name": "Download reports"})
    assert updated["code"] == "REPORT.DOWNLOAD" and updated["tags"] is None
    _perm(admin)  # the old code is free again
    resp = admin.post("v1/permissions", {"resourceTypeId": "R", "code": "report.download",
                                         "name": "x"})
    assert resp.status_code == 409 and error_of(resp)["code"] == "PERMISSION_CODE_TAKEN"
    assert admin.ok("DELETE", f"v1/permissions/{perm['id']}") is True
    assert admin.get(f"v1/permissions/{perm['id']}").status_code == 404


def test_built_in_codes_cannot_be_reused(admin):
    resp = admin.post("v1/permissions", {"resourceTypeId": "USER", "code": "user.read",
                                         "name": "x"})
    assert resp.status_code == 409 and error_of(resp)["field"] == "code"


def test_renaming_a_permission_keeps_its_grants(admin):
    perm = _perm(admin)
    role = admin.ok("POST", "v1/roles", {"code": "OPS", "name": "Ops"})
    admin.ok("POST", f"v1/roles/{role['id']}/permissions", {"permissionIds": [perm["id"]]})
    admin.ok("PUT", f"v1/permissions/{perm['id']}", {"resourceTypeId": "REPORT",
                                                     "code": "REPORT.PRINT", "name": "Print"})
    assert admin.ok("GET", f"v1/roles/{role['id']}")["permissions"] == ["REPORT.PRINT"]


def test_grant_a_permission_to_roles_and_take_it_back(admin):
    perm = _perm(admin)
    ops = admin.ok("POST", "v1/roles", {"code": "OPS", "name": "Ops"})
    dev = admin.ok("POST", "v1/roles", {"code": "DEV", "name": "Dev"})
    assert admin.ok("POST", f"v1/permissions/{perm['id']}/roles",
                    {"roleIds": [ops["id"], dev["id"]]}) is True
    assert {r["code"] for r in admin.ok("GET", f"v1/permissions/{perm['id']}/roles")} == {
        "OPS", "DEV"}
    resp = admin.delete(f"v1/permissions/{perm['id']}")
    assert resp.status_code == 409
    err = error_of(resp)
    assert err["code"] == "PERMISSION_IN_USE" and "OPS" in err["message"]

    assert admin.ok("DELETE", f"v1/permissions/{perm['id']}/roles",
                    body={"roleIds": [ops["id"], dev["id"]]}) is True
    assert admin.ok("GET", f"v1/permissions/{perm['id']}/roles") == []
    assert admin.ok("DELETE", f"v1/permissions/{perm['id']}") is True


def test_grant_to_built_in_or_unknown_roles_is_400(admin, other_brand):
    from chalicelib.identity import roles

    perm = _perm(admin)
    foreign = roles.create_role(other_brand["id"], code="FOREIGN", name="Other")
    for role_ids, code in ((["ADMIN"], "BUILT_IN_READ_ONLY"), (["nope"], "ROLE_NOT_FOUND"),
                           ([foreign["id"]], "ROLE_NOT_FOUND")):
        resp = admin.post(f"v1/permissions/{perm['id']}/roles", {"roleIds": role_ids})
        assert resp.status_code == 400
        err = error_of(resp)
        assert err["code"] == code and err["field"] == "roleIds"


def test_another_brands_permission_cannot_be_granted(admin, other_brand):
    from chalicelib.identity import roles

    foreign = roles.create_permission(other_brand["id"], resource_type_id="X", code="X.Y",
                                      name="Other brand's")
    role = admin.ok("POST", "v1/roles", {"code": "OPS", "name": "Ops"})
    resp = admin.post(f"v1/roles/{role['id']}/permissions", {"permissionIds": [foreign["id"]]})
    assert resp.status_code == 400 and error_of(resp)["code"] == "PERMISSION_NOT_FOUND"
    assert admin.ok("GET", f"v1/roles/{role['id']}")["permissions"] == []
