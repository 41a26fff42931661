"""Helpers shared by the payments core tests: gateways, payments, signed Stripe events, mails."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.payments.gateways import stripe as stripe_gw
from tests.concurrency import run_together, serialised_dynamodb  # noqa: F401 - used as ps.*

SECRET = "whsec_core_tests"
API_KEY = "sk_test_core"


# -- gateways --------------------------------------------------------------------------------------

def make_gateway(brand: dict, kind: str = "stripe", *, secret: str = SECRET,
                 receiver_email: str | None = "seller@jfw.localhost",
                 receiver_id: str | None = None, test_mode: bool = True,
                 api_key: str = API_KEY) -> str:
    """A gateway of ``brand`` created through payments.create_gateway; its id.
    A PayPal gateway verifies at the simulator (``use_simulator`` sets its URL)."""
    from chalicelib.payments import service as payments

    data: dict[str, Any] = {"appIntegrationId": kind, "name": f"{kind} gateway",
                            "testMode": test_mode}
    if kind == "stripe":
        data.update(publicKey="pk_test_core", privateKey=api_key, webhookSecret=secret)
    else:
        from chalicelib import settings

        test_mode_url = "simulator" if settings.get().paypal_simulator_url else "sandbox"
        data.update(paypalReceiverEmail=receiver_email, paypalReceiverId=receiver_id,
                    paypalMode=test_mode_url if test_mode else "live")
    return payments.create_gateway(brand["id"], data)["id"]


@contextmanager
def use_simulator(url: str) -> Iterator[None]:
    """Point the ``simulator`` PayPal mode at ``url`` (a simulator on a free port)."""

    from chalicelib import settings
    from chalicelib.payments import service as payments

    before = settings.get()
    settings._settings = before._replace(paypal_simulator_url=url)
    payments.clear_gateway_cache()
    try:
        yield
    finally:
        settings._settings = before
        payments.clear_gateway_cache()


# -- payments --------------------------------------------------------------------------------------

def make_payment(brand: dict, gateway_id: str, *, kind: str = "stripe", amount: int = 1999,
                 currency: str = "USD", email: str | None = "buyer@example.com",
                 test_mode: bool = True, **fields: Any) -> Any:
    """A payment as checkout makes it (through a test-mode gateway unless told otherwise)."""
    from chalicelib.payments import service

    return service.create_payment(
        brand, amount_minor=amount, currency=currency, gateway_id=gateway_id,
        gateway_type=kind, user_email=email, user_name="Buyer", name="Pro monthly",
        test_mode=test_mode, **fields)


def payment(brand_id: str, payment_id: str) -> Any:
    from chalicelib.payments import service

    return service.get_payment(brand_id, payment_id)


def history(brand_id: str, payment_id: str) -> list[Any]:
    from chalicelib.payments import models as m

    return [i for i in m.PaymentRecord.query(m.payment_pk(brand_id, payment_id))
            if isinstance(i, m.PaymentHistoryItem)]


def notification_rows(brand_id: str) -> list[Any]:
    from chalicelib.payments import models as m

    return list(m.NotificationItem.gsi1.query(m.notifs_gsi(brand_id)))


# -- Stripe events ---------------------------------------------------------------------------------

def pi_event(payment_id: str | None, *, type: str = "payment_intent.succeeded",  # noqa: A002
             amount: int = 1999, currency: str = "usd", event_id: str | None = None,
             pi_id: str = "pi_core_1", created: int | None = None, fee: int | None = None,
             livemode: bool = False, status: str = "succeeded",
             error: dict | None = None) -> bytes:
    charge: dict[str, Any] = {"id": "ch_core_1", "object": "charge", "amount": amount,
                              "payment_intent": pi_id, "metadata": {}}
    if fee is not None:
        charge["balance_transaction"] = {"id": "txn_1", "fee": fee, "currency": currency}
    obj = {"id": pi_id, "object": "payment_intent", "amount": amount, "currency": currency,
           "status": status, "metadata": {"payment_code": payment_id} if payment_id else {},
           "latest_charge": charge, **({"last_payment_error": error} if error else {})}
    return _event(type, obj, event_id, created, livemode)


def refund_event(*, amount: int = 1999, refunded: int = 1999, currency: str = "usd",
                 pi_id: str = "pi_core_1", event_id: str | None = None,
                 payment_id: str | None = None) -> bytes:
    obj = {"id": "ch_core_1", "object": "charge", "amount": amount, "amount_refunded": refunded,
           "currency": currency, "payment_intent": pi_id,
           "metadata": {"payment_code": payment_id} if payment_id else {}}
    return _event("charge.refunded", obj, event_id, None, False)


def dispute_event(type_: str = "charge.dispute.created", status: str = "needs_response", *,
                  dispute_id: str = "dp_core_1", amount: int = 1999, pi_id: str = "pi_core_1",
                  event_id: str | None = None) -> bytes:
    """charge.dispute.created / .closed (``status`` won | lost | ...) about ``pi_id``."""
    obj = {"id": dispute_id, "object": "dispute", "amount": amount, "currency": "usd",
           "payment_intent": pi_id, "charge": "ch_core_1", "status": status,
           "balance_transactions": []}
    return _event(type_, obj, event_id, None, False)


_seq = iter(range(1, 10**9))


def _event(type_: str, obj: dict, event_id: str | None, created: int | None,
           livemode: bool) -> bytes:
    body = {"id": event_id or f"evt_core_{next(_seq)}_{time.time_ns()}", "object": "event",
            "type": type_, "created": created or int(time.time()), "livemode": livemode,
            "data": {"object": obj}}
    return json.dumps(body, indent=2, sort_keys=True).encode()


def signed(body: bytes, secret: str = SECRET, ts: int | None = None) -> dict[str, str]:
    return {"Stripe-Signature": stripe_gw.sign(body, secret, ts or int(time.time())),
            "Content-Type": "application/json; charset=utf-8"}


def post_stripe(client: Any, gateway_id: str, body: bytes, headers: dict[str, str] | None = None
                ) -> Any:
    return client.http.post(f"/api/v1/ipn/stripe/{gateway_id}", body=body,
                            headers=headers if headers is not None else signed(body))


def post_paypal(client: Any, gateway_id: str, body: bytes) -> Any:
    return client.http.post(f"/api/v1/ipn/paypal/{gateway_id}", body=body,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})


# -- outbox and mail -------------------------------------------------------------------------------

def outbox_rows(brand_id: str) -> list[Any]:
    """Every outbox effect of the brand (test helper: a Scan is fine here): a row, or each
    effect of a bundle row as a row of its own kind (notify.outbox.effects)."""
    from chalicelib.notify.models import OutboxItem
    from chalicelib.notify.outbox import effects

    return [e for r in OutboxItem.scan() if r.brand_id == brand_id for e in effects(r)]


def mails(brand_id: str, event_code: str | None = None) -> list[Any]:
    return [r for r in outbox_rows(brand_id) if r.kind == "mail"
            and (event_code is None or r.payload.get("eventCode") == event_code)]


def payment_events(brand_id: str, event: str | None = None) -> list[Any]:
    return [r for r in outbox_rows(brand_id) if r.kind == "payment-event"
            and (event is None or r.payload.get("event") == event)]


def drain_outbox() -> int:
    """Consume every message on the outbox queue as the worker would; how many were handled."""
    from chalicelib.notify import jobs
    from chalicelib.store import aws

    sqs, url, done = aws.client("sqs"), aws.queue_url("outbox"), 0
    while True:
        msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not msgs:
            return done
        records = [{"messageId": m["MessageId"], "body": m["Body"]} for m in msgs]
        failures = {f["itemIdentifier"] for f in
                    jobs.consume_outbox_batch({"Records": records})["batchItemFailures"]}
        for m in msgs:
            if m["MessageId"] not in failures:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        done += len(msgs)


def sent_mails(brand_id: str) -> list[dict]:
    from chalicelib.notify import mailer

    return mailer.sent_mails(brand_id)


def verify_sender() -> None:
    from chalicelib.notify import mailer
    from chalicelib.store import aws

    aws.client("ses").verify_email_identity(EmailAddress="no-reply@jfw.localhost")
    del mailer



# -- lost replies ----------------------------------------------------------------------------------

@contextmanager
def lost_reply(operation: str = "TransactWriteItems", *, when: Callable[[dict], bool] | None = None,
               times: int = 1) -> Iterator[list[dict]]:
    """DynamoDB commits ``operation`` and its reply is lost: the first ``times`` matching
    requests (``when`` looks at the request body) are carried out by moto, then a read timeout
    is raised, so botocore's retry sends the same request again (what PynamoDB does after its
    30 s read timeout). Yields the bodies of every matching request sent."""
    from botocore.exceptions import ReadTimeoutError
    from moto.core.models import botocore_stubber

    from chalicelib.store.base import connection

    seen: list[dict] = []
    lost = [0]

    def send(request: Any, event_name: str, **kwargs: Any) -> None:
        body = json.loads(request.body or b"{}")
        if when is not None and not when(body):
            return None
        seen.append(body)
        if lost[0] < times:
            lost[0] += 1
            botocore_stubber(event_name, request)  # committed ...
            raise ReadTimeoutError(endpoint_url=request.url)  # ... and the reply never came
        return None

    events = connection().client.meta.events
    name = f"before-send.dynamodb.{operation}"
    events.register_first(name, send)
    try:
        yield seen
    finally:
        events.unregister(name, send)


def writes_to(marker: str) -> Callable[[dict], bool]:
    """A ``lost_reply`` filter: the request writes a key containing ``marker``."""
    return lambda body: marker in json.dumps(body)
