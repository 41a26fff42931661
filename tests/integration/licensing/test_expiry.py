"""The expiry job with a moved clock: "expiring soon" mails at the brand's offsets exactly once
each, expiry to the default package after the grace period, unused licenses expiring, runs
repeated and concurrent changing nothing twice, and only due items read (never a Scan)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.licensing import apply, expiry
from chalicelib.licensing import models as m
from tests.helpers import payments as ps
from tests.helpers.api import make_user
from tests.helpers.licensing import (
    T0,
    licensing_items,
    mails,
    new_license,
    set_policy,
    user_id_of,
    user_item,
)

NO_EXPIRY = "9999-12-31T23:59:59Z"  # users.NO_EXPIRY as the API writes it


EXPIRY = T0 + timedelta(days=30)


@pytest.fixture
def no_scan(monkeypatch):
    """Any DynamoDB Scan during the test fails it."""
    from moto.dynamodb.models import DynamoDBBackend

    def refuse(*args, **kwargs):
        raise AssertionError("the expiry job must not Scan")

    monkeypatch.setattr(DynamoDBBackend, "scan", refuse)


def run() -> dict:
    return expiry.run()


def reminders(brand_id: str) -> list[int]:
    return sorted(r.payload["context"]["license"]["days_left"]
                  for r in mails(brand_id, "LICENSE.EXPIRING.SOON"))


def me(api) -> tuple:
    data = api.ok("GET", "v1/users/me")
    return data["packageId"], data["expiryDate"]


@pytest.fixture
def subscribed(admin, alice, shop, clock):
    lic = new_license(admin, shop["pro"])[0]
    alice.ok("POST", f"v1/licenses/apply?licenseCode={lic['code']}")
    return lic


def test_reminders_then_expiry_each_exactly_once(demo_brand, alice, shop, clock, subscribed):
    b = demo_brand["id"]
    assert run().get("reminded") is None  # nothing due yet
    clock.set(EXPIRY - timedelta(days=7) + timedelta(minutes=1))
    assert run()["reminded"] == 1
    assert run().get("reminded") is None
    assert reminders(b) == [7]
    clock.set(EXPIRY - timedelta(days=1) + timedelta(minutes=1))
    run()
    run()
    assert reminders(b) == [1, 7]
    mail = mails(b, "LICENSE.EXPIRING.SOON")[0].payload
    assert mail["to"] == "alice@example.com"
    assert mail["context"]["license"]["package_name"] == "Pro"
    assert me(alice)[0] == shop["pro"]
    clock.set(EXPIRY + timedelta(minutes=1))
    assert run()["expired"] == 1
    assert me(alice) == (shop["basic"], NO_EXPIRY)  # the default package never ends
    assert run() == {}  # nothing left in the index
    [gone] = mails(b, "LICENSE.EXPIRED.SUCCESS")
    assert gone.payload["context"]["license"]["default_package_name"] == "Basic"
    assert reminders(b) == [1, 7]
    assert len(licensing_items(m.ReminderItem)) == 2
    ps.verify_sender()
    ps.drain_outbox()
    assert sorted(s["subject"] for s in ps.sent_mails(b)) == [
        "Pro is active on your Demo account", "Your Demo Pro ends in 1 day",
        "Your Demo Pro ends in 7 days", "Your Demo Pro has ended"]
    [ended] = [s for s in ps.sent_mails(b) if "ended" in s["subject"]]
    assert "now on <b>Basic</b>" in ended["body"] and "2030-04-09" in ended["body"]


def test_a_run_after_a_missed_window_sends_only_the_nearest_reminder(demo_brand, clock,
                                                                     subscribed):
    clock.set(EXPIRY - timedelta(hours=12))
    run()
    run()
    assert reminders(demo_brand["id"]) == [1]


def test_the_grace_period_keeps_the_package_until_it_ends(demo_brand, alice, shop, clock,
                                                          subscribed):
    set_policy(demo_brand["id"], licenseGraceDays=3, licenseReminderDays=[2])
    clock.set(EXPIRY + timedelta(minutes=1))
    assert run()["grace"] == 1  # no run before the expiry: no reminders
    assert me(alice)[0] == shop["pro"]
    assert mails(demo_brand["id"], "LICENSE.EXPIRED.SUCCESS") == []
    from chalicelib.licensing import subscriptions

    assert subscriptions.current(demo_brand["id"], user_id_of(alice))["status"] == "Grace"
    clock.set(EXPIRY + timedelta(days=3) - timedelta(minutes=1))
    assert run() == {}
    clock.set(EXPIRY + timedelta(days=3, minutes=1))
    assert run()["expired"] == 1
    assert me(alice) == (shop["basic"], NO_EXPIRY)  # the default package never ends
    assert len(mails(demo_brand["id"], "LICENSE.EXPIRED.SUCCESS")) == 1


def test_brand_offsets_choose_the_reminders(demo_brand, clock, admin, alice, shop):
    admin.ok("PUT", "v1/licenses/settings", {"licenseReminderDays": [10, 3]})
    lic = new_license(admin, shop["pro"])[0]
    alice.ok("POST", f"v1/licenses/apply?licenseCode={lic['code']}")
    for day in range(0, 31):
        clock.set(T0 + timedelta(days=day, minutes=1))
        run()
    assert reminders(demo_brand["id"]) == [3, 10]
    assert len(mails(demo_brand["id"], "LICENSE.EXPIRED.SUCCESS")) == 1


def test_an_unused_license_expires_when_its_window_ends(admin, shop, clock):
    lic = new_license(admin, shop["pro"], end=T0 + timedelta(days=2))[0]
    clock.move(days=3)
    assert run()["license-expired"] == 1
    assert run() == {}
    stored = licensing_items(m.LicenseItem)[0]
    assert stored.status == "Expired" and stored.due_pk is None
    assert admin.ok("GET", f"v1/licenses/{lic['id']}")["status"] == "Expired"


def test_renewing_before_the_expiry_moves_the_reminders(demo_brand, admin, alice, shop, clock,
                                                        subscribed):
    clock.set(EXPIRY - timedelta(days=7) + timedelta(minutes=1))
    run()
    lic = new_license(admin, shop["pro"])[0]
    alice.ok("POST", f"v1/licenses/apply?licenseCode={lic['code']}")  # now to EXPIRY + 30d
    clock.set(EXPIRY + timedelta(minutes=1))
    assert run() == {}
    assert me(alice)[0] == shop["pro"]
    clock.set(EXPIRY + timedelta(days=23, minutes=1))
    run()
    assert reminders(demo_brand["id"]) == [7, 7]  # one per expiry date


def test_two_copies_of_the_job_at_once_act_once(demo_brand, admin, shop, clock):
    codes = [x["code"] for x in new_license(admin, shop["pro"], quantity=6)]
    users = [make_user(demo_brand, f"member{i}") for i in range(6)]
    for user, code in zip(users, codes, strict=True):
        apply.apply_code(demo_brand, code, user["id"])
    clock.set(EXPIRY - timedelta(days=7) + timedelta(minutes=1))
    with ps.serialised_dynamodb():
        results = ps.run_together(2, lambda i: run())
    assert sum(r.get("reminded", 0) for r in results) == 6, results
    assert len(mails(demo_brand["id"], "LICENSE.EXPIRING.SOON")) == 6
    clock.set(EXPIRY + timedelta(minutes=1))
    with ps.serialised_dynamodb():
        results = ps.run_together(3, lambda i: run())
    assert sum(r.get("expired", 0) for r in results) == 6, results
    assert len(mails(demo_brand["id"], "LICENSE.EXPIRED.SUCCESS")) == 6
    assert all(user_item(demo_brand["id"], u["id"]).package_id == shop["basic"] for u in users)


def test_the_job_reads_only_what_is_due_and_never_scans(demo_brand, admin, shop, clock, no_scan):
    codes = [x["code"] for x in new_license(admin, shop["pro"], quantity=12,
                                            end=T0 + timedelta(days=400))]
    users = [make_user(demo_brand, f"u{i}") for i in range(12)]
    for i, (user, code) in enumerate(zip(users, codes, strict=True)):
        clock.set(T0 + timedelta(days=i))  # expiries one day apart
        apply.apply_code(demo_brand, code, user["id"])
    clock.set(EXPIRY + timedelta(hours=12))  # the first user expired, the next is 1 day out
    got = run()
    assert got["due"] == 8 and got["expired"] == 1, got  # 1 expiry + 7 reminders of day 7
    assert run() == {}


def test_dev_routes_move_the_clock_and_run_the_job(api, alice, shop, clock, subscribed):
    clock.now = T0  # the dev route replaces the test's clock with real time + offset
    resp = api.post("/api/v1/dev/jobs/nope/run")
    assert resp.status_code == 404
    from chalicelib import settings

    real = settings.now().__class__.now(EXPIRY.tzinfo)
    offset = int((EXPIRY - real).total_seconds()) + 60
    assert api.ok("POST", "/api/v1/dev/clock", {"offsetSeconds": offset})["now"] >= \
        EXPIRY.isoformat()[:19]
    result = api.ok("POST", "/api/v1/dev/jobs/license-expiry/run")["result"]
    assert result["expired"] == 1
    assert me(alice) == (shop["basic"], NO_EXPIRY)  # the default package never ends
    api.ok("POST", "/api/v1/dev/clock", {"offsetSeconds": 0})
    assert api.post("/api/v1/dev/clock", {"offsetSeconds": "soon"}).status_code == 400
