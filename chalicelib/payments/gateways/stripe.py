"""Stripe webhooks: verify ``Stripe-Signature`` on the raw body, normalise the event.

The hot path uses hmac and json only (no ``stripe`` import: it costs cold-start time); the
``stripe`` library is imported lazily by ``fetch_payment_intent``, which the janitor uses.

Signature: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]`` where each ``v1`` is
HMAC-SHA256(secret, ``b"<t>." + raw body``). Any ``v1`` matching any configured secret passes
(Stripe sends one per active secret while a secret is being rolled).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from chalicelib import settings
from chalicelib.payments.gateways.events import (
    EventKind,
    GatewayEvent,
    GatewayUnavailable,
    JfwPaymentStatus,
    MalformedNotification,
    SignatureError,
    currency_code,
)

DEFAULT_TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "Stripe-Signature"

# Stripe's documented exceptions to "amount is in the ISO minor unit": ISK and UGX are zero-decimal
# in ISO 4217 but Stripe takes and reports them as two-decimal values whose cents are always 00.
_TWO_DECIMAL_AT_STRIPE = frozenset({"ISK", "UGX"})

# type -> (kind, JFW status); charge.dispute.closed is decided by the dispute's outcome.
_TYPES: dict[str, tuple[EventKind, JfwPaymentStatus]] = {
    "payment_intent.succeeded": ("payment.succeeded", "Completed"),
    "payment_intent.processing": ("payment.pending", "Pending"),
    "payment_intent.payment_failed": ("payment.failed", "Failed"),
    "payment_intent.canceled": ("payment.canceled", "Voided"),
    "charge.refunded": ("payment.refunded", "Refunded"),
    "charge.dispute.created": ("dispute.created", "Reserved"),
    "charge.dispute.closed": ("dispute.closed", "CanceledReversal"),
}
HANDLED_EVENT_TYPES: tuple[str, ...] = tuple(_TYPES)

# A dispute that closed "lost" leaves the money with the buyer.
_DISPUTE_LOST_STATUS: JfwPaymentStatus = "Reserved"


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` value Stripe would send for ``payload`` (tests, simulators)."""
    return f"t={timestamp},v1={_hmac(secret, timestamp, payload)}"


def _hmac(secret: str, timestamp: int | str, payload: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def _parse_header(header: str | None) -> tuple[int, list[str]]:
    if not header or not header.strip():
        raise SignatureError(f"Missing {SIGNATURE_HEADER} header: this request was not signed "
                             "by Stripe.")
    timestamp: str | None = None
    v1: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise SignatureError(f"Malformed {SIGNATURE_HEADER} header: '{item.strip()[:40]}' "
                                 "is not key=value.")
        if key == "t":
            timestamp = value
        elif key == "v1":
            v1.append(value)
    if timestamp is None or not timestamp.isdigit():
        raise SignatureError(f"Malformed {SIGNATURE_HEADER} header: no t=<unix time>.")
    if not v1:
        raise SignatureError(f"Malformed {SIGNATURE_HEADER} header: no v1 signature.")
    return int(timestamp), v1


def verify(raw_body: bytes, signature_header: str | None, secrets: list[str], now: datetime,
           tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> None:
    """Raise SignatureError unless ``raw_body`` carries a valid, fresh Stripe signature."""
    if not isinstance(raw_body, bytes | bytearray):
        raise TypeError("Stripe signatures cover the raw request bytes; pass bytes.")
    timestamp, candidates = _parse_header(signature_header)
    secrets = [s for s in secrets if s]
    if not secrets:
        raise SignatureError("No webhook signing secret is configured for this Stripe gateway.")
    expected = [_hmac(secret, timestamp, bytes(raw_body)).encode("ascii") for secret in secrets]
    matched = False
    for candidate in candidates:
        got = candidate.strip().encode("utf-8", "replace")
        for exp in expected:  # no early exit: the time taken doesn't say which one matched
            matched |= hmac.compare_digest(exp, got)
    if not matched:
        raise SignatureError("No signature matches: the body was changed after signing, or it "
                             "was signed with another webhook secret.")
    age = int(now.timestamp()) - timestamp
    if age > tolerance:
        raise SignatureError(f"Stale signature: signed {age} s ago, more than the {tolerance} s "
                             "tolerance (a replay, or a clock that is off).")
    if -age > tolerance:
        raise SignatureError(f"Signature timestamp is {-age} s in the future, more than the "
                             f"{tolerance} s tolerance (a clock that is off).")


def verify_and_parse(raw_body: bytes, signature_header: str | None, secrets: list[str],
                     now: datetime, tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> GatewayEvent:
    """Verify the raw body's signature, then parse and normalise the event."""
    verify(raw_body, signature_header, secrets, now, tolerance)
    try:
        event = json.loads(raw_body)
    except ValueError:
        raise MalformedNotification("The signed Stripe webhook body is not JSON.") from None
    return normalise(event)


def normalise(event: Any) -> GatewayEvent:
    """A parsed (and already verified) Stripe event -> GatewayEvent."""
    if not isinstance(event, dict):
        raise MalformedNotification("A Stripe event must be a JSON object.")
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise MalformedNotification("A Stripe event needs an 'id' and a 'type'.")
    occurred_at = _time(event.get("created"), "event 'created'")
    test_mode = event.get("livemode") is not True
    obj = (event.get("data") or {}).get("object") if isinstance(event.get("data"), dict) else None
    mapped = _TYPES.get(event_type)
    if mapped is None:
        return GatewayEvent(gateway="stripe", dedupe_key=event_id, kind="ignored",
                            event_type=event_type, occurred_at=occurred_at, test_mode=test_mode,
                            raw=event)
    if not isinstance(obj, dict):
        raise MalformedNotification(f"Stripe event {event_id} ({event_type}) has no data.object.")
    kind = mapped[0]
    status: JfwPaymentStatus | None = mapped[1]
    if event_type == "payment_intent.payment_failed" and obj.get(
            "status") == "requires_payment_method":
        status = None  # the buyer may pay this PaymentIntent with another card: it stays open
    if event_type.startswith("payment_intent."):
        fields = _payment_intent_fields(obj, kind)
    elif event_type == "charge.refunded":
        fields = _charge_fields(obj)
    else:
        fields = _dispute_fields(obj)
        if event_type == "charge.dispute.closed" and obj.get("status") == "lost":
            status = _DISPUTE_LOST_STATUS
    return GatewayEvent(gateway="stripe", dedupe_key=event_id, kind=kind, event_type=event_type,
                        occurred_at=occurred_at, jfw_status=status, test_mode=test_mode,
                        raw=event, **fields)


# PaymentIntent status -> (kind, JFW status); the others wait for the buyer: nothing to settle.
_PI_STATUSES: dict[str, tuple[EventKind, JfwPaymentStatus | None]] = {
    "succeeded": ("payment.succeeded", "Completed"),
    "processing": ("payment.pending", "Pending"),
    "canceled": ("payment.canceled", "Voided"),
}


def event_from_payment_intent(pi: dict[str, Any], now: datetime) -> GatewayEvent:
    """What a PaymentIntent read from the API (the janitor's re-check) says, in the same shape as
    a webhook. The dedupe key is ``poll:<pi id>:<status>``: one effect per status reached."""
    status = pi.get("status")
    kind, jfw = _PI_STATUSES.get(status, ("ignored", None))
    if status == "requires_payment_method" and pi.get("last_payment_error"):
        kind, jfw = "payment.failed", "Failed"
    return GatewayEvent(gateway="stripe", dedupe_key=f"poll:{pi.get('id')}:{status}",
                        kind=kind, event_type=f"payment_intent.{status}", occurred_at=now,
                        jfw_status=jfw, test_mode=pi.get("livemode") is not True, raw=pi,
                        **_payment_intent_fields(pi, kind))


def _payment_intent_fields(pi: dict[str, Any], kind: str) -> dict[str, Any]:
    currency = currency_code(pi.get("currency"), "PaymentIntent currency")
    amount = pi.get("amount")
    if kind == "payment.succeeded" and isinstance(pi.get("amount_received"), int):
        amount = pi["amount_received"]
    charge = _latest_charge(pi)
    return {
        "payment_ref": _metadata_ref(pi),
        "merchant_ref": _str(pi.get("id"), "PaymentIntent id"),
        "amount_minor": from_stripe_amount(amount, currency),
        "currency": currency,
        "fee_minor": _fee(charge.get("balance_transaction") if charge else None, currency),
        "failure": _failure(pi.get("last_payment_error")) if kind == "payment.failed" else None,
    }


def _failure(error: Any) -> str | None:
    """Stripe's ``last_payment_error`` in a line: ``card_declined (insufficient_funds): Your
    card has insufficient funds.``"""
    if not isinstance(error, dict):
        return None
    code = str(error.get("code") or error.get("type") or "error")
    if error.get("decline_code"):
        code += f" ({error['decline_code']})"
    return f"{code}: {error['message']}"[:500] if error.get("message") else code


def _charge_fields(charge: dict[str, Any]) -> dict[str, Any]:
    currency = currency_code(charge.get("currency"), "charge currency")
    return {
        "payment_ref": _metadata_ref(charge),
        "merchant_ref": _str(charge.get("id"), "charge id"),
        "parent_merchant_ref": _ref_id(charge.get("payment_intent")),
        "amount_minor": from_stripe_amount(charge.get("amount"), currency),
        "refunded_minor": from_stripe_amount(charge.get("amount_refunded"), currency),
        "currency": currency,
        "fee_minor": _fee(charge.get("balance_transaction"), currency),
    }


def _dispute_fields(dispute: dict[str, Any]) -> dict[str, Any]:
    currency = currency_code(dispute.get("currency"), "dispute currency")
    fees = [_fee(t, currency) for t in dispute.get("balance_transactions") or []]
    charge = dispute.get("charge")
    return {
        "payment_ref": _metadata_ref(dispute)
        or (_metadata_ref(charge) if isinstance(charge, dict) else None),
        "merchant_ref": _str(dispute.get("id"), "dispute id"),
        "dispute_ref": dispute.get("id"),
        "parent_merchant_ref": _ref_id(dispute.get("payment_intent")) or _ref_id(charge),
        "amount_minor": from_stripe_amount(dispute.get("amount"), currency),
        "currency": currency,
        "fee_minor": sum(f for f in fees if f is not None) if any(
            f is not None for f in fees) else None,
    }


def _latest_charge(pi: dict[str, Any]) -> dict[str, Any] | None:
    """The PaymentIntent's charge when the payload embeds it (latest_charge expanded, or the
    pre-2022 ``charges`` list that localstripe still sends)."""
    charge = pi.get("latest_charge")
    if isinstance(charge, dict):
        return charge
    data = (pi.get("charges") or {}).get("data") if isinstance(pi.get("charges"), dict) else None
    return data[0] if data and isinstance(data[0], dict) else None  # newest first


def _fee(balance_transaction: Any, currency: str) -> int | None:
    """The fee, when the balance transaction is embedded (Stripe sends only its id unless
    expanded; disputes embed theirs). Its currency is the account's settlement currency."""
    if not isinstance(balance_transaction, dict) or not isinstance(
            balance_transaction.get("fee"), int):
        return None
    fee_currency = balance_transaction.get("currency")
    fee_currency = currency_code(fee_currency, "fee currency") if fee_currency else currency
    return from_stripe_amount(balance_transaction["fee"], fee_currency)


def _metadata_ref(obj: dict[str, Any]) -> str | None:
    meta = obj.get("metadata")
    ref = meta.get("payment_code") if isinstance(meta, dict) else None
    return ref if isinstance(ref, str) and ref else None


def _ref_id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise MalformedNotification(f"Stripe object has no {what}.")
    return value


def _time(value: Any, what: str) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedNotification(f"Stripe {what} is not a unix time.")
    return datetime.fromtimestamp(value, UTC)


def from_stripe_amount(amount: Any, currency: str) -> int:
    """Stripe's integer amount -> ISO minor units of ``currency``."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
        raise MalformedNotification(f"Stripe amount {amount!r} is not a whole number >= 0.")
    if currency.upper() in _TWO_DECIMAL_AT_STRIPE:
        if amount % 100:
            raise MalformedNotification(f"Stripe amount {amount} {currency.upper()} should be a "
                                        "multiple of 100.")
        return amount // 100
    return amount


def to_stripe_amount(minor: int, currency: str) -> int:
    """ISO minor units -> the integer amount Stripe's API takes."""
    return minor * 100 if currency.upper() in _TWO_DECIMAL_AT_STRIPE else minor


@lru_cache(maxsize=16)
def _client(api_key: str, api_base: str | None) -> Any:
    import stripe  # heavy optional library: only the janitor reads PaymentIntents

    return stripe.StripeClient(api_key, base_addresses={"api": api_base} if api_base else None,
                               max_network_retries=2)


def client(api_key: str) -> Any:
    """A StripeClient for a gateway's secret key at ``JFW_STRIPE_API_BASE`` (localstripe in the
    local stack)."""
    return _client(api_key, settings.get().stripe_api_base.rstrip("/") or None)


def fetch_payment_intent(api_key: str, pi_id: str, api_base: str | None = None
                         ) -> dict[str, Any] | None:
    """Read a PaymentIntent from Stripe (or localstripe at ``api_base``) as plain data; None when
    Stripe says it doesn't exist. Raises GatewayUnavailable when Stripe can't be asked."""
    import stripe  # heavy optional library: only the janitor reads PaymentIntents

    try:
        pi = _client(api_key, api_base).v1.payment_intents.retrieve(pi_id)
    except stripe.InvalidRequestError as e:
        if e.http_status == 404:
            return None
        raise GatewayUnavailable(f"Stripe refused to read PaymentIntent {pi_id}: "
                                 f"{e.user_message or e}") from None
    except stripe.StripeError as e:
        raise GatewayUnavailable(f"Stripe could not be asked about PaymentIntent {pi_id}: "
                                 f"{e.user_message or e.__class__.__name__}") from None
    return pi.to_dict()
