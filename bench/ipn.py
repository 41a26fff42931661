"""A Stripe success notification through the real handler: AWS calls, time, and a burst.

In-process: the app through ``chalice.test.Client`` and moto for DynamoDB, SQS and SES (absolute
times are moto's; the call counts and the ratio to a trivial route run in the same process are
the figures to compare). It prints:

    ipn dynamodb_calls_per_notification=... (GetItem=.. TransactWriteItems=..) sqs_sends=...
        handler_median_ms=... trivial_median_ms=... ratio=...
    ipn burst n=1000 duplicates=200 throughput_per_s=... lost=0 applied_twice=0 ...
        target=app-in-process

- Calls are counted with botocore ``before-call`` hooks on the shared clients (PynamoDB's one
  connection and store/aws.py's SQS client), for a warm handler (the gateway row and the
  brand's commission rates are cached in memory for 30 s, as they are between a gateway's
  deliveries); the first, cold notification (``cold_calls``) adds the gateway row's GetItem,
  the commission rates' Query and the queue URL lookup.
- ``handler_median_ms`` is measured with moto's transactions rolled back per item (see
  ``atomic_moto``); ``handler_median_ms_stock_moto`` with moto as it ships, whose whole-table
  copy per transaction dominates; ``handler_outside_aws_mean_ms`` is the handler's time minus
  the time spent inside AWS calls: our own code's cost.
- The burst sends 800 distinct success notifications plus 200 re-sends of some of them (20 %
  duplicates), shuffled, from 8 threads, into the handler pipeline (``dispatch.handle``, since
  chalice's test client shares one ``current_request`` across threads), with each moto request
  made atomic as DynamoDB's are. The outbox consumers do not run (the queue is just emptied).
  ``lost``: payments not Completed afterwards; ``applied_twice``: payments with more than one
  Completed transition, success-mail or payment-event outbox row, or sent success mail (read
  back from DynamoDB).

The same burst against the local stack as `make run` starts it (DynamoDB Local), and against
moto's DynamoDB as the stack used to run it, is bench/stack.py, which uses the helpers here
(``plan``, ``fire``, ``tally``, ``attach``, ``wait_drained``).

Run: .venv/bin/python bench/ipn.py [--burst 1000] [--samples 200]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

# The quick sizes unless BENCH_FULL=1 (`make bench FULL=1`, bench/__main__.py).
FULL = os.environ.get("BENCH_FULL") == "1"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SECRET = "whsec_bench"
THREADS = 8
AMOUNT_MINOR = 1999  # what payment_maker's payments cost, in USD cents


def event(payment_id: str, n: int, amount_minor: int = AMOUNT_MINOR) -> bytes:
    return json.dumps({
        "id": f"evt_bench_{n}", "object": "event", "type": "payment_intent.succeeded",
        "created": int(time.time()), "livemode": False,
        "data": {"object": {"id": f"pi_bench_{n}", "object": "payment_intent",
                            "amount": amount_minor,
                            "currency": "usd", "status": "succeeded",
                            "metadata": {"payment_code": payment_id}}}},
        indent=2, sort_keys=True).encode()


def headers(body: bytes) -> dict[str, str]:
    from chalicelib.payments import service as payments

    return {"Stripe-Signature": payments.sign_stripe_payload(body, SECRET, int(time.time())),
            "Content-Type": "application/json"}


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=1000 if FULL else 300)
    parser.add_argument("--samples", type=int, default=200 if FULL else 50)
    in_process(parser.parse_args())


def in_process(args: argparse.Namespace) -> None:
    os.environ.update({
        "JFW_STAGE": "test", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1"})
    os.environ.pop("JFW_AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    with mock_aws():
        from chalicelib import settings

        settings.reload()
        from chalice.test import Client

        from app import app
        from chalicelib.identity import brands
        from chalicelib.payments import service as payments
        from chalicelib.store import aws, bootstrap
        from chalicelib.store.base import connection

        bootstrap.create_all()
        aws.client("ses").verify_email_identity(EmailAddress="no-reply@jfw.localhost")
        brand = brands.create(name="Bench", abbr="BENCH", domain="bench.test")
        gw = payments.create_gateway(brand["id"], {
            "appIntegrationId": "stripe", "name": "Stripe", "publicKey": "pk_test_bench",
            "privateKey": "sk_test_bench", "webhookSecret": SECRET, "testMode": True})["id"]
        path = f"/api/v1/ipn/stripe/{gw}"

        new_payment = payment_maker(brand, gw)
        calls: Counter[str] = Counter()
        counting = {"on": False}

        def count(event_name: str, **_: Any) -> None:
            if counting["on"]:
                calls[event_name.split(".", 2)[2]] += 1

        aws_time = {"total": 0.0, "t0": 0.0}

        def started(**_: Any) -> None:
            aws_time["t0"] = time.perf_counter()

        def ended(**_: Any) -> None:
            aws_time["total"] += time.perf_counter() - aws_time["t0"]

        for c in (connection().client, aws.client("sqs")):
            c.meta.events.register("before-call.*.*", started)
            c.meta.events.register("after-call.*.*", ended)
        connection().client.meta.events.register("before-call.dynamodb.*", count)
        aws.client("dynamodb").meta.events.register("before-call.dynamodb.*", count)
        aws.client("sqs").meta.events.register("before-call.sqs.*", count)

        def consumed() -> None:
            """What the outbox consumers do between deliveries: empty the queue (not counted).
            moto's SendMessageBatch looks at every message already queued, so a queue that is
            never drained would make each send slower than the last."""
            was, counting["on"] = counting["on"], False
            sqs, url = aws.client("sqs"), aws.queue_url("outbox")
            while msgs := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                              VisibilityTimeout=0).get("Messages"):
                sqs.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(msgs)])
            counting["on"] = was

        n = iter(range(10**9))
        with Client(app) as client:
            def notify(pid: str) -> Any:
                body = event(pid, next(n))
                return client.http.post(path, body=body, headers=headers(body))

            with atomic_moto():  # quick setup; the measurements below choose their moto
                fresh = [new_payment() for _ in range(args.samples * 2 + 2)]
            # cold: first notification (gateway row read, commission rates read, queue URL)
            pid = fresh.pop()
            counting["on"] = True
            first = notify(pid)
            counting["on"] = False
            assert json.loads(first.body)["data"]["outcome"] == "applied", first.body
            cold = dict(calls)
            calls.clear()
            notify(fresh.pop())  # warm everything once more
            calls.clear()
            counting["on"] = True
            notify(fresh.pop())
            counting["on"] = False
            per = dict(calls)

            def sample(pids: list[str]) -> tuple[list[float], float]:
                """Handler times, and the mean time spent outside AWS calls."""
                times, aws_total = [], 0.0
                for i, pid in enumerate(pids):
                    if i % 25 == 0:
                        consumed()
                    body = event(pid, next(n))
                    h = headers(body)
                    aws_time["total"] = 0.0
                    t0 = time.perf_counter()
                    resp = client.http.post(path, body=body, headers=h)
                    times.append(time.perf_counter() - t0)
                    aws_total += aws_time["total"]
                    assert resp.status_code == 200, resp.body
                return times, (sum(times) - aws_total) / len(times)

            stock, _ = sample(fresh[:args.samples // 4])
            with atomic_moto():
                samples, own = sample(fresh[args.samples // 4:args.samples])
                trivial = []
                for _ in range(len(samples)):
                    t0 = time.perf_counter()
                    client.http.get("/api/v1/health")
                    trivial.append(time.perf_counter() - t0)

        ddb = {k: v for k, v in per.items() if k in _DDB}
        sqs = {k: v for k, v in per.items() if k not in _DDB}
        handler, base = median_ms(samples), median_ms(trivial)
        print(f"ipn dynamodb_calls_per_notification={sum(ddb.values())} "
              f"({' '.join(f'{k}={v}' for k, v in sorted(ddb.items()))}) "
              f"sqs_sends={sqs.get('SendMessageBatch', 0) + sqs.get('SendMessage', 0)} "
              f"handler_median_ms={handler:.2f} trivial_median_ms={base:.2f} "
              f"ratio={handler / base:.1f}")
        print(f"ipn handler_outside_aws_mean_ms={own * 1000:.2f} "
              f"handler_median_ms_stock_moto={median_ms(stock):.2f} "
              f"cold_calls={' '.join(f'{k}={v}' for k, v in sorted(cold.items()))}")
        with atomic_moto():
            burst_in_process(brand, gw, args.burst, new_payment, consumed)


_DDB = {"GetItem", "TransactWriteItems", "Query", "PutItem", "UpdateItem", "BatchGetItem",
        "DeleteItem", "Scan"}


def payment_maker(brand: dict, gw: str) -> Callable[[], str]:
    """A function that creates one Created payment of ``brand`` on gateway ``gw``: its id."""
    from chalicelib.payments import service as payments

    def new_payment() -> str:
        return payments.create_payment(brand, amount_minor=AMOUNT_MINOR, currency="USD",
                                      gateway_id=gw, gateway_type="stripe",
                                      user_email="buyer@example.com", user_id="u1",
                                      test_mode=True).id

    return new_payment


def plan(total: int, new_payment: Callable[[], str],
         duplicates: int | None = None) -> tuple[list[str], list[bytes]]:
    """``total - duplicates`` new payments, a success notification for each and ``duplicates``
    (default ``total // 5``) re-sends of some of them, shuffled: (payment ids, deliveries)."""
    dupes = total // 5 if duplicates is None else duplicates
    pids = [new_payment() for _ in range(total - dupes)]
    bodies = [event(pid, 10**6 + i) for i, pid in enumerate(pids)]
    deliveries = bodies + [random.choice(bodies) for _ in range(dupes)]
    random.shuffle(deliveries)
    return pids, deliveries


def fire(deliveries: list[bytes], send: Callable[[bytes], str],
         between: Callable[[], None] | None = None,
         threads: int = THREADS) -> tuple[float, Counter[str]]:
    """Every delivery through ``send`` (which answers the outcome) from ``threads`` threads;
    ``between`` runs every 25 deliveries. (seconds for the whole burst, outcomes)."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    queue = list(deliveries)

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
                if between and len(queue) % 25 == 0:
                    between()
            outcome = send(body)
            with lock:
                outcomes[outcome] += 1

    # Daemons: on Ctrl-C the main thread stops waiting and the stack is stopped under them.
    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return time.perf_counter() - t0, outcomes


def outbox_rows(brand_id: str) -> list[Any]:
    """The brand's outbox effects (a scan: bench bookkeeping only): rows, and each effect of a
    bundle row as a row of its own kind, with the id its sent mail names."""
    from chalicelib.notify.models import OutboxItem
    from chalicelib.notify.outbox import effects

    return [e for r in OutboxItem.scan((OutboxItem.sk == "OUTBOX")
                                       & (OutboxItem.brand_id == brand_id)) for e in effects(r)]


def tally(brand_id: str, pids: list[str]) -> tuple[int, int, int]:
    """(lost, applied twice, success mails sent) for the burst's payments. ``lost``: not
    Completed; applied twice: more than one Completed transition, outbox row of one kind
    (success mail, payment event) or sent mail for one payment."""
    from chalicelib.notify.models import SentMailItem, sent_mail_pk
    from chalicelib.payments import service as payments_service

    payments = {pid: payments_service.PaymentItem.get(payments_service.payment_pk(brand_id, pid),
                                                      payments_service.PAYMENT_SK)
                for pid in pids}
    lost = sum(1 for p in payments.values() if p.status != "Completed")
    # Scans, bench bookkeeping only: moto's Query reads every item of the table, so a Query per
    # payment would cost 800 times a scan.
    history = payments_service.PaymentHistoryItem
    transitions = Counter(h.payment_id for h in history.scan(
        history.sk.startswith("HIST#") & (history.to_status == "Completed"))
        if h.payment_id in payments)
    by_code = {p.code: pid for pid, p in payments.items()}
    owner: dict[str, str] = {}  # outbox row id -> payment id
    effects: Counter[tuple[str, str]] = Counter()
    for row in outbox_rows(brand_id):
        pid = row.payload.get("paymentId") or by_code.get(
            (row.payload.get("context") or {}).get("payment", {}).get("code"))
        if pid in payments:
            owner[row.id] = pid
            effects[(row.kind, pid)] += 1
    mails = Counter(owner[s.outbox_id] for s in SentMailItem.query(sent_mail_pk(brand_id))
                    if s.outbox_id in owner)
    completed = len(pids) - lost  # the read-back sees what it counts:
    assert len(transitions) == completed == len({pid for _, pid in effects}), (
        completed, len(transitions), len(effects))
    twice = {pid for pid, c in transitions.items() if c > 1}
    twice |= {pid for (_, pid), c in effects.items() if c > 1}
    twice |= {pid for pid, c in mails.items() if c > 1}
    return lost, len(twice), sum(mails.values())


def report(deliveries: list[bytes], elapsed: float, counted: tuple[int, int, int],
           outcomes: Counter[str], target: str, extra: str = "") -> None:
    lost, twice, _ = counted
    print(f"ipn burst n={len(deliveries)} duplicates={len(deliveries) - len(set(deliveries))} "
          f"throughput_per_s={len(deliveries) / elapsed:.0f} lost={lost} "
          f"applied_twice={twice} outcomes={dict(outcomes)} threads={THREADS} "
          f"target={target}{extra}", flush=True)


def burst_in_process(brand: dict, gw: str, total: int, new_payment: Callable[[], str],
                     consumed: Callable[[], None]) -> None:
    from chalicelib.http.dispatch import handle
    from chalicelib.routes import all_routes

    route = next(r for r in all_routes() if r.path == "/api/v1/ipn/stripe/{gatewayId}")
    pids, deliveries = plan(total, new_payment)

    def send(body: bytes) -> str:
        req = SimpleNamespace(method="POST", raw_body=body, headers=headers(body),
                              query_params=None, context={"path": "/ipn"}, path="")
        resp = handle(route, req, {"gatewayId": gw})
        return json.loads(resp.body)["data"]["outcome"] if resp.status_code == 200 \
            else f"http{resp.status_code}"

    elapsed, outcomes = fire(deliveries, send, consumed)
    report(deliveries, elapsed, tally(brand["id"], pids), outcomes, "app-in-process")


def attach(stack: Any) -> tuple[dict, dict]:
    """This process on a running local stack (tests/e2e/stackproc.py's StackProcess), with the
    stack's own settings (stage local, its DynamoDB and moto): (the demo brand, its seeded
    Stripe gateway). The stage must be local before the models are imported."""
    from chalicelib.devstack.config import DevConfig
    from chalicelib.devstack.stack import prepare_environment, reset_app_state

    for name in [k for k in os.environ if k.startswith(("JFW_", "AWS_"))]:
        del os.environ[name]
    os.environ["PAYPAL_SIM_PORT"] = str(stack.paypal_port)
    cfg = DevConfig.from_env(stack.env)
    if "--dynamodb=moto" in stack.args:
        cfg = dataclasses.replace(cfg, dynamodb="moto")
    prepare_environment(cfg)
    reset_app_state()

    from chalicelib.devstack.seed import DEMO_DOMAIN, STRIPE_GATEWAY_NAME
    from chalicelib.identity import brands
    from chalicelib.payments import service as payments

    payments.clear_gateway_cache()
    brand = brands.find_by_host(DEMO_DOMAIN)
    assert brand, "no demo brand in the stack"
    gw = next(g for g in payments.list_gateways(brand["id"])
              if g["name"] == STRIPE_GATEWAY_NAME)
    assert gw["ipnListenerLink"].startswith(stack.api), gw["ipnListenerLink"]
    return brand, gw


def poster(url: str, timeout: float) -> Callable[[bytes], str]:
    """``send`` for ``fire``: POST a signed delivery to ``url``; the outcome it answers."""
    def send(body: bytes) -> str:
        req = urllib.request.Request(url, data=body, headers=headers(body), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return json.loads(resp.read())["data"]["outcome"]
        except urllib.error.HTTPError as e:
            return f"http{e.code}"
        except OSError as e:
            return f"error:{type(e).__name__}"

    return send


def wait_drained(brand_id: str, timeout: float, poll: float = 1.0,
                 stop: Callable[[], object] | None = None) -> tuple[float, int]:
    """Until every outbox row of the brand is Sent or Failed: (seconds waited, rows still
    waiting when ``timeout`` ran out or ``stop()`` said so, else 0)."""
    from chalicelib.notify.models import FAILED, SENT

    t0, waiting = time.perf_counter(), -1
    while waiting:
        waiting = sum(1 for r in outbox_rows(brand_id) if r.status not in (SENT, FAILED))
        if waiting and (time.perf_counter() - t0 >= timeout or (stop and stop())):
            break
        if waiting:
            time.sleep(poll)
    return time.perf_counter() - t0, waiting


class atomic_moto:  # noqa: N801 - used as a context manager
    """Each moto DynamoDB request atomic, as DynamoDB's are (see tests' serialised_dynamodb),
    and moto's transactions rolled back per item instead of per table.

    moto's ``transact_write_items`` deep-copies every table a transaction touches before
    applying it, so its cost grows with the table (about 0.5 s per transaction once the
    payments table holds a few thousand items): a benchmark of moto, not of the handler. Here
    the touched items are snapshot instead and put back if the transaction is cancelled: the
    same all-or-nothing result, under the lock that already serialises every request.
    """

    NAMES = ("transact_write_items", "update_item", "put_item", "delete_item", "get_item",
             "query", "batch_get_item")

    def __enter__(self) -> atomic_moto:
        import copy

        import moto.dynamodb.models as models
        from moto.dynamodb.models import DynamoDBBackend
        from moto.dynamodb.models.table import Table

        lock = threading.RLock()
        self.originals = {n: getattr(DynamoDBBackend, n) for n in self.NAMES}
        self.models, self.copy = models, models.copy

        class TablesByReference:
            @staticmethod
            def deepcopy(x: Any, memo: Any = None) -> Any:
                return x if isinstance(x, Table) else copy.deepcopy(x, memo)

        models.copy = TablesByReference  # type: ignore[assignment]

        def locked(fn: Any) -> Any:
            def run(*a: Any, **kw: Any) -> Any:
                with lock:
                    return fn(*a, **kw)
            return run

        original_tx = self.originals["transact_write_items"]

        def transact(backend: Any, items: list[dict[str, Any]]) -> Any:
            with lock:
                saved = []
                for item in items:
                    op = next(iter(item.values()))
                    table = backend.get_table(op["TableName"])
                    if "Key" in op:
                        key = op["Key"]
                    else:
                        key = {a: op["Item"][a] for a in (table.hash_key_attr,
                                                          table.range_key_attr) if a}
                    before = backend.get_item(op["TableName"], key)
                    saved.append((op["TableName"], key,
                                  copy.deepcopy(before.to_json()["Attributes"])
                                  if before else None))
                try:
                    return original_tx(backend, items)
                except Exception:
                    for name, key, attrs in saved:
                        if attrs is None:
                            if backend.get_item(name, key) is not None:
                                backend.delete_item(name, key)
                        else:
                            backend.put_item(name, attrs)
                    raise

        for name, fn in self.originals.items():
            setattr(DynamoDBBackend, name, locked(fn))
        DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        from moto.dynamodb.models import DynamoDBBackend

        for name, fn in self.originals.items():
            setattr(DynamoDBBackend, name, fn)
        self.models.copy = self.copy  # type: ignore[assignment]


if __name__ == "__main__":
    main()
