"""What a report read costs, with the reports' counters, next to reading the payments and
licenses it summarises (what the dashboard did before the counters), in the same run.

In-process moto. A brand gets ``--payments`` (default 5,000) payments, written with
``batch_write`` straight to the table (completed, refunded in part, top-ups, wallet-paid,
never-completed, over 60 days, USD and JPY), and ``--licenses`` (default 2,000) licenses of this
month; the counters are then built by ``python -m chalicelib.reports.rebuild``'s own ``count``
(the same idempotent count the outbox's events use). Measured with botocore ``after-call`` hooks:
DynamoDB calls and the items DynamoDB returned. A month's license statistics read one counter
per group that has licenses (day x package x subscription type x currency x mode x type x
status), so their cost follows the groups, not the licenses.

    reports summary payments=5000 calls=2 items_read=... ms=...
        | baseline, every payment read: calls=... items_read=5000 ms=... | figures agree=True
    reports monthly licenses=2000 calls=1 items_read=... ms=...
        | baseline, every license read: ... | totals agree=True

It also checks that the counters' figures equal the figures recomputed from the payments and
licenses read. ms is moto's time, for comparison within one run only.

Run: .venv/bin/python bench/reports.py [--payments 5000] [--licenses 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.update({
    "JFW_STAGE": "test", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "JFW_ARGON2_TIME_COST": "1", "JFW_ARGON2_MEMORY_KIB": "1024",
})
for _name in ("JFW_AWS_ENDPOINT_URL", "JFW_DYNAMODB_ENDPOINT_URL"):
    os.environ.pop(_name, None)

# The quick sizes unless BENCH_FULL=1 (`make bench FULL=1`, bench/__main__.py).
FULL = os.environ.get("BENCH_FULL") == "1"
NOW = datetime(2030, 6, 20, 12, 0, tzinfo=UTC)


class Meter:
    """DynamoDB calls and items returned, from botocore after-call hooks."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.items = 0
        self.on = False

    def after(self, http_response: Any = None, parsed: Any = None, model: Any = None,
              **_: Any) -> None:
        if not self.on or model is None:
            return
        self.calls[model.name] += 1
        parsed = parsed or {}
        if "Count" in parsed:
            self.items += int(parsed["Count"])
        elif "Item" in parsed:
            self.items += 1

    def measure(self, fn: Any) -> tuple[Any, int, int, float]:
        self.calls.clear()
        self.items = 0
        self.on = True
        t0 = time.perf_counter()
        try:
            out = fn()
        finally:
            self.on = False
        return out, sum(self.calls.values()), self.items, (time.perf_counter() - t0) * 1000


def without_table_snapshots() -> None:
    """moto's transact_write_items without its whole-table deep copies (bench/expiry.py says
    why): building the counters is one transaction per payment and license."""
    import copy

    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    class NoTableCopy:
        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    original = models.DynamoDBBackend.transact_write_items

    def transact(self: Any, items: list[dict[str, Any]]) -> None:
        models.copy = NoTableCopy  # type: ignore[assignment]
        try:
            original(self, items)
        finally:
            models.copy = copy

    models.DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]


def seed(n_payments: int, n_licenses: int) -> tuple[dict, str]:
    from chalicelib import settings
    from chalicelib.catalog import service as catalog
    from chalicelib.identity import brands
    from chalicelib.licensing import models as lm
    from chalicelib.payments import models as pm
    from chalicelib.store import ids

    rng = random.Random(14)
    settings.set_clock(lambda: NOW)
    brand = brands.create(name="Bench", abbr="BENCH", domain="bench.test")
    b = brand["id"]
    pro = catalog.create_package(b, {"code": "PRO", "name": "Pro"})
    with pm.PaymentRecord.batch_write() as w:
        for i in range(n_payments):
            pid = f"pay{i:07d}"
            created = NOW - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600))
            currency, amount = rng.choice([("USD", 1999), ("USD", 2500), ("JPY", 3000)])
            kind = rng.choice([None, None, None, "WalletTopUp", "Wallet"])
            fate = rng.choice(["Completed"] * 6 + ["Refunded", "Created", "Failed"])
            done = fate in ("Completed", "Refunded")
            refunded = rng.randint(1, amount) if fate == "Refunded" else 0
            w.save(pm.PaymentItem(
                pm.payment_pk(b, pid), pm.PAYMENT_SK, id=pid, brand_id=b, code=pid,
                status=fate, amount_minor=amount, currency=currency, payment_type=kind,
                gateway_type="wallet" if kind == "Wallet" else "stripe",
                amount_gross_minor=amount if done else None, refunded_minor=refunded,
                payment_date=created if done else None, test_mode=False, version=3,
                gsi1pk=pm.payments_gsi(b), gsi1sk=f"{ids.stamp(created)}#{pid}",
                created_date=created))
    with lm.LicensingRecord.batch_write() as w:
        for i in range(n_licenses):
            lid = f"lic{i:07d}"
            created = NOW.replace(day=1) + timedelta(days=rng.randint(0, 18),
                                                     minutes=rng.randint(0, 600))
            status = rng.choice(["Active", "Active", "Used", "Inactive", "Expired"])
            w.save(lm.LicenseItem(
                lm.license_pk(b, lid), lm.LICENSE_SK, id=lid, brand_id=b, code=lid.upper(),
                package_id=pro["id"], subscription_type_id=rng.choice(["D30", "D90"]),
                type=rng.choice(["Normal", "Normal", "Prepaid", "MailDelivery"]),
                status=status, amount_minor=1000, currency="USD",
                start_date=created - timedelta(days=1), end_date=NOW + timedelta(days=300),
                version=1, created_date=created, gsi1pk=lm.licenses_gsi(b),
                gsi1sk=f"{ids.stamp(created)}#{lid}"))
    return brand, pro["id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=5000 if FULL else 1000)
    parser.add_argument("--licenses", type=int, default=2000 if FULL else 500)
    args = parser.parse_args()

    from moto import mock_aws

    with mock_aws():
        from chalicelib import settings
        from chalicelib.licensing import service as licensing
        from chalicelib.payments import service as payments
        from chalicelib.reports import counters, license_counts, monthly, sales, summary
        from chalicelib.store import aws, base, bootstrap
        from chalicelib.store.base import connection

        settings.reload()
        aws.reset()
        base.reset()
        bootstrap.create_all()
        without_table_snapshots()
        t0 = time.perf_counter()
        brand, _ = seed(args.payments, args.licenses)
        b = brand["id"]
        counted = counters.rebuild(b) + license_counts.rebuild(b)
        built_s = time.perf_counter() - t0
        meter = Meter()
        connection().client.meta.events.register("after-call.dynamodb.*", meter.after)

        got, calls, items, ms = meter.measure(lambda: summary.summary(brand))

        def baseline() -> dict[str, int]:
            f: Counter[str] = Counter()
            today = NOW.date().isoformat()
            for p in payments.brand_payments(b):
                s = sales.of_payment(p)
                if s.currency == "USD":
                    f["totalSells"] += s.sells
                    f["totalRevenue"] += s.revenue
                    f["dailySells"] += s.sells if s.day == today else 0
            return dict(f)

        base_f, b_calls, b_items, b_ms = meter.measure(baseline)
        agree = (got["totalSells"], int(got["totalRevenue"] * 100), got["dailySells"]) == (
            base_f.get("totalSells", 0), base_f.get("totalRevenue", 0),
            base_f.get("dailySells", 0))
        print(f"reports summary payments={args.payments} calls={calls} items_read={items} "
              f"ms={ms:.1f} | baseline, every payment read: calls={b_calls} "
              f"items_read={b_items} ms={b_ms:.1f} | figures agree={agree}")

        stats, calls, items, ms = meter.measure(lambda: monthly.statistics(b, {}))
        every, b_calls, b_items, b_ms = meter.measure(
            lambda: list(licensing.brand_license_states(b)))
        agree = stats["totalLicenses"] == sum(1 for s in every if not s["isDeleted"])
        print(f"reports monthly licenses={args.licenses} calls={calls} items_read={items} "
              f"ms={ms:.1f} | baseline, every license read: calls={b_calls} "
              f"items_read={b_items} ms={b_ms:.1f} | totals agree={agree}")
        print(f"  counters built from scratch ({counted} counted) in {built_s:.0f} s")


if __name__ == "__main__":
    main()
