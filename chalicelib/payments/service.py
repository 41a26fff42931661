"""Payments' front door: the one module other contexts (and the tools: devstack, bench) import,
as ``from chalicelib.payments import service as payments``.

- A payment: ``create_payment`` (status Created, its first history row, the janitor's first
  check), ``get_payment`` / ``find_payment``, ``record_merchant_ref``, ``set_invoice_no``
  (invoicing's number, set once) (ledger.py); ``brand_payments``: every payment of a brand
  (records.py; a report's recomputation, never a request path).
- A checkout: ``checkout(brand, caller, order, ...)`` is THE checkout sequence (buyer, black list,
  gateway, what is bought, risk, the gateway's link, the payment); the caller says what is bought
  with an ``Order`` (checkout/start.py). ``GatewayFailed``: the gateway could not be asked.
- A saved card: ``charge_saved_card(brand, user_id, order, fields=..., key=...)`` charges an
  ``Order`` to the card the buyer let us keep at a checkout (``save_card``), off-session: the
  payment when Stripe accepted it (its final status comes through the webhook), None when there
  is no usable saved card or Stripe refused at once (the payment is then Failed, with the
  reason) (cards/offsession.py).
- Gateways: ``list_gateways``, ``create_gateway``, ``update_gateway`` (gateways/config.py);
  ``get_for_webhook`` (a gateway by id, secrets opened) and ``clear_gateway_cache``
  (gateways/webhook.py).
- For the local stack's tools: signing a Stripe webhook body, the Stripe event types handled,
  PayPal IPN's wire format (the PayPal simulator), and the payment and history items a benchmark
  reads back.

Everything else in payments is internal: its own routes, jobs and rules.
"""

from chalicelib.payments.cards.offsession import charge_saved_card
from chalicelib.payments.checkout.start import GatewayFailed, Order, checkout
from chalicelib.payments.gateways.config import create as create_gateway
from chalicelib.payments.gateways.config import list_gateways
from chalicelib.payments.gateways.config import update as update_gateway
from chalicelib.payments.gateways.paypal import (
    DEFAULT_CHARSET as PAYPAL_DEFAULT_CHARSET,
)
from chalicelib.payments.gateways.paypal import (
    VALIDATE_PREFIX as PAYPAL_VALIDATE_PREFIX,
)
from chalicelib.payments.gateways.paypal import (
    VERIFY_PATH as PAYPAL_VERIFY_PATH,
)
from chalicelib.payments.gateways.paypal import (
    format_payment_date as format_paypal_payment_date,
)
from chalicelib.payments.gateways.paypal import parse as parse_paypal_message
from chalicelib.payments.gateways.stripe import HANDLED_EVENT_TYPES as STRIPE_EVENT_TYPES
from chalicelib.payments.gateways.stripe import sign as sign_stripe_payload
from chalicelib.payments.gateways.webhook import clear_cache as clear_gateway_cache
from chalicelib.payments.gateways.webhook import get_for_webhook
from chalicelib.payments.kinds import subscribe  # importing kinds registers the handlers
from chalicelib.payments.ledger import (
    create_payment,
    find_payment,
    get_payment,
    record_merchant_ref,
    set_invoice_no,
)
from chalicelib.payments.models import PAYMENT_SK, PaymentHistoryItem, PaymentItem, payment_pk
from chalicelib.payments.records import brand_payments

__all__ = [
    "PAYMENT_SK", "PAYPAL_DEFAULT_CHARSET", "PAYPAL_VALIDATE_PREFIX", "PAYPAL_VERIFY_PATH",
    "STRIPE_EVENT_TYPES", "GatewayFailed", "Order", "PaymentHistoryItem", "PaymentItem",
    "brand_payments", "charge_saved_card", "checkout", "clear_gateway_cache", "create_gateway",
    "create_payment",
    "find_payment",
    "format_paypal_payment_date", "get_for_webhook", "get_payment", "list_gateways",
    "parse_paypal_message", "payment_pk", "record_merchant_ref", "set_invoice_no",
    "sign_stripe_payload", "subscribe",
    "update_gateway",
]
