"""A notification's raw body is kept compressed (payments/models.CompressedBytesAttribute): the
row a Stripe event is applied with is smaller, and what an admin reads, and a replay runs, is
the body byte for byte. Rows written before keep their plain ``rawBody`` and read the same."""

from __future__ import annotations

from chalicelib.payments import models as m
from chalicelib.payments.inbound import notifications
from chalicelib.store.base import connection
from tests.helpers import payments as ps


def _stored(brand_id: str, notification_id: str) -> dict:
    row = notifications.get_item(brand_id, notification_id)
    return connection().client.get_item(
        TableName=m.NotificationItem.Meta.table_name,
        Key={"pk": {"S": row.pk}, "sk": {"S": row.sk}})["Item"]


def test_the_body_is_stored_compressed_and_read_back_exactly(client, admin, demo_brand):
    gw = ps.make_gateway(demo_brand, "stripe")
    pay = ps.make_payment(demo_brand, gw, user_id="u1")
    body = ps.pi_event(pay.id, event_id="evt_zipped") + "  é ".encode() * 200
    resp = ps.post_stripe(client, gw, body, ps.signed(body))
    assert resp.status_code == 200, resp.body
    nid = resp.json_body["data"]["notificationId"]
    raw = _stored(demo_brand["id"], nid)
    assert "rawBody" not in raw and "B" in raw["rawBodyZ"]
    assert len(raw["rawBodyZ"]["B"]) < len(body) // 3
    one = admin.ok("GET", f"v1/payments/notifications/{nid}")
    assert one["rawBody"] == body.decode()


def test_a_row_written_before_with_a_plain_body_reads_and_replays(client, admin, demo_brand):
    gw = ps.make_gateway(demo_brand, "stripe")
    pay = ps.make_payment(demo_brand, gw, user_id="u1")
    body = ps.pi_event(pay.id, event_id="evt_plain")
    old = notifications.new(demo_brand["id"], "stripe", gw, body,
                            {"stripe-signature": ps.signed(body)["Stripe-Signature"]})
    old.raw_body_z, old.raw_body = None, body  # as the release before stored it
    old.outcome = "unknown_payment"
    old.save()
    raw = _stored(demo_brand["id"], old.id)
    assert "rawBodyZ" not in raw and raw["rawBody"]["S"] == body.decode()
    assert admin.ok("GET", f"v1/payments/notifications/{old.id}")["rawBody"] == body.decode()
    replayed = admin.ok("POST", f"v1/payments/notifications/{old.id}/replay")
    assert replayed["outcome"] == "applied"
    assert ps.payment(demo_brand["id"], pay.id).status == "Completed"
