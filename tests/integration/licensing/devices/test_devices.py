"""Devices (JFW §17): registration, links, the package's device limit, soft delete, isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import settings
from tests.helpers.api import Api, register_and_login
from tests.helpers.devices import device_body, package_with_devices, user_id_of
from tests.helpers.tables import assert_unchanged, dump_tables
from tests.helpers.users import admin_of, error_of

T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)


# -- helpers (the shared ones are in tests/helpers/devices.py) -------------------------------------

def links_of(brand: dict, user_id: str) -> dict[str, str]:
    """deviceId -> stored link status."""
    from chalicelib.licensing import devices

    _, links = devices.user_links(brand["id"], user_id)
    return {k: v.status for k, v in links.items()}


def at(moment: datetime) -> None:
    settings.set_clock(lambda: moment)


@pytest.fixture
def alice(api) -> Api:
    return register_and_login(api, "alice")


# -- CRUD ------------------------------------------------------------------------------------------

def test_register_read_update_list_and_soft_delete(admin, alice, demo_brand):
    d = alice.ok("POST", "v1/devices", device_body("LAPTOP-1", isMobileApp=False, tags="work"))
    assert d["code"] == "LAPTOP-1" and d["status"] == "Active" and d["type"] == "Desktop"
    assert d["testMode"] is False and d["id"]
    phone = alice.ok("POST", "v1/devices", device_body("PHONE-1", type="Mobile",
                                                       isMobileApp=True))
    assert admin.ok("GET", f"v1/devices/{d['id']}")["name"] == "Device LAPTOP-1"
    assert admin.ok("GET", "v1/devices/by-code/LAPTOP-1")["id"] == d["id"]
    # The user who registered it sees it; another user does not.
    assert alice.ok("GET", f"v1/devices/{d['id']}")["id"] == d["id"]
    bob = register_and_login(alice.as_(None), "bob")
    assert bob.get(f"v1/devices/{d['id']}").status_code == 404

    changed = alice.ok("PUT", f"v1/devices/{d['id']}", {"name": "My laptop", "tags": "home"})
    assert changed["name"] == "My laptop" and changed["tags"] == "home"
    resp = alice.put(f"v1/devices/{d['id']}", {"name": "x", "status": "Locked"})
    assert resp.status_code == 403  # a device's status is DEVICE.UPDATE's
    assert admin.ok("PUT", f"v1/devices/{d['id']}", {"name": "x", "status": "Locked"})[
        "status"] == "Locked"

    page = admin.ok("GET", "v1/devices?sortDataField=code&sortOrder=asc")
    assert [x["code"] for x in page["items"]] == ["LAPTOP-1", "PHONE-1"]
    assert page["totalItems"] == 2 and page["pageNumber"] == 0
    assert [x["id"] for x in admin.ok("GET", "v1/devices?type=Mobile")["items"]] == [phone["id"]]
    assert [x["id"] for x in admin.ok("GET", "v1/devices?isMobileApp=true")["items"]] == [
        phone["id"]]
    assert [x["id"] for x in admin.ok("GET", "v1/devices?keywords=laptop")["items"]] == [
        d["id"]]
    assert admin.ok("GET", "v1/devices?status=Active")["totalItems"] == 1
    by_codes = "v1/devices/by-list-code?codes[0]=PHONE-1&codes[1]=NOPE&codes[2]=LAPTOP-1"
    assert [x["code"] for x in admin.ok("GET", by_codes)] == ["PHONE-1", "LAPTOP-1"]
    assert bob.ok("GET", by_codes) == []  # not his

    assert admin.ok("DELETE", f"v1/devices/{d['id']}") is True
    assert admin.get(f"v1/devices/{d['id']}").status_code == 404
    assert admin.get("v1/devices/by-code/LAPTOP-1").status_code == 404
    assert admin.ok("GET", "v1/devices")["totalItems"] == 1
    from chalicelib.licensing import models as m

    stored = m.DeviceItem.get(m.device_pk(demo_brand["id"], d["id"]), m.DEVICE_SK)
    assert stored.is_deleted is True  # soft-deleted, kept
    # The code is free again.
    assert alice.ok("POST", "v1/devices", device_body("LAPTOP-1"))["id"] != d["id"]


def test_device_code_is_unique_per_brand(api, alice, demo_brand, other_brand):
    alice.ok("POST", "v1/devices", device_body("SAME"))
    before = dump_tables()
    resp = alice.post("v1/devices", device_body("SAME", name="again"))
    assert resp.status_code == 409
    err = error_of(resp)
    assert err["code"] == "DEVICE_CODE_TAKEN" and err["field"] == "code"
    assert_unchanged(before, "a duplicate device code")
    other = register_and_login(api.as_(None, "other.test"), "olga")
    assert other.ok("POST", "v1/devices", device_body("SAME"))["code"] == "SAME"


def test_bad_device_bodies_are_400_and_write_nothing(alice):
    before = dump_tables()
    for body, field in ((device_body("A", type="Toaster"), "type"),
                        ({k: v for k, v in device_body("A").items() if k != "code"}, "code"),
                        (device_body("has space"), "code"),
                        (device_body("A", status="Deleted"), "status")):
        resp = alice.post("v1/devices", body)
        assert resp.status_code == 400, body
        assert error_of(resp)["field"] == field
    assert_unchanged(before, "bad device bodies")


def test_device_types_constant(api):
    assert api.ok("GET", "v1/constants/device/types") == [
        "ChromeOS", "Desktop", "GoogleSync", "Mobile", "SmartDevice", "Unspecified", "Web"]


# -- links -----------------------------------------------------------------------------------------

def test_link_list_check_and_unlink(admin, alice, demo_brand):
    me = user_id_of(alice)
    d = alice.ok("POST", "v1/devices", device_body("TAB-1"))
    assert alice.ok("POST", f"v1/users/{me}/devices/{d['id']}") is True
    mine = alice.ok("GET", f"v1/users/{me}/devices")
    assert [(x["id"], x["userDeviceStatus"]) for x in mine] == [(d["id"], "Online")]
    assert mine[0]["code"] == "TAB-1" and mine[0]["lastAccessAt"]
    assert alice.ok("GET", f"v1/devices/check-user-access?userId={me}&deviceCode=TAB-1") is True
    assert admin.ok("GET", f"v1/devices/check-user-access?userId={me}&deviceCode=TAB-1") is True
    assert alice.ok("GET", f"v1/devices/check-user-access?userId={me}&deviceCode=NOPE") is False
    assert alice.ok("GET", f"v1/devices?userId={me}")["items"][0]["id"] == d["id"]
    current = alice.ok("GET", "v1/devices/current", headers={"X-Device-Code": "TAB-1"})
    assert current["id"] == d["id"] and current["userDeviceStatus"] == "Online"
    assert alice.get("v1/devices/current").status_code == 400

    assert alice.ok("DELETE", f"v1/users/{me}/devices/{d['id']}") is True
    assert links_of(demo_brand, me) == {d["id"]: "Deleted"}
    assert alice.ok("GET", f"v1/users/{me}/devices") == []
    assert alice.ok("GET", f"v1/devices/check-user-access?userId={me}&deviceCode=TAB-1") is False
    assert alice.get("v1/devices/current", headers={"X-Device-Code": "TAB-1"}).status_code == 404
    resp = alice.delete(f"v1/users/{me}/devices/{d['id']}")
    assert resp.status_code == 404 and error_of(resp)["code"] == "USER_DEVICE_NOT_FOUND"


def test_only_the_user_or_device_update_links_devices(api, admin, alice, demo_brand):
    me = user_id_of(alice)
    d = alice.ok("POST", "v1/devices", device_body("D1"))
    bob = register_and_login(api, "bob")
    before = dump_tables()
    resp = bob.post(f"v1/users/{me}/devices/{d['id']}")
    assert resp.status_code == 403 and error_of(resp)["code"] == "PERMISSION_DENIED"
    assert bob.get(f"v1/users/{me}/devices").status_code == 403
    assert bob.get(f"v1/devices/check-user-access?userId={me}&deviceCode=D1").status_code == 403
    assert bob.get(f"v1/devices?userId={me}").status_code == 403
    assert_unchanged(before, "links refused")
    # An admin (DEVICE.UPDATE) links a device for a user.
    assert admin.ok("POST", f"v1/users/{me}/devices/{d['id']}") is True
    assert admin.ok("GET", f"v1/users/{me}/devices")[0]["id"] == d["id"]
    # Unknown user or device: 404.
    assert admin.post(f"v1/users/nobody/devices/{d['id']}").status_code == 404
    assert admin.post(f"v1/users/{me}/devices/nothing").status_code == 404


def test_a_blocked_or_deleted_device_gives_no_access(admin, alice, demo_brand):
    me = user_id_of(alice)
    d = alice.ok("POST", "v1/devices", device_body("D1"))
    alice.ok("POST", f"v1/users/{me}/devices/{d['id']}")
    check = f"v1/devices/check-user-access?userId={me}&deviceCode=D1"
    admin.ok("PUT", f"v1/devices/{d['id']}", {"name": "D1", "status": "Suspended"})
    assert alice.ok("GET", check) is False
    resp = alice.post(f"v1/users/{me}/devices/{d['id']}")
    assert resp.status_code == 403 and error_of(resp)["code"] == "DEVICE_NOT_ACTIVE"
    admin.ok("PUT", f"v1/devices/{d['id']}", {"name": "D1", "status": "Active"})
    assert alice.ok("GET", check) is True
    assert alice.ok("DELETE", f"v1/devices/{d['id']}") is True  # she registered it
    assert alice.ok("GET", check) is False
    assert alice.ok("GET", f"v1/users/{me}/devices") == []


# -- the device limit ------------------------------------------------------------------------------

def test_a_device_beyond_the_limit_revokes_the_oldest_login(admin, alice, demo_brand):
    package_with_devices(admin, 2)
    me = user_id_of(alice)
    ids = {c: alice.ok("POST", "v1/devices", device_body(c))["id"] for c in ("A", "B", "C")}
    at(T0)
    alice.ok("POST", f"v1/users/{me}/devices/{ids['A']}")
    at(T0 + timedelta(hours=1))
    alice.ok("POST", f"v1/users/{me}/devices/{ids['B']}")
    at(T0 + timedelta(hours=2))
    alice.ok("POST", f"v1/users/{me}/devices/{ids['A']}")  # A logs in again: B is now oldest
    at(T0 + timedelta(hours=3))
    alice.ok("POST", f"v1/users/{me}/devices/{ids['C']}")
    assert links_of(demo_brand, me) == {ids["A"]: "Online", ids["B"]: "Offline",
                                        ids["C"]: "Online"}
    check = f"v1/devices/check-user-access?userId={me}&deviceCode="
    assert [alice.ok("GET", check + c) for c in "ABC"] == [True, False, True]
    listed = {x["code"]: x["userDeviceStatus"] for x in alice.ok("GET", f"v1/users/{me}/devices")}
    assert listed == {"A": "Online", "B": "Offline", "C": "Online"}
    # B logs in again: now A has the oldest login and loses its access.
    at(T0 + timedelta(hours=4))
    alice.ok("POST", f"v1/users/{me}/devices/{ids['B']}")
    assert links_of(demo_brand, me)[ids["A"]] == "Offline"
    assert [alice.ok("GET", check + c) for c in "ABC"] == [False, True, True]


def test_a_smaller_package_keeps_only_the_newest_logins(admin, alice, demo_brand):
    pkg = package_with_devices(admin, 3)
    me = user_id_of(alice)
    for i, c in enumerate("ABC"):
        at(T0 + timedelta(minutes=i))
        d = alice.ok("POST", "v1/devices", device_body(c))
        alice.ok("POST", f"v1/users/{me}/devices/{d['id']}")
    feature = admin.ok("GET", f"v1/packages/{pkg['id']}/features")[0]
    admin.ok("PUT", f"v1/packages/{pkg['id']}/features/{feature['featureId']}",
             {"type": "Limitation", "value": 1})
    check = f"v1/devices/check-user-access?userId={me}&deviceCode="
    assert [alice.ok("GET", check + c) for c in "ABC"] == [False, False, True]


def test_unlimited_and_zero_limits(admin, alice, demo_brand, api):
    package_with_devices(admin, None)
    me = user_id_of(alice)
    made = [alice.ok("POST", "v1/devices", device_body(f"U{i}"))["id"] for i in range(6)]
    for d in made:
        alice.ok("POST", f"v1/users/{me}/devices/{d}")
    assert set(links_of(demo_brand, me).values()) == {"Online"}

    package_with_devices(admin, 0, code="NONE")
    bob = register_and_login(api, "bob")
    d = bob.ok("POST", "v1/devices", device_body("B0"))
    before = dump_tables()
    resp = bob.post(f"v1/users/{user_id_of(bob)}/devices/{d['id']}")
    assert resp.status_code == 403 and error_of(resp)["code"] == "TOO_MANY_DEVICES"
    assert_unchanged(before, "a link a zero limit refuses")


def test_the_feature_code_is_a_brand_setting(admin, alice, demo_brand):
    from chalicelib.identity import access, brands

    package_with_devices(admin, 1, feature_code="SEATS")
    me = user_id_of(alice)
    a, b = (alice.ok("POST", "v1/devices", device_body(c))["id"] for c in "AB")
    alice.ok("POST", f"v1/users/{me}/devices/{a}")
    alice.ok("POST", f"v1/users/{me}/devices/{b}")
    assert set(links_of(demo_brand, me).values()) == {"Online"}  # no DEVICE feature: no limit
    brands.update_setting(demo_brand["id"], {"deviceFeatureCode": "SEATS"})
    access.clear_cache()
    alice.ok("POST", f"v1/users/{me}/devices/{a}")
    assert links_of(demo_brand, me) == {a: "Online", b: "Offline"}



def test_concurrent_links_leave_exactly_the_limit_online(atomic_moto, admin, alice, demo_brand):
    from chalicelib.identity import brands
    from chalicelib.licensing import devices
    from chalicelib.licensing import models as m
    from tests.concurrency import run_jobs

    package_with_devices(admin, 3)
    me = user_id_of(alice)
    made = [alice.ok("POST", "v1/devices", device_body(f"C{i}"))["id"] for i in range(10)]
    brand = brands.get(demo_brand["id"])
    results = run_jobs([(lambda d=d: devices.link(brand, me, d)) for d in made])
    assert all(isinstance(r, dict) for r in results), results
    statuses = links_of(demo_brand, me)
    assert sorted(statuses.values()).count("Online") == 3
    assert sorted(statuses.values()).count("Offline") == 7
    head = m.UserDevicesHeadItem.get(m.user_devices_pk(demo_brand["id"], me), m.HEAD_SK)
    assert int(head.version) == 10 and int(head.online_count) == 3
    revoked = [d for r in results for d in r["revoked"]]
    assert sorted(revoked) == sorted(d for d, s in statuses.items() if s == "Offline")
    check = f"v1/devices/check-user-access?userId={me}&deviceCode="
    assert sum(alice.ok("GET", check + f"C{i}") for i in range(10)) == 3


# -- isolation -------------------------------------------------------------------------------------

def test_another_brands_devices_and_users_are_not_found(api, admin, alice, demo_brand,
                                                        other_brand):
    me = user_id_of(alice)
    d = alice.ok("POST", "v1/devices", device_body("MINE"))
    alice.ok("POST", f"v1/users/{me}/devices/{d['id']}")
    other = admin_of(api, other_brand, "other-admin")
    other_d = other.ok("POST", "v1/devices", device_body("THEIRS"))
    before = dump_tables()
    for method, path in (("GET", f"v1/devices/{d['id']}"), ("GET", "v1/devices/by-code/MINE"),
                         ("PUT", f"v1/devices/{d['id']}"), ("DELETE", f"v1/devices/{d['id']}"),
                         ("POST", f"v1/users/{me}/devices/{other_d['id']}"),
                         ("DELETE", f"v1/users/{me}/devices/{d['id']}"),
                         ("GET", f"v1/users/{me}/devices"),
                         ("GET", f"v1/devices/check-user-access?userId={me}&deviceCode=MINE")):
        body = {"name": "hijack"} if method == "PUT" else None
        resp = other.request(method, path, body)
        assert resp.status_code == 404, (method, path, resp.body)
        error_of(resp)
    assert [x["code"] for x in other.ok("GET", "v1/devices")["items"]] == ["THEIRS"]
    assert_unchanged(before, "brand B reaching for brand A's devices")


# -- who may link (claim) a device -------------------------------------------------------------

SIM = {"phoneNumber": "+1 555 0100", "imei": "490154203237518", "iccid": "8901260000000000001",
       "imsi": "310150123456789"}


def test_another_users_device_cant_be_linked_read_or_renamed(api, admin, alice, demo_brand):
    """The probe: bob linked alice's device by its id and got her phone number, IMEI, ICCID,
    IMSI back. Another user's device is "not found", exactly like a missing one, even when its
    code is presented: nothing is linked, nothing about it is shown."""
    mine = alice.ok("POST", "v1/devices", device_body("ALICE-PHONE", type="Mobile", **SIM))
    bob = register_and_login(api, "bob")
    bob_id = user_id_of(bob)
    before = dump_tables()
    missing = bob.post(f"v1/users/{bob_id}/devices/no-such-device")
    assert missing.status_code == 404
    for headers in ({}, {"X-Device-Code": "ALICE-PHONE"}):
        resp = bob.post(f"v1/users/{bob_id}/devices/{mine['id']}", headers=headers)
        assert resp.status_code == 404, resp.body
        assert error_of(resp) | {"correlationId": None} == (
            error_of(missing) | {"correlationId": None})
        assert not set(SIM.values()) & set(str(resp.body).split('"'))
    assert_unchanged(before, "bob reaching for alice's device")
    for method, path, body in (("GET", f"v1/devices/{mine['id']}", None),
                               ("GET", "v1/devices/by-code/ALICE-PHONE", None),
                               ("PUT", f"v1/devices/{mine['id']}", {"name": "bob's now"})):
        resp = bob.request(method, path, body, headers={"X-Device-Code": "ALICE-PHONE"})
        assert resp.status_code == 404, (method, path, resp.body)
    assert bob.ok("GET", f"v1/users/{bob_id}/devices") == []
    assert bob.ok("GET", "v1/devices")["items"] == []
    assert bob.ok("GET", "v1/devices/by-list-code?codes[0]=ALICE-PHONE") == []
    assert alice.ok("GET", f"v1/devices/{mine['id']}")["name"] == "Device ALICE-PHONE"
    # An admin (DEVICE.UPDATE) may still link it to bob; then bob uses (reads) it.
    admin.ok("POST", f"v1/users/{bob_id}/devices/{mine['id']}")
    assert links_of(demo_brand, bob_id) == {mine["id"]: "Online"}
    assert bob.ok("GET", f"v1/devices/{mine['id']}")["imei"] == SIM["imei"]
    # Renaming stays with the user who registered it (or DEVICE.UPDATE).
    assert bob.put(f"v1/devices/{mine['id']}", {"name": "bob's now"}).status_code == 403
    bob.ok("POST", f"v1/users/{bob_id}/devices/{mine['id']}")  # a login again


def test_a_brand_device_is_linked_from_the_device_itself(api, admin, alice, demo_brand):
    """A device registered by a caller holding DEVICE.CREATE belongs to the brand (a kiosk, a
    shared machine): a user links it by presenting its code in X-Device-Code."""
    kiosk = admin.ok("POST", "v1/devices", device_body("KIOSK-7", **SIM))
    me = user_id_of(alice)
    before = dump_tables()
    for headers in ({}, {"X-Device-Code": "KIOSK-8"}):
        resp = alice.post(f"v1/users/{me}/devices/{kiosk['id']}", headers=headers)
        assert resp.status_code == 404 and error_of(resp)["code"] == "DEVICE_NOT_FOUND"
    assert alice.get("v1/devices/by-code/KIOSK-7").status_code == 404
    assert_unchanged(before, "a brand device without its code")
    # From the device: its code finds its id, and links it.
    found = alice.ok("GET", "v1/devices/by-code/KIOSK-7", headers={"X-Device-Code": "KIOSK-7"})
    assert found["id"] == kiosk["id"]
    alice.ok("POST", f"v1/users/{me}/devices/{kiosk['id']}", headers={"X-Device-Code": "KIOSK-7"})
    assert links_of(demo_brand, me) == {kiosk["id"]: "Online"}
    assert alice.ok("GET", f"v1/devices/{kiosk['id']}")["id"] == kiosk["id"]
    # It stays the brand's: a user neither renames nor deletes it.
    assert alice.put(f"v1/devices/{kiosk['id']}", {"name": "mine"}).status_code == 403
    assert alice.delete(f"v1/devices/{kiosk['id']}").status_code == 403


def test_linking_answers_a_boolean_and_keeps_the_push_token(alice, demo_brand):
    """The SDK's addDeviceToUser: body {token?, session?, tags?, status?}, answer boolean."""
    me = user_id_of(alice)
    d = alice.ok("POST", "v1/devices", device_body("PHONE-9", type="Mobile"))
    assert alice.ok("POST", f"v1/users/{me}/devices/{d['id']}",
                    {"token": "fcm-old", "session": "s-1", "tags": "x",
                     "status": "Online"}) is True
    [linked] = alice.ok("GET", f"v1/users/{me}/devices")
    assert (linked["token"], linked["session"], linked["userDeviceStatus"]) == (
        "fcm-old", "s-1", "Online")
    assert alice.ok("POST", f"v1/users/{me}/devices/{d['id']}") is True  # a login: kept
    assert alice.ok("GET", f"v1/users/{me}/devices")[0]["token"] == "fcm-old"
    resp = alice.post(f"v1/users/{me}/devices/{d['id']}", {"token": "x" * 5000})
    assert resp.status_code == 400 and error_of(resp)["field"] == "token"


def test_refresh_token_replaces_the_push_token_of_the_callers_links(api, alice, demo_brand):
    """The SDK's refreshDeviceToken: POST v1/devices/refresh-token {oldToken, newToken} ->
    boolean; only the caller's own links change."""
    me = user_id_of(alice)
    d = alice.ok("POST", "v1/devices", device_body("PHONE-5", type="Mobile"))
    alice.ok("POST", f"v1/users/{me}/devices/{d['id']}", {"token": "fcm-old"})
    bob = register_and_login(api, "bob")
    other = bob.ok("POST", "v1/devices", device_body("BOB-PHONE"))
    bob.ok("POST", f"v1/users/{user_id_of(bob)}/devices/{other['id']}", {"token": "fcm-old"})
    assert alice.ok("POST", "v1/devices/refresh-token",
                    {"oldToken": "fcm-old", "newToken": "fcm-new"}) is True
    assert alice.ok("GET", f"v1/users/{me}/devices")[0]["token"] == "fcm-new"
    assert bob.ok("GET", f"v1/users/{user_id_of(bob)}/devices")[0]["token"] == "fcm-old"
    before = dump_tables()
    resp = alice.post("v1/devices/refresh-token", {"oldToken": "fcm-old", "newToken": "x"})
    assert resp.status_code == 404 and error_of(resp)["code"] == "DEVICE_TOKEN_NOT_FOUND"
    resp = alice.post("v1/devices/refresh-token", {"oldToken": "fcm-new"})
    assert resp.status_code == 400 and error_of(resp)["field"] == "newToken"
    assert api.post("v1/devices/refresh-token",
                    {"oldToken": "fcm-new", "newToken": "y"}).status_code == 401
    assert_unchanged(before, "refused token refreshes")


# -- statistics ------------------------------------------------------------------------------------

def test_device_statistics_count_registrations_per_day_or_month(api, admin, alice, demo_brand,
                                                                other_brand):
    """The SDK's deviceStatistic: GET v1/devices/statistics?startDate&endDate&typeResponse ->
    [{date, quantity}], one entry per day (DATE) or month (MONTH) of the range, zeros included."""
    day = datetime(2025, 1, 30, 10, tzinfo=UTC)
    for moment, code in ((day, "A"), (day + timedelta(hours=5), "B"),
                         (day + timedelta(days=2), "C"), (day + timedelta(days=40), "D")):
        at(moment)
        alice.ok("POST", "v1/devices", device_body(code))
    deleted = alice.ok("POST", "v1/devices", device_body("E"))  # also on day + 40
    alice.ok("DELETE", f"v1/devices/{deleted['id']}")  # a registration all the same
    at(day)
    admin_of(api, other_brand, "other-admin").ok("POST", "v1/devices", device_body("THEIRS"))
    q = "v1/devices/statistics?startDate=2025-01-29 00:00:00&endDate=2025-02-02 23:59:59"
    assert admin.ok("GET", q + "&typeResponse=DATE") == [
        {"date": "2025-01-29", "quantity": 0}, {"date": "2025-01-30", "quantity": 2},
        {"date": "2025-01-31", "quantity": 0}, {"date": "2025-02-01", "quantity": 1},
        {"date": "2025-02-02", "quantity": 0}]
    q = "v1/devices/statistics?startDate=2025-01-01 00:00:00&endDate=2025-03-31 23:59:59"
    assert admin.ok("GET", q + "&typeResponse=MONTH") == [
        {"date": "2025-01", "quantity": 2}, {"date": "2025-02", "quantity": 1},
        {"date": "2025-03", "quantity": 2}]
    assert alice.get(q).status_code == 403  # DEVICE.READ
    bad = admin.get("v1/devices/statistics?startDate=2025-02-01&endDate=2025-01-01")
    assert bad.status_code == 400 and error_of(bad)["field"] == "endDate"
    bad = admin.get("v1/devices/statistics?startDate=2000-01-01&endDate=2025-01-01")
    assert bad.status_code == 400


def test_unlink_and_current_dont_tell_another_users_device_from_a_missing_one(api, alice):
    mine = alice.ok("POST", "v1/devices", device_body("ALICE-TAB"))
    bob = register_and_login(api, "bob")
    bob_id = user_id_of(bob)

    def answer(method, path, headers=None):
        resp = bob.request(method, path, headers=headers)
        assert resp.status_code == 404, resp.body
        err = error_of(resp)
        return err["code"], err["message"].replace("ALICE-TAB", "X").replace("NOPE", "X")

    assert answer("DELETE", f"v1/users/{bob_id}/devices/{mine['id']}") == answer(
        "DELETE", f"v1/users/{bob_id}/devices/no-such-device")
    assert answer("GET", "v1/devices/current", {"X-Device-Code": "ALICE-TAB"}) == answer(
        "GET", "v1/devices/current", {"X-Device-Code": "NOPE"})
    assert answer("GET", "v1/devices/by-code/ALICE-TAB") == answer("GET", "v1/devices/by-code/NOPE")
