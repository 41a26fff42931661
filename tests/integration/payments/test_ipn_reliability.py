"""Reliability: concurrent duplicates, a crash between the commit and the SQS send, replays."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from moto import mock_aws

from chalicelib import settings
from chalicelib.identity import brands, users
from chalicelib.licensing import fulfilment, subscriptions
from chalicelib.licensing import models as lm
from chalicelib.notify import mailer
from chalicelib.payments import service
from chalicelib.payments.gateways.events import GatewayEvent
from chalicelib.payments.inbound import intake
from chalicelib.store import bootstrap
from tests.conftest import reset_process_state
from tests.helpers import payments as ps
from tests.helpers.api import make_user
from tests.helpers.licensing import Clock, licensing_shop


@pytest.fixture
def gw(demo_brand):
    return ps.make_gateway(demo_brand, "stripe")


@pytest.fixture
def pay(demo_brand, gw):
    return ps.make_payment(demo_brand, gw, user_id="u1")


def _request(gw: str, body: bytes, headers: dict[str, str]) -> SimpleNamespace:
    """What Chalice hands the view: built per thread (chalice's ``app.current_request`` is one
    attribute shared by every thread, so the threads go through ``dispatch.handle`` directly)."""
    return SimpleNamespace(method="POST", raw_body=body, headers=headers, query_params=None,
                           context={"path": f"/api/v1/ipn/stripe/{gw}"}, path="")


def _storm(gw: str, pay_id: str, event_id: str, copies: int) -> tuple[bytes, list]:
    """One signed Stripe success sent ``copies`` times at once (each DynamoDB request atomic):
    the body and the replies."""
    from chalicelib.http.dispatch import handle
    from chalicelib.payments.inbound import routes as ipn_routes

    route = next(r for r in ipn_routes.ROUTES if "stripe" in r.path)
    body = ps.pi_event(pay_id, event_id=event_id)
    headers = ps.signed(body)
    with ps.serialised_dynamodb():
        replies = ps.run_together(copies, lambda i: handle(route, _request(gw, body, headers),
                                                           {"gatewayId": gw}))
    return body, replies


def received_mails(brand_id: str) -> list[dict]:
    """The "payment received" mails sent (the invoice's receipt mail goes too)."""
    return [m for m in ps.sent_mails(brand_id) if "payment was received" in m["subject"]]

def test_the_same_notification_20_times_concurrently_has_one_effect(app, demo_brand, gw, pay):
    import json

    _, replies = _storm(gw, pay.id, "evt_storm", 20)
    statuses = [r.status_code for r in replies]
    outcomes = sorted(json.loads(r.body)["data"]["outcome"] for r in replies)
    assert statuses == [200] * 20, [r.body for r in replies]
    assert outcomes == ["applied"] + ["duplicate"] * 19
    transitions = [h for h in ps.history(demo_brand["id"], pay.id) if h.to_status == "Completed"]
    assert len(transitions) == 1
    assert len(ps.mails(demo_brand["id"], "PAYMENT.PROCESSED.SUCCESS")) == 1
    assert len(ps.payment_events(demo_brand["id"])) == 1
    assert ps.payment(demo_brand["id"], pay.id).version == 2


def test_concurrent_copies_race_on_the_notification_that_is_the_dedupe_row(
        app, admin, demo_brand, gw, pay):
    """The applied notification is its event's dedupe row: of 8 copies racing, one writes it;
    the others fail on it, are answered "duplicate", and each is kept as a row of its own. The
    log lists all 8, and each reads back by the id its reply gave."""
    import json

    from chalicelib.payments.inbound import notifications

    body, replies = _storm(gw, pay.id, "evt_race", 8)
    data = [json.loads(r.body)["data"] for r in replies]
    [applied] = [d for d in data if d["outcome"] == "applied"]
    assert applied["notificationId"] == notifications.event_id("stripe", "evt_race")
    duplicates = {d["notificationId"] for d in data if d["outcome"] == "duplicate"}
    assert len(duplicates) == 7 and applied["notificationId"] not in duplicates
    listed = admin.ok("GET", "v1/payments/notifications?pageSize=50")
    assert listed["totalItems"] == 8
    assert sorted(i["outcome"] for i in listed["items"]) == ["applied"] + ["duplicate"] * 7
    for d in data:
        one = admin.ok("GET", f"v1/payments/notifications/{d['notificationId']}")
        assert (one["outcome"], one["eventId"], one["paymentId"]) == (
            d["outcome"], "evt_race", pay.id)
        assert one["rawBody"] == body.decode()
    [hist] = [h for h in ps.history(demo_brand["id"], pay.id) if h.to_status == "Completed"]
    assert hist.notification_id == applied["notificationId"]
    assert ps.payment(demo_brand["id"], pay.id).version == 2


def test_an_event_id_that_names_no_notification_is_a_404(admin, demo_brand):
    from chalicelib.payments.inbound import notifications

    for nid in (notifications.event_id("stripe", "evt_never"), "ev_%%%", "ev_"):
        assert admin.get(f"v1/payments/notifications/{nid}").status_code == 404


def test_different_events_for_one_payment_concurrently_all_apply_in_turn(
        app, demo_brand, gw, pay):
    """Concurrent different events race on the payment's version: each is applied once.
    (PayPal-style partial refunds: each message carries its own amount, so all four count.)"""
    from chalicelib import settings
    from chalicelib.payments.inbound import intake
    def event(key: str, kind: str, status: str, amount: int) -> GatewayEvent:
        return GatewayEvent(gateway="stripe", dedupe_key=key, kind=kind, event_type=kind,
                            occurred_at=settings.now(), payment_ref=pay.id,
                            merchant_ref=f"ref_{key}", amount_minor=amount, currency="USD",
                            jfw_status=status)

    intake.apply(demo_brand["id"], event("paid", "payment.succeeded", "Completed", 1999), "n0")
    refunds = [event(f"r{i}", "payment.refunded", "Refunded", 100) for i in range(4)]
    with ps.serialised_dynamodb():
        results = ps.run_together(4, lambda i: intake.apply(demo_brand["id"], refunds[i],
                                                            f"n{i + 1}"))
    assert [getattr(r, "outcome", r) for r in results] == ["applied"] * 4, results
    p = ps.payment(demo_brand["id"], pay.id)
    assert p.version == 6 and p.refunded_minor == 400 and p.status == "Refunded"
    assert len(ps.history(demo_brand["id"], pay.id)) == 6
    assert len(ps.mails(demo_brand["id"], "PAYMENT.PROCESSED.REFUNDED")) == 4


def test_stripe_running_refund_totals_out_of_order_keep_the_highest(client, demo_brand, gw,
                                                                    pay):
    ps.post_stripe(client, gw, ps.pi_event(pay.id))
    ps.post_stripe(client, gw, ps.refund_event(refunded=400))
    late = ps.post_stripe(client, gw, ps.refund_event(refunded=200))  # an older report
    assert late.json_body["data"]["outcome"] == "ignored"
    assert ps.payment(demo_brand["id"], pay.id).refunded_minor == 400


def test_a_crash_between_commit_and_send_is_delivered_by_the_sweeper_once(
        client, demo_brand, gw, pay, monkeypatch):
    from chalicelib.notify import jobs
    from chalicelib.payments.inbound import intake

    ps.verify_sender()
    body = ps.pi_event(pay.id, event_id="evt_crash")

    def crash(rows):
        raise RuntimeError("the process died before the SQS send")

    monkeypatch.setattr(intake, "_publish", crash)
    resp = ps.post_stripe(client, gw, body)
    assert resp.status_code == 500  # what the gateway sees of a crash: it will retry
    monkeypatch.undo()
    assert ps.payment(demo_brand["id"], pay.id).status == "Completed"  # committed
    assert ps.drain_outbox() == 0  # nothing reached SQS
    retry = ps.post_stripe(client, gw, body)
    assert retry.json_body["data"]["outcome"] == "duplicate"
    assert ps.drain_outbox() == 0  # a duplicate publishes nothing
    later = settings.now() + timedelta(minutes=10)
    settings.set_clock(lambda: later)
    # One outbox row, a bundle of the mail and the payment event (notify.outbox.bundle).
    assert jobs.sweep_outbox()["published"] == 1
    assert sorted(r.kind for r in ps.outbox_rows(demo_brand["id"])) == ["mail", "payment-event"]
    ps.drain_outbox()
    assert jobs.sweep_outbox()["published"] == 0
    ps.drain_outbox()
    [sent] = received_mails(demo_brand["id"])
    assert sent["to"] == "buyer@example.com"


def test_a_commit_whose_reply_was_lost_is_applied_and_published_at_once(client, demo_brand, gw,
                                                                       pay):
    """The transaction committed, its reply was lost (a read timeout) and botocore sent it again:
    the answer is "applied", not "duplicate", and the mail and the fulfilment event go out at
    once instead of waiting for the sweeper."""
    ps.verify_sender()
    body = ps.pi_event(pay.id, event_id="evt_lost_reply")
    with ps.lost_reply(when=ps.writes_to("GWEVENT")) as sent:
        resp = ps.post_stripe(client, gw, body)
    assert resp.status_code == 200 and resp.json_body["data"]["outcome"] == "applied"
    # The retry is the same logical write: same ClientRequestToken (DynamoDB answers a retry
    # of a committed token as a success without running it again; moto doesn't, so here the
    # retry fails on the dedupe row and the intake recognises its own commit).
    assert len(sent) == 2
    assert sent[0]["ClientRequestToken"] and \
        sent[0]["ClientRequestToken"] == sent[1]["ClientRequestToken"]
    [row] = ps.notification_rows(demo_brand["id"])
    assert row.outcome == "applied"
    assert ps.payment(demo_brand["id"], pay.id).status == "Completed"
    # the bundle of the mail and the payment event, no sweeper needed; then the invoice's
    # receipt mail
    assert ps.drain_outbox() == 2
    [mail] = received_mails(demo_brand["id"])
    assert mail["to"] == "buyer@example.com"
    # A real resend is still a duplicate and publishes nothing.
    again = ps.post_stripe(client, gw, body)
    assert again.json_body["data"]["outcome"] == "duplicate"
    assert ps.drain_outbox() == 0


def test_notifications_are_listed_and_a_replay_is_safe(client, admin, demo_brand, gw, pay):
    body = ps.pi_event(pay.id, event_id="evt_replay")
    nid = ps.post_stripe(client, gw, body).json_body["data"]["notificationId"]
    page = admin.ok("GET", "v1/payments/notifications")
    assert page["totalItems"] == 1 and page["items"][0]["outcome"] == "applied"
    one = admin.ok("GET", f"v1/payments/notifications/{nid}")
    assert one["rawBody"] == body.decode() and one["paymentId"] == pay.id
    replayed = admin.ok("POST", f"v1/payments/notifications/{nid}/replay")
    assert replayed["outcome"] == "duplicate" and replayed["attempts"] == 2
    assert len(ps.history(demo_brand["id"], pay.id)) == 2
    assert len(ps.mails(demo_brand["id"])) == 1


def test_replay_applies_a_notification_that_came_before_its_payment(
        client, admin, demo_brand, gw):
    from chalicelib.payments import service

    body = ps.pi_event("EARLY_PAYMENT", event_id="evt_early")
    nid = ps.post_stripe(client, gw, body).json_body["data"]["notificationId"]
    assert admin.ok("GET", f"v1/payments/notifications/{nid}")["outcome"] == "unknown_payment"
    service.create_payment(demo_brand, id="EARLY_PAYMENT", amount_minor=1999, currency="USD",
                           gateway_id=gw, gateway_type="stripe")
    assert admin.ok("POST", f"v1/payments/notifications/{nid}/replay")["outcome"] == "applied"
    assert ps.payment(demo_brand["id"], "EARLY_PAYMENT").status == "Completed"


def test_rejected_notifications_are_listed_and_replay_stays_rejected(
        client, admin, demo_brand, gw, pay):
    body = ps.pi_event(pay.id)
    ps.post_stripe(client, gw, body, ps.signed(body, secret="whsec_wrong"))
    [row] = admin.ok("GET", "v1/payments/notifications?outcome=rejected")["items"]
    assert "signature" in row["detail"].lower()
    resp = admin.post(f"v1/payments/notifications/{row['id']}/replay")
    assert resp.status_code == 400
    assert ps.payment(demo_brand["id"], pay.id).status == "Created"


def test_unverifiable_notifications_are_stored_at_most_n_per_gateway_per_hour(
        client, demo_brand, gw, pay, monkeypatch):
    """Forged traffic can't grow the table: past the hourly allowance a rejected notification
    is answered the same 400 but only counted."""
    from chalicelib.payments import models as m
    from chalicelib.payments.inbound import notifications

    monkeypatch.setattr(notifications, "REJECTED_PER_HOUR", 3)
    other = ps.make_gateway(demo_brand, "stripe")
    big = ps.pi_event(pay.id) + b" " * 20000

    def forge(gateway: str) -> int:
        return ps.post_stripe(client, gateway, big, ps.signed(big, "whsec_forged")).status_code

    assert [forge(gw) for _ in range(5)] == [400] * 5
    assert forge(other) == 400  # another gateway has its own allowance
    rows = [r for r in ps.notification_rows(demo_brand["id"]) if r.gateway_id == gw]
    assert [r.outcome for r in rows] == ["rejected"] * 3
    assert all(len(r.body) == notifications.REJECTED_MAX_BODY and r.ttl for r in rows)
    assert all(r.raw_body is None for r in rows)  # kept compressed (raw_body_z)
    [hour] = m.RejectedCountItem.query(m.rejected_pk(demo_brand["id"], gw))
    assert (hour.received, hour.stored) == (5, 3) and hour.ttl

    later = settings.now() + timedelta(hours=1)
    settings.set_clock(lambda: later)
    try:
        assert forge(gw) == 400
    finally:
        settings.set_clock(None)
    rows = [r for r in ps.notification_rows(demo_brand["id"]) if r.gateway_id == gw]
    assert len(rows) == 4
    counts = [(h.received, h.stored) for h in
              m.RejectedCountItem.query(m.rejected_pk(demo_brand["id"], gw))]
    assert counts == [(5, 3), (1, 1)]
    assert ps.payment(demo_brand["id"], pay.id).status == "Created"


def test_notifications_need_the_permission_and_stay_in_their_brand(
        client, api, demo_brand, other_brand, gw, pay):
    from tests.helpers.api import register_and_login

    body = ps.pi_event(pay.id)
    nid = ps.post_stripe(client, gw, body).json_body["data"]["notificationId"]
    buyer = register_and_login(api, "buyer1")
    assert buyer.get("v1/payments/notifications").status_code == 403
    make_user(other_brand, "otherboss", "Admin")
    from tests.helpers.api import login

    other = login(api.as_(None, "other.test"), "otherboss")
    assert other.get(f"v1/payments/notifications/{nid}").status_code == 404
    assert other.post(f"v1/payments/notifications/{nid}/replay").status_code == 404


def test_redrive_moves_dead_letters_back_and_they_are_delivered(client, demo_brand, gw, pay,
                                                               capsys):
    from chalicelib.notify import redrive
    from chalicelib.store import aws

    ps.verify_sender()
    ps.post_stripe(client, gw, ps.pi_event(pay.id))
    sqs, source, dlq = aws.client("sqs"), aws.queue_url("outbox"), aws.queue_url("outbox-dlq")
    # What SQS does after max receives: the messages move to the dead-letter queue.
    msgs = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)["Messages"]
    assert len(msgs) == 1  # the bundle: the mail and the payment event
    for m in msgs:
        sqs.send_message(QueueUrl=dlq, MessageBody=m["Body"])
        sqs.delete_message(QueueUrl=source, ReceiptHandle=m["ReceiptHandle"])
    assert ps.drain_outbox() == 0
    assert redrive.main(["--queue", "outbox"]) == 0
    assert "moved 1 message(s)" in capsys.readouterr().out
    assert sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages") is None
    assert ps.drain_outbox() == 2  # the bundle, then the receipt mail of the invoice it issues
    [sent] = received_mails(demo_brand["id"])
    assert sent["to"] == "buyer@example.com"


def test_redrive_dry_run_says_where_it_connects(demo_brand, capsys, monkeypatch):
    """Which SQS it would talk to (real AWS or the local stack), in which region, which queues."""
    from chalicelib.notify import redrive
    from chalicelib.store import aws

    aws.client("sqs").send_message(QueueUrl=aws.queue_url("outbox-dlq"), MessageBody='{"x": 1}')
    assert redrive.main(["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "endpoint https://sqs.us-east-1.amazonaws.com (AWS)" in out
    assert "region us-east-1" in out
    assert "jfw-test-outbox-dlq -> jfw-test-outbox" in out
    assert '{"x": 1}' in out and "would move (shown above) 1 message(s)" in out

    monkeypatch.setenv("JFW_AWS_ENDPOINT_URL", "http://127.0.0.1:5055")
    monkeypatch.setattr(redrive, "redrive", lambda *a, **k: 0)
    from chalicelib import settings

    settings.reload()
    aws.reset()
    try:
        redrive.main(["--dry-run"])
    finally:
        monkeypatch.delenv("JFW_AWS_ENDPOINT_URL")
        settings.reload()
        aws.reset()
    assert "endpoint http://127.0.0.1:5055 (JFW_AWS_ENDPOINT_URL)" in capsys.readouterr().out


# -- out of order: any order, any duplicates, the same payment ----------------------------------

def _events(pay_id: str, txn: str, refunds: list[int], dispute: str | None) -> list:
    """One payment's events in the order they happened (PayPal-shaped: each refund its own
    amount and txn): the success, the partial refunds, a dispute opened then closed."""
    def ev(key: str, kind: str, status: str, amount: int, ref: str, **kw) -> GatewayEvent:
        return GatewayEvent(gateway="paypal", dedupe_key=f"{ref}:{key}", kind=kind,
                            event_type=key, occurred_at=settings.now(), payment_ref=pay_id,
                            merchant_ref=ref, amount_minor=amount, currency="USD",
                            jfw_status=status, **kw)

    out = [ev("Completed", "payment.succeeded", "Completed", 2000, txn)]
    out += [ev("Refunded", "payment.refunded", "Refunded", r, f"{txn}-R{i}",
               parent_merchant_ref=txn) for i, r in enumerate(refunds)]
    if dispute:
        out.append(ev("Reversed", "dispute.created", "Reserved", 2000, f"{txn}-D",
                      parent_merchant_ref=txn, dispute_ref=txn))
        out.append(ev("Canceled_Reversal" if dispute == "won" else "Lost", "dispute.closed",
                      "CanceledReversal" if dispute == "won" else "Reserved", 2000,
                      f"{txn}-DC", parent_merchant_ref=txn, dispute_ref=txn))
    return out


def _outcome(brand: dict, pay_id: str, user_id: str, email: str) -> dict:
    """What the buyer and the books see at the end."""
    p = ps.payment(brand["id"], pay_id)
    record = fulfilment.get_fulfilment(brand["id"], pay_id)
    licenses = [lm.LicenseItem.get(lm.license_pk(brand["id"], i), lm.LICENSE_SK)
                for i in (record.license_ids if record else [])]
    mails = [m["eventCode"] for m in mailer.all_sent_mails(to=email)]
    holding = subscriptions.current(brand["id"], user_id)
    return {"status": p.status, "refunded": int(p.refunded_minor or 0),
            "gross": p.amount_gross_minor, "disputes": sorted((p.disputes or {}).values()),
            "licenses": sorted((i.type, i.status) for i in licenses if i.type != "Refunded"),
            "holding": (holding["packageId"], holding["expiryDate"], holding["status"]),
            "payment mails": sorted(c for c in mails if c.startswith("PAYMENT.PROCESSED.")),
            "receipts": sum(1 for c in mails if c.startswith("PAYMENT.RECEIPT-SENT."))}


def test_shuffled_and_repeated_events_end_as_the_events_in_order():
    """Any order, any duplicates of one payment's events (success, partial refunds, a dispute
    opened and won or lost) give the same payment, refunded total, license, buyer's package
    and payment mails as the same events in order; the buyer gets one license receipt when
    they end up holding it, and never more than one. (Each example on a fresh moto, ~70 ms:
    no example sees another's rows.)"""
    def run(brand: dict, shop: dict, gw: str, events: tuple, order: list[int], n: int) -> dict:
        email = f"buyer{n}@example.com"
        user = users.register(brand, password="s3cret-Pass", username=f"buyer{n}",
                              email_address=email)
        pay = service.create_payment(
            brand, amount_minor=2000, currency="USD", gateway_id=gw, gateway_type="paypal",
            user_id=user["id"], user_email=email, user_name="Buyer", name="Pro",
            package_id=shop["pro"], price_id=shop["pro_price"], subscription_type_id="D30",
            test_mode=True)
        happened = _events(pay.id, f"TXN{n}", *events)
        for i in order:
            intake.apply(brand["id"], happened[i], None)
            ps.drain_outbox()
        return _outcome(brand, pay.id, user["id"], email)

    @st.composite
    def cases(draw):
        refunds = draw(st.lists(st.sampled_from([100, 250, 400]), max_size=2))
        dispute = draw(st.sampled_from([None, "won", "lost"]))
        count = 1 + len(refunds) + (2 if dispute else 0)
        in_order = list(range(count))
        mixed = list(draw(st.permutations(in_order)))
        for again in draw(st.lists(st.sampled_from(in_order), max_size=2)):
            mixed.insert(draw(st.integers(0, len(mixed))), again)
        return (refunds, dispute), in_order, mixed

    @hsettings(max_examples=12, deadline=None, database=None,
               suppress_health_check=[HealthCheck.too_slow])
    @given(cases())
    def check(case):
        events, in_order, mixed = case
        with mock_aws():
            reset_process_state()
            try:
                bootstrap.create_all()
                Clock()
                ps.verify_sender()
                brand = brands.create(name="Demo", abbr="DEMO", domain="demo.test")
                shop = licensing_shop(brand)
                gw = ps.make_gateway(brand, "paypal")
                expected = run(brand, shop, gw, events, in_order, 1)
                got = run(brand, shop, gw, events, mixed, 2)
            finally:
                reset_process_state()
        receipts = got.pop("receipts"), expected.pop("receipts")
        assert got == expected, (events, mixed)
        if expected["licenses"]:
            assert receipts == (1, 1)
        else:
            assert max(receipts) <= 1

    check()
