"""Listing a brand's whole catalogue (packages with features and prices): DynamoDB calls and time.

Builds 20 packages (10 at the quick size) x 5 features x 6 prices (3 subscription types x 2
currencies) in moto in-process, then times, in the same run:
- a single GetItem (the baseline: the cheapest DynamoDB read there is),
- the same Query through botocore alone (what moto itself costs, without our parsing),
- ``service.list_packages`` (one Query of the catalogue partition, then the DTOs),
- ``GET v1/packages`` through the app (brand cached, anonymous), as a JFW client calls it.
moto runs in-process, so absolute times are moto's, not DynamoDB's; the call counts and the
ratio to the GetItem baseline are the figures to compare.

Run: .venv/bin/python bench/catalog.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.update({
    "JFW_STAGE": "test", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
})
for _name in ("JFW_AWS_ENDPOINT_URL", "JFW_DYNAMODB_ENDPOINT_URL"):
    os.environ.pop(_name, None)

# The quick sizes unless BENCH_FULL=1 (`make bench FULL=1`, bench/__main__.py): with 20
# packages a Query of the partition takes about half a second in moto.
FULL = os.environ.get("BENCH_FULL") == "1"
PACKAGES, FEATURES, RUNS = (20, 5, 30) if FULL else (10, 5, 10)


def timed(fn: Callable[[], object], calls: list[str]) -> tuple[float, int]:
    """Median milliseconds over RUNS and the DynamoDB calls one run makes."""
    fn()  # warm
    calls.clear()
    fn()
    per_run = len(calls)
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), per_run


def main() -> None:
    from moto import mock_aws

    with mock_aws():
        from chalicelib import settings

        settings.reload()
        from chalicelib.catalog import service
        from chalicelib.catalog.models import HEAD_SK, CatalogHead, cat_pk
        from chalicelib.identity import brands
        from chalicelib.store import bootstrap
        from chalicelib.store.base import connection

        bootstrap.create_all()
        brand = brands.create(name="Bench", abbr="BENCH", domain="bench.test")
        b = brand["id"]
        feats = [service.create_feature(b, {"code": f"F{i}", "name": f"Feature {i}"})["id"]
                 for i in range(FEATURES)]
        for p in range(PACKAGES):
            pid = service.create_package(b, {"code": f"P{p}", "name": f"Package {p}"})["id"]
            service.add_package_features(b, pid, [
                {"featureId": f, "type": "Limitation", "value": 10, "resetPolicy": "Monthly"}
                for f in feats])
            for st in ("D30", "D90", "D365"):
                for cur, amount in (("USD", "9.99"), ("JPY", "1200")):
                    service.create_price(b, {"packageId": pid, "subscriptionTypeId": st,
                                             "code": f"P{p}-{st}-{cur}", "name": "x",
                                             "amount": amount, "currency": cur})

        calls: list[str] = []
        connection().client.meta.events.register(
            "before-call.dynamodb.*", lambda event_name, **_: calls.append(event_name))

        from chalice.test import Client

        from app import app

        with Client(app) as client:
            def http_list() -> object:
                resp = client.http.get("/api/v1/packages", headers={"Brand-URL": "bench.test"})
                assert resp.status_code == 200
                return resp

            listed = service.list_packages(b)
            items = (1 + len(service.list_subscription_types(b)) + FEATURES + len(listed)
                     + sum(len(p["features"]) + len(p["prices"]) for p in listed))
            print(f"catalogue: {len(listed)} packages x {FEATURES} features x "
                  f"{len(listed[0]['prices'])} prices = {items} items in one partition "
                  f"(moto in-process, median of {RUNS})")
            def raw_query() -> object:
                return connection().client.query(
                    TableName=settings.get().table_name("catalog"),
                    KeyConditionExpression="pk = :pk",
                    ExpressionAttributeValues={":pk": {"S": cat_pk(b)}})

            rows = [
                ("GetItem baseline (catalogue head)",
                 lambda: CatalogHead.get(cat_pk(b), HEAD_SK)),
                ("raw Query of the partition (botocore only)", raw_query),
                ("service.list_packages (whole catalogue)", lambda: service.list_packages(b)),
                ("GET v1/packages through the app", http_list),
            ]
            for label, fn in rows:
                ms, n = timed(fn, calls)
                names = sorted({c.rsplit(".", 1)[1] for c in calls})
                print(f"  {label:<42} {n} DynamoDB call(s) {names!s:<14} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
