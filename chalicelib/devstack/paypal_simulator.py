"""A PayPal IPN simulator for the local stack and tests, like PayPal's own IPN simulator.

It sends IPN messages in PayPal's form format to a notify URL, remembers each one, and answers
the verification postback at ``/cgi-bin/webscr``: ``VERIFIED`` iff the body is
``cmd=_notify-validate&`` followed by exactly the bytes of a message it sent in ``valid`` mode,
else ``INVALID``. It can resend a message (PayPal resends until it gets 200) and build follow-up
messages: a status change of the same txn (Pending -> Completed), a refund or a reversal.

A checkout link that leads here (``GET /cgi-bin/webscr?cmd=_xclick&...``, what our checkout
answers for a PayPal gateway in ``simulator`` mode) shows a small "PayPal" page whose button pays:
it sends a Completed IPN for exactly what the link asks (``custom``, ``invoice``, amount,
currency, receiver) to the link's ``notify_url``, then shows what our server made of it.

Use it in-process (``PayPalSimulator().start()``) or as a process::

    python -m chalicelib.devstack.paypal_simulator [--port 8421]
    python -m chalicelib.devstack.paypal_simulator send --checkout-link LINK \\
        [--status Completed] [--amount 9.99] [--invalid] [--field key=value ...]
    python -m chalicelib.devstack.paypal_simulator send --notify-url URL --custom PAYMENT_ID \\
        --amount 10.00 --currency USD [...]

``send`` asks the running simulator to send, through its control endpoint
``POST /_simulator/send``; ``GET /_simulator/messages`` lists what it sent. Which simulator:
``--simulator``, else the one a ``--checkout-link`` leads to (our hosted page's link is followed
to it), else ``PAYPAL_SIM_PORT`` on 127.0.0.1 (as ``make run`` reads it; default 8421).
It says what our server recorded and exits non-zero unless the notification was applied. The
simulator binds loopback addresses only.
"""

from __future__ import annotations

import argparse
import html
import ipaddress
import json
import os
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
from urllib.parse import parse_qsl, urlencode, urlsplit

from chalicelib.devstack import config as devconfig
from chalicelib.payments import service as payments

DEFAULT_PORT = 8421
PORT_ENV = "PAYPAL_SIM_PORT"
PAY_PATH = "/_simulator/pay"
DEFAULT_RECEIVER_EMAIL = "seller@jfw.localhost"
DEFAULT_RECEIVER_ID = "JFWSIMSELLER1"
NOTIFY_USER_AGENT = "PayPal IPN ( https://www.paypal.com/ipn )"

MAX_ANSWER = 4096  # bytes of the notify URL's answer kept
Mode = Literal["valid", "invalid"]
Fields = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass(frozen=True)
class SentIpn:
    """One message as sent: its fields in order, the exact bytes, and what the notify URL
    answered: its status (None when it couldn't be reached) and body."""

    notify_url: str
    fields: tuple[tuple[str, str], ...]
    body: bytes
    mode: Mode
    status: int | None
    answer: str = ""
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def get(self, key: str, default: str = "") -> str:
        return next((v for k, v in self.fields if k == key), default)

    @property
    def txn_id(self) -> str:
        return self.get("txn_id")

    def summary(self) -> dict[str, Any]:
        return {"notifyUrl": self.notify_url, "txnId": self.txn_id,
                "paymentStatus": self.get("payment_status"), "mode": self.mode,
                "status": self.status, "answer": self.answer,
                "body": self.body.decode("ascii"), "sentAt": self.sent_at.isoformat()}


def _random(n: int, alphabet: str = string.ascii_uppercase + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def new_txn_id() -> str:
    """17 upper-case letters and digits, like PayPal's."""
    return _random(17)


def encode(fields: Iterable[tuple[str, str]]) -> bytes:
    """Form-encode in the charset the message's ``charset`` field names, as PayPal does
    (characters that charset lacks become ``?``)."""
    pairs = list(fields)
    charset = next((v for k, v in pairs if k == "charset"), payments.PAYPAL_DEFAULT_CHARSET)
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
        return self.url + payments.PAYPAL_VERIFY_PATH

    def answer_postback(self, body: bytes) -> str:
        """VERIFIED iff ``body`` is the prefix plus exactly a message sent in valid mode."""
        prefix = payments.PAYPAL_VALIDATE_PREFIX
        message = body[len(prefix):] if body.startswith(prefix) else None
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
            "payment_date": payments.format_paypal_payment_date(datetime.now(UTC)),
            "payment_status": "Completed",
            "charset": payments.PAYPAL_DEFAULT_CHARSET,
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
        fresh = {"payment_date": payments.format_paypal_payment_date(datetime.now(UTC)),
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

    # -- the buyer's side: the page a checkout link opens ------------------------------------------

    def checkout_page(self, link: str) -> tuple[int, str]:
        """(status, HTML) of the "PayPal" page a checkout link opens: what it asks, a Pay
        button, and the same payment from a terminal."""
        try:
            asked = parse_checkout_link(link)
        except ValueError as e:
            return 400, _html("Not a checkout link", f"<p>{html.escape(str(e))}</p>")
        f = asked.fields
        command = (".venv/bin/python -m chalicelib.devstack.paypal_simulator send --checkout-link "
                   f"'{link}'")
        return 200, _html("PayPal (simulator)", f"""
<p>Pay <b>{html.escape(f.get("mc_gross", "?"))} {html.escape(f.get("mc_currency", ""))}</b>
to {html.escape(f.get("business", "?"))} for {html.escape(f.get("item_name", "?"))}
(invoice {html.escape(f.get("invoice", "-"))}).</p>
<form method="post" action="{html.escape(PAY_PATH + "?" + urlsplit(link).query, quote=True)}">
<button type="submit">Pay</button></form>
<p>Paying sends a Completed IPN to {html.escape(asked.notify_url)}. From a terminal:</p>
<pre>{html.escape(command)}</pre>""")

    def pay_page(self, link: str) -> tuple[int, str]:
        """Pay what ``link`` asks (a Completed IPN to its notify_url) and show the outcome."""
        try:
            asked = parse_checkout_link(link)
        except ValueError as e:
            return 400, _html("Not a checkout link", f"<p>{html.escape(str(e))}</p>")
        sent = self.send_ipn(asked.notify_url, {**asked.fields, "payment_status": "Completed"})
        took, what = outcome_of(sent.summary())
        back = (f'<p><a href="{html.escape(asked.return_url, quote=True)}">Back to the shop'
                "</a></p>" if took and asked.return_url else "")
        return (200 if took else 502), _html("Paid" if took else "Not paid", f"""
<p>txn_id {html.escape(sent.txn_id)}: {html.escape(what)}.</p>{back}""")

    def _post(self, notify_url: str, pairs: tuple[tuple[str, str], ...], body: bytes, mode: Mode,
              timeout: float) -> SentIpn:
        with self._lock:
            self._modes[body] = mode
        request = urllib.request.Request(notify_url, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "User-Agent": NOTIFY_USER_AGENT,
            "Connection": "close"})
        status: int | None
        answer = ""
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = response.read(MAX_ANSWER).decode("utf-8", "replace")
                status = response.status
        except urllib.error.HTTPError as e:
            status = e.code
            answer = e.read(MAX_ANSWER).decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as e:
            status, answer = None, str(getattr(e, "reason", e))
        sent = SentIpn(notify_url=notify_url, fields=pairs, body=body, mode=mode, status=status,
                       answer=answer)
        with self._lock:
            self.sent.append(sent)
        return sent


# -- checkout links and what our server made of a notification ----------------------------------

# A Payments Standard link's parameters -> the IPN fields PayPal sends when it is paid.
LINK_TO_IPN = {"custom": "custom", "invoice": "invoice", "item_name": "item_name",
               "item_number": "item_number", "amount": "mc_gross",
               "currency_code": "mc_currency", "quantity": "quantity", "business": "business",
               "charset": "charset"}


@dataclass(frozen=True)
class CheckoutLink:
    """What a PayPal Payments Standard link (``.../cgi-bin/webscr?cmd=_xclick&...``) asks for:
    where PayPal will notify, the IPN fields that pay exactly it, where the buyer goes back to,
    and the simulator it leads to (None when it leads elsewhere, e.g. PayPal's sandbox)."""

    url: str
    notify_url: str
    fields: dict[str, str]
    return_url: str
    simulator_url: str | None


def parse_checkout_link(url: str) -> CheckoutLink:
    """The PayPal link's request; a ValueError says why ``url`` is not one."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if not parts.path.endswith(payments.PAYPAL_VERIFY_PATH) or "cmd" not in query:
        raise ValueError(f"{url} is not a PayPal checkout link "
                         f"(…{payments.PAYPAL_VERIFY_PATH}?cmd=_xclick&…).")
    if not query.get("notify_url"):
        raise ValueError(f"The checkout link {url} has no notify_url: PayPal would notify "
                         "nobody.")
    fields = {ipn: query[name] for name, ipn in LINK_TO_IPN.items() if query.get(name)}
    if "@" in fields.get("business", ""):
        fields["receiver_email"] = fields["business"]
    local = parts.scheme == "http" and _is_loopback(parts.hostname or "")
    return CheckoutLink(url=url, notify_url=query["notify_url"], fields=fields,
                        return_url=query.get("return", ""),
                        simulator_url=f"{parts.scheme}://{parts.netloc}" if local else None)


def read_checkout_link(url: str, timeout: float = 10) -> CheckoutLink:
    """A PayPal checkout link, or our hosted checkout page's link (``/api/checkout/<paymentId>
    ?brandId=...``), which is followed to the PayPal link it redirects a PayPal payment to."""
    if urlsplit(url).path.endswith(payments.PAYPAL_VERIFY_PATH):
        return parse_checkout_link(url)
    request = urllib.request.Request(url, method="GET", headers={"Accept": "text/html"})
    try:
        with _NO_REDIRECTS.open(request, timeout=timeout) as response:
            status, location = response.status, response.headers.get("Location")
    except urllib.error.HTTPError as e:
        status, location = e.code, e.headers.get("Location")
    except (urllib.error.URLError, OSError) as e:
        raise ValueError(f"Could not open the checkout link {url}: "
                         f"{getattr(e, 'reason', e)}.") from None
    if status in (301, 302, 303, 307, 308) and location:
        return parse_checkout_link(location)
    what = "a Stripe payment's page: pay it there" if status == 200 else f"it answered {status}"
    raise ValueError(f"{url} does not lead to PayPal ({what}). Ask for a PayPal link, e.g. "
                     "generate-checkout-link?appIntegrationId=paypal.")


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx itself is the answer: its Location is the PayPal link


_NO_REDIRECTS = urllib.request.build_opener(_KeepRedirects)

# Our IPN listener's outcomes (chalicelib/payments/intake.py) other than "applied", for a person.
NOT_APPLIED = {
    "unknown_payment": "no payment of this gateway's brand has the id in `custom` ({custom}); "
                       "send the payment's checkout link (--checkout-link LINK), or its id (the "
                       "link's `custom`), not its code",
    "duplicate": "this txn_id and payment_status were received before; nothing changed",
    "mismatch": "the amount, currency, receiver or test mode differ from the payment's; the "
                "payment is held for an admin's review, not completed",
    "ignored": "the payment's state doesn't move for it (out of order, or a type we don't act "
               "on); kept as history",
}


def outcome_of(sent: Mapping[str, Any]) -> tuple[bool, str]:
    """(whether the notification took effect, what happened, said for a person), from a sent
    message's summary and the notify URL's answer (our IPN listener answers the JFW envelope
    with ``data.outcome``; any other listener is judged by its status alone)."""
    status, answer = sent.get("status"), sent.get("answer") or ""
    if status is None:
        return False, f"the notify URL could not be reached ({answer or 'no answer'})"
    try:
        envelope = json.loads(answer)
    except ValueError:
        envelope = None
    envelope = envelope if isinstance(envelope, dict) else {}
    data = envelope.get("data") if isinstance(envelope.get("data"), dict) else {}
    if status != 200:
        said = envelope.get("message") or answer.strip()[:300] or "no body"
        return False, f"the notify URL answered {status}: {said}"
    outcome = data.get("outcome")
    if outcome is None:
        return True, "the notify URL answered 200"
    if outcome == "applied":
        return True, (f"applied: payment {data.get('paymentId')} is now "
                      f"{data.get('status')}")
    custom = dict(parse_qsl(str(sent.get("body") or ""))).get("custom") or "none"
    why = NOT_APPLIED.get(outcome, "see GET v1/payments/notifications")
    return False, f"NOT applied: our server recorded it as {outcome}: {why.format(custom=custom)}"


def _html(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>{body}"
            "</body></html>")


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
            if path == payments.PAYPAL_VERIFY_PATH:
                self._reply(200, sim.answer_postback(self._body()).encode("ascii"))
            elif path == "/_simulator/send":
                self._control_send()
            elif path == PAY_PATH:
                self._body()
                self._page(*sim.pay_page(sim.url + payments.PAYPAL_VERIFY_PATH + "?"
                                         + self._query()))
            else:
                self._reply(404, b"Not found")

        def _query(self) -> str:
            return self.path.partition("?")[2]

        def _page(self, status: int, body: str) -> None:
            self._reply(status, body.encode(), "text/html; charset=utf-8")

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == payments.PAYPAL_VERIFY_PATH and self._query():
                self._page(*sim.checkout_page(sim.url + self.path))
            elif path == "/_simulator/messages":
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


def default_simulator_url(env: Mapping[str, str] | None = None) -> str:
    """The simulator ``make run`` starts: ``PAYPAL_SIM_PORT`` on 127.0.0.1 (default 8421)."""
    port = devconfig._port(os.environ if env is None else env, PORT_ENV, DEFAULT_PORT)
    return f"http://127.0.0.1:{port}"


def _send(args: argparse.Namespace) -> int:
    fields: dict[str, str] = {"mc_gross": "10.00", "mc_currency": "USD"}
    simulator = args.simulator
    try:
        if args.checkout_link:
            link = read_checkout_link(args.checkout_link)
            notify_url, simulator = link.notify_url, simulator or link.simulator_url
            fields.update(link.fields)
        elif args.notify_url:
            notify_url = args.notify_url
        else:
            print("send needs --checkout-link LINK (what the checkout answered) or "
                  "--notify-url URL.", file=sys.stderr)
            return 2
        simulator = simulator or default_simulator_url()
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    given = {"custom": args.custom, "mc_gross": args.amount, "mc_currency": args.currency}
    fields.update({k: v for k, v in given.items() if v is not None})
    fields["payment_status"] = args.status
    for item in args.field or []:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"--field takes key=value, not {item!r}", file=sys.stderr)
            return 2
        fields[key] = value
    payload = {"notifyUrl": notify_url, "fields": fields,
               "mode": "invalid" if args.invalid else "valid"}
    request = urllib.request.Request(simulator.rstrip("/") + "/_simulator/send",
                                     data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            sent = json.loads(response.read())
    except (urllib.error.URLError, OSError) as e:
        print(f"The simulator at {simulator} could not send: {e}. Is it running (`make run` "
              f"starts it on {PORT_ENV}, default {DEFAULT_PORT})?", file=sys.stderr)
        return 1
    fields_sent = dict(payments.parse_paypal_message(sent["body"].encode("ascii")))
    took, what = outcome_of(sent)
    print(f"sent txn_id {sent['txnId']} ({fields_sent.get('payment_status')}, "
          f"{fields_sent.get('mc_gross')} {fields_sent.get('mc_currency')}, custom "
          f"{fields_sent.get('custom') or '-'}) to {sent['notifyUrl']}: {what}",
          file=sys.stdout if took else sys.stderr)
    return 0 if took else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.devstack.paypal_simulator",
                                     description="PayPal IPN simulator (loopback only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=None,
                        help=f"default: {PORT_ENV}, else {DEFAULT_PORT}")
    parser.add_argument("--receiver-email", default=DEFAULT_RECEIVER_EMAIL)
    parser.add_argument("--receiver-id", default=DEFAULT_RECEIVER_ID)
    sub = parser.add_subparsers(dest="command")
    send = sub.add_parser(
        "send", help="ask a running simulator to send one IPN",
        description="Ask a running simulator to send one IPN, and say what the notify URL made "
                    "of it: exits 0 only when it was applied (or, for a listener that isn't "
                    "ours, answered 200).")
    send.add_argument("--checkout-link", help="pay what this link asks: the PayPal link a "
                      "checkout answered, or our hosted checkout page's link")
    send.add_argument("--simulator", help="the simulator's URL (default: the one the checkout "
                      f"link leads to, else 127.0.0.1:${PORT_ENV}, else port {DEFAULT_PORT})")
    send.add_argument("--notify-url", help="where to send (default: the checkout link's)")
    send.add_argument("--custom", help="our payment id (default: the checkout link's)")
    send.add_argument("--amount", help="default: the checkout link's, else 10.00")
    send.add_argument("--currency", help="default: the checkout link's, else USD")
    send.add_argument("--status", default="Completed")
    send.add_argument("--invalid", action="store_true", help="the postback will say INVALID")
    send.add_argument("--field", action="append", help="any other field, key=value")
    args = parser.parse_args(argv)
    if args.command == "send":
        return _send(args)
    if args.port is None:
        try:
            args.port = int(urlsplit(default_simulator_url()).port or DEFAULT_PORT)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
