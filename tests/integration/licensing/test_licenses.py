"""License codes and v1/licenses: create in bulk, read, list with JFW's filters, change,
activate/deactivate rules, delete, check, constants; cross-brand 404; bad input writes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

from chalicelib import settings
from chalicelib.licensing import codes
from chalicelib.licensing import models as m
from tests.helpers.api import register_and_login
from tests.helpers.catalog import with_literals
from tests.helpers.licensing import T0, licensing_items, new_license
from tests.helpers.tables import assert_unchanged, dump_tables

CODE = re.compile(r"^DEMOPD30C[A-Z0-9]{6}$")  # brand DEMO, package PRO, type D30, March


def test_generate_code_follows_jfws_format_and_is_not_stored(admin, shop, clock):
    seen = set()
    for _ in range(50):
        code = admin.ok("GET", f"v1/licenses/generate-code?packageId={shop['pro']}"
                               "&subscriptionTypeId=D30")
        assert CODE.match(code), code
        seen.add(code)
    assert len(seen) == 50  # random part from the CSPRNG
    september = admin.ok("GET", f"v1/licenses/generate-code?packageId={shop['gold']}"
                                "&subscriptionTypeId=D90&startDate=2031-09-02T00:00:00Z")
    assert re.match(r"^DEMOGD90I[A-Z0-9]{6}$", september)
    assert licensing_items(m.LicenseItem) == [] and licensing_items(m.LicenseCodeItem) == []


def test_month_letters_run_a_to_l():
    assert [codes.month_letter(T0.replace(month=i)) for i in range(1, 13)] == list("ABCDEFGHIJKL")


def test_bulk_create_gives_each_license_a_unique_code(admin, shop, clock):
    created = new_license(admin, shop["pro"], quantity=120, description="batch one",
                          tags="promo")
    assert len(created) == 120
    assert len({x["code"] for x in created}) == 120
    assert all(CODE.match(x["code"]) for x in created)
    one = created[0]
    assert one["status"] == "Active" and one["type"] == "Normal"
    assert one["amount"] == 10.0 and one["currencyCode"] == "USD"
    assert one["createdBy"] == admin.ok("GET", "v1/users/me")["code"]
    assert admin.ok("GET", "v1/licenses/count") == {"countSuccess": 120}
    assert len(licensing_items(m.LicenseCodeItem)) == 120


def test_a_code_taken_by_another_license_is_refused_and_a_colliding_random_one_retried(
        admin, shop, clock, monkeypatch):
    new_license(admin, shop["pro"], code="summer-2030")
    body = {"packageId": shop["pro"], "subscriptionTypeId": "D30", "amount": 1,
            "currencyCode": "USD", "startDate": T0.isoformat(),
            "endDate": (T0 + timedelta(days=9)).isoformat(), "code": "SUMMER-2030"}
    resp = admin.post("v1/licenses", body)
    assert resp.status_code == 409 and resp.json_body["errors"][0]["code"] == "LICENSE_CODE_TAKEN"
    assert len(licensing_items(m.LicenseItem)) == 1
    # The random part collides twice with an existing code, then is free: still one each.
    taken = licensing_items(m.LicenseItem)[0].code
    parts = iter([taken[-6:]] * 0 + ["AAAAAA", "AAAAAA", "BBBBBB"])
    monkeypatch.setattr(codes, "random_part", lambda: next(parts))
    new_license(admin, shop["pro"])
    new_license(admin, shop["pro"])
    got = sorted(i.code[-6:] for i in licensing_items(m.LicenseItem) if i.code != "SUMMER-2030")
    assert got == ["AAAAAA", "BBBBBB"]


def test_get_update_delete_and_cross_brand_404(api, admin, shop, clock, other_brand):
    lic = new_license(admin, shop["pro"])[0]
    assert admin.ok("GET", f"v1/licenses/{lic['id']}")["code"] == lic["code"]
    body = {"packageId": shop["gold"], "subscriptionTypeId": "D90", "amount": "12.50",
            "currencyCode": "EUR", "startDate": T0.isoformat(),
            "endDate": (T0 + timedelta(days=30)).isoformat(), "description": "changed",
            "tags": "x", "testMode": True}
    changed = admin.ok("PUT", f"v1/licenses/{lic['id']}", body)
    assert (changed["packageId"], changed["subscriptionTypeId"], changed["amount"],
            changed["currencyCode"], changed["testMode"]) == (shop["gold"], "D90", 12.5, "EUR",
                                                              True)
    assert changed["duration"] == {"unit": "Day", "quantity": 90}
    # Another brand's admin sees nothing of it.
    from tests.helpers.api import login, make_user

    make_user(other_brand, "otherboss", "Admin")
    other = login(api.as_(None, "other.test"), "otherboss")
    for method, path in (("GET", ""), ("PUT", ""), ("DELETE", ""), ("PUT", "/activate"),
                         ("PUT", "/deactivate")):
        resp = other.request(method, f"v1/licenses/{lic['id']}{path}",
                             body if method == "PUT" and not path else None)
        assert resp.status_code == 404, (method, path, resp.body)
    assert other.ok("GET", "v1/licenses")["totalItems"] == 0
    assert other.ok("GET", f"v1/licenses/check?licenseCode={lic['code']}") is False
    assert admin.ok("DELETE", f"v1/licenses/{lic['id']}") is True
    assert admin.get(f"v1/licenses/{lic['id']}").status_code == 404
    assert admin.ok("GET", "v1/licenses")["totalItems"] == 0
    # Its code stays taken.
    resp = admin.post("v1/licenses", {**body, "code": lic["code"]})
    assert resp.status_code == 409


def test_list_filters_sorting_and_paging(api, admin, alice, shop, clock):
    pro = new_license(admin, shop["pro"], quantity=3, tags="spring", description="pro batch")
    gold = new_license(admin, shop["gold"], subtype="D90", quantity=2, type="Prepaid",
                       amount=50)
    later = new_license(admin, shop["gold"], start=T0 + timedelta(days=5),
                        end=T0 + timedelta(days=9))
    assert admin.ok("POST", "v1/licenses/apply-to-user",
                    {"licenseCode": pro[0]["code"], "userId": alice.ok("GET", "v1/users/me")[
                        "id"]}) is True

    def ids(query: str) -> set[str]:
        return {x["id"] for x in admin.ok("GET", f"v1/licenses?{query}")["items"]}

    assert ids(f"packageId={shop['pro']}") == {x["id"] for x in pro}
    assert ids("subscriptionTypeId=D90") == {x["id"] for x in gold}
    assert ids("type=Prepaid") == {x["id"] for x in gold}
    assert ids("status=NotStarted") == {later[0]["id"]}
    assert ids("status=Used") == ids("isUsed=true") == {pro[0]["id"]}
    assert len(ids("isUsed=false")) == 5
    alice_code = alice.ok("GET", "v1/users/me")["code"]
    assert ids(f"usedBy={alice_code}") == {pro[0]["id"]}
    assert ids(f"usedDate={T0.date().isoformat()}T08:00:00Z") == {pro[0]["id"]}
    assert ids(f"licenseCode={pro[1]['code'][-6:].lower()}") == {pro[1]["id"]}
    assert ids("tags=spring") == ids("keywords=pro%20batch") == {x["id"] for x in pro}
    assert ids("sourceId=Manual") == ids("") and len(ids("")) == 6
    assert ids(f"startDate={T0 + timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}") == {later[0]["id"]}
    assert ids(f"endDate={T0 + timedelta(days=10):%Y-%m-%dT%H:%M:%SZ}") == {later[0]["id"]}
    boss_code = admin.ok("GET", "v1/users/me")["code"]
    assert len(ids(f"createdBy={boss_code}")) == 6
    amounts = [x["amount"] for x in admin.ok(
        "GET", "v1/licenses?sortDataField=amount&sortOrder=desc")["items"]]
    assert amounts == sorted(amounts, reverse=True) and amounts[0] == 50
    paged = admin.ok("GET", "v1/licenses?pageSize=4&pageNumber=1")
    assert paged["totalItems"] == 6 and len(paged["items"]) == 2 and paged["pageNumber"] == 1
    assert admin.ok("GET", "v1/licenses/count?type=Prepaid") == {"countSuccess": 2}


def test_activate_and_deactivate_follow_jfws_rules(admin, alice, shop, clock):
    start, end = T0 + timedelta(days=3), T0 + timedelta(days=13)
    lic = new_license(admin, shop["pro"], start=start, end=end)[0]
    assert lic["status"] == "NotStarted"
    got = admin.ok("PUT", f"v1/licenses/{lic['id']}/activate")
    assert got["status"] == "Active" and got["startDate"].startswith("2030-03-10T12:00:00")
    assert got["endDate"].startswith("2030-03-23")  # unchanged
    clock.move(days=20)  # past its end: Expired
    assert admin.ok("GET", f"v1/licenses/{lic['id']}")["status"] == "Expired"
    got = admin.ok("PUT", f"v1/licenses/{lic['id']}/activate")
    # endDate moved as far ahead as the window was long (10 + 3 days from its new start).
    assert got["status"] == "Active" and got["endDate"].startswith("2030-04-12")
    got = admin.ok("PUT", f"v1/licenses/{lic['id']}/deactivate")
    assert got["status"] == "Inactive"
    assert admin.ok("GET", f"v1/licenses/check?licenseCode={lic['code']}") is False
    clock.move(days=40)  # Inactive and past its end: both moves
    got = admin.ok("PUT", f"v1/licenses/{lic['id']}/activate")
    assert got["status"] == "Active" and got["endDate"] > settings.now().isoformat()[:19]
    assert admin.ok("GET", f"v1/licenses/check?licenseCode={lic['code']}") is True
    # Used: activate changes nothing; deactivate is refused.
    alice.ok("POST", f"v1/licenses/apply?licenseCode={lic['code']}")
    used = admin.ok("GET", f"v1/licenses/{lic['id']}")
    assert admin.ok("PUT", f"v1/licenses/{lic['id']}/activate") == used
    resp = admin.put(f"v1/licenses/{lic['id']}/deactivate")
    assert resp.status_code == 409 and resp.json_body["errors"][0]["code"] == "LICENSE_USED"
    assert admin.delete(f"v1/licenses/{lic['id']}").status_code == 409


def test_check_answers_whether_a_code_can_be_applied(api, admin, shop, clock):
    lic = new_license(admin, shop["pro"])[0]
    user = register_and_login(api, "carol")
    assert user.ok("GET", f"v1/licenses/check?licenseCode={lic['code'].lower()}") is True
    assert user.ok("GET", "v1/licenses/check?licenseCode=NOPE123") is False
    assert user.get("v1/licenses/check").status_code == 400
    assert api.get(f"v1/licenses/check?licenseCode={lic['code']}").status_code == 401


def test_permissions_guard_license_administration(api, shop, clock):
    user = register_and_login(api, "dave")
    assert user.ok("GET", "v1/licenses")["items"] == []  # only their own (none yet)
    assert user.post("v1/licenses", {}).status_code in (400, 403)
    assert user.get(f"v1/licenses/generate-code?packageId={shop['pro']}"
                    "&subscriptionTypeId=D30").status_code == 403
    assert user.put("v1/licenses/settings", {"licenseGraceDays": 3}).status_code == 403


def test_constants(api):
    assert api.ok("GET", "v1/constants/license/status") == [
        "NotStarted", "Expired", "Inactive", "Active", "Used"]
    assert api.ok("GET", "v1/constants/license/types") == [
        "Normal", "Refunded", "Prepaid", "Postpaid", "MailDelivery"]
    assert "Payment" in api.ok("GET", "v1/constants/license/sources")


def test_bad_input_is_a_4xx_and_writes_nothing(admin, shop, clock):
    good = {"packageId": shop["pro"], "subscriptionTypeId": "D30", "amount": 10,
            "currencyCode": "USD", "startDate": T0.isoformat(),
            "endDate": (T0 + timedelta(days=5)).isoformat()}
    cases = [
        ({**good, "amount": "9.999"}, "amount"),
        ({**good, "currencyCode": "XYZ"}, "currency"),
        ({**good, "amount": -1}, "amount"),
        ({**good, "endDate": T0.isoformat()}, "endDate"),
        ({**good, "packageId": "nope"}, "packageId"),
        ({**good, "subscriptionTypeId": "nope"}, "subscriptionTypeId"),
        ({**good, "quantity": 0}, "quantity"),
        ({**good, "quantity": 5000}, "quantity"),
        ({**good, "quantity": 2, "code": "MYCODE1"}, "code"),
        ({**good, "code": "x"}, "code"),
        ({**good, "type": "Refunded"}, "type"),
        ({k: v for k, v in good.items() if k != "startDate"}, "startDate"),
    ]
    for body, field in cases:
        resp = admin.post("v1/licenses", body)
        assert 400 <= resp.status_code < 500, (body, resp.body)
        assert field.lower() in resp.body.decode().lower(), (field, resp.body)
    assert admin.get("v1/licenses/generate-code?packageId=x&subscriptionTypeId=D30"
                     ).status_code == 400
    assert admin.get(f"v1/licenses/generate-code?packageId={shop['pro']}").status_code == 400
    assert admin.get("v1/licenses?status=Bogus").status_code == 400
    assert admin.put("v1/licenses/settings", {"licenseGraceDays": -1}).status_code == 400
    assert admin.put("v1/licenses/settings", {"licenseReminderDays": [0]}).status_code == 400
    assert admin.put("v1/licenses/settings", {}).status_code == 400
    assert licensing_items(m.LicensingRecord) == []


def test_out_of_range_amounts_are_400_and_write_nothing(admin, demo_brand, shop, clock):
    """Issue 10: a license's amount follows the one money rule (money.to_minor)."""
    lic = new_license(admin, shop["pro"])[0]
    listed = admin.ok("GET", "v1/licenses")
    body = {"packageId": shop["pro"], "subscriptionTypeId": "D30", "currencyCode": "USD",
            "startDate": T0.isoformat(), "endDate": (T0 + timedelta(days=5)).isoformat()}
    before = dump_tables(demo_brand["id"])
    for literal, code in (("1e26", "AMOUNT_TOO_LARGE"), ("1" + "0" * 400, "AMOUNT_TOO_LARGE"),
                          ("9.990000000000000000001", "AMOUNT_PRECISION"),
                          ("-1", "AMOUNT_NEGATIVE"), ("NaN", "VALIDATION_ERROR")):
        for method, path in (("POST", "v1/licenses"), ("PUT", f"v1/licenses/{lic['id']}")):
            resp = admin.request(method, path, raw=with_literals(body, amount=literal))
            assert resp.status_code == 400, (literal, method, resp.json_body)
            e = resp.json_body["errors"][0]
            assert (e["field"], e["code"]) == ("amount", code), (literal, method)
    assert_unchanged(before, "out-of-range license amounts", demo_brand["id"])
    assert admin.ok("GET", "v1/licenses") == listed


def test_settings_round_trip(admin, demo_brand):
    assert admin.ok("GET", "v1/licenses/settings") == {
        "licenseDeliveryType": "Direct", "licenseChangePolicy": "Replace",
        "licenseGraceDays": 0, "licenseReminderDays": [7, 1], "licenseOnPartialRefund": "Keep"}
    got = admin.ok("PUT", "v1/licenses/settings", {"licenseDeliveryType": "Mail",
                                                    "licenseReminderDays": [1, 14, 3]})
    assert got["licenseDeliveryType"] == "Mail" and got["licenseReminderDays"] == [14, 3, 1]
    assert admin.ok("GET", "v1/licenses/settings")["licenseChangePolicy"] == "Replace"
