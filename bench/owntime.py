"""Our own code's time per request: the handler's time minus the time inside AWS calls.

Four requests a brand's shop makes all day, each beside a trivial route (``GET v1/health``,
which makes no AWS call) in the same process and run:

- the Stripe success notification (``POST v1/ipn/stripe/{gatewayId}``, a fresh payment each),
- ``GET v1/packages`` for a small catalogue (3 packages x 3 features x 2 prices),
- a quote (``POST v1/packages/{id}/calculate-total-price-checkout`` with a coupon),
- ``GET v1/users/me`` with an Auth-Key (the login, and so argon2, happen once before).

Every request goes through ``chalice.test.Client`` (what API Gateway's proxy event becomes)
against moto in-process. Two measures of "inside AWS" are printed, since they differ by what
botocore does on our side of the wire:

- ``own_ms``: the time outside botocore's ``before-call`` .. ``after-call`` events, the measure
  bench/ipn.py has always printed (the request's serialisation, endpoint resolution and the
  caller's model code count as ours; sending, moto and the response's parsing don't);
- ``own_ms_boto``: the time outside ``BaseClient._make_api_call`` as a whole: what our code and
  PynamoDB take, with everything boto3 does for a call counted as the call's.

A third figure, ``in_lambda_ms``, is ``own_ms_boto`` of the Chalice app's handler alone
(``app(event, context)``, what a Lambda invocation runs): the test client's own work (building
API Gateway's event, patching the environment, matching the route, which API Gateway does when
deployed) left out.

The trivial route's own time is the floor of the test client and the dispatcher; ``ratio`` is
each route's ``own_ms`` over the trivial route's. Medians over many samples, the routes'
samples interleaved so a noisy machine affects them alike. Prints, per route:

    owntime <route> own_ms=... own_ms_boto=... in_lambda_ms=... total_ms=... aws_calls=...
        ratio=...

Run: .venv/bin/python bench/owntime.py [--samples 300]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

FULL = os.environ.get("BENCH_FULL") == "1"


class AwsClock:
    """Time spent inside AWS calls, by both measures, for the clients given."""

    def __init__(self, clients: list[Any]) -> None:
        import botocore.client

        self.wire = self.boto = self.handler = self.handler_boto = 0.0
        self.calls = 0
        self._t0 = 0.0
        for c in clients:
            c.meta.events.register("before-call.*.*", self._before)
            c.meta.events.register("after-call.*.*", self._after)
        original = botocore.client.BaseClient._make_api_call
        clock = self

        def timed(client: Any, operation: str, params: dict) -> Any:
            t0 = time.perf_counter()
            try:
                return original(client, operation, params)
            finally:
                clock.boto += time.perf_counter() - t0
                clock.calls += 1

        botocore.client.BaseClient._make_api_call = timed  # type: ignore[method-assign]

    def _before(self, **_: Any) -> None:
        self._t0 = time.perf_counter()

    def _after(self, **_: Any) -> None:
        self.wire += time.perf_counter() - self._t0

    def reset(self) -> None:
        self.wire = self.boto = self.handler = self.handler_boto = 0.0
        self.calls = 0

    def time_handler(self, app_class: type) -> None:
        """Time every call of the Chalice app (the Lambda handler), and the AWS time in it."""
        original = app_class.__call__
        clock = self

        def timed(app: Any, event: Any, context: Any) -> Any:
            t0, boto0 = time.perf_counter(), clock.boto
            try:
                return original(app, event, context)
            finally:
                clock.handler += time.perf_counter() - t0
                clock.handler_boto += clock.boto - boto0

        app_class.__call__ = timed  # type: ignore[method-assign]


def measure(clock: AwsClock, request: Callable[[], Any]
            ) -> tuple[float, float, float, int, float]:
    clock.reset()
    t0 = time.perf_counter()
    request()
    total = time.perf_counter() - t0
    return (total - clock.wire, total - clock.boto, total, clock.calls,
            clock.handler - clock.handler_boto)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=400 if FULL else 150)
    parser.add_argument("--profile", metavar="ROUTE",
                        help="profile ROUTE (a name printed, e.g. 'quote') with pyinstrument and "
                             "print where its own time goes, AWS calls excluded")
    args = parser.parse_args()
    os.environ.update({
        "JFW_STAGE": "test", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1"})
    for name in ("JFW_AWS_ENDPOINT_URL", "JFW_DYNAMODB_ENDPOINT_URL"):
        os.environ.pop(name, None)
    import ipn
    from moto import mock_aws

    with mock_aws():
        from chalicelib import settings

        settings.reload()
        from chalice.test import Client

        from app import app
        from chalicelib.catalog import api as catalog_api
        from chalicelib.catalog import coupons
        from chalicelib.catalog import service as catalog
        from chalicelib.catalog.schemas import CouponBody
        from chalicelib.identity import brands, users
        from chalicelib.payments import service as payments
        from chalicelib.store import aws, bootstrap
        from chalicelib.store.base import connection

        bootstrap.create_all()
        aws.client("ses").verify_email_identity(EmailAddress="no-reply@jfw.localhost")
        brand = brands.create(name="Bench", abbr="BENCH", domain="bench.test")
        b = brand["id"]
        feats = [catalog.create_feature(b, {"code": f"F{i}", "name": f"Feature {i}"})["id"]
                 for i in range(3)]
        package_ids, price_ids = [], []
        for p in range(3):
            pid = catalog.create_package(b, {"code": f"P{p}", "name": f"Package {p}"})["id"]
            catalog.add_package_features(b, pid, [
                {"featureId": f, "type": "Limitation", "value": 10, "resetPolicy": "Monthly"}
                for f in feats])
            for st in ("D30", "D365"):
                price_ids.append(catalog.create_price(b, {
                    "packageId": pid, "subscriptionTypeId": st, "code": f"P{p}-{st}",
                    "name": "x", "amount": "9.99", "currency": "USD"})["id"])
            package_ids.append(pid)
        coupons.create(b, catalog_api.terms(CouponBody(
            name="Spring", code="SPRING25", percentage=25, startDate="2020-01-01T00:00:00Z",
            endDate="2099-01-01T00:00:00Z"), creating=True))
        users.register(brand, password="s3cret-Pass", username="alice",
                       email_address="alice@example.com", user_type="EndUser")
        gw = payments.create_gateway(b, {
            "appIntegrationId": "stripe", "name": "Stripe", "publicKey": "pk_test_bench",
            "privateKey": "sk_test_bench", "webhookSecret": ipn.SECRET,
            "testMode": True})["id"]
        new_payment = ipn.payment_maker(brand, gw)
        clock = AwsClock([connection().client, aws.client("sqs")])
        clock.time_handler(type(app))
        shop = {"Brand-URL": "bench.test", "Content-Type": "application/json"}
        n = iter(range(10**9))

        with ipn.atomic_moto(), Client(app) as client:
            auth = json.loads(client.http.post(
                "/api/v1/users/auth", headers=shop,
                body=json.dumps({"username": "alice", "password": "s3cret-Pass"})).body)
            me = {**shop, "Auth-Key": auth["data"]["authKey"]}
            quote_body = json.dumps({"priceId": price_ids[0], "couponCode": "SPRING25"})
            payments_left = [new_payment() for _ in range(args.samples + 10)]

            def ok(resp: Any) -> Any:
                assert resp.status_code == 200, resp.body
                return resp

            def notification() -> Any:
                body = ipn.event(payments_left.pop(), next(n))
                headers = ipn.headers(body)  # signing is the gateway's work, not ours
                return lambda: ok(client.http.post(f"/api/v1/ipn/stripe/{gw}", body=body,
                                                   headers=headers))

            routes: dict[str, Callable[[], Callable[[], Any]]] = {
                "health (trivial)": lambda: lambda: ok(client.http.get("/api/v1/health")),
                "stripe notification": notification,
                "GET v1/packages": lambda: lambda: ok(client.http.get("/api/v1/packages",
                                                                      headers=shop)),
                "quote": lambda: lambda: ok(client.http.post(
                    f"/api/v1/packages/{package_ids[0]}/calculate-total-price-checkout",
                    headers=shop, body=quote_body)),
                "GET v1/users/me": lambda: lambda: ok(client.http.get("/api/v1/users/me",
                                                                      headers=me)),
            }
            for make in routes.values():  # warm: caches, clients, first imports
                for _ in range(5):
                    make()()
            if args.profile:
                profile(routes[args.profile], args.samples, lambda: drain(aws))
                return
            results: dict[str, list[tuple[float, float, float, int, float]]] = {
                k: [] for k in routes}
            for i in range(args.samples):
                if i % 25 == 0:
                    drain(aws)
                for name, make in routes.items():
                    results[name].append(measure(clock, make()))

    base = statistics.median(r[0] for r in results["health (trivial)"])
    for name, rows in results.items():
        own = statistics.median(r[0] for r in rows)
        own_boto = statistics.median(r[1] for r in rows)
        in_lambda = statistics.median(r[4] for r in rows)
        total = statistics.median(r[2] for r in rows)
        print(f"owntime {name:<22} own_ms={own * 1000:.3f} own_ms_boto={own_boto * 1000:.3f} "
              f"in_lambda_ms={in_lambda * 1000:.3f} "
              f"total_ms={total * 1000:.3f} aws_calls={rows[-1][3]} ratio={own / base:.1f}")
    print(f"owntime samples={args.samples} (median of each; moto in-process)")


def profile(make: Callable[[], Callable[[], Any]], samples: int,
            between: Callable[[], None]) -> None:
    """pyinstrument over ``samples`` requests: where the time outside the AWS call goes, by
    library and by function (self time per request). The call itself (botocore's
    ``_make_request``: signing, sending, moto, parsing the reply) is left out, as in ``own_ms``."""
    from pyinstrument import Profiler

    # _make_request: the call as own_ms counts it; _make_api_call: as own_ms_boto does.
    cut = os.environ.get("OWNTIME_CUT", "_make_request")
    prof = Profiler(interval=0.0005)
    for i in range(samples):
        if i % 25 == 0:
            between()
        request = make()
        prof.start()
        request()
        prof.stop()
    by_lib: dict[str, float] = {}
    by_fn: dict[str, float] = {}

    def walk(frame: Any) -> None:
        path = frame.file_path or ""
        if "/moto/" in path or (frame.function == cut and "botocore" in path):
            return
        lib = (path.split("site-packages/")[1].split("/")[0] if "site-packages/" in path else
               "chalicelib" if "/chalicelib/" in path else Path(path).name or "builtins")
        by_lib[lib] = by_lib.get(lib, 0.0) + frame.total_self_time
        key = f"{lib}:{Path(path).name}:{frame.line_no}({frame.function})"
        by_fn[key] = by_fn.get(key, 0.0) + frame.total_self_time
        for child in frame.children:
            walk(child)

    walk(prof.last_session.root_frame())
    print(f"  {sum(by_lib.values()) / samples * 1000:8.3f} ms/request outside the AWS call")
    for lib, t in sorted(by_lib.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {t / samples * 1000:8.3f} ms/request  {lib}")
    for name, t in sorted(by_fn.items(), key=lambda kv: -kv[1])[:40]:
        print(f"  {t / samples * 1000:8.3f} ms/request  {name}")


def drain(aws: Any) -> None:
    """Empty the outbox queue (moto's batch send looks at every queued message)."""
    sqs, url = aws.client("sqs"), aws.queue_url("outbox")
    while msgs := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                      VisibilityTimeout=0).get("Messages"):
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])


if __name__ == "__main__":
    main()
