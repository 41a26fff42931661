"""PayPal IPN: parsing per charset, the postback protocol, and every payment_status's mapping."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest

from chalicelib.payments.gateways import paypal
from chalicelib.payments.gateways.events import GatewayUnavailable, MalformedNotification

RECEIVER = "seller@shop.test"
RECEIVER_ID = "SELLER0000001"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def message(**over: str) -> list[tuple[str, str]]:
    fields = {
        "txn_type": "web_accept", "payment_date": "04:00:00 Jan 15, 2026 PST",
        "payment_status": "Completed", "mc_gross": "19.99", "mc_fee": "0.88",
        "mc_currency": "USD", "txn_id": "61E67681CH3238416", "receiver_email": RECEIVER,
        "receiver_id": RECEIVER_ID, "custom": "PAY-1", "payer_email": "buyer@example.com",
        "charset": "windows-1252", "notify_version": "3.9",
    }
    fields.update(over)
    return [(k, v) for k, v in fields.items() if v is not None]


def normalise(fields: list[tuple[str, str]], email: str | None = RECEIVER,
              receiver_id: str | None = RECEIVER_ID):
    return paypal.normalise(fields, email, receiver_id, now=NOW)


# --- parsing -------------------------------------------------------------------------------------

def test_parse_keeps_order_duplicates_and_blank_values():
    raw = b"b=2&a=1&b=3&empty=&plus=a+b&pct=50%25"
    assert paypal.parse(raw) == [("b", "2"), ("a", "1"), ("b", "3"), ("empty", ""),
                                 ("plus", "a b"), ("pct", "50%")]


def test_windows_1252_is_the_default_and_decodes_accents():
    raw = urlencode([("first_name", "Zoé"), ("item_name", "Café – 5€"),
                     ("charset", "windows-1252")], encoding="cp1252").encode()
    assert b"%E9" in raw and b"%80" in raw  # é and € as single windows-1252 bytes
    fields = dict(paypal.parse(raw))
    assert fields["first_name"] == "Zoé" and fields["item_name"] == "Café – 5€"
    no_charset = urlencode([("first_name", "Zoé")], encoding="cp1252").encode()
    assert paypal.parse(no_charset) == [("first_name", "Zoé")]
    assert paypal.charset_of(no_charset) == "cp1252"


def test_utf8_message_decodes_per_its_charset_field():
    raw = urlencode([("charset", "UTF-8"), ("first_name", "Zoé 李")], encoding="utf-8").encode()
    assert dict(paypal.parse(raw))["first_name"] == "Zoé 李"


def test_unknown_charset_falls_back_to_windows_1252():
    raw = b"charset=x-klingon&first_name=Zo%E9"
    assert dict(paypal.parse(raw))["first_name"] == "Zoé"


def test_normalised_event_keeps_the_decoded_payer_name():
    raw = urlencode(message(first_name="Zoé"), encoding="cp1252").encode()
    ev = normalise(paypal.parse(raw))
    assert ev.raw["first_name"] == "Zoé" and ev.kind == "payment.succeeded"


# --- postback ------------------------------------------------------------------------------------

class FakeVerifier:
    """PayPal's verification URL: records what it received and answers as told."""

    def __init__(self, status: int = 200, answer: bytes = b"VERIFIED", delay: float = 0) -> None:
        self.received: list[bytes] = []
        self.headers: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append(body)
                outer.headers.append(dict(self.headers))
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the client gave up (the timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webscr"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def verifier_factory():
    made: list[FakeVerifier] = []

    def make(**kw) -> FakeVerifier:
        made.append(FakeVerifier(**kw))
        return made[-1]

    yield make
    for v in made:
        v.close()


RAW = b"mc_gross=19.99&first_name=Zo%E9&txn_id=61E67681CH3238416&charset=windows-1252"


def test_postback_sends_the_raw_body_unchanged_after_the_prefix(verifier_factory):
    v = verifier_factory(answer=b"VERIFIED")
    assert paypal.verify_postback(RAW, v.url) is True
    assert v.received == [b"cmd=_notify-validate&" + RAW]
    assert v.headers[0]["Content-Type"] == "application/x-www-form-urlencoded"
    assert v.headers[0]["User-Agent"] == paypal.USER_AGENT


def test_invalid_answer_is_false(verifier_factory):
    assert paypal.verify_postback(RAW, verifier_factory(answer=b"INVALID").url) is False


@pytest.mark.parametrize(("status", "answer", "says"), [
    (200, b"<html>maintenance</html>", "neither VERIFIED nor INVALID"),
    (200, b"", "neither VERIFIED nor INVALID"),
    (500, b"VERIFIED", "HTTP 500"),
    (503, b"", "HTTP 503"),
])
def test_other_answers_mean_unavailable_not_invalid(verifier_factory, status, answer, says):
    v = verifier_factory(status=status, answer=answer)
    with pytest.raises(paypal.VerificationUnavailable, match=says):
        paypal.verify_postback(RAW, v.url)


def test_unreachable_verifier_is_unavailable():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))  # bound, never listening: connection refused
    try:
        url = f"http://127.0.0.1:{s.getsockname()[1]}/cgi-bin/webscr"
        with pytest.raises(GatewayUnavailable, match="could not be reached"):
            paypal.verify_postback(RAW, url)
    finally:
        s.close()


def test_slow_verifier_times_out_as_unavailable(verifier_factory):
    v = verifier_factory(delay=1.0)
    with pytest.raises(paypal.VerificationUnavailable):
        paypal.verify_postback(RAW, v.url, timeout=0.2)


def test_only_http_urls_are_posted_to():
    with pytest.raises(ValueError, match="http"):
        paypal.verify_postback(RAW, "file:///etc/passwd")


def test_verify_urls():
    assert paypal.verify_url_for("live") == "https://ipnpb.paypal.com/cgi-bin/webscr"
    assert paypal.verify_url_for("Sandbox") == "https://ipnpb.sandbox.paypal.com/cgi-bin/webscr"
    assert paypal.verify_url_for("simulator", "http://127.0.0.1:8421/") == \
        "http://127.0.0.1:8421/cgi-bin/webscr"
    assert paypal.verify_url_for("simulator", "http://127.0.0.1:8421/cgi-bin/webscr") == \
        "http://127.0.0.1:8421/cgi-bin/webscr"
    with pytest.raises(ValueError, match="not configured"):
        paypal.verify_url_for("simulator")
    with pytest.raises(ValueError, match="live, sandbox or simulator"):
        paypal.verify_url_for("prod")


# --- normalisation -------------------------------------------------------------------------------

def test_completed_web_accept():
    ev = normalise(message())
    assert ev.gateway == "paypal"
    assert (ev.kind, ev.jfw_status) == ("payment.succeeded", "Completed")
    assert ev.dedupe_key == "61E67681CH3238416:Completed"
    assert ev.payment_ref == "PAY-1" and ev.merchant_ref == "61E67681CH3238416"
    assert (ev.amount_minor, ev.currency, ev.fee_minor) == (1999, "USD", 88)
    assert ev.receiver == RECEIVER and ev.receiver_matches is True
    assert ev.occurred_at == datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # 04:00 PST
    assert ev.event_type == "web_accept:Completed" and ev.test_mode is False
    assert ev.raw["txn_type"] == "web_accept"


@pytest.mark.parametrize(("status", "kind", "jfw"), [
    ("Completed", "payment.succeeded", "Completed"),
    ("Pending", "payment.pending", "Pending"),
    ("Processed", "payment.pending", "Pending"),
    ("Created", "payment.pending", "Created"),
    ("Denied", "payment.failed", "Denied"),
    ("Failed", "payment.failed", "Failed"),
    ("Expired", "payment.canceled", "Voided"),
    ("Voided", "payment.canceled", "Voided"),
    ("Refunded", "payment.refunded", "Refunded"),
    ("Reversed", "dispute.created", "Reserved"),
    ("Canceled_Reversal", "dispute.closed", "CanceledReversal"),
])
def test_every_payment_status(status, kind, jfw):
    ev = normalise(message(payment_status=status))
    assert (ev.kind, ev.jfw_status) == (kind, jfw)
    assert ev.dedupe_key == f"61E67681CH3238416:{status}"


@pytest.mark.parametrize("spelling", ["completed", "COMPLETED", " Completed "])
def test_status_is_compared_case_insensitively_and_dedupes_on_paypals_word(spelling):
    ev = normalise(message(payment_status=spelling))
    assert ev.kind == "payment.succeeded" and ev.dedupe_key == "61E67681CH3238416:Completed"


def test_canceled_reversal_written_as_jfw_does():
    ev = normalise(message(payment_status="Canceled Reversal"))
    assert ev.jfw_status == "CanceledReversal"
    assert ev.dedupe_key == "61E67681CH3238416:Canceled_Reversal"


def test_pending_then_completed_are_two_dedupe_keys_of_one_txn():
    pending = normalise(message(payment_status="Pending", pending_reason="echeck"))
    done = normalise(message())
    assert pending.merchant_ref == done.merchant_ref
    assert pending.dedupe_key != done.dedupe_key


def test_refund_has_negative_gross_and_a_parent():
    ev = normalise(message(txn_type=None, payment_status="Refunded", mc_gross="-5.00",
                           mc_fee="-0.15", txn_id="9XR5", parent_txn_id="61E67681CH3238416",
                           reason_code="refund"))
    assert (ev.kind, ev.jfw_status) == ("payment.refunded", "Refunded")
    assert (ev.amount_minor, ev.fee_minor) == (500, 15)
    assert ev.merchant_ref == "9XR5" and ev.parent_merchant_ref == "61E67681CH3238416"
    assert ev.payment_ref == "PAY-1" and ev.refunded_minor is None
    assert ev.event_type == "Refunded"


def test_reversal_is_a_dispute_on_the_parent():
    ev = normalise(message(txn_type=None, payment_status="Reversed", mc_gross="-19.99",
                           txn_id="REV1", parent_txn_id="61E67681CH3238416",
                           reason_code="chargeback"))
    assert (ev.kind, ev.amount_minor, ev.parent_merchant_ref) == (
        "dispute.created", 1999, "61E67681CH3238416")


def test_jpy_has_no_decimals():
    ev = normalise(message(mc_gross="1000", mc_fee="34", mc_currency="JPY"))
    assert (ev.amount_minor, ev.fee_minor, ev.currency) == (1000, 34, "JPY")
    refund = normalise(message(payment_status="Refunded", mc_gross="-300", mc_fee=None,
                               mc_currency="jpy", parent_txn_id="X"))
    assert (refund.amount_minor, refund.currency, refund.fee_minor) == (300, "JPY", None)


@pytest.mark.parametrize(("over", "says"), [
    ({"mc_gross": "1000.5", "mc_currency": "JPY"}, "more decimals than JPY"),
    ({"mc_gross": "10.999"}, "more decimals than USD"),
    ({"mc_gross": "ten"}, "not a decimal amount"),
    ({"mc_gross": None}, "no mc_gross"),
    ({"mc_currency": "ZZZ"}, "not an ISO 4217"),
    ({"mc_currency": None}, "not an ISO 4217"),
    ({"txn_id": None}, "no txn_id"),
])
def test_unusable_messages_are_malformed(over, says):
    with pytest.raises(MalformedNotification, match=says):
        normalise(message(**over))


def test_payment_ref_is_custom_else_invoice():
    assert normalise(message(custom=None, invoice="INV-9")).payment_ref == "INV-9"
    assert normalise(message(custom="", invoice="INV-9")).payment_ref == "INV-9"
    assert normalise(message(invoice="INV-9")).payment_ref == "PAY-1"
    assert normalise(message(custom=None)).payment_ref is None


@pytest.mark.parametrize(("fields", "email", "rid", "ok"), [
    ({}, RECEIVER, RECEIVER_ID, True),
    ({"receiver_email": "SELLER@Shop.Test"}, RECEIVER, None, True),
    ({"receiver_email": "other@shop.test"}, RECEIVER, RECEIVER_ID, False),
    ({"receiver_id": "SOMEONEELSE01"}, RECEIVER, RECEIVER_ID, False),
    ({"receiver_email": "other@shop.test"}, None, RECEIVER_ID, True),
    ({"receiver_email": None, "business": RECEIVER}, RECEIVER, RECEIVER_ID, True),
    ({"business": RECEIVER}, RECEIVER, None, True),
    ({"business": RECEIVER_ID}, None, RECEIVER_ID, True),  # business may be the account id
    ({"business": RECEIVER_ID}, RECEIVER, RECEIVER_ID, True),
    ({"receiver_email": None, "receiver_id": None}, RECEIVER, RECEIVER_ID, False),
    ({}, None, None, False),  # nothing configured: fail closed
    # business names us but the money went to another account (issue 10)
    ({"business": RECEIVER, "receiver_email": "thief@evil.test"}, RECEIVER, None, False),
    ({"business": RECEIVER, "receiver_email": "thief@evil.test"}, RECEIVER, RECEIVER_ID,
     False),
    ({"business": RECEIVER, "receiver_id": "THIEF00000001"}, RECEIVER, RECEIVER_ID, False),
    # our account received it, but the button named someone else
    ({"business": "thief@evil.test"}, RECEIVER, RECEIVER_ID, False),
    # business alone is what the button said, not who was paid: not enough
    ({"receiver_email": None, "receiver_id": None, "business": RECEIVER}, RECEIVER,
     RECEIVER_ID, False),
    ({"receiver_email": None, "business": RECEIVER}, RECEIVER, None, False),
])
def test_receiver_must_be_ours(fields, email, rid, ok):
    assert normalise(message(**fields), email, rid).receiver_matches is ok


@pytest.mark.parametrize("txn_type", ["subscr_signup", "subscr_cancel", "subscr_eot",
                                      "subscr_modify", "new_case", "adjustment"])
def test_non_payment_messages_are_ignored(txn_type):
    ev = normalise(message(txn_type=txn_type, subscr_id="I-ABC", txn_id=None,
                           payment_status=None, payment_date=None,
                           subscr_date="10:00:00 Jan 15, 2026 PST"))
    assert ev.kind == "ignored" and ev.jfw_status is None and ev.amount_minor is None
    assert ev.raw["txn_type"] == txn_type and ev.event_type == txn_type
    assert ev.dedupe_key == f"{txn_type}:I-ABC"
    assert ev.occurred_at == datetime(2026, 1, 15, 18, 0, tzinfo=UTC)


def test_adjustment_saying_completed_is_not_a_payment():
    ev = normalise(message(txn_type="adjustment", parent_txn_id="61E67681CH3238416"))
    assert ev.kind == "ignored" and ev.dedupe_key == "61E67681CH3238416:Completed"


def test_subscription_payment_is_a_payment():
    ev = normalise(message(txn_type="subscr_payment", subscr_id="I-ABC"))
    assert ev.kind == "payment.succeeded" and ev.event_type == "subscr_payment:Completed"


def test_unknown_status_is_ignored():
    ev = normalise(message(payment_status="In-Progress"))
    assert ev.kind == "ignored" and ev.dedupe_key == "61E67681CH3238416:In-Progress"


def test_ignored_message_without_any_reference_still_has_a_stable_key():
    fields = [("txn_type", "mp_signup"), ("mp_id", "B-1")]
    a, b = normalise(fields), normalise(list(fields))
    assert a.dedupe_key == b.dedupe_key and a.dedupe_key.startswith("sha256:")


def test_test_ipn_is_test_mode():
    assert normalise(message(test_ipn="1")).test_mode is True


@pytest.mark.parametrize(("text", "utc"), [
    ("04:00:00 Jan 15, 2026 PST", datetime(2026, 1, 15, 12, 0, tzinfo=UTC)),
    ("18:30:05 Jul 04, 2026 PDT", datetime(2026, 7, 5, 1, 30, 5, tzinfo=UTC)),
    ("9:05:00 Feb 3, 2026 PST", datetime(2026, 2, 3, 17, 5, tzinfo=UTC)),
])
def test_payment_date_in_paypal_format(text, utc):
    assert paypal.parse_payment_date(text) == utc


@pytest.mark.parametrize("text", ["", "2026-01-15T12:00:00Z", "04:00:00 Foo 15, 2026 PST",
                                  "04:00:00 Feb 30, 2026 PST", "04:00:00 Jan 15, 2026 CET"])
def test_unreadable_payment_date_is_none_and_normalise_uses_now(text):
    assert paypal.parse_payment_date(text) is None
    assert normalise(message(payment_date=text)).occurred_at == NOW


@pytest.mark.parametrize(("utc", "text"), [
    (datetime(2026, 1, 15, 12, 0, tzinfo=UTC), "04:00:00 Jan 15, 2026 PST"),
    (datetime(2026, 7, 5, 1, 30, 5, tzinfo=UTC), "18:30:05 Jul 04, 2026 PDT"),
    # 2026: PDT from Sunday 8 March 10:00 UTC to Sunday 1 November 09:00 UTC.
    (datetime(2026, 3, 8, 9, 59, 59, tzinfo=UTC), "01:59:59 Mar 08, 2026 PST"),
    (datetime(2026, 3, 8, 10, 0, tzinfo=UTC), "03:00:00 Mar 08, 2026 PDT"),
    (datetime(2026, 11, 1, 8, 59, 59, tzinfo=UTC), "01:59:59 Nov 01, 2026 PDT"),
    (datetime(2026, 11, 1, 9, 0, tzinfo=UTC), "01:00:00 Nov 01, 2026 PST"),
])
def test_format_payment_date_round_trips(utc, text):
    assert paypal.format_payment_date(utc) == text
    assert paypal.parse_payment_date(text) == utc
