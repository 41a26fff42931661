"""The PayPal IPN simulator against a tiny IPN receiver that does what our listener will do:
answer 200 at once, then post the raw message back with ``paypal.verify_postback``."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import pytest

from chalicelib.devstack import paypal_simulator
from chalicelib.devstack.paypal_simulator import PayPalSimulator
from chalicelib.payments.gateways import paypal

ROOT = Path(__file__).resolve().parents[3]


class Receiver:
    """An IPN listener: records (raw body, postback result); ``tamper`` changes the bytes it
    posts back; ``status`` is what it answers PayPal."""

    def __init__(self, verify_url: str) -> None:
        self.verify_url = verify_url
        self.results: queue.Queue[tuple[bytes, bool | str]] = queue.Queue()
        self.tamper: Callable[[bytes], bytes] = lambda b: b
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.wfile.flush()
                if outer.status != 200:
                    outer.results.put((raw, "not verified: answered error"))
                    return
                try:
                    ok: bool | str = paypal.verify_postback(outer.tamper(raw), outer.verify_url)
                except paypal.VerificationUnavailable as e:
                    ok = e.message
                outer.results.put((raw, ok))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/ipn/paypal/gw1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self) -> tuple[bytes, bool | str]:
        return self.results.get(timeout=10)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sim():
    with PayPalSimulator() as s:
        yield s


@pytest.fixture
def receiver(sim):
    r = Receiver(sim.verify_url)
    yield r
    r.close()


def test_simulator_message_is_verified_by_the_postback(sim, receiver):
    sent = sim.send_ipn(receiver.url, {"custom": "PAY-1", "mc_gross": "19.99",
                                       "mc_currency": "EUR", "first_name": "Zoé"})
    raw, verified = receiver.next()
    assert verified is True and sent.status == 200
    assert raw == sent.body
    fields = paypal.parse(raw)
    assert fields == list(sent.fields)
    ev = paypal.normalise(fields, sim.receiver_email, sim.receiver_id)
    assert ev.kind == "payment.succeeded" and ev.payment_ref == "PAY-1"
    assert (ev.amount_minor, ev.currency) == (1999, "EUR")
    assert ev.receiver_matches is True and ev.test_mode is True
    assert ev.raw["first_name"] == "Zoé"
    assert sim.postbacks == [(raw, "VERIFIED")]


def test_message_has_paypals_fields_and_format(sim, receiver):
    sent = sim.send_ipn(receiver.url, {"custom": "PAY-2", "invoice": "INV-2"})
    receiver.next()
    f = dict(paypal.parse(sent.body))
    for key in ("txn_id", "txn_type", "payment_status", "mc_gross", "mc_currency", "mc_fee",
                "receiver_email", "receiver_id", "custom", "invoice", "payer_email",
                "payment_date", "charset", "notify_version", "verify_sign"):
        assert f.get(key), key
    assert (f["txn_type"], f["charset"], f["notify_version"]) == ("web_accept", "windows-1252",
                                                                  "3.9")
    assert len(f["txn_id"]) == 17 and f["txn_id"].isalnum()
    assert paypal.parse_payment_date(f["payment_date"]) is not None


def test_tampered_body_is_invalid(sim, receiver):
    receiver.tamper = lambda b: b.replace(b"mc_gross=19.99", b"mc_gross=1.99")
    sim.send_ipn(receiver.url, {"mc_gross": "19.99"})
    assert receiver.next()[1] is False
    assert sim.postbacks[-1][1] == "INVALID"


def test_fields_reencoded_instead_of_raw_bytes_are_invalid(sim, receiver):
    # Parsed then re-encoded as UTF-8: the é is no longer windows-1252's single byte.
    receiver.tamper = lambda b: urlencode(paypal.parse(b), encoding="utf-8").encode()
    sent = sim.send_ipn(receiver.url, {"first_name": "Zoé"})
    assert b"Zo%E9" in sent.body
    assert receiver.next()[1] is False


def test_invalid_mode_is_answered_invalid(sim, receiver):
    sim.send_ipn(receiver.url, {"custom": "PAY-F"}, mode="invalid")
    assert receiver.next()[1] is False


def test_postback_of_a_message_never_sent_or_without_prefix_is_invalid(sim):
    assert paypal.verify_postback(b"txn_id=FORGED&mc_gross=1.00", sim.verify_url) is False
    sent = sim.send_ipn("http://127.0.0.1:9/unreachable", {"custom": "X"})
    assert sent.status is None  # nothing listened there; still remembered
    assert paypal.verify_postback(sent.body, sim.verify_url) is True
    assert sim.answer_postback(sent.body) == "INVALID"  # the prefix is missing


def test_resend_is_byte_identical_and_verified_again(sim, receiver):
    first = sim.send_ipn(receiver.url, {"custom": "PAY-R"})
    again = sim.resend(first)
    (raw1, ok1), (raw2, ok2) = receiver.next(), receiver.next()
    assert again.body == first.body == raw1 == raw2
    assert ok1 is True and ok2 is True
    assert [s.txn_id for s in sim.sent] == [first.txn_id, first.txn_id]


def test_refund_message(sim, receiver):
    paid = sim.send_ipn(receiver.url, {"custom": "PAY-3", "mc_gross": "30.00"})
    receiver.next()
    refund = sim.send_refund(receiver.url, paid, amount="10.00")
    raw, ok = receiver.next()
    assert ok is True
    f = dict(paypal.parse(raw))
    assert f["payment_status"] == "Refunded" and f["mc_gross"] == "-10.00"
    assert f["parent_txn_id"] == paid.txn_id and refund.txn_id != paid.txn_id
    assert "txn_type" not in f and f["reason_code"] == "refund"
    ev = paypal.normalise(paypal.parse(raw), sim.receiver_email, None)
    assert (ev.kind, ev.amount_minor, ev.parent_merchant_ref, ev.payment_ref) == (
        "payment.refunded", 1000, paid.txn_id, "PAY-3")


def test_pending_then_completed_keeps_the_txn_id(sim, receiver):
    pending = sim.send_ipn(receiver.url, {"payment_status": "Pending",
                                          "pending_reason": "echeck"})
    done = sim.send_ipn(receiver.url, sim.follow_up(pending, "Completed"))
    assert receiver.next()[1] is True and receiver.next()[1] is True
    assert done.txn_id == pending.txn_id
    a = paypal.normalise(list(pending.fields), sim.receiver_email, None)
    b = paypal.normalise(list(done.fields), sim.receiver_email, None)
    assert (a.kind, b.kind) == ("payment.pending", "payment.succeeded")
    assert a.dedupe_key != b.dedupe_key


def test_reversal_and_canceled_reversal(sim):
    paid = sim.build({"mc_gross": "12.00"})
    rev = dict(sim.follow_up(paid, "Reversed"))
    back = dict(sim.follow_up(paid, "Canceled_Reversal"))
    assert (rev["mc_gross"], rev["reason_code"]) == ("-12.00", "chargeback")
    assert back["mc_gross"] == "12.00" and back["parent_txn_id"] == dict(paid)["txn_id"]


def test_notify_url_error_is_recorded(sim, receiver):
    receiver.status = 500
    sent = sim.send_ipn(receiver.url, {"custom": "PAY-E"})
    assert sent.status == 500


def test_list_of_pairs_is_sent_exactly(sim, receiver):
    pairs = [("txn_id", "EXACT1"), ("payment_status", "Completed"), ("txn_id", "EXACT1")]
    sent = sim.send_ipn(receiver.url, pairs)
    assert receiver.next() == (b"txn_id=EXACT1&payment_status=Completed&txn_id=EXACT1", True)
    assert sent.fields == tuple(pairs)


def test_bad_mode_and_non_loopback_host_are_refused():
    with pytest.raises(ValueError, match="loopback"):
        PayPalSimulator(host="0.0.0.0")
    with PayPalSimulator() as s, pytest.raises(ValueError, match="mode"):
        s.send_ipn("http://127.0.0.1:9/", {}, mode="maybe")  # type: ignore[arg-type]


def test_cli_send_goes_through_the_running_simulator(sim, receiver, capsys):
    code = paypal_simulator.main(["send", "--simulator", sim.url, "--notify-url", receiver.url,
                                  "--custom", "PAY-CLI", "--amount", "5.00", "--currency",
                                  "GBP", "--field", "invoice=INV-CLI"])
    raw, ok = receiver.next()
    assert code == 0 and ok is True
    f = dict(paypal.parse(raw))
    assert (f["custom"], f["mc_gross"], f["mc_currency"], f["invoice"]) == (
        "PAY-CLI", "5.00", "GBP", "INV-CLI")
    assert "notify URL answered 200" in capsys.readouterr().out
    with urllib.request.urlopen(sim.url + "/_simulator/messages") as resp:
        listed = json.loads(resp.read())
    assert [m["txnId"] for m in listed] == [f["txn_id"]]


def test_module_entry_point_serves_on_loopback():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "chalicelib.devstack.paypal_simulator",
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert f"http://127.0.0.1:{port}" in line
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as resp:
                    assert b"/cgi-bin/webscr" in resp.read()
                    break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert paypal.verify_postback(b"txn_id=X", f"http://127.0.0.1:{port}/cgi-bin/webscr") \
            is False
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()  # type: ignore[union-attr]
