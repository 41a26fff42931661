"""localstripe for tests, started as the local stack starts it (chalicelib.devstack.stripe_server
on a free 127.0.0.1 port), and a receiver standing where our webhook URL would be."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_localstripe(log_dir: Path) -> Iterator[dict[str, Any]]:
    """localstripe until the block ends: {"base", "port", "proc"}."""
    port = free_port()
    log = log_dir / "localstripe.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "chalicelib.devstack.stripe_server",
                                 "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/js.stripe.com/v3/", timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "localstripe did not start:\n" + \
                    log.read_text()
                time.sleep(0.1)
        yield {"base": base, "port": port, "proc": proc}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def register_webhook(base: str, name: str, url: str, secret: str,
                     events: list[str] | None = None) -> None:
    """localstripe's own config route; no ``events``: every event is sent."""
    body = {"url": url, "secret": secret, **({"events": events} if events else {})}
    req = urllib.request.Request(f"{base}/_config/webhooks/{name}", method="POST",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=5).close()


def for_pi(event_type: str, pi_id: str) -> Callable[[dict], bool]:
    return lambda e: e["type"] == event_type and e["data"]["object"].get("id") == pi_id


class Receiver:
    """Where localstripe delivers webhooks: keeps (headers, raw body) and answers 200."""

    def __init__(self, path: str = "/hook") -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.deliveries.append((dict(self.headers), raw))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[tuple[dict[str, str], bytes, dict]]:
        with self.lock:
            return [(h, raw, json.loads(raw)) for h, raw in self.deliveries]

    def wait_for(self, match: Callable[[dict], bool], timeout: float = 10
                 ) -> tuple[dict[str, str], bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for headers, raw, evt in self.events():
                if match(evt):
                    return headers, raw
            time.sleep(0.05)
        raise AssertionError(f"no matching webhook within {timeout} s; got "
                             f"{[e['type'] for _, _, e in self.events()]}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


PLAIN_CARD = "4242424242424242"


def pay_as_the_browser(base: str, config: dict, card: str = PLAIN_CARD,
                       authenticate: bool | None = None) -> dict:
    """What the hosted page's Stripe.js (chalicelib/static/stripe-local.js) does with ``card``,
    with the page's config (publishable key, client secret): a PaymentMethod made with the
    publishable key, the PaymentIntent confirmed with it; a 3-D Secure card is then completed
    (``authenticate=True``) or failed (``False``). The PaymentIntent, or localstripe's error."""
    key, secret = config["publishableKey"], config["clientSecret"]
    pi_id = secret.split("_secret_")[0]

    def post(path: str, fields: dict[str, str]) -> dict:
        req = urllib.request.Request(base + path, method="POST",
                                     data=urllib.parse.urlencode(fields).encode())
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as e:
            return json.loads(e.read())

    pm = post("/v1/payment_methods", {
        "key": key, "type": "card", "card[number]": card, "card[exp_month]": "12",
        "card[exp_year]": str(time.gmtime().tm_year + 3), "card[cvc]": "123"})
    if "error" in pm:
        return pm
    pi = post(f"/v1/payment_intents/{pi_id}/confirm",
              {"key": key, "client_secret": secret, "payment_method": pm["id"]})
    if pi.get("status") == "requires_action" and authenticate is not None:
        pi = post(f"/v1/payment_intents/{pi_id}/_authenticate?success="
                  f"{str(authenticate).lower()}", {"key": key, "client_secret": secret})
    return pi
