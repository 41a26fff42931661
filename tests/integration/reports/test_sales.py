"""The sales counters (reports/counters.py) behind v1/analytics/payments/summary and
v1/payments/dashboard: equal to a recomputation from the payments after random completions,
refunds, disputes and failures delivered twice and out of order; concurrent deliveries count
once; the summary's figures and the dashboard's are the same; a report read is two Queries
whatever the brand's size."""

from __future__ import annotations

import random
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from chalicelib.reports import counters, summary
from chalicelib.reports import service as reports
from chalicelib.store.base import connection
from tests.concurrency import run_together
from tests.helpers import payments as ps

DAY = 86400


@pytest.fixture
def gw(demo_brand):
    return ps.make_gateway(demo_brand, "stripe")


def events_of(brand_id: str) -> list[dict[str, Any]]:
    """The brand's payment events as the outbox consumer hands them to subscribers."""
    return [{**r.payload, "eventId": r.id, "brandId": brand_id}
            for r in ps.payment_events(brand_id)]


def random_history(client, demo_brand, gw, rng: random.Random, n: int) -> None:
    """``n`` payments, each with a random fate, through the real webhook path."""
    for i in range(n):
        currency = rng.choice(["USD", "USD", "JPY"])
        amount = rng.choice([500, 1999, 3000])
        kind = rng.choice(["Purchase", "Purchase", "WalletTopUp", "Wallet"])
        fields = {} if kind == "Purchase" else {"payment_type": kind}
        p = ps.make_payment(demo_brand, gw, amount=amount, currency=currency, **fields)
        pi = f"pi_{p.id}"
        fate = rng.choice(["open", "failed", "done", "done", "partial", "refunded", "disputed"])
        if fate == "open":
            continue
        if fate == "failed":
            ps.post_stripe(client, gw, ps.pi_event(p.id, type="payment_intent.payment_failed",
                                                   amount=amount, currency=currency.lower(),
                                                   pi_id=pi))
            continue
        created = int(time.time()) - rng.choice([0, 0, DAY, 3 * DAY])
        ps.post_stripe(client, gw, ps.pi_event(p.id, amount=amount, currency=currency.lower(),
                                               pi_id=pi, created=created))
        if fate == "partial":
            for part in sorted(rng.sample(range(1, amount), rng.choice([1, 2]))):
                ps.post_stripe(client, gw, ps.refund_event(
                    amount=amount, refunded=part, currency=currency.lower(), pi_id=pi))
        elif fate == "refunded":
            ps.post_stripe(client, gw, ps.refund_event(
                amount=amount, refunded=amount, currency=currency.lower(), pi_id=pi))
        elif fate == "disputed":
            dp = f"dp_{i}"
            ps.post_stripe(client, gw, ps.dispute_event(dispute_id=dp, amount=amount, pi_id=pi))
            ps.post_stripe(client, gw, ps.dispute_event(
                "charge.dispute.closed", rng.choice(["won", "lost"]), dispute_id=dp,
                amount=amount, pi_id=pi))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_equal_a_recomputation_after_random_shuffled_duplicated_events(
        client, demo_brand, gw, seed):
    rng = random.Random(seed)
    b = demo_brand["id"]
    random_history(client, demo_brand, gw, rng, 12)
    events = events_of(b)
    assert events
    deliveries = events + rng.sample(events, len(events) // 2)  # half of them twice
    rng.shuffle(deliveries)  # any order: older versions after newer ones
    for payload in deliveries:
        reports.on_payment_event(payload)
    want = reports.recompute_sales(b)
    assert want, "the history completed nothing"
    assert reports.sales_counters(b) == want
    # the outbox delivering every row again changes nothing
    for payload in events:
        reports.on_payment_event(payload)
    assert reports.sales_counters(b) == want


def test_concurrent_deliveries_count_once(atomic_moto, client, demo_brand, gw):
    b = demo_brand["id"]
    ps_ = [ps.make_payment(demo_brand, gw, amount=1000 + i) for i in range(12)]
    for p in ps_:
        ps.post_stripe(client, gw, ps.pi_event(p.id, amount=int(p.amount_minor),
                                               pi_id=f"pi_{p.id}"))
    events = events_of(b)
    work = events * 3  # each event three times, all at once, on one hot counter
    outcomes = run_together(len(work), lambda i: reports.on_payment_event(work[i]))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert reports.sales_counters(b) == reports.recompute_sales(b)
    total = summary.summary(demo_brand)
    assert (total["totalPayments"], total["totalSells"]) == (12, 12)
    assert total["totalRevenue"] == Decimal(sum(1000 + i for i in range(12))) / 100


def test_summary_and_dashboard_agree_and_define_sells_and_revenue(
        client, admin, demo_brand, gw):
    """A top-up is a payment and revenue, not a sell; a purchase paid from a wallet a sell
    without revenue; a refund lowers revenue, the sell stays; a failed payment is nothing."""
    b = demo_brand["id"]
    top_up = ps.make_payment(demo_brand, gw, amount=2500, payment_type="WalletTopUp")
    wallet = ps.make_payment(demo_brand, gw, amount=2000, payment_type="Wallet")
    sold = ps.make_payment(demo_brand, gw, amount=1999)
    failed = ps.make_payment(demo_brand, gw, amount=700)
    yen = ps.make_payment(demo_brand, gw, amount=3000, currency="JPY")
    for p in (top_up, wallet, sold):
        ps.post_stripe(client, gw, ps.pi_event(p.id, amount=int(p.amount_minor),
                                               pi_id=f"pi_{p.id}"))
    ps.post_stripe(client, gw, ps.pi_event(yen.id, amount=3000, currency="jpy",
                                           pi_id=f"pi_{yen.id}", created=int(time.time()) - DAY))
    ps.post_stripe(client, gw, ps.pi_event(failed.id, type="payment_intent.payment_failed",
                                           amount=700, pi_id=f"pi_{failed.id}"))
    ps.post_stripe(client, gw, ps.refund_event(amount=1999, refunded=499, pi_id=f"pi_{sold.id}"))
    ps.drain_outbox()
    s = admin.ok("GET", "v1/analytics/payments/summary")
    assert s["currencyCode"] == "USD"
    # payments: top-up, wallet purchase, sale; sells: wallet purchase, sale;
    # revenue: 25.00 (top-up) + 0 (wallet) + 19.99 - 4.99 (sale, refunded in part)
    assert (s["totalPayments"], s["totalSells"], s["totalRevenue"]) == (3, 2, 40)
    assert (s["dailySells"], s["dailyRevenue"]) == (2, 40)
    assert s["byCurrency"]["JPY"] == {"totalPayments": 1, "totalSells": 1, "totalRevenue": 3000,
                                      "dailyPayments": 0, "dailySells": 0, "dailyRevenue": 0}
    assert admin.ok("GET", "v1/payments/dashboard") == s
    assert admin.ok("GET", "v1/analytics/payments/summary?testMode=false")["totalSells"] == 0
    assert admin.ok("GET", "v1/analytics/payments/summary?testMode=true") == s
    assert reports.sales_counters(b) == reports.recompute_sales(b)


def test_the_sdk_shape_and_who_may_read_it(api, admin, demo_brand):
    from tests.helpers.api import register_and_login

    s = admin.ok("GET", "v1/analytics/payments/summary")
    # SummaryPaymentsResponse (jfw-js src/features/analytic/payments/types.ts), numbers
    for key in ("totalPayments", "totalSells", "totalRevenue", "dailySells", "dailyRevenue"):
        assert isinstance(s[key], int | float) and s[key] == 0, (key, s)
    assert s["byCurrency"] == {}
    alice = register_and_login(api, "alice")
    assert alice.get("v1/analytics/payments/summary").status_code == 403
    assert api.get("v1/analytics/payments/summary").status_code == 401


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


def test_a_report_read_is_two_queries_however_many_payments(client, demo_brand, gw):
    from chalicelib import settings

    table = settings.get().table_name("reports")
    for n in (1, 25):
        for _ in range(n):
            p = ps.make_payment(demo_brand, gw, amount=1000)
            ps.post_stripe(client, gw, ps.pi_event(p.id, amount=1000, pi_id=f"pi_{p.id}"))
        ps.drain_outbox()
        read = calls(lambda: summary.summary(demo_brand))
        assert read == Counter({f"Query {table}": 2}), read
    assert summary.summary(demo_brand)["totalPayments"] == 26


def test_rebuild_counts_what_predates_the_counters(client, demo_brand, gw):
    b = demo_brand["id"]
    for amount in (1000, 2000):
        p = ps.make_payment(demo_brand, gw, amount=amount)
        ps.post_stripe(client, gw, ps.pi_event(p.id, amount=amount, pi_id=f"pi_{p.id}"))
    # the outbox never ran (the counters came after these payments)
    assert reports.sales_counters(b) == {}
    assert reports.rebuild_sales(b) == 2
    assert reports.sales_counters(b) == reports.recompute_sales(b)
    assert reports.rebuild_sales(b) == 0  # again: nothing more
    for payload in events_of(b):  # the outbox catching up later: nothing more either
        counters.on_payment_event(payload)
    assert summary.summary(demo_brand)["totalRevenue"] == 30


def test_what_counting_a_payment_event_costs(client, demo_brand, gw):
    from chalicelib import settings

    table = settings.get().table_name("reports")
    p = ps.make_payment(demo_brand, gw, amount=1000)
    ps.post_stripe(client, gw, ps.pi_event(p.id, amount=1000, pi_id=f"pi_{p.id}"))
    [event] = events_of(demo_brand["id"])
    # the COUNTED row, then one transaction: the row and the total and day counters
    first = calls(lambda: reports.on_payment_event(event))
    assert first == Counter({f"GetItem {table}": 1, "TransactWriteItems ": 1}), first
    again = calls(lambda: reports.on_payment_event(event))
    assert again == Counter({f"GetItem {table}": 1}), again
    print(f"\nper payment event: {dict(first)}; delivered again: {dict(again)}")


def test_a_transaction_conflict_is_tried_again(client, demo_brand, gw, monkeypatch):
    """DynamoDB cancels a transaction that meets another on the same counter
    (TransactionConflict; moto serialises them, so the test makes one)."""
    from pynamodb.exceptions import TransactWriteError

    p = ps.make_payment(demo_brand, gw, amount=1000)
    ps.post_stripe(client, gw, ps.pi_event(p.id, amount=1000, pi_id=f"pi_{p.id}"))
    [event] = events_of(demo_brand["id"])
    real, tries = counters._write, []

    def conflicting(*args: Any, **kwargs: Any) -> None:
        tries.append(1)
        if len(tries) < 3:
            raise TransactWriteError("Transaction cancelled: TransactionConflict")
        real(*args, **kwargs)

    monkeypatch.setattr(counters, "_write", conflicting)
    monkeypatch.setattr(counters, "_conflict", lambda e: True)
    reports.on_payment_event(event)
    assert len(tries) == 3
    assert reports.sales_counters(demo_brand["id"]) == reports.recompute_sales(demo_brand["id"])


def test_through_the_real_wallet_paths(api, admin, demo_brand, mail_env):
    """A top-up through PayPal (revenue, no sell), a purchase the wallet pays in full (a sell,
    no revenue) and one it pays in part (a sell, the gateway's part is revenue)."""
    from urllib.parse import parse_qs, urlsplit

    from chalicelib.catalog import service as catalog
    from chalicelib.payments.inbound import intake
    from tests.helpers.api import register_and_login
    from tests.helpers.checkout import PAYPAL_BODY, paypal_completion

    b = demo_brand["id"]
    pro = catalog.create_package(b, {"code": "PRO", "name": "Pro"})
    price = catalog.create_price(b, {"packageId": pro["id"], "subscriptionTypeId": "D30",
                                     "code": "PRO-30", "name": "PRO-30", "amount": "20.00",
                                     "currency": "USD"})
    admin.ok("POST", "v1/app-integrations/payment-gateway", PAYPAL_BODY)
    buyer = register_and_login(api, "bob", email="bob@shop-buyers.com")
    links = "returnLink=https://demo.test/paid&cancelLink=https://demo.test/cancel"

    def complete(payment_id: str) -> None:
        intake.apply(b, paypal_completion(ps.payment(b, payment_id)), None)
        ps.drain_outbox()

    url = buyer.ok("POST", f"v1/wallets/add-money/checkout-link?currencyCode=USD&amount=25.00"
                           f"&{links}")
    complete(parse_qs(urlsplit(url).query)["custom"][0])
    [w] = buyer.ok("GET", "v1/wallets?testMode=true&currencyCode=USD")
    whole = buyer.ok("POST", f"v1/packages/{pro['id']}/upgrade/checkout",
                     {"priceId": price["id"], "walletId": w["id"]})
    assert whole["status"] == "Completed"
    ps.drain_outbox()
    part = buyer.ok("POST", f"v1/packages/{pro['id']}/upgrade/checkout",
                    {"priceId": price["id"], "walletId": w["id"]})  # 5.00 left: 15.00 by PayPal
    complete(part["paymentId"])
    s = admin.ok("GET", "v1/analytics/payments/summary")
    assert (s["totalPayments"], s["totalSells"], s["totalRevenue"]) == (3, 2, 40)
    assert reports.sales_counters(b) == reports.recompute_sales(b)
