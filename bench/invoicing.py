"""Invoicing (issue 14's bench): DynamoDB calls per invoice, the PDF against a trivial page, and
what the renewal job reads out of 100,000 subscriptions.

Three parts, each printing its own lines:

1. In-process moto, calls counted with botocore hooks on PynamoDB's shared client (as
   bench/expiry.py): issuing the invoice of one completed payment (the ``payment-event``
   subscriber), the same event delivered again, and a credit note for a partial refund. The
   baseline in the same run: applying the payment's own Stripe completion (intake.apply: what
   the notification itself costs in DynamoDB):

       invoicing issue: ... calls (...), ... items read, ... items written  | baseline ...
       invoicing again: ... | invoicing credit_note: ...

2. bench/invoicing_pdf.py (in a child interpreter): render time of a 10- and a 150-item invoice
   against a bare fpdf2 "Hello" page, in the same run.
3. bench/invoicing_renewals.py (in a child interpreter): one run of the renewal job over
   ``--subs`` subscriptions (default 100,000) of which ``--due`` are due: items the due index
   returns and items read, against what a Scan would read; then a second run.

Run: .venv/bin/python bench/invoicing.py [--subs 100000] [--due 100] [--runs 20]
     (--subs 100000 seeds for ~5 minutes in moto; --subs 10000 for a quick look)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The quick sizes unless BENCH_FULL=1 (`make bench FULL=1`, bench/__main__.py).
FULL = os.environ.get("BENCH_FULL") == "1"
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.update({
    "JFW_STAGE": "test", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
})
for _name in ("JFW_AWS_ENDPOINT_URL", "JFW_DYNAMODB_ENDPOINT_URL"):
    os.environ.pop(_name, None)

from expiry import Meter, without_table_snapshots  # noqa: E402 - bench/expiry.py

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


class Writes:
    """Items written: a TransactWriteItems counts its items; Put/Update/Delete one each."""

    def __init__(self) -> None:
        self.n = 0
        self.on = False

    def before(self, params: Any = None, model: Any = None, **_: Any) -> None:
        if not self.on or model is None:
            return
        body = params if isinstance(params, dict) else {}
        if model.name == "TransactWriteItems":
            self.n += len(body.get("TransactItems", []))
        elif model.name in ("PutItem", "UpdateItem", "DeleteItem"):
            self.n += 1


def measured(meter: Meter, writes: Writes, fn: Any) -> str:
    meter.reset()
    writes.n = 0
    meter.on = writes.on = True
    try:
        fn()
    finally:
        meter.on = writes.on = False
    calls: Counter[str] = meter.calls
    text = " ".join(f"{k}={v}" for k, v in sorted(calls.items()))
    return (f"{sum(calls.values())} calls ({text}), {meter.items} items read, "
            f"{writes.n} items written")


def stripe_completion(payment_id: str, pi_id: str) -> Any:
    from chalicelib.payments.gateways import stripe as stripe_gw

    return stripe_gw.normalise({
        "id": f"evt_{pi_id}", "object": "event", "type": "payment_intent.succeeded",
        "created": int(NOW.timestamp()), "livemode": False, "data": {"object": {
            "id": pi_id, "object": "payment_intent", "amount": 2000, "currency": "usd",
            "status": "succeeded", "metadata": {"payment_code": payment_id},
            "latest_charge": {"id": f"ch_{pi_id}", "object": "charge", "amount": 2000,
                              "payment_intent": pi_id, "metadata": {}}}}})


def calls_per_invoice() -> None:
    from moto import mock_aws

    with mock_aws():
        from chalicelib import settings
        from chalicelib.identity import brands
        from chalicelib.invoicing import payment_events
        from chalicelib.payments import service as payments
        from chalicelib.payments.inbound import intake
        from chalicelib.store import aws, base, bootstrap
        from chalicelib.store.base import connection

        settings.reload()
        aws.reset()
        base.reset()
        bootstrap.create_all()
        without_table_snapshots()
        settings.set_clock(lambda: NOW)
        brand = brands.create(name="Bench", abbr="BENCH", domain="bench.test")
        bid = brand["id"]
        gateway = payments.create_gateway(bid, {
            "appIntegrationId": "stripe", "name": "stripe", "testMode": True,
            "publicKey": "pk_test_b", "privateKey": "sk_test_b", "webhookSecret": "whsec_b"})

        def new_payment() -> Any:
            return payments.create_payment(
                brand, amount_minor=2000, currency="USD", gateway_id=gateway["id"],
                gateway_type="stripe", user_email="buyer@example.com", user_name="Buyer",
                name="Pro monthly", test_mode=True)

        def payload(p: Any, refunded: int = 0, status: str = "Completed") -> dict:
            return {"brandId": bid, "paymentId": p.id, "status": status, "completed": True,
                    "currency": "USD", "amountMinor": 2000, "amountGrossMinor": 2000,
                    "refundedMinor": refunded, "quote": {}, "userId": None, "testMode": True,
                    "packageId": None, "paymentVersion": 2 if refunded else 1}

        meter, writes = Meter(), Writes()
        events = connection().client.meta.events
        events.register("after-call.dynamodb.*", meter.after)
        events.register("before-parameter-build.dynamodb.*", writes.before)
        warm = new_payment()  # the brand's cache, the counters exist
        intake.apply(bid, stripe_completion(warm.id, "pi_warm"), None)
        payment_events.on_payment_event(payload(warm))

        p = new_payment()
        base_text = measured(meter, writes,
                             lambda: intake.apply(bid, stripe_completion(p.id, "pi_1"), None))
        issue = measured(meter, writes, lambda: payment_events.on_payment_event(payload(p)))
        again = measured(meter, writes, lambda: payment_events.on_payment_event(payload(p)))
        credit = measured(meter, writes, lambda: payment_events.on_payment_event(
            payload(p, 500, "Refunded")))
        print(f"invoicing issue: {issue}  | baseline, the payment's own Stripe completion "
              f"(intake.apply): {base_text}")
        print(f"invoicing again (the event delivered a second time): {again}")
        print(f"invoicing credit_note (a partial refund of 5.00): {credit}")


def child(script: str, *args: str) -> None:
    out = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True,
                         text=True, check=False)
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    for line in lines:
        print(line)
    if out.returncode != 0:
        print(json.dumps({"script": script, "exit": out.returncode,
                          "stderr": out.stderr[-2000:]}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subs", type=int, default=100_000 if FULL else 5_000)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    calls_per_invoice()
    child("invoicing_pdf.py", "--runs", str(args.runs))
    child("invoicing_renewals.py", "--subs", str(args.subs), "--due", str(args.due))


if __name__ == "__main__":
    main()
