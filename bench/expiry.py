"""One run of the licensing expiry job against a big ``licensing`` table: what it reads.

In-process moto. The table gets ``--items`` (default 100,000) licenses and subscriptions, all
in the sparse ``due`` index, of which ``--due`` (default 100) are due now: half subscriptions
(a reminder or an expiry that has come), half unused licenses whose window ended. They are
written with ``batch_write`` straight to the table. Then one expiry run is measured with botocore
``after-call`` hooks on PynamoDB's shared client: DynamoDB calls by operation, and the items
DynamoDB returned (Query ``Count``, GetItem ``Item``, BatchGetItem ``Responses``). It prints:

    expiry table_items=100000 due=100 items_read=... dynamodb_calls=... run_ms=...
    expiry second_run items_read=... dynamodb_calls=... (nothing left to do)

The figure that matters: items_read stays a small multiple of ``due`` (the job queries only
what is due), whatever the table size. run_ms is moto's time, for comparison between runs only.

moto snapshots every table a transaction touches (a deep copy of the whole table per operation,
for its rollback), which at 100,000 items costs seconds per transaction and says nothing about
DynamoDB. The bench turns that snapshot off for tables and counts cancelled transactions
instead: with none cancelled (printed), nothing needed rolling back.

Run: .venv/bin/python bench/expiry.py [--items 100000] [--due 100]
"""

from __future__ import annotations

import argparse
import os
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
NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


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
        elif "Responses" in parsed and isinstance(parsed["Responses"], dict):
            self.items += sum(len(v) for v in parsed["Responses"].values())

    def reset(self) -> None:
        self.calls.clear()
        self.items = 0


def without_table_snapshots() -> Counter[str]:
    """moto's transact_write_items without its whole-table deep copies; counts cancellations."""
    import copy

    import moto.dynamodb.models as models
    from moto.dynamodb.models.table import Table

    class NoTableCopy:
        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    seen: Counter[str] = Counter()
    original = models.DynamoDBBackend.transact_write_items

    def transact(self: Any, items: list[dict[str, Any]]) -> None:
        models.copy = NoTableCopy  # type: ignore[assignment]
        try:
            original(self, items)
        except Exception:
            seen["cancelled"] += 1
            raise
        finally:
            models.copy = copy
        seen["committed"] += 1

    models.DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]
    return seen


def seed(total: int, due: int) -> tuple[dict, int]:
    from chalicelib import settings
    from chalicelib.catalog import service as catalog
    from chalicelib.identity import brands, users
    from chalicelib.identity.models import UserItem
    from chalicelib.licensing import models as m
    from chalicelib.store import ids

    settings.set_clock(lambda: NOW - timedelta(days=40))
    brand = brands.create(name="Bench", abbr="BENCH", domain="bench.test")
    b = brand["id"]
    catalog.create_package(b, {"code": "FREE", "name": "Free", "isFree": True})
    pro = catalog.create_package(b, {"code": "PRO", "name": "Pro"})
    settings.set_clock(lambda: NOW)
    hashed = users.passwords.hash_password("bench-Pass-1")
    due_subs = due // 2
    due_licenses = due - due_subs
    half = total // 2
    written = 0
    future = NOW + timedelta(days=200)
    with UserItem.batch_write() as ub, m.LicensingRecord.batch_write() as lb:
        for i in range(half):  # subscriptions
            uid = f"user{i:06d}"
            is_due = i < due_subs
            if is_due:  # half a reminder that came, half an expiry that came
                expiry = NOW + timedelta(days=3) if i % 2 else NOW - timedelta(hours=1)
                when = expiry - timedelta(days=7) if i % 2 else expiry
                ub.save(UserItem(f"B#{b}#U#{uid}", "USER", id=uid, brand_id=b,
                                 code=ids.new_code(10), username=uid,
                                 email_address=f"{uid}@bench.test", referral_code=uid,
                                 password_hash=hashed, package_id=pro["id"],
                                 expiry_date=expiry, created_date=NOW))
            else:
                expiry, when = future, future - timedelta(days=7)
            key = f"{b}#{uid}"
            lb.save(m.SubscriptionItem(
                m.user_pk(b, uid), m.SUBSCRIPTION_SK, user_id=uid, brand_id=b,
                package_id=pro["id"], expiry_date=expiry, license_id=f"lic{i:06d}",
                license_ids=[f"lic{i:06d}"], status="Active", version=1, created_date=NOW,
                due_pk=m.due_shard(key), due_sk=m.subscription_due_sk(when, b, uid)))
            written += 1
        for i in range(total - half):  # unused licenses waiting for their window to end
            lid = f"unused{i:06d}"
            end = NOW - timedelta(minutes=5) if i < due_licenses else future
            lb.save(m.LicenseItem(
                m.license_pk(b, lid), m.LICENSE_SK, id=lid, brand_id=b, code=f"BENCH{i:08d}",
                package_id=pro["id"], subscription_type_id="D30",
                duration={"unit": "Day", "quantity": 30}, status="Active",
                start_date=NOW - timedelta(days=30), end_date=end, version=1,
                created_date=NOW, gsi1pk=m.licenses_gsi(b), gsi1sk=f"{i:08d}#{lid}",
                due_pk=m.due_shard(lid), due_sk=m.license_due_sk(end, b, lid)))
            written += 1
    return brand, written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000 if FULL else 10_000)
    parser.add_argument("--due", type=int, default=100)
    args = parser.parse_args()

    from moto import mock_aws

    with mock_aws():
        from chalicelib import settings
        from chalicelib.licensing import expiry
        from chalicelib.store import aws, base, bootstrap
        from chalicelib.store.base import connection

        settings.reload()
        aws.reset()
        base.reset()
        bootstrap.create_all()
        transactions = without_table_snapshots()
        started = time.perf_counter()
        _, written = seed(args.items, args.due)
        seeded_s = time.perf_counter() - started
        meter = Meter()
        connection().client.meta.events.register("after-call.dynamodb.*", meter.after)

        transactions.clear()
        meter.on = True
        t0 = time.perf_counter()
        result = expiry.run(NOW)
        run_ms = (time.perf_counter() - t0) * 1000
        meter.on = False
        calls = sum(meter.calls.values())
        print(f"expiry table_items={written} due={args.due} items_read={meter.items} "
              f"dynamodb_calls={calls} run_ms={run_ms:.0f}")
        print("  calls: " + " ".join(f"{k}={v}" for k, v in sorted(meter.calls.items())))
        print("  outcome: " + " ".join(f"{k}={v}" for k, v in sorted(result.items())))
        print(f"  transactions: committed={transactions['committed']} "
              f"cancelled={transactions['cancelled']}; seeding {written} items took "
              f"{seeded_s:.0f} s")
        meter.reset()
        meter.on = True
        again = expiry.run(NOW)
        meter.on = False
        print(f"expiry second_run items_read={meter.items} "
              f"dynamodb_calls={sum(meter.calls.values())} outcome={again or 'nothing due'}")


if __name__ == "__main__":
    main()
