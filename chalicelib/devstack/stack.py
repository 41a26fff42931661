"""Starts and stops the local stack (ARCHITECTURE.md, "The local stack"; README.md, "Two commands").

Order: DynamoDB Local, moto (SQS, SES, SNS, S3), localstripe and the PayPal IPN simulator
(subprocesses) -> tables (those missing), queues, buckets and their saved files, mail senders,
seed data (what is missing) -> the API (Chalice's local server in ``JFW_API_PROCESSES``
processes sharing one listening socket, devstack/api_server.py) -> queue workers and the timer
(threads of this process) -> one line with "ready". SIGINT or SIGTERM stops all of it (S3's files
saved first), children by process group, and exits 0.

What persists lives in the data folder (``JFW_DATA_DIR``, default ``.devstack/data/``):
DynamoDB Local's database and S3's files (chalicelib/devstack/s3_files.py). ``--fresh``
empties it first. ``--dynamodb=moto`` serves DynamoDB from moto's server in memory instead, as
the stack did before DynamoDB Local (each request serialised, chalicelib/devstack/moto_server.py):
kept only so bench/stack.py can measure both in one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import shutil
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from chalicelib.devstack import config as devconfig
from chalicelib.devstack import dynamodb_local, s3_files
from chalicelib.devstack.config import ROOT, ConfigError, DevConfig
from chalicelib.devstack.ports import StartupError, require_free, wait_http
from chalicelib.devstack.processes import Child

log = logging.getLogger("jfw.devstack")

START_TIMEOUT = 60.0
DYNAMODB_START_TIMEOUT = 120.0  # a JVM on a busy 2-core machine
LISTEN_BACKLOG = 128
THREADS_STOP_TIMEOUT = 10.0  # workers finishing a batch; daemon threads, so none outlives us


class _Stop(Exception):
    """SIGTERM during start-up: unwind like Ctrl-C does."""


PAYMENTS_ENV_HELP = """\
  PAYPAL_SIM_PORT             PayPal IPN simulator port (default 8421)
  STRIPE_WEBHOOK_SECRET       the demo Stripe gateway's webhook signing secret (default printed)
"""


def paypal_sim_port() -> int:
    """``PAYPAL_SIM_PORT``: the PayPal IPN simulator's port (default 8421)."""
    from chalicelib.devstack.paypal_simulator import DEFAULT_PORT  # after the stack's environment

    return devconfig._port(os.environ, "PAYPAL_SIM_PORT", DEFAULT_PORT)


def paypal_sim_url(cfg: DevConfig) -> str:
    return f"http://{cfg.host}:{paypal_sim_port()}"


def stripe_webhook_secret() -> tuple[str, bool]:
    """(the demo Stripe gateway's signing secret, whether it is the printed default)."""
    # a local-stack step: loaded when it runs, after the stack set the environment
    from chalicelib.devstack.seed import DEFAULT_STRIPE_WEBHOOK_SECRET

    value = os.environ.get("STRIPE_WEBHOOK_SECRET") or DEFAULT_STRIPE_WEBHOOK_SECRET
    return value, value == DEFAULT_STRIPE_WEBHOOK_SECRET


def prepare_environment(cfg: DevConfig) -> None:
    """Point the app at the local services. Runs before any settings are read."""
    env = os.environ
    # Never real AWS: fixed fake credentials and every client on moto's endpoint.
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(name, None)
    env["AWS_ACCESS_KEY_ID"] = "testing"
    env["AWS_SECRET_ACCESS_KEY"] = "testing"
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    env.setdefault("AWS_REGION", env["AWS_DEFAULT_REGION"])
    env["JFW_AWS_ENDPOINT_URL"] = cfg.moto_url
    env["JFW_DYNAMODB_ENDPOINT_URL"] = cfg.dynamodb_url
    env["JFW_BASE_URL"] = cfg.api_url
    env["JFW_STRIPE_API_BASE"] = cfg.stripe_url  # never the real Stripe from a local stack
    env["JFW_PAYPAL_SIMULATOR_URL"] = paypal_sim_url(cfg)  # PayPal gateways in simulator mode
    # As `chalice local --stage local` does: the stage's environment_variables from config.json.
    env.update(chalice_config().environment_variables)
    env["JFW_STAGE"] = "local"
    # One dev clock for every process of the stack (settings.share_clock); each start is on time.
    clock = cfg.log_dir / "clock"
    clock.parent.mkdir(parents=True, exist_ok=True)
    clock.write_bytes(bytes(8))
    env["JFW_DEV_CLOCK_FILE"] = str(clock)


def chalice_config() -> Any:
    from chalice.config import Config  # after the stack's environment

    from_disk = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return Config(chalice_stage="local", user_provided_params={}, config_from_disk=from_disk,
                  default_params={"project_dir": str(ROOT)})


def reset_app_state() -> None:
    """Settings are read once and clients cached: start from the environment set above."""
    from chalicelib import settings  # after the stack's environment
    from chalicelib.store import aws, base  # after the stack's environment

    settings.reload()
    aws.reset()
    base.reset()


class Stack:
    def __init__(self, cfg: DevConfig) -> None:
        self.cfg = cfg
        self.children: list[Child] = []
        self.threads: list[threading.Thread] = []
        self.stop_event = threading.Event()
        self.api_socket: socket.socket | None = None
        self.seeded: Any = None
        self.payments: Any = None
        self.notes: list[str] = []
        self.s3_restored = False

    # -- start ---------------------------------------------------------------------------------

    @property
    def on_dynamodb_local(self) -> bool:
        return self.cfg.dynamodb == "local"

    def start(self) -> None:
        cfg = self.cfg
        ports = [(cfg.moto_port, "moto", "MOTO_PORT"),
                 (cfg.stripe_port, "localstripe", "LOCALSTRIPE_PORT"),
                 (cfg.api_port, "the API", "PORT"),
                 (paypal_sim_port(), "the PayPal IPN simulator", "PAYPAL_SIM_PORT")]
        if self.on_dynamodb_local:
            ports.insert(0, (cfg.dynamodb_port, "DynamoDB Local", "DYNAMODB_PORT"))
        for port, what, env_name in ports:
            require_free(cfg.host, port, what, env_name)
        if cfg.fresh:
            self.notes.append(empty_data(cfg.data_dir))
        # All start at once (each takes a few seconds to import or boot), then each must answer.
        dynamodb = None
        if self.on_dynamodb_local:
            tools = dynamodb_local.ensure(may_install_java=False)
            cfg.data_dir.mkdir(parents=True, exist_ok=True)
            dynamodb = self._spawn("dynamodb-local", dynamodb_local.command(
                tools, cfg.host, cfg.dynamodb_port, cfg.data_dir))
            moto_argv = [sys.executable, "-m", "chalicelib.devstack.moto_server"]
        else:
            moto_argv = [sys.executable, "-m", "chalicelib.devstack.moto_server",
                         "--serialise-dynamodb"]
        moto = self._spawn("moto", [*moto_argv, "-H", cfg.host, "-p", str(cfg.moto_port)])
        stripe = self._spawn("localstripe", [sys.executable, "-m",
                                             "chalicelib.devstack.stripe_server",
                                             "--host", cfg.host, "--port", str(cfg.stripe_port)])
        paypal = self._spawn("paypal-simulator", [
            sys.executable, "-m", "chalicelib.devstack.paypal_simulator", "--host", cfg.host,
            "--port", str(paypal_sim_port())])
        self._await(moto, f"{cfg.moto_url}/moto-api/")
        if dynamodb is not None:
            # Any answer means it is up (a bare GET gets a 400).
            self._await(dynamodb, cfg.dynamodb_url + "/", timeout=DYNAMODB_START_TIMEOUT)
        # Any answer means it is up (its API wants a key; its JS shim does not).
        self._await(stripe, f"{cfg.stripe_url}/js.stripe.com/v3/")
        self._await(paypal, paypal_sim_url(cfg) + "/")
        self.create_resources()
        self.start_api()
        self.start_workers()
        self.start_timer()
        wait_http(f"{cfg.api_url}/api/v1/health", "The API", START_TIMEOUT,
                  want=lambda status: status == 200)

    def _spawn(self, name: str, argv: list[str]) -> Child:
        child = Child(name, argv, self.cfg.log_dir / f"{name}.log", ROOT, dict(os.environ))
        self.children.append(child)
        return child

    def _await(self, child: Child, url: str, timeout: float = START_TIMEOUT) -> None:
        try:
            wait_http(url, child.name, timeout, alive=child.alive)
        except StartupError as e:
            raise StartupError(f"{e} Its log ({child.log_path}) ends with:\n"
                               f"{child.log_tail()}") from None

    def create_resources(self) -> None:
        from chalicelib import settings  # after the stack's environment
        from chalicelib.devstack import seed  # after the stack's environment
        from chalicelib.http.errors import ApiError  # after the stack's environment
        from chalicelib.store import aws, bootstrap  # after the stack's environment

        s = settings.get()
        bootstrap.create_all()  # the tables, queues and buckets missing (store/schema.py)
        if self.on_dynamodb_local:
            restored = s3_files.restore(aws.client("s3"), self.buckets(), self.s3_dir)
            self.s3_restored = True  # from now on, stopping saves what S3 holds
            if restored:
                self.notes.append(f"{restored} S3 file(s) restored from {self.s3_dir}")
        try:
            self.seeded = seed.seed(self.cfg.admin_username, self.cfg.admin_password)
        except ApiError as e:
            raise StartupError(f"Seeding failed: {e.message} (check JFW_ADMIN_USERNAME / "
                               "JFW_ADMIN_PASSWORD)") from None
        brands = (self.seeded.platform, self.seeded.demo)
        seed.verify_senders(seed.sender_addresses(s.mail_sender, *brands),
                            [seed.PLATFORM_DOMAIN, seed.DEMO_DOMAIN])
        self.seed_payments()

    @property
    def s3_dir(self) -> Path:
        return self.cfg.data_dir / "s3"

    def buckets(self) -> list[str]:
        from chalicelib import settings  # after the stack's environment
        from chalicelib.store import schema  # after the stack's environment

        return [settings.get().bucket_name(b) for b in schema.BUCKETS]

    def save_s3_files(self) -> None:
        """Before moto stops: its files into the data folder (moto keeps them in memory)."""
        from chalicelib.store import aws  # after the stack's environment

        moto = next((c for c in self.children if c.name == "moto"), None)
        if not self.s3_restored or moto is None or not moto.alive():
            return  # a start that failed before restoring must not overwrite the saved files
        try:
            saved = s3_files.save(aws.client("s3"), self.buckets(), self.s3_dir)
        except Exception as e:  # noqa: BLE001 - stopping goes on; the previous copy is kept
            log.error("S3's files could not be saved to %s: %s", self.s3_dir, e)
            return
        if saved:
            log.info("%d S3 file(s) saved to %s", saved, self.s3_dir)

    def seed_payments(self) -> None:
        """The demo's PRO price and its two gateways; localstripe's webhook pointed at ours."""
        from chalicelib.devstack import seed  # after the stack's environment
        from chalicelib.devstack.paypal_simulator import (  # after the stack's environment
            DEFAULT_RECEIVER_EMAIL,
            DEFAULT_RECEIVER_ID,
        )

        secret, _ = stripe_webhook_secret()
        self.payments = seed.seed_payments(self.seeded.demo, self.cfg.api_url, secret,
                                           DEFAULT_RECEIVER_EMAIL, DEFAULT_RECEIVER_ID)
        try:
            seed.register_stripe_webhook(self.cfg.stripe_url,
                                         self.payments.stripe["ipnListenerLink"], secret)
        except OSError as e:
            raise StartupError(f"localstripe refused the webhook registration: {e}") from None

    def start_api(self) -> None:
        """``api_processes`` API processes (devstack/api_server.py) on one listening socket,
        opened here so they all accept from it."""
        cfg = self.cfg
        # socketserver's listen backlog is 5: a sixth client connecting at once (a gateway's
        # burst of webhooks) would have its connection reset.
        self.api_socket = socket.create_server((cfg.host, cfg.api_port), backlog=LISTEN_BACKLOG)
        fd = self.api_socket.fileno()
        for n in range(cfg.api_processes):
            self.children.append(Child(
                f"api-{n}", [sys.executable, "-m", "chalicelib.devstack.api_server", "--fd",
                             str(fd), "--host", cfg.host, "--port", str(cfg.api_port)],
                None, ROOT, dict(os.environ), pass_fds=(fd,)))

    def start_workers(self) -> None:
        from chalicelib.devstack.worker import QueueWorker  # after the stack's environment
        from chalicelib.store import schema  # after the stack's environment

        for q in schema.QUEUES:
            consumer = load(q.consumer, f"queue {q.name}")
            if consumer is None:
                self.notes.append(f"queue {q.name} is not drained: {q.consumer} is missing")
                continue
            # Several batches at once, as Lambda's SQS event source runs several pollers.
            for n in range(self.cfg.workers_per_queue):
                worker = QueueWorker(q, consumer, self.stop_event, name=f"worker-{q.name}-{n}")
                worker.start()
                self.threads.append(worker)

    def start_timer(self) -> None:
        from chalicelib.devstack.timer import Job, Timer  # after the stack's environment
        from chalicelib.store import schema  # after the stack's environment

        jobs = []
        for name, minutes, ref in schema.SCHEDULES:
            fn = load(ref, f"schedule {name}")
            if fn is None:
                self.notes.append(f"schedule {name} does not run: {ref} is missing")
                continue
            jobs.append(Job(name, self.cfg.schedule_interval(minutes), fn))
        if jobs:
            timer = Timer(jobs, self.stop_event)
            timer.start()
            self.threads.append(timer)

    # -- run and stop --------------------------------------------------------------------------

    def wait(self) -> int:
        """Until asked to stop (0), or until a child dies (1)."""
        while not self.stop_event.wait(0.5):
            for child in self.children:
                if not child.alive():
                    log.error("%s exited (code %s); stopping the stack. Its log (%s) ends "
                              "with:\n%s", child.name, child.proc.returncode, child.log_path,
                              child.log_tail())
                    return 1
        return 0

    def stop(self) -> None:
        self.stop_event.set()
        deadline = time.monotonic() + THREADS_STOP_TIMEOUT  # for all of them together
        for thread in self.threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self.save_s3_files()
        for child in reversed(self.children):
            child.stop()
        if self.api_socket is not None:
            self.api_socket.close()

    def _storage_lines(self) -> list[str]:
        cfg = self.cfg
        if not self.on_dynamodb_local:
            return [f"  moto         {cfg.moto_url}   (DynamoDB, SQS, SES, SNS, S3; in memory: "
                    "--dynamodb=moto)"]
        return [f"  DynamoDB     {cfg.dynamodb_url}   (DynamoDB Local)",
                f"  moto         {cfg.moto_url}   (SQS, SES, SNS, S3)",
                f"  data         {cfg.data_dir}   (tables and S3 files, kept between runs; "
                "make run FRESH=1 starts empty)"]

    def banner(self) -> str:
        cfg = self.cfg
        password = cfg.admin_password if cfg.admin_password_is_default else "(JFW_ADMIN_PASSWORD)"
        demo, platform = self.seeded.demo, self.seeded.platform
        lines = [
            "",
            "JFW Billing local stack (stage local, everything on 127.0.0.1)",
            f"  API          {cfg.api_url}/api/v1/health   OpenAPI: "
            f"{cfg.api_url}/api/v1/openapi.json",
            *self._storage_lines(),
            f"  localstripe  {cfg.stripe_url}",
            f"  logs         {cfg.log_dir}",
            f"  demo brand   Brand-URL: {_host(demo)}   (id {demo['id']})",
            f"  platform     Brand-URL: {_host(platform)}   (id {platform['id']})",
            f"  SuperAdmin   username: {cfg.admin_username}   password: {password}"
            "   (log in with Brand-URL: " + _host(platform) + ")",
            "",
            "Log in as the SuperAdmin:",
            f"  curl -s {cfg.api_url}/api/v1/users/auth -H 'Brand-URL: {_host(platform)}' "
            "-H 'Content-Type: application/json' \\",
            f"       -d '{{\"username\": \"{cfg.admin_username}\", \"password\": \"...\"}}'",
            "Then send the authKey it returns as the Auth-Key header; README.md has more.",
        ]
        lines += _payment_lines(self)
        if self.seeded.created:
            lines.append("Seeded: " + ", ".join(self.seeded.created) + ".")
        lines += [f"Note: {n}." for n in self.notes]
        return "\n".join(lines)


def _payment_lines(stack: Stack) -> list[str]:
    p = stack.payments
    if p is None:
        return []
    secret, default = stripe_webhook_secret()
    shown = secret if default else "(STRIPE_WEBHOOK_SECRET)"
    lines = [
        "",
        "Payments (demo brand):",
        f"  Stripe gateway  id {p.stripe['id']}   (localstripe; the default gateway)",
        f"    notification URL  {p.stripe['ipnListenerLink']}   (registered with localstripe)",
        f"    webhook secret    {shown}",
        f"  PayPal gateway  id {p.paypal['id']}   (IPN simulator {paypal_sim_url(stack.cfg)})",
        f"    notification URL  {p.paypal['ipnListenerLink']}",
        f"  PRO price       id {p.price['id']}   (9.99 USD / month): as a logged-in user,",
        f"    POST {stack.cfg.api_url}/api/v1/prices/{p.price['id']}/generate-checkout-link"
        "   (Brand-URL: demo.localhost)",
        "    and open the link it returns; in its 3-D Secure dialog choose Complete.",
    ]
    if p.created:
        lines.append("  Seeded: " + ", ".join(p.created) + ".")
    return lines


def _host(brand: dict) -> str:
    domains = brand.get("domains") or []
    return domains[0]["domain"] if domains else "?"


def load(ref: str, what: str) -> Any:
    """Import a "module:function"; a module that does not exist yet is reported, not fatal."""
    from chalicelib.http.routing import resolve  # after the stack's environment

    module = ref.partition(":")[0]
    try:
        return resolve(ref)
    except ModuleNotFoundError as e:
        if e.name and module.startswith(e.name):
            log.warning("%s: %s does not exist; it is skipped", what, ref)
            return None
        raise


def empty_data(data_dir: Path) -> str:
    """--fresh: remove what the stack keeps in ``data_dir`` (only that); what was done."""
    removed = []
    db = data_dir / dynamodb_local.DB_FILE
    if db.exists():
        db.unlink()
        removed.append(db.name)
    for folder in ("s3", "s3.saving"):
        if (data_dir / folder).exists():
            shutil.rmtree(data_dir / folder)
            removed.append(folder + "/")
    if not removed:
        return f"started empty (--fresh): {data_dir} held no data"
    return f"started empty (--fresh): removed {', '.join(removed)} from {data_dir}"


def fewer_malloc_arenas(count: int = 2) -> None:
    """glibc gives threads that allocate at once arenas of their own (up to 8 per core) and
    keeps what they held: with the API's thread per connection, argon2's 19 MiB per login
    stayed in each, and the stack grew from 138 MB to 556 MB in a 2-minute soak of
    bench/stack.py (235 MB with two arenas, flat after the first minute). As
    MALLOC_ARENA_MAX=2 does; before any thread starts."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # after the stack's environment

    m_arena_max = -8
    try:
        ctypes.CDLL(None).mallopt(m_arena_max, count)
    except (OSError, AttributeError):  # not glibc
        pass


def configure_logging() -> None:
    """One log format for the stack's processes (the stack itself and its API processes)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for chatty in ("botocore", "pynamodb"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    # "Connection pool is full": more threads than a client's pool under load; harmless.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    fewer_malloc_arenas()
    parser = argparse.ArgumentParser(
        prog="python -m chalicelib.devstack", description=__doc__,
        epilog=devconfig.ENV_HELP + PAYMENTS_ENV_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--fresh", action="store_true",
                        help="start with no data: empty the data folder first (make run FRESH=1)")
    parser.add_argument("--dynamodb", choices=("local", "moto"), default="local",
                        help="local: DynamoDB Local, kept in the data folder (default); moto: "
                             "moto's server in memory, as before (for bench/stack.py)")
    args = parser.parse_args(argv)
    configure_logging()
    try:
        cfg = dataclasses.replace(DevConfig.from_env(), fresh=args.fresh, dynamodb=args.dynamodb)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    def on_term(signum: int, frame: object) -> None:
        raise _Stop

    prepare_environment(cfg)
    reset_app_state()
    stack = Stack(cfg)
    signal.signal(signal.SIGTERM, on_term)
    code = 0
    try:
        stack.start()
        print(stack.banner(), flush=True)
        print(f"JFW Billing local stack ready: API {cfg.api_url} (Ctrl-C stops it)", flush=True)
        # From now on a signal just asks the main loop to stop.
        signal.signal(signal.SIGTERM, lambda *_: stack.stop_event.set())
        signal.signal(signal.SIGINT, lambda *_: stack.stop_event.set())
        code = stack.wait()
    except (KeyboardInterrupt, _Stop):
        code = 0
    except StartupError as e:
        print(f"error: {e}", file=sys.stderr)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        started = time.monotonic()
        stack.stop()
        print(f"JFW Billing local stack stopped ({time.monotonic() - started:.1f} s).",
              flush=True)
    return code

