"""The license counters (reports/license_counts.py) behind v1/licenses/statistics/monthly:
every change licensing makes (create, deactivate, delete, apply, expire, issue for a payment,
revoke on a refund) moves them through the license-event rows; time alone (a NotStarted license
reaching its start, an Active one its end) through the recount job, which reads only what is
due; the counters equal a recomputation from the licenses after shuffled, duplicated
deliveries; the SDK's shape and filters; one Query per report read."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import settings
from chalicelib.licensing import jobs as licensing_jobs
from chalicelib.licensing import service as licensing
from chalicelib.reports import jobs, license_counts, monthly
from chalicelib.reports import service as reports
from chalicelib.store.base import connection
from tests.helpers.api import Api, login, make_user, register_and_login
from tests.helpers.licensing import (
    T0,
    Clock,
    licensing_shop,
    new_license,
    refund_payload,
    success_payload,
    user_id_of,
)
from tests.helpers.payments import drain_outbox, outbox_rows

MONTH = T0.strftime("%Y-%m")  # 2030-03; T0 is the 10th, 12:00 UTC


@pytest.fixture
def clock(aws_env) -> Clock:
    before = settings.get()
    settings._settings = before._replace(auth_key_ttl_hours=24 * 3650)
    c = Clock()
    yield c
    settings.set_clock(None)
    settings._settings = before


@pytest.fixture(autouse=True)
def _mail(mail_env):
    yield


@pytest.fixture
def boss(api, demo_brand, clock) -> Api:
    make_user(demo_brand, "boss", "Admin")
    return login(api, "boss")


@pytest.fixture
def shop(demo_brand) -> dict[str, Any]:
    return licensing_shop(demo_brand)


def stats(admin: Api, **query: str) -> dict[str, Any]:
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return admin.ok("GET", f"v1/licenses/statistics/monthly{'?' + q if q else ''}")


def the_day(s: dict[str, Any], day: int) -> list[dict[str, Any]] | None:
    [d] = [d for d in s["days"] if d["date"].startswith(f"{MONTH}-{day:02d}")]
    return d["items"]


def agree(brand_id: str) -> None:
    want = reports.recompute_licenses(brand_id)
    months = {month for month, _ in want} | {MONTH}
    assert reports.license_counters(brand_id, months) == want


def test_the_sdk_shape_and_the_counts_as_licenses_change(api, boss, demo_brand, shop, clock):
    b = demo_brand["id"]
    soon = new_license(boss, shop["pro"], quantity=2, start=T0 + timedelta(days=2),
                       end=T0 + timedelta(days=40))  # NotStarted
    now = new_license(boss, shop["pro"], quantity=3, end=T0 + timedelta(days=5))  # Active
    gold = new_license(boss, shop["gold"], subtype="D90", amount=25, currencyCode="EUR",
                       type="Postpaid")
    drain_outbox()
    s = stats(boss)
    # ILicenseStatisticsReportSummary (jfw-js src/features/license/types.ts)
    assert set(s) == {"totalRemaining", "totalLimit", "totalLicenses", "days"}
    assert all(set(d) == {"date", "items"} for d in s["days"])
    assert (s["totalLicenses"], s["totalLimit"], s["totalRemaining"]) == (6, 6, 6)
    # every day of the month up to today (the 10th), items null where none was made
    assert len(s["days"]) == 10 and the_day(s, 9) is None
    pro, eur = sorted(the_day(s, 10), key=lambda i: i["currency"] != "USD")
    assert pro == {"packageId": shop["pro"], "subscriptionTypeId": "D30", "totalLicenses": 5,
                   "totalAmount": 50, "currency": "USD", "usedLicenses": 0,
                   "unusedLicenses": 5, "totalNormalAmount": 50, "totalRefundAmount": 0,
                   "totalPostpaidAmount": 0, "totalMailDeliveryAmount": 0,
                   "notStartedLicenses": 2, "inactiveLicenses": 0, "activeLicenses": 3,
                   "expiredLicenses": 0}
    assert (eur["packageId"], eur["subscriptionTypeId"], eur["totalAmount"]) == (
        shop["gold"], "D90", 25)
    assert eur["totalPostpaidAmount"] == 25 and eur["totalNormalAmount"] == 0
    # filters: JFW's, and ours
    assert stats(boss, packageId=shop["gold"])["totalLicenses"] == 1
    assert stats(boss, status="NotStarted")["totalLicenses"] == 2
    assert stats(boss, type="Postpaid")["totalLicenses"] == 1
    assert stats(boss, subscriptionTypeId="D30", status="Active")["totalLicenses"] == 3
    assert stats(boss, testMode="true")["totalLicenses"] == 0
    assert stats(boss, month="2030-02")["totalLicenses"] == 0
    assert len(stats(boss, month="2030-02")["days"]) == 28
    assert stats(boss, month="2030-04")["days"] == []
    for bad in ({"type": "Gold"}, {"status": "Sleeping"}, {"month": "March"}):
        assert boss.get("v1/licenses/statistics/monthly?" + "&".join(
            f"{k}={v}" for k, v in bad.items())).status_code == 400

    # deactivate one, delete one, apply one: each moves its license
    boss.ok("PUT", f"v1/licenses/{now[0]['id']}/deactivate")
    boss.ok("DELETE", f"v1/licenses/{now[1]['id']}")
    alice = register_and_login(api, "alice", email="alice@example.com")
    alice.ok("POST", f"v1/licenses/apply?licenseCode={now[2]['code']}")
    drain_outbox()
    [pro] = [i for i in the_day(stats(boss), 10) if i["currency"] == "USD"]
    assert (pro["totalLicenses"], pro["inactiveLicenses"], pro["usedLicenses"],
            pro["activeLicenses"], pro["notStartedLicenses"]) == (4, 1, 1, 0, 2)
    agree(b)

    # time alone: two days on, the NotStarted ones have started (the recount job)
    clock.move(days=2, minutes=1)
    assert jobs.run_license_recount()["recounted"] == 2
    assert stats(boss, status="Active")["totalLicenses"] == 3  # and the gold one
    assert jobs.run_license_recount().get("due", 0) == 0  # again: nothing due
    # past the gold license's end (60 days, new_license's default): expired by licensing's
    # expiry job (a write: a license-event) and by the recount, whichever comes first
    clock.move(days=70)
    assert licensing_jobs.run_expiry().get("license-expired") == 3
    drain_outbox()
    jobs.run_license_recount()
    s = stats(boss, month=MONTH)
    [pro] = [i for i in the_day(s, 10) if i["currency"] == "USD"]
    assert (pro["expiredLicenses"], pro["activeLicenses"], pro["usedLicenses"]) == (2, 0, 1)
    assert s["totalRemaining"] == 0
    agree(b)
    assert soon and gold


def test_a_license_issued_for_a_payment_and_revoked_by_its_refund(boss, demo_brand, shop,
                                                                  clock, api):
    alice = register_and_login(api, "alice", email="alice@example.com")
    paid = success_payload(demo_brand, user_id_of(alice), shop["pro"], shop["pro_price"])
    licensing.on_payment_event(paid)
    drain_outbox()
    [item] = the_day(stats(boss), 10)
    assert (item["usedLicenses"], item["totalNormalAmount"], item["totalAmount"]) == (1, 20, 20)
    licensing.on_payment_event(refund_payload(paid))
    drain_outbox()
    [item] = the_day(stats(boss), 10)
    assert (item["usedLicenses"], item["inactiveLicenses"], item["totalRefundAmount"],
            item["totalNormalAmount"]) == (0, 1, 20, 0)
    agree(demo_brand["id"])


@pytest.mark.parametrize("seed", [7, 8])
def test_shuffled_duplicated_deliveries_equal_a_recomputation(boss, demo_brand, shop, clock,
                                                               seed):
    rng = random.Random(seed)
    b = demo_brand["id"]
    made = []
    for _ in range(4):
        made += new_license(boss, rng.choice([shop["pro"], shop["gold"]]),
                            quantity=rng.randint(1, 3),
                            start=T0 + timedelta(days=rng.choice([-1, 3])))
    for lic in rng.sample(made, 3):
        rng.choice([lambda x: boss.ok("PUT", f"v1/licenses/{x}/deactivate"),
                    lambda x: boss.ok("DELETE", f"v1/licenses/{x}"),
                    lambda x: boss.ok("PUT", f"v1/licenses/{x}/activate")])(lic["id"])
    rows = [{**r.payload, "brandId": b, "eventId": r.id} for r in outbox_rows(b)
            if r.kind == "license-event"]
    assert sum(len(r["licenseIds"]) for r in rows) >= len(made)  # (activate may change nothing)
    deliveries = rows + rng.sample(rows, len(rows) // 2)
    rng.shuffle(deliveries)
    for payload in deliveries:
        reports.on_license_event(payload)
    agree(b)
    clock.move(days=4)
    jobs.run_license_recount()
    agree(b)


def calls(fn: Any) -> Counter:
    seen: Counter = Counter()

    def before(params: dict, model: Any = None, **_: Any) -> None:
        if model is not None:
            seen[f"{model.name} {params.get('TableName', '')}"] += 1

    events = connection().client.meta.events
    events.register("before-parameter-build.dynamodb.*", before)
    try:
        fn()
    finally:
        events.unregister("before-parameter-build.dynamodb.*", before)
    return seen


def test_a_report_read_is_one_query_and_the_recount_reads_only_what_is_due(
        boss, demo_brand, shop, clock):
    b = demo_brand["id"]
    table = settings.get().table_name("reports")
    new_license(boss, shop["pro"], quantity=30, end=T0 + timedelta(days=400))
    new_license(boss, shop["gold"], quantity=2, start=T0 + timedelta(days=1))
    drain_outbox()
    read = calls(lambda: monthly.statistics(b, {}))
    assert read == Counter({f"Query {table}": 1}), read
    assert monthly.statistics(b, {})["totalLicenses"] == 32
    clock.move(days=1, minutes=1)
    # 32 licenses wait in the due index, 2 of them are due: the job reads those 2
    assert license_counts.recount_due() == {"due": 2, "recounted": 2}
    agree(b)


def test_the_rebuild_tool_counts_what_predates_the_counters(boss, demo_brand, shop, clock,
                                                            capsys):
    from chalicelib.reports import rebuild

    b = demo_brand["id"]
    new_license(boss, shop["pro"], quantity=3)  # the outbox never ran: nothing counted yet
    assert rebuild.main([b, "--check"]) == 1
    assert rebuild.main([b]) == 0
    assert "0 payment(s) and 3 license(s) counted" in capsys.readouterr().out
    assert rebuild.main([b, "--check"]) == 0
    drain_outbox()  # the outbox catching up: nothing more
    assert monthly.statistics(b, {})["totalLicenses"] == 3


def test_what_counting_a_license_event_costs(boss, demo_brand, shop, clock):
    b = demo_brand["id"]
    table = settings.get().table_name("reports")
    licenses = settings.get().table_name("licensing")
    new_license(boss, shop["pro"], quantity=3)
    [row] = [{**r.payload, "brandId": b} for r in outbox_rows(b) if r.kind == "license-event"]
    # one batch read of the licenses, then per license its COUNTED row and one transaction
    first = calls(lambda: reports.on_license_event(row))
    assert first == Counter({"BatchGetItem ": 1, f"GetItem {table}": 3,
                             "TransactWriteItems ": 3}), first
    again = calls(lambda: reports.on_license_event(row))
    assert again == Counter({"BatchGetItem ": 1, f"GetItem {table}": 3}), again
    print(f"\nper license-event of 3 licenses: {dict(first)}; again: {dict(again)} "
          f"({licenses})")


def test_concurrent_deliveries_of_license_events_count_once(atomic_moto, boss, demo_brand, shop,
                                                            clock):
    from tests.concurrency import run_together

    b = demo_brand["id"]
    made = new_license(boss, shop["pro"], quantity=6)
    boss.ok("PUT", f"v1/licenses/{made[0]['id']}/deactivate")
    rows = [{**r.payload, "brandId": b} for r in outbox_rows(b) if r.kind == "license-event"]
    work = rows * 4
    outcomes = run_together(len(work), lambda i: reports.on_license_event(work[i]))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    agree(b)
    [item] = the_day(stats(boss), 10)
    assert (item["totalLicenses"], item["inactiveLicenses"], item["activeLicenses"]) == (6, 1, 5)
