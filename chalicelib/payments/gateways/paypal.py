"""PayPal IPN: parse the form-encoded message, post it back for ``VERIFIED``, normalise it.

The protocol (PayPal's IPN guide): answer the notification with 200, then POST
``cmd=_notify-validate&`` + the message exactly as received (same bytes, same order) to the
verification URL, which answers ``VERIFIED`` or ``INVALID``. Only a VERIFIED message is applied,
and only after checking that the receiver is ours and the amount and currency match our payment.

Messages are encoded in the charset their ``charset`` field names (PayPal's default is
windows-1252). The postback always uses the raw bytes, never a re-encoding of parsed fields.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import unquote_to_bytes

from chalicelib import settings
from chalicelib.payments.gateways.events import (
    EventKind,
    GatewayEvent,
    GatewayUnavailable,
    JfwPaymentStatus,
    MalformedNotification,
    currency_code,
    decimal_to_minor,
)

LIVE_VERIFY_URL = "https://ipnpb.paypal.com/cgi-bin/webscr"
SANDBOX_VERIFY_URL = "https://ipnpb.sandbox.paypal.com/cgi-bin/webscr"
VERIFY_PATH = "/cgi-bin/webscr"
VALIDATE_PREFIX = b"cmd=_notify-validate&"
DEFAULT_CHARSET = "windows-1252"
USER_AGENT = "JFW-Billing-IPN-Verifier/1.0"


class VerificationUnavailable(GatewayUnavailable):
    """PayPal's verification URL didn't answer VERIFIED or INVALID (network error, timeout, an
    error page). Nothing is decided: answer 5xx so PayPal resends, or retry the postback."""


def verify_url_for(mode: str, simulator_url: str | None = None) -> str:
    """The verification URL for a gateway's mode: ``live``, ``sandbox`` or ``simulator`` (the
    local simulator's base URL or its full verification URL, from the settings)."""
    mode = (mode or "").strip().lower()
    if mode == "live":
        return LIVE_VERIFY_URL
    if mode == "sandbox":
        return SANDBOX_VERIFY_URL
    if mode == "simulator":
        if not simulator_url:
            raise ValueError("The PayPal simulator's URL is not configured.")
        url = simulator_url.rstrip("/")
        return url if url.endswith(VERIFY_PATH) else url + VERIFY_PATH
    raise ValueError(f"PayPal verification mode must be live, sandbox or simulator, not {mode!r}.")


# --- parsing -----------------------------------------------------------------------------------

def _pairs(raw_body: bytes) -> list[tuple[bytes, bytes]]:
    out = []
    for part in raw_body.strip(b"\r\n").split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        out.append((unquote_to_bytes(key.replace(b"+", b" ")),
                    unquote_to_bytes(value.replace(b"+", b" "))))
    return out


def charset_of(raw_body: bytes) -> str:
    """The Python codec for the message's ``charset`` field; PayPal's default when it is absent
    or names a charset Python doesn't know."""
    for key, value in _pairs(raw_body):
        if key == b"charset":
            try:
                return codecs.lookup(value.decode("ascii").strip()).name
            except (LookupError, UnicodeDecodeError):
                break
    return codecs.lookup(DEFAULT_CHARSET).name


def parse(raw_body: bytes) -> list[tuple[str, str]]:
    """The message's fields, in the order sent, decoded per its ``charset``."""
    charset = charset_of(raw_body)
    return [(k.decode(charset, "replace"), v.decode(charset, "replace"))
            for k, v in _pairs(raw_body)]


# --- verification ------------------------------------------------------------------------------

def verify_postback(raw_body: bytes, verify_url: str, timeout: float = 10) -> bool:
    """Post the message back unchanged; True on VERIFIED, False on INVALID. Raises
    VerificationUnavailable on anything else, so the caller answers 5xx and PayPal resends."""
    if not verify_url.lower().startswith(("https://", "http://")):
        raise ValueError(f"PayPal verification URL must be http(s): {verify_url!r}")
    request = urllib.request.Request(
        verify_url, data=VALIDATE_PREFIX + bytes(raw_body), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "User-Agent": USER_AGENT, "Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read(64).strip()
    except urllib.error.HTTPError as e:
        raise VerificationUnavailable(f"PayPal's verification URL answered HTTP {e.code}.") \
            from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise VerificationUnavailable(f"PayPal's verification URL could not be reached: "
                                      f"{reason}.") from None
    if answer == b"VERIFIED":
        return True
    if answer == b"INVALID":
        return False
    raise VerificationUnavailable(f"PayPal's verification URL answered {answer[:20]!r}, neither "
                                  "VERIFIED nor INVALID.")


# --- normalisation -----------------------------------------------------------------------------

# payment_status (lower case: JFW compares statuses case-insensitively) -> (PayPal's word,
# kind, JFW status). See events.py for the choices where JFW has no twin.
_STATUSES: dict[str, tuple[str, EventKind, JfwPaymentStatus]] = {
    "completed": ("Completed", "payment.succeeded", "Completed"),
    "pending": ("Pending", "payment.pending", "Pending"),
    "processed": ("Processed", "payment.pending", "Pending"),
    "created": ("Created", "payment.pending", "Created"),
    "denied": ("Denied", "payment.failed", "Denied"),
    "failed": ("Failed", "payment.failed", "Failed"),
    "expired": ("Expired", "payment.canceled", "Voided"),
    "voided": ("Voided", "payment.canceled", "Voided"),
    "refunded": ("Refunded", "payment.refunded", "Refunded"),
    "reversed": ("Reversed", "dispute.created", "Reserved"),
    "canceled_reversal": ("Canceled_Reversal", "dispute.closed", "CanceledReversal"),
}

# Messages that move a payment. Refunds and reversals carry no txn_type. Everything else
# (subscr_signup/cancel/eot/modify/failed, new_case, adjustment, ...) is kept but ignored: an
# ``adjustment`` says Completed without being a payment of ours.
PAYMENT_TXN_TYPES = frozenset({"", "web_accept", "cart", "express_checkout", "subscr_payment",
                               "recurring_payment", "send_money", "virtual_terminal"})

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_ZONES = {"PST": -8, "PDT": -7, "UTC": 0, "GMT": 0}
_DATE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2}) ([A-Za-z]{3})\.? (\d{1,2}), (\d{4}) ([A-Z]{3})$")


def parse_payment_date(value: str) -> datetime | None:
    """PayPal's ``HH:MM:SS Mon DD, YYYY PST`` (or PDT) -> UTC; None when it isn't that."""
    m = _DATE.match((value or "").strip())
    if not m or m.group(4).lower() not in _MONTHS or m.group(7) not in _ZONES:
        return None
    hh, mm, ss, mon, dd, yyyy, zone = m.groups()
    try:
        local = datetime(int(yyyy), _MONTHS[mon.lower()], int(dd), int(hh), int(mm), int(ss),
                         tzinfo=timezone(timedelta(hours=_ZONES[zone])))
    except ValueError:
        return None
    return local.astimezone(UTC)


def format_payment_date(when: datetime) -> str:
    """UTC -> PayPal's ``payment_date`` (Pacific time: PDT from the second Sunday of March to the
    first Sunday of November, 2 a.m. local, as US law says)."""
    utc = when.astimezone(UTC)
    year = utc.year
    march = datetime(year, 3, 8, 10, tzinfo=UTC)  # 2 a.m. PST = 10:00 UTC
    dst_start = march + timedelta(days=(6 - march.weekday()) % 7)
    november = datetime(year, 11, 1, 9, tzinfo=UTC)  # 2 a.m. PDT = 09:00 UTC
    dst_end = november + timedelta(days=(6 - november.weekday()) % 7)
    zone = "PDT" if dst_start <= utc < dst_end else "PST"
    local = utc + timedelta(hours=_ZONES[zone])
    month = tuple(_MONTHS)[local.month - 1].title()
    return f"{local:%H:%M:%S} {month} {local.day:02d}, {local.year} {zone}"


def _receiver_matches(f: dict[str, str], email: str | None, receiver_id: str | None) -> bool:
    """Whether the message is about money paid to our account (PayPal's IPN variables):

    - ``receiver_email`` (the receiving account's primary e-mail) and ``receiver_id`` (its
      merchant account id) say who was paid; each one present must be ours wherever we know
      ours, and at least one of them must match a configured value;
    - ``business`` is what the button said (our e-mail or our merchant id): present, it must be
      one of ours too. It alone proves nothing, so it never makes a match by itself.

    With nothing configured, no message is ours (fail closed)."""
    ours_email = (email or "").strip().lower()
    ours_id = (receiver_id or "").strip().lower()
    if not (ours_email or ours_id):
        return False
    got_email = f.get("receiver_email", "").strip().lower()
    got_id = f.get("receiver_id", "").strip().lower()
    business = f.get("business", "").strip().lower()
    if business and business not in {ours_email, ours_id} - {""}:
        return False
    matched = False
    for got, ours in ((got_email, ours_email), (got_id, ours_id)):
        if got and ours:
            if got != ours:
                return False
            matched = True
    return matched


def normalise(fields: list[tuple[str, str]], expected_receiver_email: str | None,
              expected_receiver_id: str | None, now: datetime | None = None) -> GatewayEvent:
    """A VERIFIED message's fields -> GatewayEvent. ``now`` dates messages without a
    ``payment_date`` (subscription sign-ups)."""
    f: dict[str, str] = {}
    for key, value in fields:
        f.setdefault(key, value)
    txn_type = f.get("txn_type", "").strip().lower()
    status_word = f.get("payment_status", "").strip()
    known = _STATUSES.get(status_word.lower().replace(" ", "_"))
    occurred_at = (parse_payment_date(f.get("payment_date", ""))
                   or parse_payment_date(f.get("subscr_date", "")) or now or _now())
    txn_id = f.get("txn_id", "").strip()
    receiver = (f.get("receiver_email") or f.get("business") or f.get("receiver_id") or "").strip()
    common = {
        "gateway": "paypal",
        "occurred_at": occurred_at,
        "payment_ref": (f.get("custom") or "").strip() or (f.get("invoice") or "").strip() or None,
        "receiver": receiver or None,
        "receiver_matches": _receiver_matches(f, expected_receiver_email, expected_receiver_id),
        "test_mode": f.get("test_ipn", "").strip() == "1",
        "raw": f,
    }
    if known is None or txn_type not in PAYMENT_TXN_TYPES:
        event_type = ":".join(x for x in (txn_type, status_word) if x) or "unknown"
        return GatewayEvent(dedupe_key=_ignored_key(f, txn_type, status_word), kind="ignored",
                            event_type=event_type, merchant_ref=txn_id or None, **common)
    word, kind, jfw = known
    if not txn_id:
        raise MalformedNotification(f"PayPal {word} message has no txn_id.")
    currency = currency_code(f.get("mc_currency"), "mc_currency")
    if not f.get("mc_gross"):
        raise MalformedNotification(f"PayPal {word} message {txn_id} has no mc_gross.")
    fee = f.get("mc_fee", "").strip()
    parent = f.get("parent_txn_id", "").strip() or None
    return GatewayEvent(
        dedupe_key=f"{txn_id}:{word}", kind=kind,
        event_type=f"{txn_type}:{word}" if txn_type else word, merchant_ref=txn_id,
        parent_merchant_ref=parent,
        dispute_ref=(parent or txn_id) if kind.startswith("dispute.") else None,
        amount_minor=decimal_to_minor(f["mc_gross"], currency, "mc_gross"),
        currency=currency,
        fee_minor=decimal_to_minor(fee, currency, "mc_fee") if fee else None,
        jfw_status=jfw, **common)


def _ignored_key(f: dict[str, str], txn_type: str, status: str) -> str:
    """Ignored messages still get a stable key, so a resend is recognised as one."""
    if f.get("txn_id"):
        return f"{f['txn_id'].strip()}:{status or txn_type}"
    ref = f.get("subscr_id") or f.get("recurring_payment_id") or f.get("case_id")
    if ref:
        return f"{txn_type}:{ref.strip()}"
    if f.get("ipn_track_id"):
        return f"ipn:{f['ipn_track_id'].strip()}"
    body = "&".join(f"{k}={v}" for k, v in sorted(f.items()))
    return "sha256:" + hashlib.sha256(body.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return settings.now()
