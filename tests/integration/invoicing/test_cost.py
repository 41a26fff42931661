"""What issuing an invoice and a credit note costs in DynamoDB calls (botocore hooks on the
shared client, as bench/wallet.py counts), so a change that adds calls shows here."""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.invoicing import payment_events
from chalicelib.store.base import connection
from tests.helpers.payments import make_gateway, make_payment


def counted(fn: Any) -> Counter:
    calls: Counter = Counter()

    def before(model: Any = None, **_: Any) -> None:
        if model is not None:
            calls[model.name] += 1

    events = connection().client.meta.events
    events.register("before-parameter-build.dynamodb.*", before)
    try:
        fn()
    finally:
        events.unregister("before-parameter-build.dynamodb.*", before)
    return calls


def _payload(bid: str, p: Any, refunded: int = 0, status: str = "Completed") -> dict:
    return {"brandId": bid, "paymentId": p.id, "status": status, "completed": True,
            "currency": "USD", "amountMinor": 2000, "amountGrossMinor": 2000,
            "refundedMinor": refunded, "quote": {}, "userId": None, "testMode": True,
            "packageId": None}


def test_calls_per_invoice_and_per_credit_note(demo_brand):
    bid = demo_brand["id"]
    gw = make_gateway(demo_brand)
    first = make_payment(demo_brand, gw, amount=2000)
    payment_events.on_payment_event(_payload(bid, first))  # warm: the brand's cache, counter
    p = make_payment(demo_brand, gw, amount=2000)
    issue = counted(lambda: payment_events.on_payment_event(_payload(bid, p)))
    # GetItem: the by-payment row (none yet), the payment, the brand (number format), the
    # counter; one transaction (counter, by-payment row, invoice); the payment's invoiceNo.
    # A buyer adds a GetItem (their name on the document); the catalogue's names are cached.
    assert issue == Counter({"GetItem": 4, "TransactWriteItems": 1, "UpdateItem": 1}), issue
    # delivered again: the by-payment row and the invoice, and the no-op invoiceNo write
    again = counted(lambda: payment_events.on_payment_event(_payload(bid, p)))
    assert again == Counter({"GetItem": 2, "UpdateItem": 1}), again
    # a refund: the by-payment row, the invoice, the brand (CN format), the CN counter; one
    # transaction (counter, invoice's credited total, note)
    credit = counted(lambda: payment_events.on_payment_event(
        _payload(bid, p, 500, "Refunded")))
    assert credit == Counter({"GetItem": 4, "TransactWriteItems": 1}), credit
    print(f"\nissue: {dict(issue)}; again: {dict(again)}; credit note: {dict(credit)}")
