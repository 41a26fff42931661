"""A PayPal IPN simulator for the local stack and tests, like PayPal's own IPN simulator.

It sends IPN messages in PayPal's form format to a notify URL, remembers each one, and answers
the verification postback at ``/cgi-bin/webscr``: ``VERIFIED`` iff the body is
``cmd=_notify-validate&`` followed by exactly the bytes of a message it sent in ``valid`` mode,
else ``INVALID``. It can resend a message (PayPal resends until it gets 200) and build follow-up
messages: a status change of the same txn (Pending -> Completed), a refund or a reversal.

A checkout link that leads here (``GET /cgi-bin/webscr?cmd=_xclick&...``, what our checkout
answers for a PayPal gateway in ``simulator`` mode) opens a PayPal-like approval page: the
merchant (``business``), the order (``item_name``, ``invoice``, ``custom``), the amount and
currency, a "test mode" note, Pay and Cancel. Both are POSTs (a prefetch pays nothing). Pay sends
a Completed IPN for exactly what the link asks to its ``notify_url``, waits for the listener's
answer, then sends the browser (303) to the link's ``return`` URL, or shows what our server
made of it when there is none. One Completed IPN per approval (the link's parameters): once
delivered, Pay again shows "already paid"; after a failed delivery it resends the same message,
as PayPal retries. Cancel sends nothing and goes to ``cancel_return`` (else a "cancelled" page).
A link PayPal would refuse (no amount, a ``business`` that isn't the simulator's receiver, a
currency PayPal doesn't take) is a 400 page; an unknown path a 404 page.

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

from chalicelib import money
from chalicelib.devstack import config as devconfig
from chalicelib.http.errors import BadRequest
from chalicelib.payments import service as payments

DEFAULT_PORT = 8421
PORT_ENV = "PAYPAL_SIM_PORT"
PAY_PATH = "/_simulator/pay"
CANCEL_PATH = "/_simulator/cancel"
# The currencies PayPal takes payments in (its REST API's currency codes list).
PAYPAL_CURRENCIES = frozenset({
    "AUD", "BRL", "CAD", "CNY", "CZK", "DKK", "EUR", "HKD", "HUF", "ILS", "JPY", "MYR", "MXN",
    "TWD", "NZD", "NOK", "PHP", "PLN", "GBP", "RUB", "SGD", "SEK", "CHF", "THB", "USD"})
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
        self.approvals: dict[str, SentIpn] = {}  # approval_key(link) -> the Completed IPN
        self._paying: set[str] = set()
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

    # -- the buyer's side: the approval page a checkout link opens -------------------------------

    def check_link(self, link: str) -> CheckoutLink:
        """``link`` as PayPal would take it for this simulator's merchant account; a ValueError
        says, for a person, why PayPal would refuse it."""
        asked = parse_checkout_link(link)
        query = dict(parse_qsl(urlsplit(link).query, keep_blank_values=True))
        if query.get("cmd") != "_xclick":
            raise ValueError(f"cmd={query.get('cmd')!r}: this simulator pays Buy Now links "
                             "(cmd=_xclick) only.")
        business = query.get("business", "")
        if business.lower() not in (self.receiver_email.lower(), self.receiver_id.lower()):
            raise ValueError(f"The link pays {business or 'nobody (it has no business)'}, not "
                             f"this simulator's merchant account {self.receiver_email} "
                             f"({self.receiver_id}): check the gateway's paypalReceiverEmail.")
        currency = query.get("currency_code") or "USD"  # PayPal's default
        if currency not in PAYPAL_CURRENCIES:
            raise ValueError(f"PayPal does not take the currency {currency!r} (currency_code); "
                             f"it takes {', '.join(sorted(PAYPAL_CURRENCIES))}.")
        if not query.get("amount"):
            raise ValueError("The link has no amount: it must say what the order costs.")
        try:
            minor = money.to_minor(query["amount"], currency)
        except BadRequest as e:
            raise ValueError(f"The link's {e.message}") from None
        if minor <= 0:
            raise ValueError(f"The link's amount {query['amount']} {currency} is not more than 0.")
        if not _web_url(asked.notify_url):
            raise ValueError(f"The link's notify_url {asked.notify_url!r} is not an http(s) URL.")
        return asked

    def paid_for(self, link: str) -> SentIpn | None:
        """The Completed IPN a Pay on this approval delivered (our listener answered 200)."""
        with self._lock:
            sent = self.approvals.get(approval_key(link))
        return sent if sent is not None and sent.status == 200 else None

    def _unpaid(self, link: str, status_if_paid: int) -> CheckoutLink | Page:
        """What ``link`` asks (a CheckoutLink), or the Page to answer instead: a bad link, or
        one already paid (with ``status_if_paid``)."""
        try:
            asked = self.check_link(link)
        except ValueError as e:
            return _bad_link(e)
        paid = self.paid_for(link)
        return asked if paid is None else _already_paid(asked, paid, status_if_paid)

    def approval_page(self, link: str) -> Page:
        """PayPal's approval step for ``link``: the merchant, the order, the amount, Pay and
        Cancel (both POSTs, so a prefetch pays nothing)."""
        asked = self._unpaid(link, 200)
        if isinstance(asked, Page):
            return asked
        f, query = asked.fields, urlsplit(link).query
        amount = f"{f['mc_gross']} {f.get('mc_currency', 'USD')}"
        merchant = f.get("business", "")
        command = (".venv/bin/python -m chalicelib.devstack.paypal_simulator send --checkout-link "
                   f"'{link}'")
        return Page(200, _document(f"Pay {amount} to {merchant}", f"""
<h1>Pay with PayPal</h1>
<section class="card" aria-labelledby="order">
<h2 id="order">Your order</h2>
<p class="total">Total <span class="amount" id="amount">{html.escape(amount)}</span></p>
<dl>
<dt>Merchant</dt><dd id="merchant">{html.escape(merchant)}</dd>
<dt>Item</dt><dd id="item">{html.escape(f.get("item_name", "-"))}</dd>
<dt>Invoice</dt><dd id="invoice">{html.escape(f.get("invoice", "-"))}</dd>
<dt>Reference</dt><dd id="reference">{html.escape(f.get("custom", "-"))}</dd>
</dl>
<form method="post" action="{html.escape(PAY_PATH + "?" + query, quote=True)}">
<button type="submit" class="pay">Pay {html.escape(amount)}</button>
<button type="submit" class="cancel"
 formaction="{html.escape(CANCEL_PATH + "?" + query, quote=True)}">Cancel and return to
{html.escape(merchant)}</button>
</form>
</section>
<details><summary>What Pay does</summary>
<p>It sends a Completed IPN for exactly this order to {html.escape(asked.notify_url)}, waits
for the shop's answer, then returns you to the shop. The same from a terminal:</p>
<pre>{html.escape(command)}</pre></details>"""))

    def pay(self, link: str) -> Page:
        """The buyer pressed Pay: a Completed IPN for what ``link`` asks to its notify_url, then
        (the listener having answered) back to the link's ``return`` URL. One Completed IPN
        per approval: once delivered, Pay again shows "already paid"; after a failed delivery
        it resends the same message, as PayPal retries."""
        try:
            asked = self.check_link(link)
        except ValueError as e:
            return _bad_link(e)
        key = approval_key(link)
        with self._lock:
            earlier = self.approvals.get(key)
            if earlier is not None and earlier.status == 200:
                return _already_paid(asked, earlier, 409)
            if key in self._paying:
                return Page(409, _document("Payment in progress", "<h1>Payment in progress</h1>"
                                           "<p>This payment is being sent; wait a moment and "
                                           "reload.</p>"))
            self._paying.add(key)
        try:
            sent = (self.resend(earlier) if earlier is not None else
                    self.send_ipn(asked.notify_url,
                                  {**asked.fields, "payment_status": "Completed"}))
            with self._lock:
                self.approvals[key] = sent
        finally:
            with self._lock:
                self._paying.discard(key)
        took, what = outcome_of(sent.summary())
        if took and _web_url(asked.return_url):
            return Page(303, location=asked.return_url)
        title = "Payment sent" if took else "Payment not confirmed"
        retry = "" if sent.status == 200 else (
            "<p>PayPal would retry the notification; pressing Pay again resends the same "
            "message.</p>")
        return Page(200 if took else 502, _document(title, f"""<h1>{title}</h1>
<p>PayPal sent transaction <b>{html.escape(sent.txn_id)}</b> ({html.escape(
            sent.get("mc_gross"))} {html.escape(sent.get("mc_currency"))}) to the shop. Our
server: <span id="outcome">{html.escape(what)}</span>.</p>{retry}"""))

    def cancel(self, link: str) -> Page:
        """The buyer pressed Cancel: no IPN; back to the link's ``cancel_return`` URL."""
        asked = self._unpaid(link, 409)
        if isinstance(asked, Page):
            return asked
        if _web_url(asked.cancel_url):
            return Page(303, location=asked.cancel_url)
        return Page(200, _document("Payment cancelled", "<h1>Payment cancelled</h1><p>You "
                                   "cancelled this payment; nothing was paid and the shop was "
                                   "not notified.</p>"))

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
    cancel_url: str = ""


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
                        simulator_url=f"{parts.scheme}://{parts.netloc}" if local else None,
                        cancel_url=query.get("cancel_return", ""))


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


def _web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def approval_key(link: str) -> str:
    """One approval per link: the same parameters in any order are the same approval."""
    return urlencode(sorted(parse_qsl(urlsplit(link).query, keep_blank_values=True)))


@dataclass(frozen=True)
class Page:
    """An answer to the buyer's browser: an HTML page, or a 303 to ``location``."""

    status: int
    html: str = ""
    location: str | None = None


def _bad_link(error: ValueError) -> Page:
    return Page(400, _document("PayPal can't take this payment", f"""
<h1>PayPal can't take this payment</h1>
<p id="problem">{html.escape(str(error))}</p>
<p>Ask the shop for a new checkout link.</p>"""))


def _already_paid(asked: CheckoutLink, sent: SentIpn, status: int) -> Page:
    back = (f'<p><a href="{html.escape(asked.return_url, quote=True)}">Return to the shop</a>'
            "</p>" if _web_url(asked.return_url) else "")
    _, what = outcome_of(sent.summary())
    return Page(status, _document("Already paid", f"""<h1>Already paid</h1>
<p>You already paid this order: transaction <b>{html.escape(sent.txn_id)}</b>
({html.escape(sent.get("mc_gross"))} {html.escape(sent.get("mc_currency"))}). Nothing more was
sent. Our server: {html.escape(what)}.</p>{back}"""))


STYLE = """
:root { color-scheme: light; --blue: #003087; --sky: #0070e0; --ink: #1e2b37; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #f5f7fa; }
header { background: #fff; border-bottom: 1px solid #d9dee4; padding: .75rem 1rem; }
.logo { font: italic 700 1.6rem/1 Verdana, sans-serif; color: var(--blue); }
.logo span { color: #009cde; }
.test { margin: 0; padding: .6rem 1rem; background: #fff4ce; border-bottom: 1px solid #e8c65a;
        font-size: .95rem; }
main { max-width: 28rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
h2 { font-size: 1.05rem; margin: 0 0 .5rem; }
.card { background: #fff; border: 1px solid #d9dee4; border-radius: 12px; padding: 1.25rem; }
.total { display: flex; justify-content: space-between; align-items: baseline; margin: 0 0 1rem;
         padding-bottom: .75rem; border-bottom: 1px solid #e6e9ed; }
.amount { font-size: 1.6rem; font-weight: 700; }
dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem 1rem; margin: 0 0 1.25rem; }
dt { color: #52606d; } dd { margin: 0; overflow-wrap: anywhere; }
button { display: block; width: 100%; min-height: 3rem; margin-top: .75rem; font: inherit;
         font-weight: 700; border-radius: 999px; cursor: pointer; }
.pay { background: var(--sky); color: #fff; border: 2px solid var(--sky); }
.pay:hover { background: var(--blue); border-color: var(--blue); }
.cancel { background: #fff; color: var(--blue); border: 2px solid var(--blue); }
button:focus-visible, a:focus-visible, summary:focus-visible {
  outline: 3px solid #ffbf00; outline-offset: 2px; }
details { margin-top: 1rem; font-size: .9rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #eef1f4; padding: .5rem; }
a { color: var(--sky); }
"""


def _document(title: str, main: str) -> str:
    """A page in PayPal's look, with the simulator's test-mode note; phone-sized too."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - PayPal simulator</title><style>{STYLE}</style></head>
<body><header><span class="logo" role="img" aria-label="PayPal">Pay<span>Pal</span></span></header>
<p class="test" role="note"><strong>PayPal simulator — test mode.</strong> No real money moves:
paying sends a test notification (IPN) to the shop.</p>
<main>{main}</main></body></html>"""


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
            elif path in (PAY_PATH, CANCEL_PATH):
                self._body()
                link = sim.url + payments.PAYPAL_VERIFY_PATH + "?" + self._query()
                self._page(sim.pay(link) if path == PAY_PATH else sim.cancel(link))
            else:
                self._not_found()

        def _query(self) -> str:
            return self.path.partition("?")[2]

        def _page(self, page: Page, **headers: str) -> None:
            self.send_response(page.status)
            if page.location:
                self.send_header("Location", page.location)
            for name, value in {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
                                **headers}.items():
                self.send_header(name, value)
            body = page.html.encode()
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _not_found(self) -> None:
            self._page(Page(404, _document("Not found", "<h1>Not found</h1><p>PayPal's "
                                           "simulator has no page here. A checkout link opens "
                                           f"{payments.PAYPAL_VERIFY_PATH}?cmd=_xclick&amp;"
                                           "&hellip;</p>")))

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == payments.PAYPAL_VERIFY_PATH:
                self._page(sim.approval_page(sim.url + self.path))
            elif path in (PAY_PATH, CANCEL_PATH):  # a prefetch or a typed URL pays nothing
                self._page(Page(405, _document("Use the Pay button", "<h1>Use the Pay button"
                                               "</h1><p>Paying or cancelling is a button on "
                                               "the payment's page, not a link.</p>")),
                           Allow="POST")
            elif path == "/_simulator/messages":
                with sim._lock:
                    items = [s.summary() for s in sim.sent]
                self._reply(200, json.dumps(items).encode(), "application/json")
            elif path == "/":
                self._reply(200, f"PayPal IPN simulator; verification URL {sim.verify_url}\n"
                            .encode())
            else:
                self._not_found()

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
