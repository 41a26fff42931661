"""Credit notes: a refund (partial or full) or a lost dispute credits the invoice for what is
newly given back, in the brand's own gapless CN sequence, once however often and in whatever
order the events come."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from chalicelib import settings
from chalicelib.invoicing import models as m
from chalicelib.invoicing import payment_events
from chalicelib.payments.gateways.events import GatewayEvent
from chalicelib.payments.inbound import intake
from tests.concurrency import run_together
from tests.helpers.checkout import checkout_link, paypal_completion
from tests.helpers.payments import drain_outbox, make_gateway, make_payment, payment


def bought(buyer, brand_id: str, price_id: str) -> str:
    pid = parse_qs(urlsplit(checkout_link(buyer, price_id)).query)["custom"][0]
    intake.apply(brand_id, paypal_completion(payment(brand_id, pid)), None)
    drain_outbox()
    return pid


def paypal_event(p, key: str, kind: str, status: str, amount: int, ref: str,
                 **kw) -> GatewayEvent:
    return GatewayEvent(gateway="paypal", dedupe_key=f"{ref}:{key}", kind=kind, event_type=key,
                        occurred_at=settings.now(), payment_ref=p.id, merchant_ref=ref,
                        amount_minor=amount, currency=p.currency, receiver="seller@demo.test",
                        receiver_matches=True, jfw_status=status, test_mode=True, **kw)


def refund(brand_id: str, pid: str, amount: int, n: int) -> None:
    p = payment(brand_id, pid)
    intake.apply(brand_id, paypal_event(p, "Refunded", "payment.refunded", "Refunded", amount,
                                        f"R{pid}-{n}", parent_merchant_ref=f"TXN{pid}"), None)
    drain_outbox()


def test_partial_then_full_refund_credits_each_part_once(admin, buyer, shop, paypal,
                                                         demo_brand):
    bid = demo_brand["id"]
    pid = bought(buyer, bid, shop["usd"])
    [inv] = buyer.ok("GET", "v1/invoices")["items"]
    refund(bid, pid, 500, 1)
    one = buyer.ok("GET", f"v1/invoices/{inv['id']}")
    assert one["creditedAmount"] == 5
    assert [(n["code"], n["amount"], n["reason"]) for n in one["creditNotes"]] == [
        ("CN-000001", 5, "Refund")]
    assert one["payment"]["status"] == "Refunded" and one["status"] == "Paid"
    refund(bid, pid, 1500, 2)
    one = buyer.ok("GET", f"v1/invoices/{inv['id']}")
    assert one["creditedAmount"] == 20
    assert [(n["code"], n["amount"], n["creditedAfter"]) for n in one["creditNotes"]] == [
        ("CN-000001", 5, 5), ("CN-000002", 15, 20)]
    # the list shows what was credited too; the invoice's own number is untouched
    [listed] = admin.ok("GET", "v1/invoices")["items"]
    assert listed["creditedAmount"] == 20 and listed["code"] == "INV-000001"


def _payload(bid: str, p, refunded: int, version: int, status: str = "Refunded") -> dict:
    return {"event": "PAYMENT.PROCESSED.REFUNDED", "eventId": f"E{version}", "brandId": bid,
            "paymentId": p.id, "status": status, "completed": True,
            "paymentVersion": version, "currency": "USD", "amountMinor": 2000,
            "amountGrossMinor": 2000, "refundedMinor": refunded,
            "quote": {"subtotal": "20.00", "discount": "0.00", "prorateAmount": "0.00",
                      "tax": {"percent": "10", "amount": "2.00"}, "total": "22.00",
                      "totalMinor": 2200, "gatewayMinor": 2200, "walletMinor": 0},
            "userId": None, "testMode": True}


def test_out_of_order_and_repeated_refund_events_converge(demo_brand):
    bid = demo_brand["id"]
    p = make_payment(demo_brand, make_gateway(demo_brand), amount=2200)
    completed = {**_payload(bid, p, 0, 2, "Completed"), "amountGrossMinor": 2200}
    later, earlier = ({**_payload(bid, p, 2200, 4), "amountGrossMinor": 2200},
                      {**_payload(bid, p, 700, 3), "amountGrossMinor": 2200})
    for event in (later, earlier, later, completed, earlier):
        payment_events.on_payment_event(event)
    [inv] = list(m.InvoiceItem.gsi1.query(m.invoices_gsi(bid)))
    assert int(inv.total_minor) == 2200 and int(inv.tax_minor) == 200
    notes = list(m.CreditNoteItem.query(inv.pk, m.CreditNoteItem.sk.startswith("CN#")))
    assert [(n.code, int(n.amount_minor), int(n.tax_minor)) for n in notes] == [
        ("CN-000001", 2200, 200)]
    assert int(inv.credited_minor) == 2200


def test_the_notes_tax_adds_up_to_the_invoices(demo_brand):
    bid = demo_brand["id"]
    p = make_payment(demo_brand, make_gateway(demo_brand), amount=2200)
    for version, refunded in enumerate((333, 1000, 1001, 2200), start=2):
        payment_events.on_payment_event({**_payload(bid, p, refunded, version),
                                         "amountGrossMinor": 2200})
    [inv] = list(m.InvoiceItem.gsi1.query(m.invoices_gsi(bid)))
    notes = list(m.CreditNoteItem.query(inv.pk, m.CreditNoteItem.sk.startswith("CN#")))
    assert [int(n.amount_minor) for n in notes] == [333, 667, 1, 1199]
    assert sum(int(n.tax_minor) for n in notes) == 200
    assert [int(n.number) for n in notes] == [1, 2, 3, 4]


def test_refund_events_delivered_at_once_credit_once(demo_brand, atomic_moto):
    bid = demo_brand["id"]
    gw = make_gateway(demo_brand)
    ps = [make_payment(demo_brand, gw, amount=2200) for _ in range(5)]
    for p in ps:
        payment_events.on_payment_event({**_payload(bid, p, 0, 2, "Completed"),
                                         "amountGrossMinor": 2200})
    jobs = [(p, r) for p in ps for r in (1000, 2200, 1000, 2200)]
    outcomes = run_together(len(jobs), lambda i: payment_events.on_payment_event(
        {**_payload(bid, jobs[i][0], jobs[i][1], 3 + jobs[i][1] // 2200),
         "amountGrossMinor": 2200}))
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    invoices = list(m.InvoiceItem.gsi1.query(m.invoices_gsi(bid)))
    assert all(int(i.credited_minor) == 2200 for i in invoices)
    notes = [n for i in invoices
             for n in m.CreditNoteItem.query(i.pk, m.CreditNoteItem.sk.startswith("CN#"))]
    numbers = sorted(int(n.number) for n in notes)
    assert numbers == list(range(1, len(notes) + 1))  # gapless across the brand's invoices
    for i in invoices:
        mine = [int(n.amount_minor) for n in notes if n.invoice_id == i.id]
        assert sum(mine) == 2200


def test_a_lost_dispute_credits_the_whole_invoice(buyer, shop, paypal, demo_brand):
    bid = demo_brand["id"]
    pid = bought(buyer, bid, shop["usd"])
    p = payment(bid, pid)
    txn = f"TXN{pid}"
    intake.apply(bid, paypal_event(p, "Reversed", "dispute.created", "Reserved", 2000,
                                   f"{txn}-D", parent_merchant_ref=txn, dispute_ref=txn), None)
    drain_outbox()
    [inv] = buyer.ok("GET", "v1/invoices")["items"]
    assert inv["creditedAmount"] == 0  # open: the money is held, not gone
    intake.apply(bid, paypal_event(p, "Lost", "dispute.closed", "Reserved", 2000,
                                   f"{txn}-DC", parent_merchant_ref=txn, dispute_ref=txn), None)
    drain_outbox()
    one = buyer.ok("GET", f"v1/invoices/{inv['id']}")
    assert one["creditedAmount"] == 20
    assert [(n["amount"], n["reason"]) for n in one["creditNotes"]] == [(20, "DisputeLost")]
