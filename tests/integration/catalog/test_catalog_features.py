"""Features (v1/features) and their links to packages, from both sides."""

from __future__ import annotations

import pytest

from tests.helpers.api import login, make_user


@pytest.fixture
def pkg(admin) -> dict:
    return admin.ok("POST", "v1/packages", {"code": "PRO", "name": "Pro"})


@pytest.fixture
def seats(admin) -> dict:
    return admin.ok("POST", "v1/features", {"code": "SEATS", "name": "Seats", "unit": "seat",
                                            "zOrder": 2})


@pytest.fixture
def export(admin) -> dict:
    return admin.ok("POST", "v1/features", {"code": "EXPORT", "name": "Export", "zOrder": 1})


def links(brand: dict) -> dict:
    from chalicelib.catalog.models import CatalogEntry, PackageFeatureItem, cat_pk

    return {(i.package_id, i.feature_id): i for i in CatalogEntry.query(cat_pk(brand["id"]))
            if isinstance(i, PackageFeatureItem)}


def stored_count(brand: dict) -> int:
    from chalicelib.catalog.models import CatalogEntry, cat_pk

    return sum(1 for _ in CatalogEntry.query(cat_pk(brand["id"])))


def err(resp) -> dict:
    return resp.json_body["errors"][0]


def test_feature_crud_and_paged_list(admin, api, demo_brand):
    f = admin.ok("POST", "v1/features", {
        "code": "SEATS", "name": "Seats", "unit": "seat", "defaultValue": 1,
        "helpURL": "https://help.example.com/seats", "description": "Team members",
        "tags": "team", "zOrder": 5})
    assert {k: f[k] for k in ("code", "name", "unit", "defaultValue", "helpURL", "zOrder",
                              "status")} == {
        "code": "SEATS", "name": "Seats", "unit": "seat", "defaultValue": 1,
        "helpURL": "https://help.example.com/seats", "zOrder": 5, "status": "Active"}
    assert api.ok("GET", f"v1/features/{f['id']}")["description"] == "Team members"
    admin.ok("POST", "v1/features", {"code": "EXPORT", "name": "Export", "status": "Inactive"})
    page = admin.ok("GET", "v1/features?pageSize=1&sortDataField=code&sortOrder=asc")
    assert page["totalItems"] == 2 and page["pageSize"] == 1 and page["pageNumber"] == 0
    assert [x["code"] for x in page["items"]] == ["EXPORT"]
    assert [x["code"] for x in api.ok("GET", "v1/features")["items"]] == ["SEATS"]
    assert [x["code"] for x in admin.ok("GET", "v1/features?keywords=team")["items"]] == [
        "SEATS"]
    assert admin.ok("GET", "v1/features?status=Inactive")["items"][0]["code"] == "EXPORT"

    up = admin.ok("PUT", f"v1/features/{f['id']}", {"code": "SEATS", "name": "Members",
                                                     "unit": None})
    assert up["name"] == "Members" and up["unit"] is None and up["tags"] == "team"
    resp = admin.put(f"v1/features/{f['id']}", {"code": "export", "name": "x"})
    assert resp.status_code == 409 and err(resp)["code"] == "FEATURE_CODE_TAKEN"

    assert admin.ok("DELETE", f"v1/features/{f['id']}") is True
    assert api.get(f"v1/features/{f['id']}").status_code == 404
    assert admin.ok("GET", "v1/features")["totalItems"] == 1
    admin.ok("POST", "v1/features", {"code": "SEATS", "name": "Seats again"})  # code freed


def test_link_features_to_a_package_and_read_them_back(admin, api, pkg, seats, export,
                                                        demo_brand):
    assert admin.ok("POST", f"v1/packages/{pkg['id']}/features", [
        {"featureId": seats["id"], "type": "Limitation", "value": 5, "resetPolicy": "Monthly",
         "title": "5 seats"},
        {"featureId": export["id"], "type": "Function"},
    ]) is True
    got = api.ok("GET", f"v1/packages/{pkg['id']}/features")
    assert [f["code"] for f in got] == ["EXPORT", "SEATS"]  # by zOrder
    export_link, seats_link = got
    assert export_link | {"createdDate": None, "modifiedDate": None} == {
        "id": export["id"], "featureId": export["id"], "packageId": pkg["id"],
        "createdDate": None, "modifiedDate": None, "parentBrandId": None, "eventId": None,
        "code": "EXPORT", "name": "Export", "unit": None, "defaultValue": 0, "helpURL": None,
        "image": None, "styles": None, "description": None, "tags": None, "notes": None,
        "zOrder": 1, "status": "Active", "type": "Function", "title": None, "value": 1,
        "isUnlimited": False, "resetPolicy": None, "customIntervalDays": None}
    assert (seats_link["type"], seats_link["value"], seats_link["resetPolicy"],
            seats_link["title"]) == ("Limitation", 5, "Monthly", "5 seats")
    # The package carries the same list (IPackage.features), and the feature knows its package.
    assert api.ok("GET", f"v1/packages/{pkg['id']}")["features"] == got
    assert [p["code"] for p in api.ok("GET", f"v1/features/{seats['id']}/packages")] == ["PRO"]
    assert sorted(f["code"] for f in admin.ok("GET", f"v1/features?packageId={pkg['id']}")[
        "items"]) == ["EXPORT", "SEATS"]
    assert admin.ok("GET", "v1/features?packageId=other")["items"] == []

    # Re-posting a link replaces it; PUT changes one.
    admin.ok("POST", f"v1/packages/{pkg['id']}/features",
             [{"featureId": seats["id"], "type": "Limitation", "isUnlimited": True}])
    stored = links(demo_brand)[(pkg["id"], seats["id"])]
    assert stored.is_unlimited is True and stored.value is None
    admin.ok("PUT", f"v1/packages/{pkg['id']}/features/{seats['id']}",
             {"type": "Limitation", "value": 10, "resetPolicy": "Custom",
              "customIntervalDays": 14})
    stored = links(demo_brand)[(pkg["id"], seats["id"])]
    assert (stored.value, stored.reset_policy, stored.custom_interval_days) == (10, "Custom", 14)

    assert admin.ok("DELETE", f"v1/packages/{pkg['id']}/features?featureIds[0]={seats['id']}"
                    f"&featureIds[1]={export['id']}") is True
    assert links(demo_brand) == {}
    assert api.ok("GET", f"v1/packages/{pkg['id']}/features") == []


def test_link_packages_to_a_feature(admin, api, pkg, seats, demo_brand):
    other = admin.ok("POST", "v1/packages", {"code": "TEAM", "name": "Team"})
    admin.ok("POST", f"v1/features/{seats['id']}/packages", [
        {"packageId": pkg["id"], "type": "Limitation", "value": 1},
        {"packageId": other["id"], "type": "Limitation", "value": 50}])
    assert sorted(p["code"] for p in api.ok("GET", f"v1/features/{seats['id']}/packages")) == [
        "PRO", "TEAM"]
    assert api.ok("GET", f"v1/packages/{other['id']}/features")[0]["value"] == 50
    resp = admin.delete(f"v1/features/{seats['id']}")
    assert resp.status_code == 409 and err(resp)["code"] == "FEATURE_IN_USE"
    assert "PRO" in err(resp)["message"] and "TEAM" in err(resp)["message"]
    admin.ok("DELETE", f"v1/features/{seats['id']}/packages?packageIds[0]={pkg['id']}")
    assert [p["code"] for p in api.ok("GET", f"v1/features/{seats['id']}/packages")] == ["TEAM"]
    admin.ok("DELETE", f"v1/features/{seats['id']}/packages?packageIds={other['id']}")
    assert admin.ok("DELETE", f"v1/features/{seats['id']}") is True


@pytest.mark.parametrize("entry, field", [
    ({"type": "Limitation"}, "0.value"),
    ({"type": "Limitation", "value": -1}, "0.value"),
    ({"type": "Limitation", "isUnlimited": True, "value": 5}, "0.value"),
    ({"type": "Limitation", "value": 5, "resetPolicy": "Custom"}, "0.customIntervalDays"),
    ({"type": "Limitation", "value": 5, "resetPolicy": "Custom", "customIntervalDays": 0},
     "0.customIntervalDays"),
    ({"type": "Limitation", "value": 5, "resetPolicy": "Daily", "customIntervalDays": 3},
     "0.customIntervalDays"),
    ({"type": "Limitation", "value": 5, "resetPolicy": "Hourly"}, "0.resetPolicy"),
    ({"type": "Function", "value": 2}, "0.value"),
    ({"type": "Function", "isUnlimited": True}, "0.isUnlimited"),
    ({"type": "Function", "resetPolicy": "Monthly"}, "0.resetPolicy"),
    ({"type": "Limited", "value": 5}, "0.type"),
    ({"type": "Limitation", "value": "many"}, "0.value"),
])
def test_bad_link_is_400_and_writes_nothing(admin, pkg, seats, demo_brand, entry, field):
    before = stored_count(demo_brand)
    resp = admin.post(f"v1/packages/{pkg['id']}/features", [{"featureId": seats["id"], **entry}])
    assert resp.status_code == 400, resp.json_body
    assert err(resp)["field"] == field
    assert stored_count(demo_brand) == before and links(demo_brand) == {}


def test_unlimited_takes_jfw_minus_one_and_stores_no_value(admin, pkg, seats, demo_brand):
    admin.ok("POST", f"v1/packages/{pkg['id']}/features",
             [{"featureId": seats["id"], "type": "Limitation", "isUnlimited": True,
               "value": -1}])
    link = links(demo_brand)[(pkg["id"], seats["id"])]
    assert (link.is_unlimited, link.value, link.reset_policy) == (True, None, "Lifetime")


@pytest.mark.parametrize("body, status, field", [
    ([], 400, "body"),
    (None, 400, "body"),
    ({"featureId": "x", "type": "Function"}, 400, "body"),  # an object, not an array
    ([{"type": "Function"}], 400, "0.featureId"),
    ([{"featureId": "nope", "type": "Function"}], 400, "0.featureId"),
])
def test_array_body_errors(admin, pkg, seats, demo_brand, body, status, field):
    before = stored_count(demo_brand)
    resp = admin.post(f"v1/packages/{pkg['id']}/features", body)
    assert resp.status_code == status, resp.json_body
    assert err(resp)["field"] == field
    assert stored_count(demo_brand) == before


def test_duplicate_and_oversized_array_bodies(admin, pkg, seats):
    entry = {"featureId": seats["id"], "type": "Function"}
    resp = admin.post(f"v1/packages/{pkg['id']}/features", [entry, entry])
    assert resp.status_code == 400 and "twice" in err(resp)["message"]
    resp = admin.post(f"v1/packages/{pkg['id']}/features", [entry] * 41)
    assert resp.status_code == 400


def test_links_need_both_ends_in_the_brand(admin, api, pkg, seats, other_brand):
    resp = admin.post("v1/packages/nope/features", [{"featureId": seats["id"],
                                                     "type": "Function"}])
    assert resp.status_code == 404
    resp = admin.post(f"v1/features/{seats['id']}/packages", [{"packageId": "nope",
                                                               "type": "Function"}])
    assert resp.status_code == 400 and err(resp)["field"] == "0.packageId"
    resp = admin.put(f"v1/packages/{pkg['id']}/features/{seats['id']}", {"type": "Function"})
    assert resp.status_code == 404 and err(resp)["code"] == "PACKAGE_FEATURE_NOT_FOUND"
    resp = admin.delete(f"v1/packages/{pkg['id']}/features")
    assert resp.status_code == 400 and err(resp)["field"] == "featureIds"
    # Another brand's admin sees none of it.
    make_user(other_brand, "otherboss", "Admin")
    other = login(api.as_(brand_url="other.test"), "otherboss")
    assert other.get(f"v1/features/{seats['id']}").status_code == 404
    assert other.post(f"v1/packages/{pkg['id']}/features",
                      [{"featureId": seats["id"], "type": "Function"}]).status_code == 404
    assert other.ok("GET", "v1/features")["totalItems"] == 0


def test_feature_writes_need_permissions(api, pkg, seats):
    assert api.post("v1/features", {"code": "X", "name": "X"}).status_code == 401
    assert api.post(f"v1/packages/{pkg['id']}/features",
                    [{"featureId": seats["id"], "type": "Function"}]).status_code == 401
    assert api.delete(f"v1/features/{seats['id']}").status_code == 401


@pytest.mark.parametrize("body, field", [
    ({"name": "x"}, "code"),
    ({"code": "X", "name": "x", "defaultValue": 1.5}, "defaultValue"),
    ({"code": "X", "name": "x", "helpURL": "not a url"}, "helpURL"),
    ({"code": "X", "name": "x", "status": "On"}, "status"),
])
def test_bad_feature_input_is_400_and_writes_nothing(admin, demo_brand, body, field):
    admin.ok("GET", "v1/features")
    before = stored_count(demo_brand)
    resp = admin.post("v1/features", body)
    assert resp.status_code == 400 and err(resp)["field"] == field
    assert stored_count(demo_brand) == before
