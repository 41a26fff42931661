"""One run of the renewal job (``invoice-renewals``) against 100,000 subscriptions: what it reads.

In-process moto. ``--subs`` (default 100,000) users hold a PRO-30 subscription (licensing's
SUBSCRIPTION item) and have a renewal watch in the ``invoicing`` table's sparse ``due`` index,
as a completed purchase leaves it (renewals.arm); ``--due`` (default 100) of them end in six
days, so their renewal point (seven days before) has come; the others end between 30 and 60
days from now. Everything is written with ``batch_write`` straight to the tables (the seed does
not go through 100,000 checkouts: the watch and the subscription are what a purchase leaves).
Then one job run is measured with botocore ``after-call`` hooks on PynamoDB's shared client:
DynamoDB calls by operation and the items DynamoDB returned (Query ``Count``, GetItem ``Item``).
It prints:

    renewals subscriptions=100000 due=100 due_index_items=100 items_read=... calls=... ...
    renewals second_run due_index_items=0 items_read=0 ... (nothing left to do)

The figure that matters: the due index returns exactly the due watches (due_index_items ==
due), and items_read is a small constant per due item (its subscription, its buyer, the brand
and the catalogue once per run), whatever the number of subscriptions. The baseline printed
beside it: the items a Scan of the two tables would read. run_ms is moto's, for comparison
within a run only; moto's whole-table copy per transaction is turned off as in bench/expiry.py
(cancelled transactions are counted and printed instead).

Run: .venv/bin/python bench/invoicing_renewals.py [--subs 100000] [--due 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
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

from expiry import Meter, without_table_snapshots  # noqa: E402 - bench/expiry.py

# The quick sizes unless BENCH_FULL=1 (`make bench FULL=1`, bench/__main__.py).
FULL = os.environ.get("BENCH_FULL") == "1"
NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def seed(total: int, due: int) -> tuple[dict, int]:
    from chalicelib import settings
    from chalicelib.catalog import service as catalog
    from chalicelib.identity import brands, users
    from chalicelib.identity.models import UserItem
    from chalicelib.invoicing import models as im
    from chalicelib.licensing import models as lm
    from chalicelib.store import ids

    settings.set_clock(lambda: NOW - timedelta(days=40))
    brand = brands.create(name="Bench", abbr="BENCH", domain="bench.test")
    b = brand["id"]
    catalog.create_package(b, {"code": "FREE", "name": "Free", "isFree": True})
    pro = catalog.create_package(b, {"code": "PRO", "name": "Pro"})
    price = catalog.create_price(b, {"packageId": pro["id"], "subscriptionTypeId": "D30",
                                     "code": "PRO-30", "name": "PRO-30", "amount": "20.00",
                                     "currency": "USD"})
    settings.set_clock(lambda: NOW)
    hashed = users.passwords.hash_password("bench-Pass-1")
    written = 0
    with (UserItem.batch_write() as ub, lm.LicensingRecord.batch_write() as lb,
          im.InvoicingRecord.batch_write() as ib):
        for i in range(total):
            uid = f"user{i:06d}"
            if i < due:
                end = NOW + timedelta(days=6)
                check = end - timedelta(days=7)
                ub.save(UserItem(f"B#{b}#U#{uid}", "USER", id=uid, brand_id=b,
                                 code=ids.new_code(10), username=uid,
                                 email_address=f"{uid}@bench.test", referral_code=uid,
                                 password_hash=hashed, package_id=pro["id"],
                                 expiry_date=end, created_date=NOW))
                written += 1
            else:
                end = NOW + timedelta(days=30 + i % 30)
                check = end - timedelta(days=7)
            lb.save(lm.SubscriptionItem(
                lm.user_pk(b, uid), lm.SUBSCRIPTION_SK, user_id=uid, brand_id=b,
                package_id=pro["id"], expiry_date=end, license_id=f"lic{i:06d}",
                license_ids=[f"lic{i:06d}"], status="Active", version=1, created_date=NOW))
            ib.save(im.RenewalItem(
                im.renewal_pk(b, uid), im.RENEWAL_SK, brand_id=b, user_id=uid,
                package_id=pro["id"], subscription_type_id="D30", price_id=price["id"],
                currency="USD", test_mode=False, payment_id=f"pay{i:06d}", version=1,
                created_date=NOW, modified_date=NOW, due_pk=im.due_shard(uid),
                due_sk=im.due_sk(check, "R", b, uid)))
            written += 2
    return brand, written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subs", type=int, default=100_000 if FULL else 5_000)
    parser.add_argument("--due", type=int, default=100)
    args = parser.parse_args()

    from moto import mock_aws

    with mock_aws():
        from chalicelib import settings
        from chalicelib.invoicing import models as im
        from chalicelib.invoicing import renewals
        from chalicelib.store import aws, base, bootstrap
        from chalicelib.store.base import connection

        settings.reload()
        aws.reset()
        base.reset()
        bootstrap.create_all()
        transactions = without_table_snapshots()
        started = time.perf_counter()
        _, written = seed(args.subs, args.due)
        seeded_s = time.perf_counter() - started
        meter = Meter()
        connection().client.meta.events.register("after-call.dynamodb.*", meter.after)
        index_items = {"n": 0}
        real = im.InvoicingRecord.due.query

        def counting(*a: Any, **kw: Any) -> Any:
            for item in real(*a, **kw):
                index_items["n"] += 1
                yield item

        im.InvoicingRecord.due.query = counting  # type: ignore[method-assign]

        transactions.clear()
        meter.on = True
        t0 = time.perf_counter()
        result = renewals.run(NOW)
        run_ms = (time.perf_counter() - t0) * 1000
        meter.on = False
        print(f"renewals subscriptions={args.subs} due={args.due} "
              f"due_index_items={index_items['n']} items_read={meter.items} "
              f"calls={sum(meter.calls.values())} run_ms={run_ms:.0f}  (baseline: a Scan of "
              f"the licensing and invoicing tables reads {written - args.due} items)")
        print("  calls: " + " ".join(f"{k}={v}" for k, v in sorted(meter.calls.items())))
        print("  outcome: " + " ".join(f"{k}={v}" for k, v in sorted(result.items())))
        print(f"  transactions: committed={transactions['committed']} "
              f"cancelled={transactions['cancelled']}; seeding {written} items took "
              f"{seeded_s:.0f} s")
        meter.reset()
        index_items["n"] = 0
        meter.on = True
        again = renewals.run(NOW)
        meter.on = False
        print(f"renewals second_run due_index_items={index_items['n']} "
              f"items_read={meter.items} calls={sum(meter.calls.values())} "
              f"outcome={again or 'nothing due'}")


if __name__ == "__main__":
    main()
