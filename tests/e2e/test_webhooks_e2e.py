"""Webhooks end to end on the local stack, started as `make run` starts it: the demo brand's
admin points an endpoint at a receiver on 127.0.0.1, a buyer pays at localstripe, and the
receiver gets the completed payment's event once, with a signature it can verify."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from chalicelib.webhooks import signing
from tests.e2e.stackproc import StackProcess
from tests.helpers.stack import completed, ok, pay_at_localstripe, wait_until
from tests.helpers.webhooks import Receiver

pytest.importorskip("requests")
pytest.importorskip("stripe")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("local_stack")]

ADMIN = {"username": "e2e-hook-root", "password": "e2e-Admin-Pass1"}


@pytest.fixture
def stack(tmp_path):
    proc = StackProcess(tmp_path, JFW_ADMIN_USERNAME=ADMIN["username"],
                        JFW_ADMIN_PASSWORD=ADMIN["password"])
    proc.start()
    try:
        yield proc
    finally:
        proc.kill_everything()


def test_a_completed_payment_reaches_the_brands_receiver_once_signed(stack):
    stack.wait_ready()
    root = ok(stack, "POST", "v1/users/auth", brand="platform.localhost", body=ADMIN)["authKey"]
    with Receiver() as receiver:
        endpoint = ok(stack, "POST", "v1/webhook-endpoints", auth=root, body={
            "url": receiver.url, "enabledEvents": ["PAYMENT.PROCESSED.SUCCESS"]})
        ok(stack, "POST", "v1/users/register", body={
            "username": "hank", "password": "s3cret-Pass", "emailAddress": "hank@example.com"})
        key = ok(stack, "POST", "v1/users/auth",
                 body={"username": "hank", "password": "s3cret-Pass"})["authKey"]
        [pro] = [p for p in ok(stack, "GET", "v1/packages") if p["code"] == "PRO"]
        [price] = [p for p in pro["prices"] if p["currency"] == "USD"]
        link = ok(stack, "POST", f"v1/prices/{price['id']}/generate-checkout-link", auth=key)
        payment_id = urlsplit(link).path.rsplit("/", 1)[1]
        pay_at_localstripe(stack, link)
        completed(stack, key, payment_id)

        [got] = wait_until("the webhook", stack, lambda: list(receiver.received))
        time.sleep(3)  # nothing more comes: once
        assert len(receiver.received) == 1
        body = json.loads(got.body)
        assert body["type"] == "PAYMENT.PROCESSED.SUCCESS"
        assert body["data"]["paymentId"] == payment_id
        now = int(datetime.now(UTC).timestamp())
        assert signing.verify(got.headers["jfw-signature"], got.body, endpoint["secret"], now)
        [d] = ok(stack, "GET", f"v1/webhook-endpoints/{endpoint['id']}/deliveries",
                 auth=root)["items"]
        assert d["status"] == "Succeeded" and d["id"] == got.headers["jfw-delivery-id"]
