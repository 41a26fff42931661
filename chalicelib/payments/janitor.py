"""The payment janitor (schedule ``payment-janitor``, every 5 minutes), as Kill Bill runs one:
a notification that never arrives must not leave a buyer who paid without what they bought.

It reads only what is due: the sparse ``due`` index, shards ``PAYDUE#0..7``, ``dueSk <= now``
(a payment is in it while Created or Pending, and a Stripe one also while Failed: a declined
card can be followed by a successful one; intake takes it out on any other status). Never a
Scan. For each due payment:

1. Stripe, with a PaymentIntent id (``merchantRefNo``): read the PaymentIntent with the
   gateway's secret key at ``JFW_STRIPE_API_BASE`` (localstripe in the local stack) and apply
   what it says through intake, exactly like a webhook (dedupe key ``poll:<pi>:<status>``).
   PayPal has no such read here: its payments are only expired.
2. Still unsettled and older than the brand's ``paymentExpireAfterHours`` (default 24): expire
   it -> ``Voided`` with ``expired`` set and a history row. No mail (an abandoned checkout is not
   news to the buyer). A verified completion that arrives later still applies (states.py).
3. Otherwise: check again later, with Kill Bill's backoff: 5 min, 1 h, then daily (never past
   the expiry time), counted in ``checkCount``.

The first check is ``paymentCheckAfterMinutes`` (brand setting, default 15) after creation
(ledger.create_payment). Every write is conditioned on the payment's version, so a webhook
that lands during the run wins and the janitor's write is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import settings
from chalicelib.identity import service as identity
from chalicelib.payments import ledger, states
from chalicelib.payments import models as m
from chalicelib.payments.gateways import stripe, webhook
from chalicelib.payments.gateways import wallet as wallet_gateway
from chalicelib.payments.gateways.events import GatewayUnavailable
from chalicelib.payments.inbound import intake
from chalicelib.payments.ledger import DEFAULT_EXPIRE_AFTER_HOURS, brand_setting, get_payment
from chalicelib.store.tx import ConditionFailed

log = logging.getLogger("jfw.payments")

BACKOFF = (timedelta(minutes=5), timedelta(hours=1), timedelta(days=1))
LIMIT_PER_SHARD = 200


def run(now: datetime | None = None) -> dict[str, int]:
    """One pass over every due payment; counts of what happened."""
    now = now or settings.now()
    cutoff = m.stamp(now) + "~"
    counts = {"due": 0, "settled": 0, "expired": 0, "rescheduled": 0, "skipped": 0}
    brands: dict[str, dict | None] = {}
    for shard in range(m.DUE_SHARDS):
        for payment in m.PaymentItem.due.query(f"PAYDUE#{shard}", m.PaymentItem.due_sk <= cutoff,
                                               limit=LIMIT_PER_SHARD):
            counts["due"] += 1
            try:
                counts[check(payment, now, brands)] += 1
            except Exception:  # noqa: BLE001 - one bad payment must not stop the others
                log.exception("janitor: payment %s of brand %s not checked", payment.id,
                              payment.brand_id)
                counts["skipped"] += 1
    if counts["due"]:
        log.info("payment janitor: %s", counts)
    return counts


def _brand(brand_id: str, cache: dict[str, dict | None]) -> dict | None:
    if brand_id not in cache:
        try:
            cache[brand_id] = identity.get_brand(brand_id)
        except Exception:  # noqa: BLE001 - defaults apply
            cache[brand_id] = None
    return cache[brand_id]


def check(payment: Any, now: datetime, brands: dict[str, dict | None] | None = None) -> str:
    """Settle, expire or reschedule one due payment; returns which."""
    brand = _brand(payment.brand_id, brands if brands is not None else {})
    if not states.needs_watch(payment.status, payment.gateway_type):
        _reschedule(payment, None, now)  # settled meanwhile: just leave the index
        return "skipped"
    if wallet_gateway.needs_completing(payment):
        # Paid: the wallet's debit committed with the payment; only its completion is missing.
        intake.apply(payment.brand_id, wallet_gateway.paid_event(payment), None,
                     source="janitor")
        return "settled"
    if payment.gateway_type == "stripe" and payment.merchant_ref_no:
        if _ask_stripe(payment, now):
            return "settled"
        payment = get_payment(payment.brand_id, payment.id)  # it may have moved to Pending
    hours = brand_setting(brand, "paymentExpireAfterHours", DEFAULT_EXPIRE_AFTER_HOURS)
    expire_at = payment.created_date + timedelta(hours=hours)
    if now >= expire_at:
        return "expired" if _expire(payment, now, hours) else "skipped"
    step = BACKOFF[min(int(payment.check_count or 0), len(BACKOFF) - 1)]
    return "rescheduled" if _reschedule(payment, min(now + step, expire_at), now) else "skipped"


def _ask_stripe(payment: Any, now: datetime) -> bool:
    """True when the PaymentIntent's status moved the payment out of Created/Pending."""
    try:
        gw = webhook.get(payment.gateway_id, "stripe")
        if not gw.api_key:
            return False
        pi = stripe.fetch_payment_intent(gw.api_key, payment.merchant_ref_no,
                                         settings.get().stripe_api_base)
    except GatewayUnavailable as e:
        log.warning("janitor: payment %s: %s", payment.id, e.message)
        return False
    except Exception:  # noqa: BLE001 - gateway gone or misconfigured: expiry still applies
        log.warning("janitor: payment %s: gateway %s unusable", payment.id, payment.gateway_id,
                    exc_info=True)
        return False
    if pi is None:
        return False
    event = stripe.event_from_payment_intent(pi, now)
    if event.ignored:
        return False
    if event.payment_ref is None:
        event = replace(event, payment_ref=payment.id)
    outcome = intake.apply(payment.brand_id, event, None, live_gateway=not gw.test_mode,
                           source="janitor")
    return outcome.outcome == "applied" and not states.needs_watch(outcome.status or "Created",
                                                                   "stripe")


def _expire(payment: Any, now: datetime, hours: int) -> bool:
    """Voided (with ``expired``) through ledger.change, which asks the state machine."""
    history = ledger.history_row(payment, now, to_status="Voided", source="janitor",
                                 note=f"expired: no settlement from the gateway within {hours} h")
    try:
        ledger.change(payment, history, {"expired": True}, to_status="Voided",
                      now=now)
    except (ConditionFailed, ledger.NotAllowed):
        return False  # a notification changed it meanwhile; the next run looks again
    return True


def _reschedule(payment: Any, when: datetime | None, now: datetime) -> bool:
    """Next check at ``when`` (None: out of the index)."""
    P = m.PaymentItem  # noqa: N806
    if when is None:
        actions = [P.due_pk.remove(), P.due_sk.remove()]
    else:
        actions = [P.due_sk.set(m.due_sort_key(when, payment.id)), P.check_count.add(1)]
    try:
        payment.update(actions=actions, condition=P.version == payment.version)
    except UpdateError as e:
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True
