"""Quota usage: GET v1/quota-usages, POST v1/quota-usages/consume, GET v1/quota-usages/check."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import settings
from tests.concurrency import run_together, serialised_dynamodb
from tests.helpers.api import login, make_user, register_and_login

NOW = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)  # a Tuesday


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


@pytest.fixture
def clock():
    state = {"now": NOW}
    settings.set_clock(lambda: state["now"])
    yield state
    settings.set_clock(None)


@pytest.fixture
def plans(demo_brand, clock) -> dict:
    """Basic (the default): projects 5 (Lifetime), exports 2 (Daily), api unlimited (Monthly),
    reports 3 every 10 days (Custom), sso on, beta off. Pro: projects 50 (Lifetime)."""
    from chalicelib.catalog import service

    b = demo_brand["id"]
    basic = service.create_package(b, {"code": "BASIC", "name": "Basic"})
    pro = service.create_package(b, {"code": "PRO", "name": "Pro"})
    f = {code: service.create_feature(b, {"code": code, "name": code.title()})["id"]
         for code in ("projects", "exports", "api", "reports", "sso", "beta", "audit")}
    service.add_package_features(b, basic["id"], [
        {"featureId": f["projects"], "type": "Limitation", "value": 5, "resetPolicy": "Lifetime"},
        {"featureId": f["exports"], "type": "Limitation", "value": 2, "resetPolicy": "Daily"},
        {"featureId": f["api"], "type": "Limitation", "isUnlimited": True,
         "resetPolicy": "Monthly"},
        {"featureId": f["reports"], "type": "Limitation", "value": 3, "resetPolicy": "Custom",
         "customIntervalDays": 10},
        {"featureId": f["sso"], "type": "Function", "value": 1},
        {"featureId": f["beta"], "type": "Function", "value": 0},
    ])
    service.add_package_features(b, pro["id"], [
        {"featureId": f["projects"], "type": "Limitation", "value": 50, "resetPolicy": "Lifetime"},
    ])
    return {"basic": basic["id"], "pro": pro["id"], **f}


@pytest.fixture
def server(api, demo_brand, clock):
    """A brand back-end: an Admin user's Auth-Key (holds QUOTA.*)."""
    make_user(demo_brand, "backend", "Admin")
    return login(api, "backend")


@pytest.fixture
def user(api, clock):
    return register_and_login(api, "uma")


def user_id(user_api) -> str:
    return user_api.ok("GET", "v1/users/me")["id"]


def consume(server, uid: str, code: str, amount: int | None = None):
    body = {"userId": uid, "featureCode": code}
    if amount is not None:
        body["amount"] = amount
    return server.post("v1/quota-usages/consume", body)


def usage_by_code(user_api) -> dict[str, dict]:
    return {u["feature"]["code"]: u for u in user_api.ok("GET", "v1/quota-usages")}


def quota_rows(brand_id: str) -> list[dict]:
    from chalicelib.store import aws

    items = aws.client("dynamodb").scan(TableName=settings.get().table_name("catalog"))["Items"]
    return [i for i in items if i["pk"]["S"].startswith(f"B#{brand_id}#U#")]


def test_usages_of_the_default_package(user, plans):
    rows = usage_by_code(user)
    assert set(rows) == {"projects", "exports", "api", "reports", "sso", "beta"}
    created = datetime.fromisoformat(user.ok("GET", "v1/users/me")["createdDate"]
                                     .replace("Z", "+00:00"))
    p = rows["projects"]
    assert (p["usedAmount"], p["limitAmount"], p["remainingAmount"], p["isUnlimited"],
            p["status"]) == (0, 5, 5, False, "Normal")
    assert (p["periodKey"], p["periodStartDate"], p["periodEndDate"]) == (
        "LIFETIME", iso(created), None)
    assert p["feature"]["type"] == "Limitation" and p["feature"]["featureId"] == plans["projects"]
    e = rows["exports"]
    assert (e["periodKey"], e["periodStartDate"], e["periodEndDate"]) == (
        "D2030-01-15", "2030-01-15T00:00:00Z", "2030-01-16T00:00:00Z")
    a = rows["api"]
    assert (a["isUnlimited"], a["limitAmount"], a["remainingAmount"], a["periodKey"]) == (
        True, None, None, "M2030-01")
    assert a["periodEndDate"] == "2030-02-01T00:00:00Z"
    r = rows["reports"]
    assert (r["periodKey"], r["periodStartDate"]) == ("C10-0", iso(created))
    assert rows["sso"]["feature"]["type"] == "Function" and rows["sso"]["periodKey"] is None


def test_consume_counts_warns_and_refuses_beyond_the_limit(server, user, plans, demo_brand):
    uid = user_id(user)
    first = consume(server, uid, "projects", 4)
    assert first.status_code == 200
    data = first.json_body["data"]
    assert (data["usedAmount"], data["remainingAmount"], data["status"]) == (4, 1, "Warning")
    assert usage_by_code(user)["projects"]["usedAmount"] == 4
    last = consume(server, uid, "PROJECTS").json_body["data"]  # codes match in any case
    assert (last["usedAmount"], last["remainingAmount"], last["status"]) == (5, 0, "Exceeded")
    over = consume(server, uid, "projects")
    assert over.status_code == 409
    err = over.json_body["errors"][0]
    assert err["code"] == "QUOTA_EXCEEDED" and "5 of 5 used" in err["message"]
    assert usage_by_code(user)["projects"]["usedAmount"] == 5


def test_more_than_the_limit_at_once_writes_nothing(server, user, plans, demo_brand):
    resp = consume(server, user_id(user), "projects", 6)
    assert resp.status_code == 409 and resp.json_body["errors"][0]["code"] == "QUOTA_EXCEEDED"
    assert quota_rows(demo_brand["id"]) == []
    by_id = server.post("v1/quota-usages/consume", {"userId": user_id(user),
                                                     "featureId": plans["projects"],
                                                     "amount": 5})
    assert by_id.json_body["data"]["usedAmount"] == 5


def test_daily_quota_starts_again_the_next_day(server, user, plans, clock):
    uid = user_id(user)
    assert consume(server, uid, "exports", 2).status_code == 200
    assert consume(server, uid, "exports").status_code == 409
    clock["now"] = NOW + timedelta(days=1)
    again = consume(server, uid, "exports")
    assert again.status_code == 200
    assert (again.json_body["data"]["usedAmount"], again.json_body["data"]["periodKey"]) == (
        1, "D2030-01-16")
    assert usage_by_code(user)["exports"]["usedAmount"] == 1


def test_custom_period_counts_from_the_users_creation(api, server, user, plans, clock):
    uid = user_id(user)
    assert consume(server, uid, "reports", 3).status_code == 200
    clock["now"] = NOW + timedelta(days=9, hours=23)
    server = login(api, "backend")  # Auth-Keys last a week
    assert consume(server, uid, "reports").status_code == 409
    clock["now"] = NOW + timedelta(days=10)
    row = consume(server, uid, "reports").json_body["data"]
    assert (row["periodKey"], row["usedAmount"]) == ("C10-1", 1)
    assert row["periodStartDate"] == iso(NOW + timedelta(days=10))


def test_unlimited_feature_counts_without_a_limit(server, user, plans):
    row = consume(server, user_id(user), "api", 10**6).json_body["data"]
    assert (row["usedAmount"], row["limitAmount"], row["remainingAmount"], row["status"]) == (
        10**6, None, None, "Normal")


def test_check(server, user, plans):
    uid = user_id(user)

    def check(query: str) -> dict:
        return server.ok("GET", f"v1/quota-usages/check?userId={uid}&{query}")

    assert check("featureCode=sso")["allowed"] is True
    beta = check("featureCode=beta")
    assert (beta["allowed"], beta["reason"]) == (False, "FEATURE_OFF")
    missing = check("featureCode=audit")  # exists, but not in Basic
    assert (missing["allowed"], missing["reason"]) == (False, "FEATURE_NOT_IN_PACKAGE")
    consume(server, uid, "projects", 4)
    p = check("featureCode=projects")
    assert (p["allowed"], p["remainingAmount"], p["usedAmount"], p["status"]) == (
        True, 1, 4, "Warning")
    two = check("featureCode=projects&amount=2")
    assert (two["allowed"], two["reason"]) == (False, "QUOTA_EXCEEDED")
    assert check(f"featureId={plans['api']}&amount=1000000")["allowed"] is True
    resp = server.get(f"v1/quota-usages/check?userId={uid}")
    assert resp.status_code == 400


def test_the_users_own_package_until_it_expires(api, server, user, plans, demo_brand, clock):
    from chalicelib.identity.models import UserItem, user_pk

    uid = user_id(user)
    UserItem(user_pk(demo_brand["id"], uid), "USER").update(actions=[
        UserItem.package_id.set(plans["pro"]),
        UserItem.expiry_date.set(NOW + timedelta(days=30))])
    rows = usage_by_code(user)
    assert set(rows) == {"projects"} and rows["projects"]["limitAmount"] == 50
    assert consume(server, uid, "projects", 20).status_code == 200
    assert consume(server, uid, "exports").status_code == 409  # not in Pro
    clock["now"] = NOW + timedelta(days=31)
    rows = usage_by_code(login(api, "uma"))  # Auth-Keys last a week
    # Back on Basic: the same lifetime counter, now against Basic's limit.
    assert rows["projects"]["limitAmount"] == 5 and rows["projects"]["status"] == "Exceeded"
    assert "exports" in rows


BAD = [
    ({"featureCode": "projects"}, 400, None),  # no userId
    ({"userId": "U", "amount": 1}, 400, None),  # no feature
    ({"userId": "{uid}", "featureCode": "projects", "amount": 0}, 400, None),
    ({"userId": "{uid}", "featureCode": "projects", "amount": -3}, 400, None),
    ({"userId": "{uid}", "featureCode": "projects", "amount": "many"}, 400, None),
    ({"userId": "{uid}", "featureCode": "projects", "amount": 1.5}, 400, None),
    ({"userId": "{uid}", "featureCode": "sso"}, 400, "FEATURE_NOT_CONSUMABLE"),
    ({"userId": "{uid}", "featureCode": "audit"}, 409, "FEATURE_NOT_IN_PACKAGE"),
    ({"userId": "{uid}", "featureCode": "nosuch"}, 409, "FEATURE_NOT_IN_PACKAGE"),
    ({"userId": "NoSuchUser", "featureCode": "projects"}, 404, "USER_NOT_FOUND"),
]


@pytest.mark.parametrize("body, status, code", BAD)
def test_bad_consume_is_a_4xx_and_writes_nothing(server, user, plans, demo_brand, body, status,
                                                 code):
    uid = user_id(user)
    body = {k: (v.format(uid=uid) if isinstance(v, str) else v) for k, v in body.items()}
    resp = server.post("v1/quota-usages/consume", body)
    assert resp.status_code == status, resp.json_body
    if code:
        assert resp.json_body["errors"][0]["code"] == code
    assert quota_rows(demo_brand["id"]) == []


def test_permissions(api, server, user, plans):
    uid = user_id(user)
    assert user.post("v1/quota-usages/consume",
                     {"userId": uid, "featureCode": "projects"}).status_code == 403
    assert user.get(f"v1/quota-usages/check?userId={uid}&featureCode=sso").status_code == 403
    assert api.get("v1/quota-usages").status_code == 401
    assert usage_by_code(user)["projects"]["usedAmount"] == 0


def test_another_brand_cannot_reach_this_brands_users(api, server, user, plans, other_brand,
                                                       demo_brand):
    uid = user_id(user)
    make_user(other_brand, "otherserver", "Admin")
    other = login(api.as_(brand_url="other.test"), "otherserver")
    resp = other.post("v1/quota-usages/consume", {"userId": uid, "featureCode": "projects"})
    assert resp.status_code == 404
    assert other.get(f"v1/quota-usages/check?userId={uid}&featureCode=sso").status_code == 404
    assert quota_rows(demo_brand["id"]) == []
    assert quota_rows(other_brand["id"]) == []


def test_brand_without_packages_has_no_usages(user):
    assert user.ok("GET", "v1/quota-usages") == []


@pytest.mark.parametrize("limit, amount, threads", [(5, 1, 12), (7, 2, 8)])
def test_concurrent_consumption_never_goes_beyond_the_limit(demo_brand, plans, user, limit,
                                                            amount, threads):
    from chalicelib.catalog import quotas, service

    b = demo_brand["id"]
    service.update_package_feature(b, plans["basic"], plans["projects"], {
        "type": "Limitation", "value": limit, "resetPolicy": "Lifetime"})
    uid = user_id(user)
    with serialised_dynamodb():
        outcomes = run_together(threads, lambda i: quotas.consume(
            b, uid, feature_code="projects", amount=amount))
    fits = limit // amount
    codes = Counter("ok" if isinstance(o, dict) else getattr(o, "code", repr(o))
                    for o in outcomes)
    assert codes == {"ok": fits, "QUOTA_EXCEEDED": threads - fits}
    assert usage_by_code(user)["projects"]["usedAmount"] == fits * amount
