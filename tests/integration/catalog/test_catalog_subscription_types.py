"""Subscription types (v1/subscription-types): JFW's predefined durations, CRUD, durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers.api import login, make_user

PREDEFINED = [("D1", "1 day", 1), ("D3", "3 days", 3), ("D7", "7 days", 7),
              ("D14", "14 days", 14), ("D30", "30 days", 30), ("D90", "90 days", 90),
              ("D180", "180 days", 180), ("D365", "365 days", 365)]


def stored_types(brand: dict) -> dict:
    from chalicelib.catalog.models import CatalogEntry, SubscriptionTypeItem, cat_pk

    return {i.id: i for i in CatalogEntry.query(cat_pk(brand["id"]))
            if isinstance(i, SubscriptionTypeItem)}


def err(resp) -> dict:
    return resp.json_body["errors"][0]


def test_every_brand_starts_with_jfw_predefined_durations(api, demo_brand, other_brand):
    for brand_api in (api, api.as_(brand_url="other.test")):
        got = brand_api.ok("GET", "v1/subscription-types")
        assert [(s["id"], s["name"], s["quantity"]) for s in got] == PREDEFINED
        assert all(s["unit"] == "Day" and s["status"] == "Active" and s["isPredefined"]
                   for s in got)
        assert [s["id"] for s in got if s["isDefault"]] == ["D90"]
    # Stored once, per brand, with the same ids (deterministic per brand).
    assert sorted(stored_types(demo_brand)) == sorted(i for i, _, _ in PREDEFINED)
    assert sorted(stored_types(other_brand)) == sorted(i for i, _, _ in PREDEFINED)


def test_a_deleted_predefined_type_is_not_seeded_again(admin, api, demo_brand):
    assert admin.ok("DELETE", "v1/subscription-types/D1") is True
    assert "D1" not in [s["id"] for s in api.ok("GET", "v1/subscription-types")]
    assert stored_types(demo_brand)["D1"].is_deleted is True


def test_subscription_type_crud(admin, api, demo_brand):
    st = admin.ok("POST", "v1/subscription-types", {"name": "Monthly", "unit": "Month",
                                                    "quantity": 1, "zOrder": 9,
                                                    "description": "Billed monthly"})
    assert (st["name"], st["unit"], st["quantity"], st["isDefault"], st["isPredefined"]) == (
        "Monthly", "Month", 1, False, False)
    assert api.ok("GET", f"v1/subscription-types/{st['id']}")["description"] == "Billed monthly"
    up = admin.ok("PUT", f"v1/subscription-types/{st['id']}", {"name": "Quarterly",
                                                                "unit": "Month", "quantity": 3})
    assert (up["name"], up["quantity"], up["description"]) == ("Quarterly", 3,
                                                                "Billed monthly")
    resp = admin.post("v1/subscription-types", {"name": "quarterly", "unit": "Week"})
    assert resp.status_code == 409 and err(resp)["code"] == "SUBSCRIPTION_TYPE_NAME_TAKEN"
    assert [s["name"] for s in admin.ok("GET", "v1/subscription-types?unit=Month")] == [
        "Quarterly"]
    assert [s["id"] for s in admin.ok("GET", "v1/subscription-types?keywords=billed")] == [
        st["id"]]
    assert admin.ok("DELETE", f"v1/subscription-types/{st['id']}") is True
    assert api.get(f"v1/subscription-types/{st['id']}").status_code == 404
    assert stored_types(demo_brand)[st["id"]].is_deleted is True


def test_exactly_one_default_subscription_type(admin, demo_brand):
    st = admin.ok("POST", "v1/subscription-types", {"name": "Yearly", "unit": "Year",
                                                    "isDefault": True})
    assert st["isDefault"] is True
    types = stored_types(demo_brand)
    assert [i for i, s in types.items() if s.is_default] == [st["id"]]
    resp = admin.delete(f"v1/subscription-types/{st['id']}")
    assert resp.status_code == 409 and err(resp)["code"] == "SUBSCRIPTION_TYPE_IS_DEFAULT"
    resp = admin.put(f"v1/subscription-types/{st['id']}", {"name": "Yearly", "unit": "Year",
                                                            "status": "Inactive"})
    assert resp.status_code == 409
    admin.ok("PUT", "v1/subscription-types/D30", {"name": "30 days", "unit": "Day",
                                                  "quantity": 30, "isDefault": True})
    types = stored_types(demo_brand)
    assert [i for i, s in types.items() if s.is_default] == ["D30"]


def test_delete_is_refused_while_prices_use_the_type(admin, api, demo_brand):
    pkg = admin.ok("POST", "v1/packages", {"code": "PRO", "name": "Pro"})
    price = admin.ok("POST", "v1/prices", {"packageId": pkg["id"], "subscriptionTypeId": "D7",
                                           "code": "WEEK", "name": "Pro week", "amount": 3,
                                           "currency": "EUR"})
    assert [p["code"] for p in api.ok("GET", "v1/subscription-types/D7/prices")] == ["WEEK"]
    resp = admin.delete("v1/subscription-types/D7")
    assert resp.status_code == 409 and err(resp)["code"] == "SUBSCRIPTION_TYPE_IN_USE"
    assert "WEEK" in err(resp)["message"]
    admin.ok("DELETE", f"v1/prices/{price['id']}")
    assert admin.ok("DELETE", "v1/subscription-types/D7") is True


@pytest.mark.parametrize("body, field", [
    ({"unit": "Day"}, "name"),
    ({"name": "X"}, "unit"),
    ({"name": "X", "unit": "Minute"}, "unit"),
    ({"name": "X", "unit": "Day", "quantity": 0}, "quantity"),
    ({"name": "X", "unit": "Day", "quantity": -3}, "quantity"),
    ({"name": "X", "unit": "Day", "status": "Gone"}, "status"),
])
def test_bad_subscription_type_is_400_and_writes_nothing(admin, demo_brand, body, field):
    admin.ok("GET", "v1/subscription-types")
    before = len(stored_types(demo_brand))
    resp = admin.post("v1/subscription-types", body)
    assert resp.status_code == 400 and err(resp)["field"] == field
    assert len(stored_types(demo_brand)) == before


def test_cross_brand_and_anonymous_access(admin, api, demo_brand, other_brand):
    st = admin.ok("POST", "v1/subscription-types", {"name": "Hidden", "unit": "Day",
                                                    "status": "Inactive"})
    assert api.get(f"v1/subscription-types/{st['id']}").status_code == 404  # anonymous
    assert admin.ok("GET", f"v1/subscription-types/{st['id']}")["status"] == "Inactive"
    other = api.as_(brand_url="other.test")
    assert other.get(f"v1/subscription-types/{st['id']}").status_code == 404
    make_user(other_brand, "otherboss", "Admin")
    other_admin = login(other, "otherboss")
    assert other_admin.delete(f"v1/subscription-types/{st['id']}").status_code == 404
    assert api.post("v1/subscription-types", {"name": "X", "unit": "Day"}).status_code == 401


# -- subscription_end ------------------------------------------------------------------------

def _end(start: datetime, unit: str, quantity: int = 1) -> datetime | None:
    from chalicelib.catalog.service import subscription_end

    return subscription_end(start, {"unit": unit, "quantity": quantity})


START = datetime(2024, 1, 31, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize("unit, quantity, expected", [
    ("Hour", 5, START + timedelta(hours=5)),
    ("Day", 90, START + timedelta(days=90)),
    ("Week", 2, START + timedelta(days=14)),
    ("Month", 1, datetime(2024, 2, 29, 10, 30, tzinfo=UTC)),   # leap year: last day of Feb
    ("Month", 2, datetime(2024, 3, 31, 10, 30, tzinfo=UTC)),   # counted from the start
    ("Month", 3, datetime(2024, 4, 30, 10, 30, tzinfo=UTC)),
    ("Month", 13, datetime(2025, 2, 28, 10, 30, tzinfo=UTC)),
    ("Year", 1, datetime(2025, 1, 31, 10, 30, tzinfo=UTC)),
])
def test_subscription_end(unit, quantity, expected):
    assert _end(START, unit, quantity) == expected


def test_subscription_end_edge_cases():
    from chalicelib.catalog.service import subscription_duration, subscription_end

    leap = datetime(2024, 2, 29, tzinfo=UTC)
    assert _end(leap, "Year") == datetime(2025, 2, 28, tzinfo=UTC)
    assert _end(leap, "Year", 4) == datetime(2028, 2, 29, tzinfo=UTC)
    assert _end(datetime(2023, 1, 31, tzinfo=UTC), "Month") == datetime(2023, 2, 28,
                                                                          tzinfo=UTC)
    assert _end(datetime(2023, 12, 15, tzinfo=UTC), "Month") == datetime(2024, 1, 15,
                                                                           tzinfo=UTC)
    assert subscription_end(leap, None) is None  # one-time: no end
    assert subscription_duration(leap, None) is None
    assert subscription_duration(datetime(2023, 2, 1, tzinfo=UTC),
                                 {"unit": "Month", "quantity": 1}) == timedelta(days=28)
