"""The one shape every gateway notification is normalised into, and the gateway layer's errors.

The payments service applies a ``GatewayEvent`` without knowing which gateway sent it. Amounts are
integers of minor units of ``currency`` (ISO 4217 exponent, as everywhere in the system).

Statuses: ``jfw_status`` is a JFW ``PaymentStatus`` name (Created, Completed, Refunded, Failed,
Pending, Denied, Reserved, CanceledReversal, Deleted, Voided). The choices where the gateways'
words have no twin in JFW's list:

- PayPal ``Reversed`` (a chargeback or other reversal took the money back) is JFW's ``Reserved``:
  JFW's ten payment status values copy PayPal's, with "Reserved" where PayPal says "Reversed".
  Its kind is ``dispute.created``; ``Canceled_Reversal`` (the reversal was cancelled, the money
  came back) is ``dispute.closed`` / ``CanceledReversal``. Stripe's disputes map the same way: a
  dispute opened is ``Reserved``; closed ``won`` or ``warning_closed`` is ``CanceledReversal``;
  closed ``lost`` stays ``Reserved`` (the money is gone for good).
- PayPal ``Expired`` (an authorisation not captured in time, so no money moved) is ``Voided`` /
  ``payment.canceled``, the same as Stripe cancelling an uncaptured PaymentIntent on its own.
- PayPal ``Processed`` is ``Pending``; ``Created`` (a German ELV payment was made) is ``Created``
  with kind ``payment.pending``.
- Refunds are ``Refunded`` even when partial (PayPal says ``Refunded`` for both); compare the
  refunded amount with the payment's gross to tell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from chalicelib import money
from chalicelib.http.errors import ApiError
from chalicelib.payments.constants import JfwPaymentStatus

GatewayName = Literal["stripe", "paypal", "wallet"]

EventKind = Literal[
    "payment.succeeded",
    "payment.pending",
    "payment.failed",
    "payment.canceled",
    "payment.refunded",
    "dispute.created",
    "dispute.closed",
    "ignored",
]

class SignatureError(Exception):
    """The notification's signature can't be trusted; the message says why (for the log and the
    400 reply). Nothing from such a notification may be applied."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedNotification(Exception):
    """An authentic notification we can't read (missing field, bad amount, unknown currency).
    Kept with its outcome; nothing is applied."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GatewayUnavailable(Exception):
    """The gateway could not be asked (network error, timeout, an answer we don't understand).
    Nothing is decided: answer 5xx so the gateway retries, or try again later."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class GatewayEvent:
    """One notification, in the gateway-neutral shape.

    - ``dedupe_key``: Stripe's event id; PayPal's ``f"{txn_id}:{payment_status}"`` (one txn_id
      arrives once per status: Pending, then Completed).
    - ``payment_ref``: OUR payment code (Stripe PaymentIntent metadata ``payment_code``; PayPal
      ``custom``, else ``invoice``). None when the notification doesn't carry it (a Stripe charge
      or dispute event: find the payment by ``parent_merchant_ref``).
    - ``merchant_ref``: the gateway's id of this object (PaymentIntent, charge, dispute; PayPal
      ``txn_id``). ``parent_merchant_ref``: the original payment's id for refunds, reversals and
      disputes (PayPal ``parent_txn_id``; the charge's or dispute's ``payment_intent``).
    - ``amount_minor``: the amount the object is about, always >= 0 (PayPal sends refunds with a
      negative ``mc_gross``; the kind says it is a refund). Stripe ``charge.refunded``: the
      charge's amount; PayPal refund: this refund's amount.
    - ``refunded_minor``: the total refunded so far when the gateway says it (Stripe
      ``amount_refunded``); None when it reports only this refund (PayPal: sum the refund txns).
    - ``fee_minor``: the gateway's fee when the notification carries it, else None.
    - ``receiver`` / ``receiver_matches``: PayPal's receiver and whether it is the one configured
      for the gateway (None for Stripe: the signature already proves the account).
    - ``dispute_ref``: for ``dispute.*`` events, which dispute: Stripe's dispute id (its opening
      and closing share it); PayPal links a ``Canceled_Reversal`` only to the payment, so a
      payment's reversals are one dispute, named by the payment's txn (``parent_txn_id``).
    - ``test_mode``: a test notification (Stripe ``livemode: false``; PayPal ``test_ipn=1``); a
      live gateway must not act on one.
    - ``event_type``: the gateway's own word (Stripe event type; PayPal ``txn_type`` and
      ``payment_status``), for logs and the stored notification.
    - ``failure``: why a payment attempt failed, as the gateway said it (Stripe's
      ``last_payment_error``: code, decline code, message), for the history and the log.
    """

    gateway: GatewayName
    dedupe_key: str
    kind: EventKind
    event_type: str
    occurred_at: datetime
    payment_ref: str | None = None
    merchant_ref: str | None = None
    parent_merchant_ref: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    fee_minor: int | None = None
    refunded_minor: int | None = None
    receiver: str | None = None
    receiver_matches: bool | None = None
    jfw_status: JfwPaymentStatus | None = None
    dispute_ref: str | None = None
    test_mode: bool = False
    failure: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)

    @property
    def ignored(self) -> bool:
        return self.kind == "ignored"


def currency_code(value: object, what: str) -> str:
    """An ISO 4217 code, upper case, or MalformedNotification."""
    code = value.upper() if isinstance(value, str) else ""
    try:
        money.exponent(code)
    except ApiError:
        raise MalformedNotification(f"{what} {value!r} is not an ISO 4217 currency code.") from None
    return code


def decimal_to_minor(value: str, currency: str, what: str) -> int:
    """A gateway's decimal amount (``"-10.00"``) -> absolute minor units of ``currency``."""
    try:
        amount = abs(Decimal(value.strip()))
    except (InvalidOperation, AttributeError):
        raise MalformedNotification(f"{what} {value!r} is not a decimal amount.") from None
    try:
        return money.to_minor(amount, currency, field=what)
    except ApiError as e:
        raise MalformedNotification(e.message) from None
