"""Wallets: what one spend costs in DynamoDB, and what the reconciliation job reads.

In-process moto. Calls are counted with botocore ``before-parameter-build`` and ``after-call``
hooks on
PynamoDB's shared client: calls by operation, items written (a TransactWriteItems counts its
items; PutItem / UpdateItem / DeleteItem one) and items DynamoDB returned (Query ``Count``,
GetItem ``Item``). It prints:

    spend: 2 calls, 2 items written  [...]  baseline, a read + one conditioned UpdateItem: ...
    credit with a reference: 2 calls, 3 items written  [...]
    purchase paid by the wallet: ... calls, ... items written  [...]  baseline, the same
        purchase through PayPal (checkout + its completion): ...
    reconcile: 10 wallets changed, 40 items read (...)  (full audit of all 200: 10,410 items
        read, ...)
    reconcile second run: 0 wallets, 0 items read, 4 calls (nothing changed)

- The spend is ``ledger.post`` of one debit (GetItem of the wallet, one TransactWriteItems: the
  wallet's update, its ledger row and its wallet-event outbox row); the credit with a reference
  adds the reference row. The figures must be a small constant whatever the wallet's history.
- The purchase is the whole checkout of a price paid by a wallet (buyer, black list, gateway,
  quote, risk, the payment created with the wallet's debit, its completion through the intake),
  next to the same purchase paid through PayPal; fulfilment follows on the outbox for both.
- The reconciliation: ``--wallets`` (200) wallets of ``--rows`` (50) rows each, all verified
  (as after a run), then ``--changed`` (10) of them get one post each, and one run proves what
  changed: items read ~ the due entries + (the verified row + the new rows + the wallet) per
  changed wallet, whatever the rows of the others. The baseline, in the same run: a full audit
  of every wallet (each due, proven from row 1), what a nightly re-add of every ledger reads:
  its items counted by DynamoDB (Select=COUNT over the same keys), or, with ``--full``, the
  audit itself (10,410 items, the same; minutes in moto, which serialises every item slowly).
- Times are moto's, printed only to compare within a run.

The rows are seeded with ``batch_write`` (built the way ``ledger.post`` builds them, so they
chain and prove), not through 10,000 posts.

Run: .venv/bin/python bench/wallet.py [--wallets 200] [--rows 50] [--changed 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
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
})
for _name in ("JFW_AWS_ENDPOINT_URL", "JFW_DYNAMODB_ENDPOINT_URL"):
    os.environ.pop(_name, None)

from expiry import without_table_snapshots  # noqa: E402 - bench/expiry.py: moto without copies

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
RUNS = 20


class Meter:
    """DynamoDB calls, items written and items returned, from botocore hooks."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.written = 0
        self.read = 0
        self.on = False

    def before(self, params: Any = None, model: Any = None, **_: Any) -> None:
        if not self.on or model is None:
            return
        self.calls[model.name] += 1
        body = params if isinstance(params, dict) else {}
        if model.name == "TransactWriteItems":
            self.written += len(body.get("TransactItems", []))
        elif model.name in ("PutItem", "UpdateItem", "DeleteItem"):
            self.written += 1
        elif model.name == "BatchWriteItem":
            self.written += sum(len(v) for v in body.get("RequestItems", {}).values())

    def after(self, parsed: Any = None, model: Any = None, **_: Any) -> None:
        if not self.on or model is None:
            return
        parsed = parsed or {}
        if "Count" in parsed:
            self.read += int(parsed["Count"])
        elif "Item" in parsed:
            self.read += 1

    def measure(self, fn: Any) -> tuple[Any, Counter[str], int, int, float]:
        self.calls.clear()
        self.written = self.read = 0
        self.on = True
        t0 = time.perf_counter()
        try:
            out = fn()
        finally:
            self.on = False
        return out, Counter(self.calls), self.written, self.read, (time.perf_counter() - t0) * 1000


def calls_text(calls: Counter[str]) -> str:
    return f"{sum(calls.values())} calls ({' '.join(f'{k}={v}' for k, v in sorted(calls.items()))})"


def median_ms(fn: Any) -> float:
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def per_spend(meter: Meter, brand_id: str) -> None:
    from chalicelib.wallet import ledger, wallets
    from chalicelib.wallet import models as m
    from chalicelib.wallet.ledger import Move

    w = wallets.open_wallet(brand_id, "spender", "USD")
    ledger.post(brand_id, [Move(w.id, 1_000_000, "WalletAddMoney")])

    def spend() -> Any:
        return ledger.post(brand_id, [Move(w.id, -100, "LicensePurchase")])

    spend()  # warm
    _, calls, written, _, _ = meter.measure(spend)
    spend_ms = median_ms(spend)
    W = m.WalletItem  # noqa: N806

    def baseline() -> None:
        item = W.get(w.pk, m.WALLET_SK)
        item.update(actions=[W.modified_date.set(NOW)], condition=W.seq == item.seq)

    baseline()
    _, bcalls, bwritten, _, _ = meter.measure(baseline)
    base_ms = median_ms(baseline)
    print(f"spend: {sum(calls.values())} calls, {written} items written  [{calls_text(calls)}; "
          f"{spend_ms:.1f} ms]  baseline, a read + one conditioned UpdateItem: "
          f"{sum(bcalls.values())} calls, {bwritten} item written [{base_ms:.1f} ms]")
    counter = iter(range(10**9))

    def credit() -> Any:
        return ledger.post(brand_id, [Move(w.id, 100, "WalletAddMoney")],
                           ref=f"TOPUP#bench{next(counter)}")

    credit()
    _, calls, written, _, _ = meter.measure(credit)
    print(f"credit with a reference: {sum(calls.values())} calls, {written} items written  "
          f"[{calls_text(calls)}]")
    # out of the reconciliation's figures below: they are about the seeded wallets
    W.get(w.pk, m.WALLET_SK).update(actions=[W.due_pk.remove(), W.due_sk.remove()])


def per_purchase(meter: Meter, brand: dict) -> None:
    """A price bought with a wallet paying all of it (payments' checkout with ``Funds``: the
    payment created with the wallet's debit, completed through the intake), against the same
    purchase through a gateway: the checkout's PayPal link plus its completion notification."""
    from types import SimpleNamespace

    from chalicelib.catalog import service as catalog
    from chalicelib.identity import service as identity
    from chalicelib.payments import service as payments
    from chalicelib.payments.checkout import start
    from chalicelib.payments.gateways.events import GatewayEvent
    from chalicelib.payments.inbound import intake
    from chalicelib.wallet import ledger, wallets
    from chalicelib.wallet import models as m
    from chalicelib.wallet import service as wallet
    from chalicelib.wallet.ledger import Move

    b = brand["id"]
    identity.update_brand_setting(b, {"riskVelocityHigh": 10**6, "riskVelocityMedium": 10**6})
    brand = identity.get_brand(b)
    pkg = catalog.create_package(b, {"code": "PRO", "name": "Pro"})
    price = catalog.create_price(b, {"packageId": pkg["id"], "subscriptionTypeId": "D30",
                                     "code": "PRO-30", "name": "PRO-30", "amount": "9.99",
                                     "currency": "USD"})
    payments.create_gateway(b, {"appIntegrationId": "paypal", "name": "PayPal",
                                "paypalReceiverEmail": "seller@bench.test",
                                "paypalMode": "sandbox", "testMode": True,
                                "returnLink": "https://bench.test/paid",
                                "cancelLink": "https://bench.test/cancel"})
    user = identity.register_user(brand, password="s3cret-Pass", username="buyer",
                                  email_address="buyer@bench.test")
    caller = SimpleNamespace(brand_id=b, user_id=user["id"])
    w = wallets.open_wallet(b, user["id"], "USD", True)
    ledger.post(b, [Move(w.id, 10**8, "WalletAddMoney")])

    def by_wallet() -> Any:
        return start.start(brand, caller, price_id=price["id"], funds=wallet.Funds(b, w.id))

    def by_gateway() -> Any:
        made = start.start(brand, caller, price_id=price["id"])["payment"]
        intake.apply(b, GatewayEvent(
            gateway="paypal", dedupe_key=f"TXN{made.id}:Completed", kind="payment.succeeded",
            event_type="web_accept/Completed", occurred_at=NOW, payment_ref=made.id,
            merchant_ref=f"TXN{made.id}", amount_minor=made.amount_minor, currency="USD",
            fee_minor=50, receiver="seller@bench.test", receiver_matches=True,
            jfw_status="Completed", test_mode=True), None)

    by_wallet(), by_gateway()  # warm
    _, calls, written, _, _ = meter.measure(by_wallet)
    _, bcalls, bwritten, _, _ = meter.measure(by_gateway)
    print(f"purchase paid by the wallet: {sum(calls.values())} calls, {written} items written  "
          f"[{calls_text(calls)}]  baseline, the same purchase through PayPal (checkout + its "
          f"completion): {sum(bcalls.values())} calls, {bwritten} items written "
          f"[{calls_text(bcalls)}]")
    # out of the reconciliation's figures below: they are about the seeded wallets
    W = m.WalletItem  # noqa: N806
    W.get(w.pk, m.WALLET_SK).update(actions=[W.due_pk.remove(), W.due_sk.remove()])


def seed(brand_id: str, wallets: int, rows: int) -> list[Any]:
    """``wallets`` wallets of ``rows`` rows, proven and marked verified as a run leaves them."""
    from chalicelib import settings
    from chalicelib.store import ids
    from chalicelib.wallet import chain, ledger
    from chalicelib.wallet import models as m
    from chalicelib.wallet.ledger import Move

    audit = NOW + timedelta(days=settings.get().wallet_audit_days)
    made = []
    with m.WalletRecord.batch_write() as batch:
        for i in range(wallets):
            wid = f"w{i:05d}"
            w = m.WalletItem(m.wallet_pk(brand_id, wid), m.WALLET_SK, id=wid, brand_id=brand_id,
                             user_id=f"u{i:05d}", code=f"W{i:010d}", currency="USD",
                             status="Open", created_date=NOW, modified_date=NOW)
            for n in range(rows):
                move = Move(wid, -50 if n % 3 == 2 else 100, "WalletAddMoney",
                            part="granted" if n % 5 == 1 else "paid")
                row, _ = ledger._row(w, move, None, NOW)  # as post builds it
                row.code = f"WH{ids.new_code(10)}"
                batch.save(row)
            w.mac = chain.wallet_mac(w)
            w.verified_seq, w.verified_head, w.verified_date = int(w.seq), w.head, NOW
            w.due_pk = m.recon_shard(wid)
            w.due_sk = m.recon_sort_key(audit, brand_id, wid)
            batch.save(w)
            made.append(w)
    return made


def full_audit_items(brand_id: str, when: datetime) -> int:
    """The items a full audit of every wallet of ``brand_id`` reads (the due entries, then each
    wallet's rows from row 1 and the wallet), counted by DynamoDB with Select=COUNT: moto
    serialises 10,000 returned items too slowly for a one-minute bench (``--full`` runs the
    audit itself)."""
    from chalicelib import settings
    from chalicelib.store.base import connection
    from chalicelib.store.ids import stamp
    from chalicelib.wallet import models as m

    client, table = connection().client, settings.get().table_name("wallet")
    total = 0
    for shard in m.recon_shards():
        for page in client.get_paginator("query").paginate(
                TableName=table, IndexName="due", Select="COUNT",
                KeyConditionExpression="duePk = :s AND dueSk <= :c",
                ExpressionAttributeValues={":s": {"S": shard}, ":c": {"S": stamp(when) + "#~"}}):
            total += page["Count"]
    for page in client.get_paginator("scan").paginate(
            TableName=table, Select="COUNT",
            FilterExpression="begins_with(pk, :p) AND (kind = :w OR kind = :r)",
            ExpressionAttributeValues={":p": {"S": m.wallet_pk(brand_id, "")},
                                       ":w": {"S": "Wallet"}, ":r": {"S": "LedgerRow"}}):
        total += page["Count"]
    return total


def reconcile_figures(meter: Meter, brand_id: str, args: argparse.Namespace) -> None:
    from chalicelib import settings
    from chalicelib.wallet import ledger, reconcile
    from chalicelib.wallet import models as m
    from chalicelib.wallet.ledger import Move

    t0 = time.perf_counter()
    made = seed(brand_id, args.wallets, args.rows)
    seeded_s = time.perf_counter() - t0
    later = NOW + timedelta(hours=1)
    settings.set_clock(lambda: later)
    for w in made[:args.changed]:
        ledger.post(brand_id, [Move(w.id, 100, "WalletAddMoney")])
    result, calls, _, read, ms = meter.measure(lambda: reconcile.run(later))
    # the baseline: every wallet's audit came (each due and proven from row 1)
    audit = later + timedelta(days=settings.get().wallet_audit_days, hours=1)
    if args.full:
        full, fcalls, _, fread, fms = meter.measure(lambda: reconcile.run(audit))
        baseline = (f"full audit of all {full['wallets']}: {fread:,} items read, "
                    f"{sum(fcalls.values())} calls, {fms:.0f} ms, failures={full['failures']}")
    else:
        items = full_audit_items(brand_id, audit)
        baseline = (f"full audit of all {args.wallets}: {items:,} items read, counted with "
                    "Select=COUNT over the keys it reads; --full runs it")
    print(f"reconcile: {result['wallets']} wallets changed, {read} items read "
          f"({result['rows']} ledger rows; {sum(calls.values())} calls; {ms:.0f} ms)  "
          f"({baseline})  [{args.wallets} wallets x {args.rows} rows; "
          f"passed={result['passed']} failures={result['failures']}; "
          f"seeding took {seeded_s:.0f} s]")
    again, acalls, _, aread, _ = meter.measure(lambda: reconcile.run(audit if args.full
                                                                       else later))
    print(f"reconcile second run: {again['wallets']} wallets, {aread} items read, "
          f"{sum(acalls.values())} calls (nothing changed)")
    assert m.WalletItem.get(made[0].pk, m.WALLET_SK).status == "Open"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wallets", type=int, default=200)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--full", action="store_true",
                        help="run the full audit of every wallet as the baseline (minutes)")
    args = parser.parse_args()

    from moto import mock_aws

    with mock_aws():
        from chalicelib import settings
        from chalicelib.identity import brands
        from chalicelib.store import aws, base, bootstrap
        from chalicelib.store.base import connection

        settings.reload()
        aws.reset()
        base.reset()
        bootstrap.create_all()
        without_table_snapshots()
        settings.set_clock(lambda: NOW)
        brand = brands.create(name="Bench", abbr="BENCH", domain="bench.test")
        meter = Meter()
        events = connection().client.meta.events
        events.register("before-parameter-build.dynamodb.*", meter.before)
        events.register("after-call.dynamodb.*", meter.after)
        per_spend(meter, brand["id"])
        per_purchase(meter, brand)
        seeded = brands.create(name="Bench 2", abbr="BENCH2", domain="bench2.test")
        reconcile_figures(meter, seeded["id"], args)


if __name__ == "__main__":
    main()
