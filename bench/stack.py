"""The local stack under load, started as `make run` starts it: a payment burst and a soak on
DynamoDB Local, and the same burst on moto's DynamoDB as the stack used to run it, in one run.

Each stack is ``python -m chalicelib.devstack`` (what `make run` runs, after its
``devstack-tools`` step) on free 127.0.0.1 ports with its own empty data folder (``--fresh``) in
a temporary directory, started and stopped here (tests/e2e/stackproc.py); whatever happens,
Ctrl-C or an error included, every process it started is stopped before this exits. It prints:

    stack burst target=dynamodb-local payments=300 deliveries=360 duplicates=60 threads=16
        webhooks_per_s=... p50_ms=... p99_ms=... drained_s=... lost=0 doubled=0 mails=300 ...
    stack soak target=dynamodb-local rate_per_s=20 minutes=10 requests=... answered=...
        errors=0 p50_ms=... p99_ms=... rss_mb=stack:start/1min/end,...
    stack burst target=moto ... ratio=...

- **burst**: ``payments`` payments are created in the stack's database (bench/ipn.py's
  ``plan``: the payments service, from this process, with the stack's own settings), then
  their signed Stripe ``payment_intent.succeeded`` deliveries plus 20 % re-sends of some of
  them, shuffled, are POSTed by ``threads`` client threads to the seeded Stripe gateway's
  notification URL (bench/ipn.py's ``fire``). ``webhooks_per_s``: deliveries answered 200 /
  the burst's time; p50/p99: each delivery's response time; ``drained_s``: from the last
  answer until every outbox row of the brand is Sent or Failed (the stack's worker sends the
  success mails and hands the payment events to fulfilment); then ``lost`` (payments not Completed),
  ``doubled`` (more than one Completed transition, outbox row of a kind or sent mail for one
  payment) and ``mails`` (success mails sent) are read back (bench/ipn.py's ``tally``).
  Targets: >= 30 webhooks/s, p99 <= 2 s, drained <= 60 s, lost = doubled = 0.
- **soak**: ``rate`` requests a second for ``minutes``, scheduled at fixed times (open loop:
  a slow answer does not slow the rate; each is timed from when it was due), from up to 64
  threads, in turn: log in
  (``POST v1/users/auth``, one of 20 users), list packages (``GET v1/packages``), quote
  (``POST v1/packages/{id}/calculate-total-price-checkout``), a checkout link for the PRO
  price (``POST v1/prices/{id}/generate-checkout-link``: a payment and a localstripe
  PaymentIntent) and the signed success webhook of an earlier checkout's payment. Every
  request must be answered 200 (timeout 30 s); p99 <= 1 s. RSS of each process of the stack
  (the stack itself: API, workers and timer; DynamoDB Local's JVM; moto; localstripe; the
  PayPal simulator) at the soak's start, after one minute and at its end.
- **moto**: the same burst against a stack started with ``--dynamodb=moto``: moto's server
  serving DynamoDB in memory, each request serialised (chalicelib/devstack/moto_server.py), as
  `make run` ran before DynamoDB Local. It is bounded so it can't eat the machine: at most
  ``--moto-payments`` payments, ``--moto-seconds`` for creating them, the burst and the drain
  together, and ``--moto-max-rss-mb`` for moto's server; when a bound is hit the run stops
  there (``stopped=time|rss``) and the figures cover what was answered (undelivered requests
  are not counted as answered). ``ratio``: DynamoDB Local's webhooks/s over moto's.

Run: .venv/bin/python bench/stack.py [--payments 300] [--threads 16] [--soak-minutes 10]
     [--rate 20] [--moto-payments 300] [--moto-seconds 600] [--moto-max-rss-mb 6000]
     [--skip-soak] [--skip-moto]
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# The quick sizes unless BENCH_FULL=1 (`make bench FULL=1`, bench/__main__.py).
FULL = os.environ.get("BENCH_FULL") == "1"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import ipn  # noqa: E402 - bench/ipn.py: plan, fire, tally, attach, wait_drained

from tests.e2e.stackproc import StackProcess  # noqa: E402

DRAIN_TIMEOUT = 600.0
SOAK_USERS = 20
SOAK_THREADS = 64
PASSWORD = "s3cret-Pass"
PRO_PRICE_MINOR = 999  # the seeded PRO-MONTHLY-USD price


class Stopped(Exception):
    """A bound of the moto run was hit."""


def note(text: str) -> None:
    print(f"[stack bench] {text}", file=sys.stderr, flush=True)


def pct(samples: list[float], q: float) -> float:
    """The q-th percentile (nearest rank), in ms."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] * 1000


# -- the stack's processes ------------------------------------------------------------------------

def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def processes(stack: StackProcess) -> dict[str, int]:
    """The stack's processes by role: its own, and its children by their command line."""
    assert stack.proc
    roles = {"stack": stack.proc.pid}
    names = (("api_server", "api"), ("DynamoDBLocal", "dynamodb-local"), ("moto", "moto"),
             ("stripe_server", "localstripe"), ("paypal_simulator", "paypal-sim"))
    for pid in sorted(stack.descendants()):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        role = next((r for key, r in names if key in cmd), None)
        if role and role not in roles:
            roles[role] = pid
    return roles


@contextmanager
def running(tmp: Path, *args: str) -> Iterator[StackProcess]:
    """A stack started as `make run` starts it, stopped (and killed if need be) afterwards."""
    stack = StackProcess(tmp, "--fresh", *args, STRIPE_WEBHOOK_SECRET=ipn.SECRET)
    t0 = time.perf_counter()
    try:
        stack.start()
        stack.wait_ready(timeout=300)
        note(f"stack {' '.join(args) or '(DynamoDB Local)'} ready in "
             f"{time.perf_counter() - t0:.1f} s")
        yield stack
        t0 = time.perf_counter()
        try:
            code: object = stack.signal(signal.SIGINT, timeout=60)
        except AssertionError:  # a stack stuck on a slow moto: killed below
            code = "none: killed after 60 s"
        note(f"stack stopped in {time.perf_counter() - t0:.1f} s (exit {code})")
    except BaseException:
        note("stopping the stack; its output ends with:\n" + stack.output()[-3000:])
        raise
    finally:
        stack.kill_everything()


# -- the burst ------------------------------------------------------------------------------------

def burst(stack: StackProcess, target: str, payments: int, threads: int,
          bound: Callable[[], str | None] | None = None, timeout: float = 120.0,
          drain_timeout: float = DRAIN_TIMEOUT) -> dict[str, Any]:
    """bench/ipn.py's burst against ``stack``: its figures. ``bound`` answers why to stop now
    (or None), checked while the payments are created, during the burst and the drain."""
    brand, gw = ipn.attach(stack)
    make_payment = ipn.payment_maker(brand, gw["id"])
    stopped: list[str] = []

    def new_payment() -> str:
        why = bound() if bound else None
        if why:
            stopped.append(why)
            raise Stopped(why)
        return make_payment()

    out: dict[str, Any] = {"target": target, "payments": payments, "threads": threads}
    t0 = time.perf_counter()
    try:
        pids, deliveries = ipn.plan(payments + payments // 5, new_payment,
                                    duplicates=payments // 5)
    except Stopped:
        out.update(stopped=stopped[0], created_s=time.perf_counter() - t0)
        return out
    out["created_s"] = time.perf_counter() - t0
    note(f"{target}: {len(pids)} payments created in {out['created_s']:.1f} s")

    post = ipn.poster(gw["ipnListenerLink"], timeout)
    latencies: list[float] = []

    def send(body: bytes) -> str:
        if stopped or (bound and bound()):
            if not stopped:
                stopped.append(bound() or "bound")
            return "not-sent"
        t = time.perf_counter()
        outcome = post(body)
        latencies.append(time.perf_counter() - t)
        return outcome

    elapsed, outcomes = ipn.fire(deliveries, send, threads=threads)
    answered = outcomes["applied"] + outcomes["duplicate"]  # a 200 with the outcome
    out.update(deliveries=len(deliveries), duplicates=len(deliveries) - len(set(deliveries)),
               answered=answered, elapsed_s=elapsed,
               webhooks_per_s=answered / elapsed if elapsed else 0,
               p50_ms=pct(latencies, 50), p99_ms=pct(latencies, 99), outcomes=dict(outcomes))
    note(f"{target}: {len(latencies)} deliveries sent, {answered} answered 200 in "
          f"{elapsed:.1f} s")
    if stopped:
        out["stopped"] = stopped[0]
        return out
    out["drained_s"], waiting = ipn.wait_drained(brand["id"], drain_timeout, poll=0.5,
                                                  stop=bound)
    if waiting:
        out.update(undrained=waiting, stopped=(bound() if bound else None) or "drain-timeout")
    lost, twice, mails = ipn.tally(brand["id"], pids)
    out.update(lost=lost, doubled=twice, mails=mails)
    return out


def burst_line(r: dict[str, Any], extra: str = "") -> str:
    if "webhooks_per_s" not in r:
        return (f"stack burst target={r['target']} payments={r['payments']} stopped="
                f"{r['stopped']} while creating the payments (after {r['created_s']:.0f} s)"
                + extra)
    fields = [f"target={r['target']}", f"payments={r['payments']}",
              f"deliveries={r['deliveries']}", f"duplicates={r['duplicates']}",
              f"threads={r['threads']}", f"answered={r['answered']}",
              f"webhooks_per_s={r['webhooks_per_s']:.1f}", f"p50_ms={r['p50_ms']:.0f}",
              f"p99_ms={r['p99_ms']:.0f}"]
    if "drained_s" in r:
        fields.append(f"drained_s={r['drained_s']:.1f}")
    if r.get("undrained"):
        fields.append(f"undrained={r['undrained']}")
    for key in ("lost", "doubled", "mails"):
        if key in r:
            fields.append(f"{key}={r[key]}")
    errors = {k: v for k, v in r["outcomes"].items()
              if k not in ("applied", "duplicate", "not-sent")}
    fields.append(f"errors={sum(errors.values())}" + (f" {errors}" if errors else ""))
    if r["outcomes"].get("not-sent"):
        fields.append(f"not_sent={r['outcomes']['not-sent']}")
    if r.get("stopped"):
        fields.append(f"stopped={r['stopped']}")
    return "stack burst " + " ".join(fields) + extra


def burst_verdict(r: dict[str, Any]) -> str:
    ok = (r.get("webhooks_per_s", 0) >= 30 and r.get("p99_ms", 1e9) <= 2000
          and r.get("drained_s", 1e9) <= 60 and r.get("lost") == 0 and r.get("doubled") == 0
          and not r.get("stopped") and r.get("mails") == r["payments"])
    return " targets=" + ("met" if ok else "MISSED") + \
        " (>=30/s, p99<=2000ms, drained<=60s, lost=0, doubled=0)"


# -- the soak -------------------------------------------------------------------------------------

def soak(stack: StackProcess, minutes: float, rate: float) -> str:
    import requests

    brand, gw = ipn.attach(stack)
    api = stack.api
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=SOAK_THREADS))
    demo = {"Brand-URL": "demo.localhost"}

    def call(method: str, path: str, **kw: Any) -> requests.Response:
        return session.request(method, f"{api}/{path}", timeout=30, **kw)

    keys = []
    for i in range(SOAK_USERS):
        body = {"username": f"soak{i}", "password": PASSWORD, "emailAddress":
                f"soak{i}@example.com"}
        assert call("POST", "v1/users/register", json=body, headers=demo).status_code == 200
        resp = call("POST", "v1/users/auth", json=body, headers=demo)
        keys.append(resp.json()["data"]["authKey"])
    packages = call("GET", "v1/packages", headers=demo).json()["data"]
    pro = next(p for p in packages if p["code"] == "PRO")
    price = next(p for p in pro["prices"] if p["currency"] == "USD")
    to_pay: list[str] = []  # payments of answered checkout links, for the webhook requests
    lock = threading.Lock()
    counter = itertools.count()

    def login(i: int) -> requests.Response:
        return call("POST", "v1/users/auth", headers=demo, json={
            "username": f"soak{i % SOAK_USERS}", "password": PASSWORD})

    def list_packages(i: int) -> requests.Response:
        return call("GET", "v1/packages", headers=demo)

    def quote(i: int) -> requests.Response:
        return call("POST", f"v1/packages/{pro['id']}/calculate-total-price-checkout",
                    headers=demo, json={"priceId": price["id"]})

    def checkout(i: int) -> requests.Response:
        resp = call("POST", f"v1/prices/{price['id']}/generate-checkout-link",
                    headers={**demo, "Auth-Key": keys[i % SOAK_USERS]})
        if resp.status_code == 200:
            with lock:
                to_pay.append(resp.json()["data"].rsplit("/", 1)[1])
        return resp

    def webhook(i: int) -> requests.Response:
        with lock:
            pid = to_pay.pop(0) if to_pay else None
        if pid is None:  # no checkout answered yet: list packages instead
            return list_packages(i)
        body = ipn.event(pid, 10**7 + next(counter), amount_minor=PRO_PRICE_MINOR)
        return call("POST", gw["ipnListenerLink"].removeprefix(api + "/"), data=body,
                    headers=ipn.headers(body))

    kinds = [login, list_packages, quote, checkout, webhook]
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    per_kind: dict[str, list[float]] = {k.__name__: [] for k in kinds}
    roles = processes(stack)
    rss: dict[str, list[float | None]] = {r: [rss_mb(p)] for r, p in roles.items()}

    def one(i: int, due: float) -> None:
        """Request ``i``, timed from when it was due (a request kept waiting for a free
        thread counts its wait)."""
        kind = kinds[i % len(kinds)]
        try:
            resp = kind(i)
            status = str(resp.status_code)
        except Exception as e:  # noqa: BLE001 - a failure is what is counted
            status = type(e).__name__
        took = time.perf_counter() - due
        latencies.append(took)
        per_kind[kind.__name__].append(took)
        if status != "200":
            failures[f"{kind.__name__}:{status}"] += 1

    total = int(minutes * 60 * rate)
    t0 = time.perf_counter()
    sampled_minute = False
    pool = ThreadPoolExecutor(SOAK_THREADS)
    try:
        futures = []
        for i in range(total):
            due = t0 + i / rate
            while (delay := due - time.perf_counter()) > 0:
                time.sleep(min(delay, 0.05))
            if not sampled_minute and time.perf_counter() - t0 >= 60:
                sampled_minute = True
                for r, p in roles.items():
                    rss[r].append(rss_mb(p))
            futures.append(pool.submit(one, i, due))
            if i and i % int(rate * 60) == 0:
                note(f"soak: {i} requests sent, {len(latencies)} answered, "
                     f"p99 so far {pct(latencies, 99):.0f} ms")
        for f in futures:
            f.result()
    finally:  # on Ctrl-C, requests not yet sent are dropped rather than waited for
        pool.shutdown(wait=False, cancel_futures=True)
    elapsed = time.perf_counter() - t0
    if not sampled_minute:
        for values in rss.values():
            values.append(None)
    for r, p in roles.items():
        rss[r].append(rss_mb(p))
    answered = len(latencies) - sum(failures.values())
    memory = ",".join(f"{r}:" + "/".join("-" if v is None else f"{v:.0f}" for v in values)
                      for r, values in rss.items())
    kinds_p99 = " ".join(f"{k}={pct(v, 99):.0f}" for k, v in per_kind.items())
    ok = answered == total and pct(latencies, 99) <= 1000
    return (f"stack soak target=dynamodb-local rate_per_s={rate:g} minutes={minutes:g} "
            f"requests={total} answered={answered} achieved_per_s={total / elapsed:.1f} "
            f"errors={sum(failures.values())}{' ' + str(dict(failures)) if failures else ''} "
            f"p50_ms={pct(latencies, 50):.0f} p99_ms={pct(latencies, 99):.0f} "
            f"p99_ms_by_kind=({kinds_p99}) rss_mb_start/1min/end={memory} "
            f"targets={'met' if ok else 'MISSED'} (all answered, p99<=1000ms)")


# -- main -----------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=300)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--soak-minutes", type=float, default=10.0 if FULL else 0.5)
    parser.add_argument("--rate", type=float, default=20.0, help="soak requests per second")
    parser.add_argument("--moto-payments", type=int, default=300 if FULL else 30)
    parser.add_argument("--moto-seconds", type=float, default=600.0 if FULL else 60.0,
                        help="moto's run: the most seconds for payments, burst and drain")
    parser.add_argument("--moto-max-rss-mb", type=float, default=6000.0 if FULL else 3000.0,
                        help="moto's run stops when moto's server holds more than this")
    parser.add_argument("--skip-soak", action="store_true")
    parser.add_argument("--skip-moto", action="store_true")
    args = parser.parse_args()

    def on_term(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    # A command a non-interactive shell starts in the background inherits SIGINT ignored, and
    # Python then raises no KeyboardInterrupt: Ctrl-C's signal must stop the bench however it
    # was started.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as tmp:
        local_dir, moto_dir = Path(tmp) / "local", Path(tmp) / "moto"
        local_dir.mkdir()
        moto_dir.mkdir()
        with running(local_dir) as stack:
            local = burst(stack, "dynamodb-local", args.payments, args.threads)
            print(burst_line(local, burst_verdict(local)), flush=True)
            if not args.skip_soak:
                print(soak(stack, args.soak_minutes, args.rate), flush=True)
        if args.skip_moto:
            return
        with running(moto_dir, "--dynamodb=moto") as stack:
            started = time.monotonic()
            moto_pid = processes(stack).get("moto")
            peak = [0.0]

            def bound() -> str | None:
                if time.monotonic() - started > args.moto_seconds:
                    return "time"
                rss = rss_mb(moto_pid) if moto_pid else None
                peak[0] = max(peak[0], rss or 0)
                return "rss" if rss and rss > args.moto_max_rss_mb else None

            remaining = max(10.0, args.moto_seconds - (time.monotonic() - started))
            moto = burst(stack, "moto", args.moto_payments, args.threads, bound=bound,
                         timeout=min(120.0, remaining), drain_timeout=remaining)
            ratio = local.get("webhooks_per_s", 0) / moto["webhooks_per_s"] \
                if moto.get("webhooks_per_s") else float("inf")
            print(burst_line(moto, f" moto_peak_rss_mb={peak[0]:.0f} ratio={ratio:.1f}"
                                   " (dynamodb-local webhooks/s over moto's)"), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        note("interrupted: every process started here was stopped")
        sys.exit(130)
