"""A PayPal IPN simulator for the local stack and tests, like PayPal's own IPN simulator.

It sends IPN messages in PayPal's form format to a notify URL, remembers each one, and answers
the verification postback at ``/cgi-bin/webscr``: ``VERIFIED`` iff the body is
``cmd=_notify-validate&`` followed by exactly the bytes of a message it sent in ``valid`` mode,
else ``INVALID``. It can resend a message (PayPal resends until it gets 200) and build follow-up
messages: a status change of the same txn (Pending -> Completed), a refund or a reversal.

Use it in-process (``PayPalSimulator().start()``) or as a process::

    python -m chalicelib.devstack.paypal_simulator [--port 8421]
    python -m chalicelib.devstack.paypal_simulator send --notify-url URL --custom PAYCODE \\
        --amount 10.00 --currency USD [--status Completed] [--invalid] [--field key=value ...]

``send`` asks the running simulator (``--simulator``, default http://127.0.0.1:8421) to send,
through its control endpoint ``POST /_simulator/send``; ``GET /_simulator/messages`` lists what it
sent. It binds loopback addresses only.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import secrets
import string
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlencode

from chalicelib.payments.gateways.paypal import (
    DEFAULT_CHARSET,
    VALIDATE_PREFIX,
    VERIFY_PATH,
    format_payment_date,
    parse,
)

DEFAULT_PORT = 8421
DEFAULT_RECEIVER_EMAIL = "seller@jfw.localhost"
DEFAULT_RECEIVER_ID = "JFWSIMSELLER1"
NOTIFY_USER_AGENT = "PayPal IPN ( https://www.paypal.com/ipn )"

Mode = Literal["valid", "invalid"]
Fields = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass(frozen=True)
class SentIpn:
    """One message as sent: its fields in order, the exact bytes, and what the notify URL
    answered (None when it couldn't be reached)."""

    notify_url: str
    fields: tuple[tuple[str, str], ...]
    body: bytes
    mode: Mode
    status: int | None
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def get(self, key: str, default: str = "") -> str:
        return next((v for k, v in self.fields if k == key), default)

    @property
    def txn_id(self) -> str:
        return self.get("txn_id")

    def summary(self) -> dict[str, Any]:
        return {"notifyUrl": self.notify_url, "txnId": self.txn_id,
                "paymentStatus": self.get("payment_status"), "mode": self.mode,
                "status": self.status, "body": self.body.decode("ascii"),
                "sentAt": self.sent_at.isoformat()}


def _random(n: int, alphabet: str = string.ascii_uppercase + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def new_txn_id() -> str:
    """17 upper-case letters and digits, like PayPal's."""
    return _random(17)


def encode(fields: Iterable[tuple[str, str]]) -> bytes:
    """Form-encode in the charset the message's ``charset`` field names, as PayPal does
    (characters that charset lacks become ``?``)."""
    pairs = list(fields)
    charset = next((v for k, v in pairs if k == "charset"), DEFAULT_CHARSET)
    return urlencode(pairs, encoding=charset, errors="replace").encode("ascii")


def _fee(gross: str) -> str:
    """3.4 % of the gross, in the gross's own decimals (a plausible PayPal fee)."""
    value = abs(Decimal(gross))
    places = Decimal(1).scaleb(Decimal(gross).as_tuple().exponent)  # type: ignore[arg-type]
    return str((value * Decimal("0.034")).quantize(places))


class PayPalSimulator:
    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 receiver_email: str = DEFAULT_RECEIVER_EMAIL,
                 receiver_id: str = DEFAULT_RECEIVER_ID) -> None:
        if not _is_loopback(host):
            raise ValueError(f"The PayPal simulator binds loopback addresses only, not {host}.")
        self.host, self.port = host, port
        self.receiver_email, self.receiver_id = receiver_email, receiver_id
        self.sent: list[SentIpn] = []
        self.postbacks: list[tuple[bytes, str]] = []  # (body after the prefix, answer)
        self._modes: dict[bytes, Mode] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- server --------------------------------------------------------------------------------

    def start(self) -> str:
        """Serve in a thread; returns the base URL."""
        if self._server is None:
            self._server = ThreadingHTTPServer((self.host, self.port), _handler(self))
            self._server.daemon_threads = True
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            name="paypal-simulator", daemon=True)
            self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> PayPalSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def verify_url(self) -> str:
        return self.url + VERIFY_PATH

    def answer_postback(self, body: bytes) -> str:
        """VERIFIED iff ``body`` is the prefix plus exactly a message sent in valid mode."""
        message = body[len(VALIDATE_PREFIX):] if body.startswith(VALIDATE_PREFIX) else None
        with self._lock:
            ok = message is not None and self._modes.get(message) == "valid"
            answer = "VERIFIED" if ok else "INVALID"
            self.postbacks.append((message if message is not None else body, answer))
        return answer

    # -- messages ------------------------------------------------------------------------------

    def build(self, fields: Fields | None = None) -> list[tuple[str, str]]:
        """A web_accept Completed message with PayPal's fields; ``fields`` (a mapping) override
        or add to them. A list of pairs is taken as the whole message, as is."""
        if fields is not None and not isinstance(fields, Mapping):
            return [(str(k), str(v)) for k, v in fields]
        given = {k: str(v) for k, v in (fields or {}).items()}
        gross = given.get("mc_gross", "10.00")
        message = {
            "mc_gross": gross,
            "protection_eligibility": "Eligible",
            "payer_id": _random(13),
            "payment_date": format_payment_date(datetime.now(UTC)),
            "payment_status": "Completed",
            "charset": DEFAULT_CHARSET,
            "first_name": "Test",
            "last_name": "Buyer",
            "mc_fee": _fee(gross),
            "notify_version": "3.9",
            "payer_status": "verified",
            "business": self.receiver_email,
            "quantity": "1",
            "verify_sign": _random(56, string.ascii_letters + string.digits + "-."),
            "payer_email": "buyer@example.com",
            "txn_id": new_txn_id(),
            "payment_type": "instant",
            "receiver_email": self.receiver_email,
            "receiver_id": self.receiver_id,
            "txn_type": "web_accept",
            "item_name": "JFW purchase",
            "mc_currency": "USD",
            "item_number": "",
            "residence_country": "US",
            "test_ipn": "1",
            "ipn_track_id": _random(13, "0123456789abcdef"),
        }
        message.update(given)
        return list(message.items())

    def follow_up(self, original: SentIpn | Iterable[tuple[str, str]], payment_status: str,
                  amount: str | None = None, extra: Mapping[str, str] | None = None
                  ) -> list[tuple[str, str]]:
        """The next message about ``original``'s payment, as PayPal sends it:

        - Refunded / Reversed: a new txn_id, ``parent_txn_id`` = the original's, a negative
          ``mc_gross`` (``amount``, default the whole gross) and no txn_type;
        - Canceled_Reversal: the same with a positive ``mc_gross``;
        - any other status (Completed after Pending, Denied, ...): the same txn_id.
        """
        base = dict(original.fields if isinstance(original, SentIpn) else original)
        fresh = {"payment_date": format_payment_date(datetime.now(UTC)),
                 "payment_status": payment_status,
                 "verify_sign": _random(56, string.ascii_letters + string.digits + "-."),
                 "ipn_track_id": _random(13, "0123456789abcdef")}
        status = payment_status.lower()
        if status in ("refunded", "reversed", "canceled_reversal"):
            gross = (amount or base.get("mc_gross", "0")).lstrip("-")
            sign = "" if status == "canceled_reversal" else "-"
            base.pop("txn_type", None)
            base.pop("pending_reason", None)
            fresh.update({
                "txn_id": new_txn_id(), "parent_txn_id": base.get("txn_id", ""),
                "mc_gross": sign + gross, "mc_fee": sign + _fee(gross),
                "reason_code": {"refunded": "refund", "reversed": "chargeback"}.get(status,
                                                                                 "other")})
        base.update(fresh)
        base.update(extra or {})
        return list(base.items())

    def send_ipn(self, notify_url: str, fields: Fields | None = None, mode: Mode = "valid",
                 timeout: float = 10) -> SentIpn:
        """POST one IPN to ``notify_url`` (a mapping is completed by ``build``) and remember it
        for the postback; ``mode="invalid"`` makes the postback answer INVALID (a forgery)."""
        if mode not in ("valid", "invalid"):
            raise ValueError("mode must be 'valid' or 'invalid'.")
        pairs = self.build(fields)
        return self._post(notify_url, tuple(pairs), encode(pairs), mode, timeout)

    def resend(self, sent: SentIpn, timeout: float = 10) -> SentIpn:
        """The same message again, byte for byte (PayPal's retry)."""
        return self._post(sent.notify_url, sent.fields, sent.body, sent.mode, timeout)

    def send_refund(self, notify_url: str, original: SentIpn, amount: str | None = None,
                    mode: Mode = "valid") -> SentIpn:
        return self.send_ipn(notify_url, self.follow_up(original, "Refunded", amount), mode)

    def _post(self, notify_url: str, pairs: tuple[tuple[str, str], ...], body: bytes, mode: Mode,
              timeout: float) -> SentIpn:
        with self._lock:
            self._modes[body] = mode
        request = urllib.request.Request(notify_url, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "User-Agent": NOTIFY_USER_AGENT,
            "Connection": "close"})
        status: int | None
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as e:
            status = e.code
        except (urllib.error.URLError, OSError):
            status = None
        sent = SentIpn(notify_url=notify_url, fields=pairs, body=body, mode=mode, status=status)
        with self._lock:
            self.sent.append(sent)
        return sent


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _handler(sim: PayPalSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == VERIFY_PATH:
                self._reply(200, sim.answer_postback(self._body()).encode("ascii"))
            elif path == "/_simulator/send":
                self._control_send()
            else:
                self._reply(404, b"Not found")

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/_simulator/messages":
                with sim._lock:
                    items = [s.summary() for s in sim.sent]
                self._reply(200, json.dumps(items).encode(), "application/json")
            elif path == "/":
                self._reply(200, f"PayPal IPN simulator; verification URL {sim.verify_url}\n"
                            .encode())
            else:
                self._reply(404, b"Not found")

        def _control_send(self) -> None:
            try:
                req = json.loads(self._body() or b"{}")
                notify_url = req["notifyUrl"]
                fields = req.get("fields") or {}
                if isinstance(fields, list):
                    fields = [tuple(p) for p in fields]
                sent = sim.send_ipn(notify_url, fields, req.get("mode", "valid"))
            except (ValueError, KeyError, TypeError) as e:
                self._reply(400, json.dumps({"error": f"bad send request: {e}"}).encode(),
                            "application/json")
                return
            self._reply(200, json.dumps(sent.summary()).encode(), "application/json")

    return Handler


# --- command line ------------------------------------------------------------------------------

def _serve(args: argparse.Namespace) -> int:
    sim = PayPalSimulator(args.host, args.port, args.receiver_email, args.receiver_id)
    sim.start()
    print(f"PayPal IPN simulator on {sim.url} (verification URL {sim.verify_url}; receiver "
          f"{sim.receiver_email} / {sim.receiver_id})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


def _send(args: argparse.Namespace) -> int:
    fields: dict[str, str] = {"payment_status": args.status, "mc_gross": args.amount,
                              "mc_currency": args.currency}
    if args.custom:
        fields["custom"] = args.custom
    for item in args.field or []:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"--field takes key=value, not {item!r}", file=sys.stderr)
            return 2
        fields[key] = value
    payload = {"notifyUrl": args.notify_url, "fields": fields,
               "mode": "invalid" if args.invalid else "valid"}
    request = urllib.request.Request(args.simulator.rstrip("/") + "/_simulator/send",
                                     data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            sent = json.loads(response.read())
    except (urllib.error.URLError, OSError) as e:
        print(f"The simulator at {args.simulator} could not send: {e}. Is it running "
              "(`python -m chalicelib.devstack.paypal_simulator`)?", file=sys.stderr)
        return 1
    fields_sent = dict(parse(sent["body"].encode("ascii")))
    print(f"sent txn_id {sent['txnId']} ({fields_sent.get('payment_status')}, "
          f"{fields_sent.get('mc_gross')} {fields_sent.get('mc_currency')}) to {sent['notifyUrl']}"
          f": notify URL answered {sent['status']}")
    return 0 if sent["status"] == 200 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.devstack.paypal_simulator",
                                     description="PayPal IPN simulator (loopback only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--receiver-email", default=DEFAULT_RECEIVER_EMAIL)
    parser.add_argument("--receiver-id", default=DEFAULT_RECEIVER_ID)
    sub = parser.add_subparsers(dest="command")
    send = sub.add_parser("send", help="ask a running simulator to send one IPN")
    send.add_argument("--simulator", default=f"http://127.0.0.1:{DEFAULT_PORT}")
    send.add_argument("--notify-url", required=True)
    send.add_argument("--custom", help="our payment code")
    send.add_argument("--amount", default="10.00")
    send.add_argument("--currency", default="USD")
    send.add_argument("--status", default="Completed")
    send.add_argument("--invalid", action="store_true", help="the postback will say INVALID")
    send.add_argument("--field", action="append", help="any other field, key=value")
    args = parser.parse_args(argv)
    return _send(args) if args.command == "send" else _serve(args)


if __name__ == "__main__":
    sys.exit(main())
