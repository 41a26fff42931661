"""Concurrent catalogue writes: exactly one default, unique codes, references and seeding.

The threads call the service directly: chalice.test.Client keeps the current request on the app
object, so it can't serve concurrent requests. moto applies a transaction one operation at a
time and rolls back by restoring a copy of the whole table, which under threads can expose half
a transaction or undo another thread's write; real DynamoDB applies each request atomically.
The ``atomic_moto`` fixture (tests/concurrency.py) makes each moto DynamoDB request atomic, as
DynamoDB's are, and leaves the interleaving between requests, which is what these tests are
about, to the threads.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.http.errors import ApiError
from tests.concurrency import run_jobs

THREADS = 8



def snapshot(brand: dict):
    from chalicelib.catalog import catalogue

    return catalogue.query(brand["id"], consistent=True)


def test_concurrent_default_switches_leave_exactly_one_default(atomic_moto, demo_brand):
    from chalicelib.catalog import service

    b = demo_brand["id"]
    ids = [service.create_package(b, {"code": f"P{i}", "name": f"Package {i}"})["id"]
           for i in range(THREADS)]
    results = run_jobs([
        (lambda pid=pid: service.update_package(b, pid, {"isDefault": True}))
        for pid in ids])
    winners = [r for r in results if isinstance(r, dict)]
    assert winners, results
    assert all(r.status == 409 for r in results if isinstance(r, ApiError))
    cat = snapshot(demo_brand)
    defaults = [p.id for p in cat.packages.values() if p.is_default]
    assert len(defaults) == 1
    assert cat.head.default_package_id == defaults[0]
    assert defaults[0] in {w["id"] for w in winners}
    assert service.default_package(b)["id"] == defaults[0]


def test_concurrent_creates_with_new_defaults_leave_exactly_one(atomic_moto, demo_brand):
    from chalicelib.catalog import service

    b = demo_brand["id"]
    run_jobs([(lambda i=i: service.create_package(
        b, {"code": f"N{i}", "name": f"New {i}", "isDefault": True})) for i in range(THREADS)])
    cat = snapshot(demo_brand)
    defaults = [p.id for p in cat.packages.values() if p.is_default]
    assert len(defaults) == 1 and cat.head.default_package_id == defaults[0]


def test_concurrent_creates_with_one_code_give_exactly_one_package(atomic_moto, demo_brand):
    from chalicelib.catalog import service

    b = demo_brand["id"]
    results = run_jobs([(lambda i=i: service.create_package(
        b, {"code": "SAME" if i % 2 else "same", "name": f"Try {i}"})) for i in range(THREADS)])
    assert len([r for r in results if isinstance(r, dict)]) == 1
    losers = [r for r in results if isinstance(r, ApiError)]
    assert len(losers) == THREADS - 1 and all(e.status == 409 for e in losers)
    assert len(snapshot(demo_brand).packages) == 1


def test_concurrent_price_creates_with_one_code(atomic_moto, demo_brand):
    from chalicelib.catalog import service

    b = demo_brand["id"]
    pkg = service.create_package(b, {"code": "PRO", "name": "Pro"})
    results = run_jobs([(lambda i=i: service.create_price(b, {
        "packageId": pkg["id"], "subscriptionTypeId": "D30", "code": "MONTHLY",
        "name": f"Monthly {i}", "amount": "9.99", "currency": "USD"})) for i in range(THREADS)])
    assert len([r for r in results if isinstance(r, dict)]) == 1
    cat = snapshot(demo_brand)
    assert len(cat.prices) == 1
    assert cat.packages[pkg["id"]].price_count == 1
    assert cat.subtypes["D30"].price_count == 1


def test_a_price_racing_a_package_delete_never_refers_to_a_deleted_package(atomic_moto,
                                                                           demo_brand):
    from chalicelib.catalog import service

    b = demo_brand["id"]
    service.create_package(b, {"code": "BASE", "name": "Base"})  # the default
    for round_ in range(4):
        pkg = service.create_package(b, {"code": f"R{round_}", "name": "Racing"})
        jobs: list[Callable[[], object]] = [lambda pid=pkg["id"]: service.delete_package(b, pid)]
        jobs += [(lambda i=i, pid=pkg["id"], r=round_: service.create_price(b, {
            "packageId": pid, "subscriptionTypeId": "D30", "code": f"R{r}-{i}",
            "name": "x", "amount": 1, "currency": "USD"})) for i in range(3)]
        results = run_jobs(jobs)
        cat = snapshot(demo_brand)
        live_prices = cat.package_prices(pkg["id"])
        if results[0] is True:
            assert pkg["id"] not in cat.packages and live_prices == []
        else:
            assert pkg["id"] in cat.packages and results[0].status == 409
            assert cat.packages[pkg["id"]].price_count == len(live_prices) > 0


def test_seeding_is_idempotent_under_concurrent_first_reads(atomic_moto, demo_brand):
    from chalicelib.catalog import service

    results = run_jobs([lambda: service.list_subscription_types(demo_brand["id"])
                            for _ in range(THREADS)])
    assert all(len(r) == 8 for r in results)
    cat = snapshot(demo_brand)
    assert sorted(cat.subtypes) == sorted(f"D{d}" for d in (1, 3, 7, 14, 30, 90, 180, 365))
    assert [s.id for s in cat.subtypes.values() if s.is_default] == ["D90"]


def test_concurrent_links_keep_the_feature_count_exact(atomic_moto, demo_brand):
    from chalicelib.catalog import service

    b = demo_brand["id"]
    feat = service.create_feature(b, {"code": "SEATS", "name": "Seats"})
    pkgs = [service.create_package(b, {"code": f"L{i}", "name": "x"})["id"]
            for i in range(THREADS)]
    run_jobs([(lambda pid=pid: service.add_package_features(
        b, pid, [{"featureId": feat["id"], "type": "Limitation", "value": 1}])) for pid in pkgs])
    cat = snapshot(demo_brand)
    assert cat.features[feat["id"]].package_count == len(cat.feature_links(feat["id"])) == THREADS
