"""Cold webhook: a fresh Lambda's import plus its first Stripe notification, next to a minimal
boto3 handler making the same three AWS calls, from the same package, in the same run.

The Lambda package is built with ``infra.package.build`` (as ``make package``: precompiled,
``unchecked-hash``) and unzipped; a minimal handler (``MINIMAL`` below: imports boto3, creates
its two clients, checks the Stripe signature with ``hmac``, then one DynamoDB GetItem, one
TransactWriteItems and one SQS SendMessage) is added to that tree and compiled the same way.
AWS is moto's server on 127.0.0.1 (chalicelib/devstack/moto_server.py, DynamoDB requests
atomic), seeded from this process: the tables and queues, a brand, a Stripe gateway with its
webhook secret, and one Created payment per sample (a notification is applied once: each
sample needs its own payment and event). Both know where their queue is, as on Lambda: the
minimal handler its URL, the app the queue-URL prefix the CDK stack sets
(``JFW_QUEUE_URL_PREFIX``, so no GetQueueUrl).

Each sample is a fresh interpreter (``-I -S -B``: only the unzipped package and the standard
library importable, nothing written), started in the package's directory as Lambda's
/var/task, alternating between the two handlers. The timer starts after the interpreter is up
(Lambda's init phase) and stops when the handler has answered:

- app: ``import app``, then one signed ``payment_intent.succeeded`` as API Gateway's proxy
  event for ``POST /api/v1/ipn/stripe/{gatewayId}`` through ``app.app`` (Chalice's Lambda
  entry). The answer must be 200 with outcome ``applied``, and the payment is read back here:
  it must be Completed.
- minimal: ``import minimal_handler`` and ``minimal_handler.handler(event)`` with the same kind
  of event; its row must be written.

Prints:

    coldwebhook app_median_ms=... minimal_median_ms=... ratio=...
    coldwebhook app_min_ms=... minimal_min_ms=... min_ratio=...
    coldwebhook applied=N/N completed=N/N minimal_written=N/N
    coldwebhook zip_bytes=... unzipped_bytes=... files=... samples=... python=... stage=...

``--profile`` instead runs one app sample with ``-X importtime`` (the 25 slowest imports by
cumulative time) and one under cProfile (the 30 costliest functions), for finding what the
cold path loads and does.

Usage: python bench/coldwebhook.py [--samples N] [--stage dev] [--port 19210] [--profile]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

# The quick sizes unless BENCH_FULL=1 (`make bench FULL=1`, bench/__main__.py).
FULL = os.environ.get("BENCH_FULL") == "1"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from infra import package  # noqa: E402

SECRET = "whsec_coldbench"
SECRETS_KEY = base64.b64encode(b"c" * 32).decode()  # JFW_SECRETS_KEY (store/secrets.py v1)
MINIMAL_TABLE = "coldbench"  # the minimal handler's table and queue (logical names)

# The minimal handler: what a webhook needs at the least (no framework, no models).
MINIMAL = '''import hashlib
import hmac
import json
import os
import time

import boto3

_session = boto3.session.Session()
_ddb = _session.client("dynamodb", endpoint_url=os.environ.get("JFW_DYNAMODB_ENDPOINT_URL"))
_sqs = _session.client("sqs", endpoint_url=os.environ.get("JFW_AWS_ENDPOINT_URL"))
TABLE = os.environ["MINIMAL_TABLE"]
QUEUE_URL = os.environ["MINIMAL_QUEUE_URL"]
SECRET = os.environ["MINIMAL_SECRET"].encode()


def handler(event, context=None):
    body = event["body"]
    parts = dict(p.split("=", 1) for p in event["headers"]["Stripe-Signature"].split(","))
    signed = f"{parts['t']}.{body}".encode()
    expected = hmac.new(SECRET, signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parts["v1"]) or abs(time.time() - int(parts["t"])) > 300:
        return {"statusCode": 400, "body": "bad signature"}
    obj = json.loads(body)["data"]["object"]
    key = {"pk": {"S": "PAY#" + obj["metadata"]["payment_code"]}, "sk": {"S": "PAYMENT"}}
    _ddb.get_item(TableName=TABLE, Key=key, ConsistentRead=True)
    _ddb.transact_write_items(TransactItems=[{"Put": {
        "TableName": TABLE, "Item": {**key, "status": {"S": "Completed"}},
        "ConditionExpression": "attribute_not_exists(pk)"}}])
    _sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=json.dumps({"paid": obj["id"]}))
    return {"statusCode": 200, "body": json.dumps({"outcome": "applied"})}
'''

# argv: the unzipped package, the event file. Prints the seconds, then the reply as JSON.
_SAMPLE = '''import json, sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
import {module}
reply = {module}.{handler}(json.loads(open(sys.argv[2]).read()), None)
elapsed = time.perf_counter() - t0
print(elapsed)
print(json.dumps(reply))
'''
APP_SAMPLE = _SAMPLE.format(module="app", handler="app")
MINIMAL_SAMPLE = _SAMPLE.format(module="minimal_handler", handler="handler")

PROFILE_SAMPLE = '''import cProfile, json, pstats, sys
sys.path.insert(0, sys.argv[1])
event = json.loads(open(sys.argv[2]).read())
prof = cProfile.Profile()
prof.enable()
import app
reply = app.app(event, None)
prof.disable()
assert reply["statusCode"] == 200, reply
pstats.Stats(prof).sort_stats("cumulative").print_stats(60)
if len(sys.argv) > 3:
    prof.dump_stats(sys.argv[3])
'''


def free_port(preferred: int) -> int:
    for port in range(preferred, preferred + 40):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise SystemExit(f"no free port in {preferred}..{preferred + 39}")


def start_moto(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "chalicelib.devstack.moto_server", "--serialise-dynamodb",
         "-H", "127.0.0.1", "-p", str(port)], cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        if proc.poll() is not None:
            raise SystemExit(f"moto's server exited ({proc.returncode})")
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("moto's server did not start in 30 s")


def aws_env(stage: str, endpoint: str) -> dict[str, str]:
    """The settings both handlers (and this process's seeding) run with."""
    return {
        "JFW_STAGE": stage, "JFW_AWS_ENDPOINT_URL": endpoint,
        "JFW_DYNAMODB_ENDPOINT_URL": endpoint, "JFW_SECRETS_KEY": SECRETS_KEY,
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    }


class Seeded:
    """The brand, gateway and minimal handler's resources on moto's server; payments on demand."""

    def __init__(self, stage: str, endpoint: str) -> None:
        for name in [k for k in os.environ if k.startswith(("JFW_", "AWS_"))]:
            del os.environ[name]
        os.environ.update(aws_env(stage, endpoint))
        from chalicelib import settings

        settings.reload()
        from chalicelib.identity import brands
        from chalicelib.payments import service as payments
        from chalicelib.store import aws, bootstrap

        bootstrap.create_all()
        self.payments = payments
        s = settings.get()
        self.minimal_table = s.table_name(MINIMAL_TABLE)
        aws.client("dynamodb").create_table(
            TableName=self.minimal_table, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}])
        self.minimal_queue_url = aws.client("sqs").create_queue(
            QueueName=s.queue_name(MINIMAL_TABLE))["QueueUrl"]
        self.brand = brands.create(name="Cold", abbr="COLD", domain="cold.test")
        self.gateway = payments.create_gateway(self.brand["id"], {
            "appIntegrationId": "stripe", "name": "Stripe", "publicKey": "pk_test_cold",
            "privateKey": "sk_test_cold", "webhookSecret": SECRET, "testMode": True})["id"]
        # Both handlers know where their queues are, as on Lambda: the minimal its queue's URL,
        # the app the stage's queue-URL prefix (the CDK stack sets JFW_QUEUE_URL_PREFIX).
        url_prefix = self.minimal_queue_url.removesuffix(s.queue_name(MINIMAL_TABLE))
        self.env = {**aws_env(stage, endpoint), "MINIMAL_TABLE": self.minimal_table,
                    "MINIMAL_QUEUE_URL": self.minimal_queue_url, "MINIMAL_SECRET": SECRET,
                    "JFW_QUEUE_URL_PREFIX": url_prefix}

    def new_payment(self) -> str:
        from ipn import AMOUNT_MINOR

        return self.payments.create_payment(
            self.brand, amount_minor=AMOUNT_MINOR, currency="USD", gateway_id=self.gateway,
            gateway_type="stripe", user_email="buyer@example.com", user_id="u1",
            test_mode=True).id

    def status(self, payment_id: str) -> str:
        p = self.payments
        return p.PaymentItem.get(p.payment_pk(self.brand["id"], payment_id), p.PAYMENT_SK,
                                 consistent_read=True).status

    def minimal_written(self, payment_id: str) -> bool:
        from chalicelib.store import aws

        item = aws.client("dynamodb").get_item(
            TableName=self.minimal_table, ConsistentRead=True,
            Key={"pk": {"S": f"PAY#{payment_id}"}, "sk": {"S": "PAYMENT"}}).get("Item")
        return bool(item) and item["status"]["S"] == "Completed"


def proxy_event(gateway_id: str, payment_id: str, n: int) -> dict[str, Any]:
    """API Gateway's (REST, proxy) event for a signed Stripe success of ``payment_id``: the
    stage ``api`` is the URL's /api, the route is mounted at /v1/... (dispatch.mounted_path)."""
    from ipn import event

    from chalicelib.payments import service as payments

    body = event(payment_id, n).decode()
    signature = payments.sign_stripe_payload(body.encode(), SECRET, int(time.time()))
    resource = "/v1/ipn/stripe/{gatewayId}"
    path = f"/v1/ipn/stripe/{gateway_id}"
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature,
               "Host": "abc123.execute-api.us-east-1.amazonaws.com",
               "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
    return {
        "resource": resource, "path": path, "httpMethod": "POST", "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": {"gatewayId": gateway_id}, "stageVariables": None,
        "body": body, "isBase64Encoded": False,
        "requestContext": {"resourcePath": resource, "httpMethod": "POST", "stage": "api",
                           "requestId": f"cold-{n}", "path": f"/api{path}",
                           "identity": {"sourceIp": "54.187.174.169"}},
    }


def prepare(stage: str, workdir: Path) -> tuple[Path, dict[str, int]]:
    """The unzipped package with the minimal handler compiled into it, and the zip's sizes."""
    from package import sizes  # bench/package.py

    out = package.build(stage)
    zip_path = out / package.ZIP_NAME
    task = workdir / "task"
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(task)
    (task / "minimal_handler.py").write_text(MINIMAL)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "--invalidation-mode",
                    "unchecked-hash", str(task / "minimal_handler.py")], check=True)
    return task, sizes(zip_path)


def run(task: Path, code: str, event_file: Path, env: dict[str, str],
        flags: tuple[str, ...] = (), extra: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-S", "-B", *flags, "-c", code, str(task),
                           str(event_file), *extra], cwd=task, env=env, capture_output=True,
                          text=True)


def sample(task: Path, code: str, event_file: Path, env: dict[str, str]) -> tuple[float, dict]:
    out = run(task, code, event_file, env)
    if out.returncode != 0:
        raise SystemExit(f"sample failed:\n{out.stderr[-4000:]}")
    lines = out.stdout.strip().splitlines()
    return float(lines[-2]) * 1000, json.loads(lines[-1])


def profile(task: Path, seeded: Seeded, workdir: Path) -> None:
    env = {**os.environ, **seeded.env}
    for i, flags in enumerate((("-X", "importtime"), ())):
        pid = seeded.new_payment()
        event_file = workdir / f"profile-{i}.json"
        event_file.write_text(json.dumps(proxy_event(seeded.gateway, pid, 10**7 + i)))
        extra = () if flags else tuple(filter(None, [os.environ.get("COLDWEBHOOK_PSTATS")]))
        out = run(task, APP_SAMPLE if flags else PROFILE_SAMPLE, event_file, env, flags, extra)
        if out.returncode != 0:
            raise SystemExit(f"profile sample failed:\n{out.stderr[-4000:]}")
        if flags:
            if os.environ.get("COLDWEBHOOK_IMPORTTIME"):  # the raw -X importtime lines
                Path(os.environ["COLDWEBHOOK_IMPORTTIME"]).write_text(out.stderr)
            rows = []
            for line in out.stderr.splitlines():
                if line.startswith("import time:") and "|" in line and "cumulative" not in line:
                    _, cum, name = (p.strip() for p in line[len("import time:"):].split("|"))
                    rows.append((int(cum), name))
            top = sorted((r for r in rows if not r[1].startswith(" ")), reverse=True)
            print(f"coldwebhook importtime total_imports={len(rows)} "
                  f"top_level_cumulative_ms={sum(c for c, _ in top) / 1000:.1f}")
            for cum, name in sorted(rows, reverse=True)[:25]:
                print(f"  {cum / 1000:8.1f} ms  {name}")
            print(f"  reply: {out.stdout.strip().splitlines()[-1][:200]}")
        else:
            print(out.stdout[:12000])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=21 if FULL else 7,
                        help="samples per handler")
    parser.add_argument("--stage", default="dev", help="the package to measure (default dev)")
    parser.add_argument("--port", type=int, default=19210, help="moto's server (first try)")
    parser.add_argument("--profile", action="store_true",
                        help="-X importtime and cProfile of one app sample instead")
    args = parser.parse_args(argv)
    port = free_port(args.port)
    moto = start_moto(port)
    try:
        with tempfile.TemporaryDirectory(prefix="jfw-coldwebhook-") as tmp:
            workdir = Path(tmp)
            try:
                task, size = prepare(args.stage, workdir)
            except package.PackageError as e:
                print(f"package error: {e}", file=sys.stderr)
                return 1
            seeded = Seeded(args.stage, f"http://127.0.0.1:{port}")
            if args.profile:
                profile(task, seeded, workdir)
                return 0
            return measure(args, task, size, seeded, workdir)
    finally:
        moto.terminate()
        try:
            moto.wait(timeout=10)
        except subprocess.TimeoutExpired:
            moto.kill()
            moto.wait()


def measure(args: argparse.Namespace, task: Path, size: dict[str, int], seeded: Seeded,
            workdir: Path) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JFW_", "AWS_", "PYTHON"))}
    env.update(seeded.env)
    times: dict[str, list[float]] = {"app": [], "minimal": []}
    applied = completed = written = 0
    n = iter(range(10**6))

    def one(kind: str, counted: bool) -> None:
        nonlocal applied, completed, written
        pid = seeded.new_payment()
        event_file = workdir / "event.json"
        event_file.write_text(json.dumps(proxy_event(seeded.gateway, pid, next(n))))
        code = APP_SAMPLE if kind == "app" else MINIMAL_SAMPLE
        ms, reply = sample(task, code, event_file, env)
        ok = reply.get("statusCode") == 200 and json.loads(reply["body"]).get(
            "data", json.loads(reply["body"])).get("outcome") == "applied"
        if kind == "app":
            done = seeded.status(pid) == "Completed"
        else:
            done = seeded.minimal_written(pid)
        if not counted:
            if not (ok and done):
                raise SystemExit(f"{kind} warm-up failed: {reply}")
            return
        times[kind].append(ms)
        if kind == "app":
            applied += ok
            completed += done
        else:
            written += ok and done

    for kind in times:  # warm the OS file cache and moto's server; not counted
        one(kind, counted=False)
    for i in range(args.samples):
        for kind in (("app", "minimal") if i % 2 == 0 else ("minimal", "app")):
            one(kind, counted=True)
    app_ms, minimal_ms = statistics.median(times["app"]), statistics.median(times["minimal"])
    lo_app, lo_min = min(times["app"]), min(times["minimal"])
    print(f"coldwebhook app_median_ms={app_ms:.1f} minimal_median_ms={minimal_ms:.1f} "
          f"ratio={app_ms / minimal_ms:.2f}")
    # Minima are steadier than medians on a busy machine; the ratio above is the figure.
    print(f"coldwebhook app_min_ms={lo_app:.1f} minimal_min_ms={lo_min:.1f} "
          f"min_ratio={lo_app / lo_min:.2f}")
    s = args.samples
    print(f"coldwebhook applied={applied}/{s} completed={completed}/{s} "
          f"minimal_written={written}/{s}")
    print(f"coldwebhook zip_bytes={size['zip_bytes']} unzipped_bytes={size['unzipped_bytes']} "
          f"files={size['files']} samples={s} python={sys.version.split()[0]} "
          f"stage={args.stage}")
    return 0 if applied == completed == written == s else 1


if __name__ == "__main__":
    sys.exit(main())
