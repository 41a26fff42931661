"""Packages (v1/packages): CRUD, exactly one default, code uniqueness, references, visibility."""

from __future__ import annotations

import pytest

from tests.helpers.api import login, make_user, register_and_login


def stored(brand: dict) -> list:
    """Every stored item of the brand's catalogue partition (deleted ones included)."""
    from chalicelib.catalog.models import CatalogEntry, cat_pk

    return list(CatalogEntry.query(cat_pk(brand["id"])))


def stored_packages(brand: dict) -> dict:
    from chalicelib.catalog.models import PackageItem

    return {i.code: i for i in stored(brand) if isinstance(i, PackageItem)}


def head(brand: dict):
    from chalicelib.catalog.models import CatalogHead

    return next(i for i in stored(brand) if isinstance(i, CatalogHead))


def err(resp) -> dict:
    return resp.json_body["errors"][0]


def test_package_crud(admin, api, demo_brand):
    created = admin.ok("POST", "v1/packages", {
        "code": "GOLD", "name": "Gold", "description": "The good one", "tags": "a,b",
        "imageURL": "https://cdn.example.com/gold.png", "zOrder": 3, "tier": 2})
    assert created["code"] == "GOLD" and created["name"] == "Gold"
    assert created["tier"] == 2 and created["zOrder"] == 3 and created["isFree"] is False
    assert created["status"] == "Active" and created["features"] == [] and created["prices"] == []
    pid = created["id"]
    assert api.ok("GET", f"v1/packages/{pid}")["description"] == "The good one"

    updated = admin.ok("PUT", f"v1/packages/{pid}", {"code": "GOLD", "name": "Gold Plus",
                                                      "description": None})
    assert updated["name"] == "Gold Plus" and updated["description"] is None
    assert updated["tags"] == "a,b"  # left out: kept
    assert stored_packages(demo_brand)["GOLD"].name == "Gold Plus"

    silver_id = admin.ok("POST", "v1/packages", {"code": "SILVER", "name": "Silver"})["id"]
    assert admin.ok("DELETE", f"v1/packages/{silver_id}") is True
    listed = api.ok("GET", "v1/packages")
    assert [p["code"] for p in listed] == ["GOLD"]
    silver = stored_packages(demo_brand)["SILVER"]
    assert silver.is_deleted is True  # soft delete: the item stays
    resp = api.get(f"v1/packages/{silver.id}")
    assert resp.status_code == 404 and err(resp)["code"] == "PACKAGE_NOT_FOUND"
    assert admin.delete(f"v1/packages/{silver.id}").status_code == 404
    # The code of a deleted package is free again.
    assert admin.ok("POST", "v1/packages", {"code": "silver", "name": "Silver 2"})["code"] == \
        "silver"


def test_first_active_package_becomes_the_default_and_a_new_default_unsets_the_old(
        admin, demo_brand):
    free = admin.ok("POST", "v1/packages", {"code": "FREE", "name": "Free", "isFree": True})
    assert free["isDefault"] is True  # a brand always has a package to fall back to
    pro = admin.ok("POST", "v1/packages", {"code": "PRO", "name": "Pro"})
    assert pro["isDefault"] is False
    team = admin.ok("POST", "v1/packages", {"code": "TEAM", "name": "Team", "isDefault": True})
    assert team["isDefault"] is True
    pkgs = stored_packages(demo_brand)
    assert [c for c, p in pkgs.items() if p.is_default] == ["TEAM"]
    assert head(demo_brand).default_package_id == team["id"]

    admin.ok("PUT", f"v1/packages/{free['id']}", {"code": "FREE", "name": "Free",
                                                   "isDefault": True})
    pkgs = stored_packages(demo_brand)
    assert [c for c, p in pkgs.items() if p.is_default] == ["FREE"]
    assert head(demo_brand).default_package_id == free["id"]
    from chalicelib.catalog import service

    assert service.default_package(demo_brand["id"])["code"] == "FREE"


def test_the_default_cannot_be_unset_deactivated_or_deleted(admin, demo_brand):
    free = admin.ok("POST", "v1/packages", {"code": "FREE", "name": "Free"})
    pid = free["id"]
    before = {i.sk: i.attribute_values for i in stored(demo_brand)}
    for body in ({"code": "FREE", "name": "Free", "isDefault": False},
                 {"code": "FREE", "name": "Free", "status": "Inactive"}):
        resp = admin.put(f"v1/packages/{pid}", body)
        assert resp.status_code == 409, body
        assert err(resp)["code"] == "PACKAGE_IS_DEFAULT"
        assert "make another package the default first" in err(resp)["message"]
    resp = admin.delete(f"v1/packages/{pid}")
    assert resp.status_code == 409 and err(resp)["code"] == "PACKAGE_IS_DEFAULT"
    assert {i.sk: i.attribute_values for i in stored(demo_brand)} == before
    # An inactive package can't be made the default either.
    resp = admin.post("v1/packages", {"code": "X", "name": "X", "status": "Inactive",
                                      "isDefault": True})
    assert resp.status_code == 400
    off = admin.ok("POST", "v1/packages", {"code": "OFF", "name": "Off", "status": "Inactive"})
    assert off["isDefault"] is False
    resp = admin.put(f"v1/packages/{off['id']}", {"code": "OFF", "name": "Off",
                                                   "isDefault": True})
    assert resp.status_code == 409
    assert head(demo_brand).default_package_id == pid


def test_codes_are_unique_per_brand_case_insensitively(admin, api, demo_brand, other_brand):
    admin.ok("POST", "v1/packages", {"code": "GOLD", "name": "Gold"})
    resp = admin.post("v1/packages", {"code": "gold", "name": "Other gold"})
    assert resp.status_code == 409
    assert err(resp) | {"correlationId": None} == {
        "code": "PACKAGE_CODE_TAKEN", "field": "code", "correlationId": None,
        "message": "A package with the code 'gold' already exists in this brand."}
    silver = admin.ok("POST", "v1/packages", {"code": "SILVER", "name": "Silver"})
    resp = admin.put(f"v1/packages/{silver['id']}", {"code": "Gold", "name": "Silver"})
    assert resp.status_code == 409
    assert sorted(stored_packages(demo_brand)) == ["GOLD", "SILVER"]
    # Renaming frees the old code.
    admin.ok("PUT", f"v1/packages/{silver['id']}", {"code": "SILVER2", "name": "Silver"})
    admin.ok("POST", "v1/packages", {"code": "SILVER", "name": "New silver"})
    # Another brand has its own codes.
    make_user(other_brand, "otherboss", "Admin")
    other = login(api.as_(brand_url="other.test"), "otherboss")
    assert other.ok("POST", "v1/packages", {"code": "GOLD", "name": "Gold"})["code"] == "GOLD"


def test_delete_is_refused_while_prices_refer_to_the_package(admin, demo_brand):
    free = admin.ok("POST", "v1/packages", {"code": "FREE", "name": "Free"})
    pro = admin.ok("POST", "v1/packages", {"code": "PRO", "name": "Pro"})
    admin.ok("POST", "v1/prices", {"packageId": pro["id"], "subscriptionTypeId": "D30",
                                   "code": "PRO-M", "name": "Pro monthly", "amount": 9.99,
                                   "currency": "USD"})
    price = admin.ok("POST", "v1/prices", {"packageId": pro["id"], "pricingModel": "OneTime",
                                           "code": "PRO-LIFE", "name": "Pro forever",
                                           "amount": 199, "currency": "USD"})
    resp = admin.delete(f"v1/packages/{pro['id']}")
    assert resp.status_code == 409 and err(resp)["code"] == "PACKAGE_IN_USE"
    assert "price 'PRO-M'" in err(resp)["message"] and "PRO-LIFE" in err(resp)["message"]
    assert stored_packages(demo_brand)["PRO"].is_deleted is False
    for p in admin.ok("GET", f"v1/packages/{pro['id']}/prices"):
        admin.ok("DELETE", f"v1/prices/{p['id']}")
    assert admin.ok("DELETE", f"v1/packages/{pro['id']}") is True
    assert stored_packages(demo_brand)["PRO"].is_deleted is True
    assert admin.get(f"v1/prices/{price['id']}").status_code == 404
    assert free["isDefault"] is True


def test_free_packages_have_no_paid_prices(admin, demo_brand):
    admin.ok("POST", "v1/packages", {"code": "BASE", "name": "Base"})
    free = admin.ok("POST", "v1/packages", {"code": "FREE", "name": "Free", "isFree": True})
    resp = admin.post("v1/prices", {"packageId": free["id"], "subscriptionTypeId": "D30",
                                    "code": "F1", "name": "Free", "amount": 1,
                                    "currency": "USD"})
    assert resp.status_code == 400 and err(resp)["code"] == "FREE_PACKAGE_PRICE"
    zero = admin.ok("POST", "v1/prices", {"packageId": free["id"], "subscriptionTypeId": "D30",
                                          "code": "F0", "name": "Free", "amount": 0,
                                          "currency": "USD"})
    assert zero["amount"] == 0
    pro = admin.ok("POST", "v1/packages", {"code": "PRO", "name": "Pro"})
    admin.ok("POST", "v1/prices", {"packageId": pro["id"], "subscriptionTypeId": "D30",
                                   "code": "P1", "name": "Pro", "amount": 5, "currency": "USD"})
    resp = admin.put(f"v1/packages/{pro['id']}", {"code": "PRO", "name": "Pro", "isFree": True})
    assert resp.status_code == 409 and err(resp)["code"] == "FREE_PACKAGE_HAS_PRICES"
    assert "P1" in err(resp)["message"]
    assert stored_packages(demo_brand)["PRO"].is_free is False


def test_anonymous_callers_read_active_packages_and_cannot_write(admin, api, demo_brand):
    admin.ok("POST", "v1/packages", {"code": "ON", "name": "On"})
    off = admin.ok("POST", "v1/packages", {"code": "OFF", "name": "Off", "status": "Inactive"})
    assert [p["code"] for p in api.ok("GET", "v1/packages")] == ["ON"]
    assert api.get(f"v1/packages/{off['id']}").status_code == 404
    assert sorted(p["code"] for p in admin.ok("GET", "v1/packages")) == ["OFF", "ON"]
    assert admin.ok("GET", f"v1/packages/{off['id']}")["status"] == "Inactive"
    resp = api.post("v1/packages", {"code": "X", "name": "X"})
    assert resp.status_code == 401
    user = register_and_login(api, "enduser")
    assert [p["code"] for p in user.ok("GET", "v1/packages")] == ["ON"]
    resp = user.post("v1/packages", {"code": "X", "name": "X"})
    assert resp.status_code == 403 and "PACKAGE.CREATE" in err(resp)["message"]
    assert user.delete(f"v1/packages/{off['id']}").status_code == 403
    assert sorted(stored_packages(demo_brand)) == ["OFF", "ON"]


def test_another_brand_gets_404(admin, api, demo_brand, other_brand):
    pkg = admin.ok("POST", "v1/packages", {"code": "GOLD", "name": "Gold"})
    other_api = api.as_(brand_url="other.test")
    assert other_api.get(f"v1/packages/{pkg['id']}").status_code == 404
    assert other_api.ok("GET", "v1/packages") == []
    make_user(other_brand, "otherboss", "Admin")
    other = login(other_api, "otherboss")
    for method, body in (("PUT", {"code": "GOLD", "name": "Mine"}), ("DELETE", None)):
        resp = other.request(method, f"v1/packages/{pkg['id']}", body)
        assert resp.status_code == 404, method
    assert other.get(f"v1/packages/{pkg['id']}/features").status_code == 404
    assert other.get(f"v1/packages/{pkg['id']}/prices").status_code == 404
    assert stored_packages(demo_brand)["GOLD"].name == "Gold"


@pytest.mark.parametrize("body, field", [
    ({"name": "No code"}, "code"),
    ({"code": "", "name": "Empty"}, "code"),
    ({"code": "has#hash", "name": "x"}, "code"),
    ({"code": "OK"}, "name"),
    ({"code": "OK", "name": "x", "status": "Deleted"}, "status"),
    ({"code": "OK", "name": "x", "zOrder": "first"}, "zOrder"),
    ({"code": "OK", "name": "x", "tier": -1}, "tier"),
    ({"code": "OK", "name": "x", "imageURL": "ftp://x"}, "imageURL"),
])
def test_bad_package_input_is_400_and_writes_nothing(admin, demo_brand, body, field):
    admin.ok("GET", "v1/packages")  # seeds the catalogue
    before = len(stored(demo_brand))
    resp = admin.post("v1/packages", body)
    assert resp.status_code == 400
    assert err(resp)["field"] == field
    assert len(stored(demo_brand)) == before


def test_bad_json_and_put_of_unknown_package(admin, demo_brand):
    resp = admin.post("v1/packages", raw=b"{not json")
    assert resp.status_code == 400 and err(resp)["code"] == "MALFORMED_JSON"
    resp = admin.put("v1/packages/nope", {"code": "A", "name": "A"})
    assert resp.status_code == 404
    assert stored_packages(demo_brand) == {}


def test_list_filters_and_sorting(admin, api):
    admin.ok("POST", "v1/packages", {"code": "B", "name": "Beta", "zOrder": 2, "tags": "team"})
    admin.ok("POST", "v1/packages", {"code": "A", "name": "Alpha", "zOrder": 3,
                                     "description": "for solo users"})
    admin.ok("POST", "v1/packages", {"code": "C", "name": "Gamma", "zOrder": 1,
                                     "status": "Inactive"})

    def codes(**q):
        qs = "&".join(f"{k}={v}" for k, v in q.items())
        return [p["code"] for p in admin.ok("GET", "v1/packages" + (f"?{qs}" if qs else ""))]

    assert codes() == ["C", "B", "A"]  # zOrder ascending by default
    assert codes(sortDataField="zOrder") == ["A", "B", "C"]  # explicit sort: desc by default
    assert codes(sortDataField="zOrder", sortOrder="asc") == ["C", "B", "A"]
    assert codes(status="Active") == ["B", "A"]
    assert codes(isDefault="true") == ["B"]
    assert codes(name="alp") == ["A"]
    assert codes(tags="team") == ["B"]
    assert codes(keywords="solo") == ["A"]
    resp = admin.get("v1/packages?sortDataField=price")
    assert resp.status_code == 400 and err(resp)["field"] == "sortDataField"
    assert api.ok("GET", "v1/packages?status=Inactive") == []  # anonymous: Active only


def test_deleting_a_package_drops_its_feature_links(admin, demo_brand):
    admin.ok("POST", "v1/packages", {"code": "BASE", "name": "Base"})
    pkg = admin.ok("POST", "v1/packages", {"code": "PRO", "name": "Pro"})
    feat = admin.ok("POST", "v1/features", {"code": "SEATS", "name": "Seats"})
    admin.ok("POST", f"v1/packages/{pkg['id']}/features",
             [{"featureId": feat["id"], "type": "Limitation", "value": 3}])
    assert admin.delete(f"v1/features/{feat['id']}").status_code == 409
    admin.ok("DELETE", f"v1/packages/{pkg['id']}")
    assert admin.ok("GET", f"v1/features/{feat['id']}/packages") == []
    assert admin.ok("DELETE", f"v1/features/{feat['id']}") is True
