"""POST v1/licenses/validate: valid or not, with a reason code, in a fixed order (Keygen style)."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers.api import register_and_login
from tests.helpers.devices import device_body, package_with_devices
from tests.helpers.licensing import T0, new_license, user_id_of
from tests.helpers.tables import assert_unchanged, dump_tables
from tests.helpers.users import error_of


def validate(api, **body) -> dict:
    return api.ok("POST", "v1/licenses/validate", body)


def code_of(api, **body) -> str:
    return validate(api, **body)["code"]


def test_license_codes_unused_not_started_expired_inactive(api, admin, shop, clock,
                                                           other_brand):
    assert validate(api, licenseCode="NO-SUCH-CODE") == {
        "valid": False, "code": "NOT_FOUND", "detail": "No license has this code in this brand."}
    fresh = new_license(admin, shop["pro"])[0]
    answer = validate(api, licenseCode=fresh["code"])
    assert answer["valid"] is True and answer["code"] == "VALID"
    assert answer["license"]["id"] == fresh["id"] and "userId" not in answer
    assert validate(admin, licenseCode=fresh["code"])["userId"] is None  # unused: no user
    later = new_license(admin, shop["pro"], start=T0 + timedelta(days=5),
                        end=T0 + timedelta(days=50))[0]
    assert code_of(api, licenseCode=later["code"]) == "NOT_STARTED"
    short = new_license(admin, shop["pro"], end=T0 + timedelta(days=2))[0]
    clock.move(days=3)
    assert code_of(api, licenseCode=short["code"]) == "EXPIRED"
    off = new_license(admin, shop["pro"])[0]
    admin.ok("PUT", f"v1/licenses/{off['id']}/deactivate")
    assert code_of(api, licenseCode=off["code"]) == "INACTIVE"
    # Codes are per brand: another brand's app gets NOT_FOUND.
    assert code_of(api.as_(None, "other.test"), licenseCode=fresh["code"]) == "NOT_FOUND"


def test_an_applied_license_is_valid_until_its_package_ends(api, admin, alice, shop, clock):
    from chalicelib.licensing import jobs

    lic = new_license(admin, shop["pro"])[0]
    alice.ok("POST", f"v1/licenses/apply?licenseCode={lic['code']}")
    answer = validate(admin, licenseCode=lic["code"])
    assert answer["code"] == "VALID" and answer["userId"] == user_id_of(alice)
    assert answer["expiryDate"] == (T0 + timedelta(days=30)).isoformat().replace("+00:00", "Z")
    mine = validate(api, authKey=alice.auth_key)
    assert (mine["code"], mine["packageId"], mine["packageCode"]) == ("VALID", shop["pro"], "PRO")
    clock.move(days=31)  # expired, before the expiry job has run
    assert code_of(api, licenseCode=lic["code"]) == "EXPIRED"
    assert code_of(api, authKey=alice.auth_key) == "EXPIRED"
    jobs.run_expiry()  # the user is back on the default package
    assert code_of(api, licenseCode=lic["code"]) == "EXPIRED"
    back = validate(api, authKey=alice.auth_key)
    assert (back["code"], back["packageCode"]) == ("VALID", "BASIC")


def test_a_refunded_license_is_suspended(api, admin, alice, shop, clock, demo_brand):
    from chalicelib.licensing import fulfilment

    lic = new_license(admin, shop["pro"])[0]
    alice.ok("POST", f"v1/licenses/apply?licenseCode={lic['code']}")
    fulfilment.revoke_license(demo_brand["id"], lic["id"])
    answer = validate(api, licenseCode=lic["code"])
    assert answer["code"] == "SUSPENDED" and "refunded" in answer["detail"]


def test_users_by_auth_key_or_by_an_admin(api, admin, alice, shop, clock, demo_brand):
    me = user_id_of(alice)
    assert code_of(api, authKey=alice.auth_key) == "VALID"  # the default package, BASIC
    assert code_of(api, authKey=alice.auth_key, userId=me) == "VALID"
    assert code_of(api, authKey=alice.auth_key, userId="someone-else") == "NOT_FOUND"
    assert code_of(api, authKey="a.b.c") == "NOT_FOUND"
    # userId alone needs USER.READ on the caller's own Auth-Key.
    resp = alice.post("v1/licenses/validate", {"userId": me})
    assert resp.status_code == 403 and error_of(resp)["code"] == "PERMISSION_DENIED"
    assert code_of(admin, userId=me) == "VALID"
    admin.ok("POST", f"v1/users/{me}/suspend")
    assert code_of(admin, userId=me) == "SUSPENDED"
    assert code_of(api, authKey=alice.auth_key) == "NOT_FOUND"  # suspending ended the session
    assert code_of(admin, userId="nobody") == "NOT_FOUND"


def test_no_package_when_the_brand_has_no_default(api, clock):
    bob = register_and_login(api, "bob")
    answer = validate(api, authKey=bob.auth_key)
    assert (answer["valid"], answer["code"], answer["packageId"]) == (False, "NO_PACKAGE", None)


def test_device_checks_come_last(api, admin, alice, shop, clock, demo_brand):
    from chalicelib.catalog import service

    me = user_id_of(alice)
    # PRO allows one device.
    feature = service.create_feature(demo_brand["id"], {"code": "DEVICE", "name": "Devices"})
    service.add_package_features(demo_brand["id"], shop["pro"], [
        {"featureId": feature["id"], "type": "Limitation", "value": 1}])
    lic = new_license(admin, shop["pro"], end=T0 + timedelta(days=400))[0]
    alice.ok("POST", f"v1/licenses/apply?licenseCode={lic['code']}")
    one, two = (alice.ok("POST", "v1/devices", device_body(c))["id"] for c in ("ONE", "TWO"))
    alice.ok("POST", f"v1/users/{me}/devices/{one}")
    assert code_of(api, licenseCode=lic["code"], deviceCode="ONE") == "VALID"
    assert code_of(api, licenseCode=lic["code"], fingerprint="ONE") == "VALID"
    assert code_of(api, authKey=alice.auth_key, deviceCode="ONE") == "VALID"
    assert code_of(api, licenseCode=lic["code"], deviceCode="TWO") == "DEVICE_NOT_LINKED"
    assert code_of(api, licenseCode=lic["code"], deviceCode="NONE") == "DEVICE_NOT_LINKED"
    clock.move(minutes=5)
    alice.ok("POST", f"v1/users/{me}/devices/{two}")  # one device allowed: ONE loses access
    answer = validate(api, licenseCode=lic["code"], deviceCode="ONE")
    assert answer["code"] == "TOO_MANY_DEVICES" and "oldest login" in answer["detail"]
    assert code_of(api, authKey=alice.auth_key, deviceCode="TWO") == "VALID"
    admin.ok("PUT", f"v1/devices/{two}", {"name": "two", "status": "Locked"})
    assert code_of(api, authKey=alice.auth_key, deviceCode="TWO") == "SUSPENDED"
    # An unused license has no user, so no device is linked to it.
    spare = new_license(admin, shop["pro"])[0]
    assert code_of(api, licenseCode=spare["code"], deviceCode="TWO") == "DEVICE_NOT_LINKED"
    # The order: the package's end is reported before any device problem.
    clock.move(days=31)
    assert code_of(api, licenseCode=lic["code"], deviceCode="NONE") == "EXPIRED"


def test_the_default_package_limit_applies_to_users_without_a_license(api, admin, alice, clock,
                                                                      demo_brand):
    package_with_devices(admin, 1)
    me = user_id_of(alice)
    a, b = (alice.ok("POST", "v1/devices", device_body(c))["id"] for c in "AB")
    alice.ok("POST", f"v1/users/{me}/devices/{a}")
    clock.move(minutes=1)
    alice.ok("POST", f"v1/users/{me}/devices/{b}")
    assert code_of(api, authKey=alice.auth_key, deviceCode="A") == "TOO_MANY_DEVICES"
    assert code_of(api, authKey=alice.auth_key, deviceCode="B") == "VALID"


def test_bad_validate_bodies_are_400_and_write_nothing(api, alice, clock):
    before = dump_tables()
    for body in ({}, {"licenseCode": "X", "authKey": alice.auth_key},
                 {"licenseCode": "X", "deviceCode": "A", "fingerprint": "B"},
                 {"licenseCode": 12}, {"licenseCode": "X", "deviceCode": "has space"}):
        resp = api.post("v1/licenses/validate", body)
        assert resp.status_code == 400, (body, resp.body)
        assert error_of(resp)["code"] == "VALIDATION_ERROR"
    assert_unchanged(before, "bad validate bodies")


# -- what an anonymous caller is told, and how often ------------------------------------------

PRIVATE_LICENSE_FIELDS = {"usedByUserId", "usedByUserCode", "ownerUserId", "paymentId",
                          "createdBy", "source", "sourceId", "refLicense", "tags", "description"}
# The SDK's ILicense: what the public license must still carry.
ILICENSE_REQUIRED = {"id", "packageId", "subscriptionTypeId", "code", "type", "amount",
                     "currencyCode", "status", "testMode"}


def test_anonymous_callers_get_what_an_app_needs_and_no_ids_of_people(api, admin, alice, shop,
                                                                      clock, demo_brand):
    from chalicelib.catalog import service

    feature = service.create_feature(demo_brand["id"], {"code": "SEATS", "name": "Seats"})
    service.add_package_features(demo_brand["id"], shop["pro"], [
        {"featureId": feature["id"], "type": "Limitation", "value": 5}])
    lic = new_license(admin, shop["pro"], description="for alice's team", tags="vip")[0]
    alice.ok("POST", f"v1/licenses/apply?licenseCode={lic['code']}")
    me = user_id_of(alice)
    answer = validate(api, licenseCode=lic["code"])
    assert (answer["valid"], answer["code"], answer["packageId"], answer["packageCode"]) == (
        True, "VALID", shop["pro"], "PRO")
    assert answer["expiryDate"] == (T0 + timedelta(days=30)).isoformat().replace("+00:00", "Z")
    assert answer["features"] == [{"code": "SEATS", "type": "Limitation", "value": 5,
                                   "isUnlimited": False}]
    assert "userId" not in answer and me not in str(answer)
    assert ILICENSE_REQUIRED <= set(answer["license"])
    assert not PRIVATE_LICENSE_FIELDS & set(answer["license"]), answer["license"]
    by_key = validate(api, authKey=alice.auth_key)
    assert (by_key["code"], by_key["packageCode"], by_key["features"][0]["code"]) == (
        "VALID", "PRO", "SEATS")
    assert "userId" not in by_key
    # alice herself (an Auth-Key without LICENSE.READ) is told the same.
    assert "userId" not in validate(alice, licenseCode=lic["code"])
    # A caller holding LICENSE.READ keeps the full details.
    full = validate(admin, licenseCode=lic["code"])
    assert full["userId"] == me and full["license"]["usedByUserId"] == me
    assert full["license"]["description"] == "for alice's team"
    assert validate(admin, userId=me)["userId"] == me


def test_anonymous_validation_is_rate_limited_per_ip_and_per_brand(api, admin, clock,
                                                                   other_brand, monkeypatch):
    from chalice.local import LambdaEventConverter

    from chalicelib import settings

    monkeypatch.setattr(settings, "_settings", settings.get()._replace(
        validate_per_ip_per_minute=3, validate_per_brand_per_minute=5))
    for _ in range(3):
        assert code_of(api, licenseCode="NOPE") == "NOT_FOUND"
    resp = api.post("v1/licenses/validate", {"licenseCode": "NOPE"})
    assert resp.status_code == 429 and error_of(resp)["code"] == "TOO_MANY_VALIDATIONS"
    assert 1 <= int(resp.headers["Retry-After"]) <= 61
    assert code_of(admin, licenseCode="NOPE") == "NOT_FOUND"  # an Auth-Key is not throttled
    # Another address has its own allowance, until the brand's is spent.
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "203.0.113.7")
    assert code_of(api, licenseCode="NOPE") == "NOT_FOUND"
    assert code_of(api, licenseCode="NOPE") == "NOT_FOUND"
    monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", "198.51.100.9")
    assert api.post("v1/licenses/validate", {"licenseCode": "NOPE"}).status_code == 429
    # Another brand is not affected, and a minute later the window is fresh.
    assert code_of(api.as_(None, "other.test"), licenseCode="NOPE") == "NOT_FOUND"
    clock.move(seconds=61)
    assert code_of(api, licenseCode="NOPE") == "NOT_FOUND"
